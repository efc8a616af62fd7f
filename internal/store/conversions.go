package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A split's conversions: the members of its subsets, each with a
// reference time (when its message was sent), counted by a query the
// audience compiler generates over them (audience.CountOver).

// The member table a conversion is counted over: a common table
// expression, one row per member with the dimension's key columns.
const (
	// ConversionMembers names the table.
	ConversionMembers = "ff_members"
	// ConversionGroup is the column naming a member's subset.
	ConversionGroup = "ff_group"
	// ConversionSentAt is the column of a member's reference time.
	ConversionSentAt = "ff_sent_at"
	// ConversionWindowEnd is the reference time plus the window.
	ConversionWindowEnd = "ff_window_end"
)

// ConversionSubset is one subset of a split a conversion is counted over.
type ConversionSubset struct {
	// Name names the subset in the results.
	Name string
	// Table is the subset's working table (its members' key columns).
	Table string
	// Activity is the channel activity that sent to the subset; "" for a
	// control group, whose members all take the reference time.
	Activity string
}

// ConversionCount is what Conversions counts.
type ConversionCount struct {
	RunID int64
	// Key are the dimension's key columns.
	Key []string
	// Recipient is the SQL of a member's key as the outbox holds it (a
	// JSON object) over the subset's table, alias w: how a member finds
	// its messages.
	Recipient string
	// Reference is the reference time of the members who were sent
	// nothing (a control group's, or a treated member's whose message did
	// not go).
	Reference time.Time
	// Window is the window's length as an interval ("7 days"), "" for
	// none (the window's end is then null).
	Window  string
	Subsets []ConversionSubset
	// Count is the query counting, per group, the members that convert,
	// over ConversionMembers (placeholders from $1), and its arguments.
	Count     string
	CountArgs []any
}

// Conversions counts, per subset, the members the query matches, each
// measured from its own reference time: a treated member's is the first
// time a message of its activity to it was sent, or Reference when none
// was; a control member's is Reference.
func (r Runs) Conversions(ctx context.Context, c ConversionCount) (map[string]int64, error) {
	args := append([]any(nil), c.CountArgs...)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	keys := make([]string, len(c.Key))
	for i, k := range c.Key {
		keys[i] = "w." + Quote(k)
	}
	ref := "CAST(" + arg(c.Reference.UTC()) + " AS TIMESTAMPTZ)"
	var parts []string
	for _, s := range c.Subsets {
		head := "SELECT CAST(" + arg(s.Name) + " AS VARCHAR) AS " + ConversionGroup + ", " + strings.Join(keys, ", ")
		if s.Activity == "" {
			parts = append(parts, head+", "+ref+" AS "+ConversionSentAt+" FROM "+Quote(s.Table)+" w")
			continue
		}
		sent := "(SELECT recipient, min(sent_at) AS sent_at FROM ff_outbox WHERE run_id = " + arg(c.RunID) + " AND activity_id = " + arg(s.Activity) +
			" AND status = 'sent' GROUP BY recipient) o"
		parts = append(parts, head+", coalesce(o.sent_at, "+ref+") AS "+ConversionSentAt+" FROM "+Quote(s.Table)+" w LEFT JOIN "+sent+
			" ON o.recipient = "+c.Recipient)
	}
	end := "CAST(NULL AS TIMESTAMPTZ)"
	if c.Window != "" {
		end = "x." + ConversionSentAt + " + CAST(CAST(" + arg(c.Window) + " AS VARCHAR) AS INTERVAL)"
	}
	q := "WITH " + ConversionMembers + " AS (SELECT x.*, " + end + " AS " + ConversionWindowEnd + " FROM (" + strings.Join(parts, " UNION ALL ") + ") x) " + c.Count
	out := map[string]int64{}
	err := r.each(ctx, func(rows *sql.Rows) error {
		var g string
		var n int64
		if err := rows.Scan(&g, &n); err != nil {
			return err
		}
		out[g] = n
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count the conversions of run %d: %w", c.RunID, err)
	}
	return out, nil
}

// MedianSent returns the median time the run's messages of the
// activities were sent (the earlier of the two middle ones of an even
// count) and how many were sent; the zero time when none was.
func (o Outbox) MedianSent(ctx context.Context, runID int64, activities []string) (time.Time, int64, error) {
	where := `FROM ff_outbox WHERE run_id = $1 AND status = 'sent' AND ` + o.d.InList("activity_id", 2, "VARCHAR")
	var n int64
	if err := o.row(ctx, []any{&n}, `SELECT count(*) `+where, runID, activities); err != nil || n == 0 {
		return time.Time{}, 0, err
	}
	var at time.Time
	if err := o.row(ctx, []any{&at}, `SELECT sent_at `+where+` ORDER BY sent_at LIMIT 1 OFFSET $3`, runID, activities, (n-1)/2); err != nil {
		return time.Time{}, 0, fmt.Errorf("the median send time of run %d: %w", runID, err)
	}
	return at.UTC(), n, nil
}
