package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Events is what happened after messages were sent, ff_events: opens and
// clicks, appended in batches and never updated.
type Events struct{ area }

// Events returns the events' area.
func (s *Store) Events() Events { return Events{s.area()} }

// EventRecord is one event. MessageID is empty for an anonymous one;
// Machine is empty for a person, else which kind of machine it was.
type EventRecord struct {
	At        time.Time
	Type      string
	RunID     int64
	Activity  string
	MessageID string
	Link      int // a click's link, 1-based; 0 for none
	URL       string
	Label     string
	Machine   string
	IP        string
	UserAgent string
	// Details is a JSON object, "" for none.
	Details string
}

// eventColumns are ff_events' columns in EventRecord's order.
const eventColumns = "created_at, type, run_id, activity, message_id, link, url, label, machine, ip, user_agent, details"

// eventArity is the number of eventColumns.
const eventArity = 12

// MaxEventBatch bounds the events Append writes in one statement.
const MaxEventBatch = 500

// Append writes events, at most MaxEventBatch per statement.
func (e Events) Append(ctx context.Context, evs []EventRecord) error {
	for len(evs) > 0 {
		n := min(len(evs), MaxEventBatch)
		var b strings.Builder
		b.WriteString("INSERT INTO ff_events (" + eventColumns + ") VALUES ")
		args := make([]any, 0, n*eventArity)
		for i, ev := range evs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := range eventArity {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", i*eventArity+j+1)
			}
			b.WriteString(")")
			args = append(args, ev.At.UTC(), ev.Type, ev.RunID, ev.Activity, nullText(ev.MessageID), nullInt(ev.Link), nullText(ev.URL),
				nullText(ev.Label), nullText(ev.Machine), nullText(ev.IP), nullText(ev.UserAgent), nullText(ev.Details))
		}
		if _, err := e.exec(ctx, b.String(), args...); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return int64(n)
}

// EventCount counts a run's events of one activity and type, by people or
// machines: every event (Total) and the messages they came from (Unique;
// an anonymous event counts in Total only).
type EventCount struct {
	Activity string
	Type     string
	Machine  bool
	Total    int64
	Unique   int64
}

// Counts returns a run's event counts.
func (e Events) Counts(ctx context.Context, runID int64) ([]EventCount, error) {
	var out []EventCount
	err := e.each(ctx, func(rows *sql.Rows) error {
		var c EventCount
		if err := rows.Scan(&c.Activity, &c.Type, &c.Machine, &c.Total, &c.Unique); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT activity, type, machine IS NOT NULL, count(*), count(DISTINCT message_id) FROM ff_events
		WHERE run_id = $1 GROUP BY activity, type, machine IS NOT NULL ORDER BY activity, type, 3`, runID)
	return out, err
}

// LinkCount counts the clicks people made on one link of a run's
// activity.
type LinkCount struct {
	Activity string
	Link     int
	URL      string
	Label    string
	Total    int64
	Unique   int64
}

// Links returns the clicks people made on each link of a run's messages,
// most clicked first. Links of one place whose URL differs by recipient
// are counted apart.
func (e Events) Links(ctx context.Context, runID int64) ([]LinkCount, error) {
	var out []LinkCount
	err := e.each(ctx, func(rows *sql.Rows) error {
		var c LinkCount
		var label sql.NullString
		if err := rows.Scan(&c.Activity, &c.Link, &c.URL, &label, &c.Total, &c.Unique); err != nil {
			return err
		}
		c.Label = label.String
		out = append(out, c)
		return nil
	}, `SELECT activity, link, url, label, count(*), count(DISTINCT message_id) FROM ff_events
		WHERE run_id = $1 AND type = 'click' AND machine IS NULL
		GROUP BY activity, link, url, label ORDER BY count(*) DESC, activity, link, url`, runID)
	return out, err
}

// SoftBounces counts the soft bounces of messages to an address of a
// channel since a time.
func (e Events) SoftBounces(ctx context.Context, ch, address string, since time.Time) (int64, error) {
	var n int64
	err := e.row(ctx, []any{&n}, `SELECT count(*) FROM ff_events e JOIN ff_outbox o ON o.message_id = e.message_id
		WHERE e.type = 'bounce_soft' AND e.created_at >= $1 AND o.channel = $2 AND lower(o.address) = lower($3)`, since.UTC(), ch, address)
	return n, err
}
