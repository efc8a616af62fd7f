package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Events is what happened after messages were sent, ff_events: opens and
// clicks, appended in batches and never updated.
type Events struct {
	area
	// rollMu serialises Roll's folds on the embedded store, as a row
	// lock does on PostgreSQL.
	rollMu *sync.Mutex
}

// Events returns the events' area.
func (s *Store) Events() Events { return Events{s.area(), &s.rollMu} }

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

// MaxEventBatch bounds the events Append writes in one statement, and the
// tracking recorder's events answered and not committed (delivery.
// RecordBatch). Each statement commits, and on DuckDB a commit of the
// appender costs about a millisecond whatever its size: batches of 250
// (at 500) made 140 commits a second at 35 000 hits a second, and the
// embedded tracking server answered 0.59–0.65 of the bare handler; at
// 4 000 (batches of 2 000, about 50 ms of hits) 0.70–0.80, PostgreSQL
// 0.78–0.82 (BenchmarkTrackingServe, docs/tracking.md).
const MaxEventBatch = 4000

// eventColumnList are ff_events' columns in EventRecord's order.
var eventColumnList = strings.Split(strings.ReplaceAll(eventColumns, " ", ""), ",")

// Append writes events, at most MaxEventBatch at a time, each batch at
// once, by the store's bulk path (Dialect.BulkLoad: DuckDB's appender,
// PostgreSQL's COPY). An empty text or a 0 link is NULL. Earlier ways,
// per event (BenchmarkEventAppend, 2 shared cores): a VALUES list of
// 6 000 parameters 252 µs on DuckDB and 45 µs on PostgreSQL; one array
// per column, unnested side by side, 26 µs and 7 µs.
func (e Events) Append(ctx context.Context, evs []EventRecord) error {
	db, ok := e.q.(*sql.DB)
	if !ok {
		return fmt.Errorf("append events: not inside a transaction")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for len(evs) > 0 {
		n := min(len(evs), MaxEventBatch)
		i := 0
		_, err := e.d.BulkLoad(ctx, conn, "ff_events", eventColumnList, func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			ev := evs[i]
			i++
			var link any
			if ev.Link != 0 {
				link = int64(ev.Link)
			}
			return []any{ev.At.UTC(), ev.Type, ev.RunID, ev.Activity, text(ev.MessageID), link, text(ev.URL), text(ev.Label),
				text(ev.Machine), text(ev.IP), text(ev.UserAgent), text(ev.Details)}, nil
		})
		if err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
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

// Counts returns a run's event counts, from the tallies Roll keeps.
func (e Events) Counts(ctx context.Context, runID int64) ([]EventCount, error) {
	var out []EventCount
	err := e.each(ctx, func(rows *sql.Rows) error {
		var c EventCount
		if err := rows.Scan(&c.Activity, &c.Type, &c.Machine, &c.Total, &c.Unique); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT activity, type, machine, sum(events), sum(uniques) FROM ff_event_tallies
		WHERE run_id = $1 GROUP BY activity, type, machine HAVING sum(events) > 0 ORDER BY activity, type, 3`, runID)
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
// most clicked first, from the tallies Roll keeps. Links of one place
// whose URL differs by recipient are counted apart.
func (e Events) Links(ctx context.Context, runID int64) ([]LinkCount, error) {
	var out []LinkCount
	err := e.each(ctx, func(rows *sql.Rows) error {
		var c LinkCount
		if err := rows.Scan(&c.Activity, &c.Link, &c.URL, &c.Label, &c.Total, &c.Unique); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT activity, link, url, label, events, uniques FROM ff_event_link_tallies
		WHERE run_id = $1 AND events > 0 ORDER BY events DESC, activity, link, url`, runID)
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

// EventBucket counts a run's events of one type in one span of time (an
// hour or a day, UTC), people's and machines' apart.
type EventBucket struct {
	At       time.Time
	Activity string
	Type     string
	Machine  bool
	Events   int64
}

// Series returns a run's events counted by hour or day ("hour", "day"),
// from the tallies Roll keeps by whole hours since the Unix epoch (UTC by
// construction; a day is 24 of them).
func (e Events) Series(ctx context.Context, runID int64, unit string) ([]EventBucket, error) {
	hours := map[string]int64{"hour": 1, "day": 24}[unit]
	if hours == 0 {
		return nil, fmt.Errorf("series by %q: want hour or day", unit)
	}
	var out []EventBucket
	err := e.each(ctx, func(rows *sql.Rows) error {
		var b EventBucket
		var bucket int64
		if err := rows.Scan(&bucket, &b.Activity, &b.Type, &b.Machine, &b.Events); err != nil {
			return err
		}
		b.At = time.Unix(bucket*hours*3600, 0).UTC()
		out = append(out, b)
		return nil
	}, `SELECT CAST(floor(hour / `+strconv.FormatInt(hours, 10)+`.0) AS BIGINT), activity, type, machine, sum(events) FROM ff_event_tallies
		WHERE run_id = $1 GROUP BY 1, 2, 3, 4 HAVING sum(events) > 0 ORDER BY 1, 2, 3, 4`, runID)
	return out, err
}

// DomainCount is what happened to a run's emails to one domain of
// recipients: sent, and the messages people opened and clicked, that
// bounced (hard or soft) or were complained about.
type DomainCount struct {
	Activity   string
	Domain     string
	Sent       int64
	Opened     int64
	Clicked    int64
	Bounced    int64
	Complaints int64
}

// Domains returns a run's emails by recipient domain, most sent first:
// the messages sent, from the outbox, and what people did with them, from
// the tallies Roll keeps.
func (e Events) Domains(ctx context.Context, runID int64) ([]DomainCount, error) {
	var out []DomainCount
	err := e.eachLarge(ctx, func(rows *sql.Rows) error {
		var d DomainCount
		if err := rows.Scan(&d.Activity, &d.Domain, &d.Sent, &d.Opened, &d.Clicked, &d.Bounced, &d.Complaints); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, `SELECT s.activity, s.domain, s.sent, coalesce(t.opened, 0), coalesce(t.clicked, 0), coalesce(t.bounced, 0), coalesce(t.complained, 0)
		FROM (SELECT activity_id AS activity, lower(split_part(address, '@', 2)) AS domain, count(*) AS sent FROM ff_outbox
			WHERE run_id = $1 AND channel = 'email' AND status = 'sent' GROUP BY 1, 2) s
		LEFT JOIN ff_event_domain_tallies t ON t.run_id = $1 AND t.activity = s.activity AND t.domain = s.domain
		ORDER BY 3 DESC, 1, 2`, runID)
	return out, err
}
