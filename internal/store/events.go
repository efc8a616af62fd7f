package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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

// MaxEventBatch bounds the events Append writes in one statement.
const MaxEventBatch = 500

// appendEvents inserts a batch of events as one array per column, unnested
// side by side: 12 parameters whatever the batch's size. A VALUES list
// of 6 000 parameters took 252 µs an event on DuckDB and 45 µs on
// PostgreSQL (its parsing and binding); the arrays 28 µs and 10 µs
// (bench: BenchmarkEventAppend, 2 shared cores). An empty text or a 0
// link is NULL, as before.
const appendEvents = `INSERT INTO ff_events (` + eventColumns + `)
	SELECT unnest(CAST($1 AS TIMESTAMPTZ[])), unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS BIGINT[])), unnest(CAST($4 AS VARCHAR[])),
		NULLIF(unnest(CAST($5 AS VARCHAR[])), ''), NULLIF(unnest(CAST($6 AS BIGINT[])), 0), NULLIF(unnest(CAST($7 AS VARCHAR[])), ''),
		NULLIF(unnest(CAST($8 AS VARCHAR[])), ''), NULLIF(unnest(CAST($9 AS VARCHAR[])), ''), NULLIF(unnest(CAST($10 AS VARCHAR[])), ''),
		NULLIF(unnest(CAST($11 AS VARCHAR[])), ''), NULLIF(unnest(CAST($12 AS VARCHAR[])), '')`

// Append writes events, at most MaxEventBatch per statement.
func (e Events) Append(ctx context.Context, evs []EventRecord) error {
	for len(evs) > 0 {
		n := min(len(evs), MaxEventBatch)
		at := make([]time.Time, n)
		runs, links := make([]int64, n), make([]int64, n)
		text := make([][]string, 9) // type, activity, message_id, url, label, machine, ip, user_agent, details
		for k := range text {
			text[k] = make([]string, n)
		}
		for i, ev := range evs[:n] {
			at[i], runs[i], links[i] = ev.At.UTC(), ev.RunID, int64(ev.Link)
			for k, v := range []string{ev.Type, ev.Activity, ev.MessageID, ev.URL, ev.Label, ev.Machine, ev.IP, ev.UserAgent, ev.Details} {
				text[k][i] = v
			}
		}
		if _, err := e.exec(ctx, appendEvents, at, text[0], runs, text[1], text[2], links, text[3], text[4], text[5], text[6], text[7], text[8]); err != nil {
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

// Counts returns a run's event counts.
func (e Events) Counts(ctx context.Context, runID int64) ([]EventCount, error) {
	var out []EventCount
	err := e.eachLarge(ctx, func(rows *sql.Rows) error {
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
	err := e.eachLarge(ctx, func(rows *sql.Rows) error {
		var c LinkCount
		var link sql.NullInt64
		var url, label sql.NullString
		if err := rows.Scan(&c.Activity, &link, &url, &label, &c.Total, &c.Unique); err != nil {
			return err
		}
		c.Link, c.URL, c.Label = int(link.Int64), url.String, label.String
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

// EventBucket counts a run's events of one type in one span of time (an
// hour or a day, UTC), people's and machines' apart.
type EventBucket struct {
	At       time.Time
	Activity string
	Type     string
	Machine  bool
	Events   int64
}

// Series returns a run's events counted by hour or day ("hour", "day").
// The buckets are whole hours or days since the Unix epoch, UTC by
// construction: truncating each event's time AT TIME ZONE 'UTC' went
// through the time-zone library for every event (1.5 s over 3M events on
// DuckDB, BenchmarkReport).
func (e Events) Series(ctx context.Context, runID int64, unit string) ([]EventBucket, error) {
	span := map[string]int64{"hour": 3600, "day": 86400}[unit]
	if span == 0 {
		return nil, fmt.Errorf("series by %q: want hour or day", unit)
	}
	var out []EventBucket
	err := e.eachLarge(ctx, func(rows *sql.Rows) error {
		var b EventBucket
		var bucket int64
		if err := rows.Scan(&bucket, &b.Activity, &b.Type, &b.Machine, &b.Events); err != nil {
			return err
		}
		b.At = time.Unix(bucket*span, 0).UTC()
		out = append(out, b)
		return nil
	}, `SELECT CAST(floor(date_part('epoch', created_at) / `+strconv.FormatInt(span, 10)+`) AS BIGINT), activity, type, machine IS NOT NULL, count(*) FROM ff_events
		WHERE run_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, runID)
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

// Domains returns a run's emails by recipient domain, most sent first.
func (e Events) Domains(ctx context.Context, runID int64) ([]DomainCount, error) {
	var out []DomainCount
	err := e.eachLarge(ctx, func(rows *sql.Rows) error {
		var d DomainCount
		if err := rows.Scan(&d.Activity, &d.Domain, &d.Sent, &d.Opened, &d.Clicked, &d.Bounced, &d.Complaints); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, `SELECT o.activity_id, lower(split_part(o.address, '@', 2)) AS domain, count(*),
			count(*) FILTER (WHERE e.opened), count(*) FILTER (WHERE e.clicked), count(*) FILTER (WHERE e.bounced), count(*) FILTER (WHERE e.complained)
		FROM ff_outbox o LEFT JOIN (
			SELECT message_id,
				bool_or(type = 'open' AND machine IS NULL) AS opened, bool_or(type = 'click' AND machine IS NULL) AS clicked,
				bool_or(type IN ('bounce_hard', 'bounce_soft')) AS bounced, bool_or(type = 'complaint') AS complained
			FROM ff_events WHERE run_id = $1 AND message_id IS NOT NULL AND machine IS NULL
				AND type IN ('open', 'click', 'bounce_hard', 'bounce_soft', 'complaint') GROUP BY message_id
		) e ON e.message_id = o.message_id
		WHERE o.run_id = $1 AND o.channel = 'email' AND o.status = 'sent'
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`, runID)
	return out, err
}
