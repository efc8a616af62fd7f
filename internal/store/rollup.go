package store

import (
	"context"
	"database/sql"
	"time"
)

// The reports' tallies (migration 0024): Roll folds the events appended
// since it last ran into them, so that a report reads small tables
// instead of counting a run's millions of events, and the distinct
// messages among them, every time (BenchmarkReport). A message's first
// event of a type (people's apart from machines') is kept as a row, so a
// reloaded pixel or a retried webhook counts in the totals but never
// twice in a unique figure.

// RollSettle is how long Roll waits for a missing event number before it
// takes it for one that will never come (an append that failed): an
// append commits within milliseconds of taking its numbers.
const RollSettle = 10 * time.Second

// rollChunk bounds the events one fold reads, so that catching up on
// millions is a series of transactions of bounded size.
const rollChunk = 200_000

// hourOf is an event's hour since the Unix epoch, UTC by construction.
const hourOf = `CAST(floor(date_part('epoch', e.created_at) / 3600) AS BIGINT)`

// linkKeyOf names an event's link by its URL and label, unambiguously
// and in a bounded size (a URL may be long).
const linkKeyOf = `md5(CAST(length(coalesce(e.label, '')) AS VARCHAR) || ':' || coalesce(e.label, '') || coalesce(e.url, ''))`

// A message's first events and first clicks on a link, from the events
// numbered above $1 up to $2 (batch = $2), found new by an anti-join on
// the embedded store, whose tables of firsts have no key (the index
// would cost memory for nothing else).
const (
	firstsAntiJoin = `INSERT INTO ff_event_firsts (run_id, message_id, type, machine, activity, hour, batch)
	SELECT e.run_id, e.message_id, e.type, e.machine IS NOT NULL, min(e.activity), min(` + hourOf + `), $2
	FROM ff_events e
	WHERE e.seq > $1 AND e.seq <= $2 AND e.message_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM ff_event_firsts f WHERE f.run_id = e.run_id AND f.message_id = e.message_id
			AND f.type = e.type AND f.machine = (e.machine IS NOT NULL))
	GROUP BY e.run_id, e.message_id, e.type, e.machine IS NOT NULL`

	linkFirstsAntiJoin = `INSERT INTO ff_event_link_firsts (run_id, message_id, link, link_key, activity, hour, batch)
	SELECT e.run_id, e.message_id, coalesce(e.link, 0), ` + linkKeyOf + `, min(e.activity), min(` + hourOf + `), $2
	FROM ff_events e
	WHERE e.seq > $1 AND e.seq <= $2 AND e.type = 'click' AND e.machine IS NULL AND e.message_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM ff_event_link_firsts f WHERE f.run_id = e.run_id AND f.message_id = e.message_id
			AND f.link = coalesce(e.link, 0) AND f.link_key = ` + linkKeyOf + `)
	GROUP BY 1, 2, 3, 4`
)

// On PostgreSQL the firsts are keyed: a fold groups its events first and
// lets the key skip those already kept. A flood of clicks on the same
// links (a second's 50 000 on 4 000 links) then probes the key once a
// link, not once a click, and hashes a link's key once a message
// (BenchmarkReport's fold_second); an anti-join after the grouping was
// planned as a hash join over every first kept, 10 times slower.
const (
	firstsKeyed = `INSERT INTO ff_event_firsts (run_id, message_id, type, machine, activity, hour, batch)
	SELECT e.run_id, e.message_id, e.type, e.machine IS NOT NULL, min(e.activity), min(` + hourOf + `), $2
	FROM ff_events e
	WHERE e.seq > $1 AND e.seq <= $2 AND e.message_id IS NOT NULL
	GROUP BY e.run_id, e.message_id, e.type, e.machine IS NOT NULL
	ON CONFLICT (run_id, message_id, type, machine) DO NOTHING`

	linkFirstsKeyed = `INSERT INTO ff_event_link_firsts (run_id, message_id, link, link_key, activity, hour, batch)
	SELECT g.run_id, g.message_id, g.link, md5(CAST(length(g.label) AS VARCHAR) || ':' || g.label || g.url), g.activity, g.hour, $2
	FROM (SELECT e.run_id, e.message_id, coalesce(e.link, 0) AS link, coalesce(e.label, '') AS label, coalesce(e.url, '') AS url,
			min(e.activity) AS activity, min(` + hourOf + `) AS hour
		FROM ff_events e
		WHERE e.seq > $1 AND e.seq <= $2 AND e.type = 'click' AND e.machine IS NULL AND e.message_id IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5) g
	ON CONFLICT (run_id, message_id, link, link_key) DO NOTHING`
)

// foldStatements are a fold's statements over the events numbered above
// $1 up to $2, in order: the first events first, so that the tallies of
// uniques read the firsts this fold wrote (batch = $2). keyed: the tables
// of firsts have their keys (PostgreSQL).
func foldStatements(keyed bool) []string {
	firsts, linkFirsts := firstsAntiJoin, linkFirstsAntiJoin
	if keyed {
		firsts, linkFirsts = firstsKeyed, linkFirstsKeyed
	}
	return []string{firsts, tallyEvents, tallyUniques, linkFirsts, tallyLinkEvents, tallyLinkUniques, tallyDomains}
}

// The tallies a fold adds to.
const (
	tallyEvents = `INSERT INTO ff_event_tallies (run_id, activity, type, machine, hour, events, uniques)
	SELECT e.run_id, e.activity, e.type, e.machine IS NOT NULL, ` + hourOf + `, count(*), 0
	FROM ff_events e WHERE e.seq > $1 AND e.seq <= $2
	GROUP BY 1, 2, 3, 4, 5
	ON CONFLICT (run_id, activity, type, machine, hour) DO UPDATE SET events = ff_event_tallies.events + excluded.events`

	tallyUniques = `INSERT INTO ff_event_tallies (run_id, activity, type, machine, hour, events, uniques)
	SELECT run_id, activity, type, machine, hour, 0, count(*) FROM ff_event_firsts WHERE batch = $2 AND $1 < $2
	GROUP BY 1, 2, 3, 4, 5
	ON CONFLICT (run_id, activity, type, machine, hour) DO UPDATE SET uniques = ff_event_tallies.uniques + excluded.uniques`

	// Grouped by label and URL, which the link's key is a hash of: the
	// key is computed once a link, not once a click.
	tallyLinkEvents = `INSERT INTO ff_event_link_tallies (run_id, activity, link, link_key, url, label, events, uniques)
	SELECT g.run_id, g.activity, g.link, md5(CAST(length(g.label) AS VARCHAR) || ':' || g.label || g.url), g.url, g.label, g.events, 0
	FROM (SELECT e.run_id, e.activity, coalesce(e.link, 0) AS link, coalesce(e.label, '') AS label, coalesce(e.url, '') AS url, count(*) AS events
		FROM ff_events e WHERE e.seq > $1 AND e.seq <= $2 AND e.type = 'click' AND e.machine IS NULL
		GROUP BY 1, 2, 3, 4, 5) g
	ON CONFLICT (run_id, activity, link, link_key) DO UPDATE SET events = ff_event_link_tallies.events + excluded.events`

	tallyLinkUniques = `INSERT INTO ff_event_link_tallies (run_id, activity, link, link_key, url, label, events, uniques)
	SELECT run_id, activity, link, link_key, '', '', 0, count(*) FROM ff_event_link_firsts WHERE batch = $2 AND $1 < $2
	GROUP BY 1, 2, 3, 4
	ON CONFLICT (run_id, activity, link, link_key) DO UPDATE SET uniques = ff_event_link_tallies.uniques + excluded.uniques`

	// A message bounced counts once, whether hard, soft or both, and
	// only if no earlier fold saw it bounce.
	tallyDomains = `INSERT INTO ff_event_domain_tallies (run_id, activity, domain, opened, clicked, bounced, complained)
	SELECT o.run_id, o.activity_id, lower(split_part(o.address, '@', 2)),
		count(*) FILTER (WHERE n.opened), count(*) FILTER (WHERE n.clicked), count(*) FILTER (WHERE n.bounced), count(*) FILTER (WHERE n.complained)
	FROM (SELECT g.run_id, g.message_id, g.opened, g.clicked, g.complained,
			g.bounced AND NOT EXISTS (SELECT 1 FROM ff_event_firsts p WHERE p.run_id = g.run_id AND p.message_id = g.message_id
				AND p.batch < $2 AND NOT p.machine AND p.type IN ('bounce_hard', 'bounce_soft')) AS bounced
		FROM (SELECT run_id, message_id, bool_or(type = 'open') AS opened, bool_or(type = 'click') AS clicked,
				bool_or(type IN ('bounce_hard', 'bounce_soft')) AS bounced, bool_or(type = 'complaint') AS complained
			FROM ff_event_firsts WHERE batch = $2 AND $1 < $2 AND NOT machine AND type IN ('open', 'click', 'bounce_hard', 'bounce_soft', 'complaint')
			GROUP BY run_id, message_id) g) n
	JOIN ff_outbox o ON o.run_id = n.run_id AND o.message_id = n.message_id
	WHERE o.channel = 'email' AND o.status = 'sent'
	GROUP BY 1, 2, 3
	ON CONFLICT (run_id, activity, domain) DO UPDATE SET opened = ff_event_domain_tallies.opened + excluded.opened,
		clicked = ff_event_domain_tallies.clicked + excluded.clicked, bounced = ff_event_domain_tallies.bounced + excluded.bounced,
		complained = ff_event_domain_tallies.complained + excluded.complained`
)

// Roll folds the events appended since it last ran into the reports'
// tallies, in transactions of at most rollChunk events, and returns how
// many it folded. One fold runs at a time (a row lock on PostgreSQL, a
// lock of this process on the embedded store), so every node may call
// it: a report calls it before it reads, a server every second. It folds
// events in the order of their numbers and stops at a number still
// missing — an append in flight — until RollSettle has passed.
func (e Events) Roll(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		n, more, err := e.fold(ctx, now)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// fold folds one chunk; more says whether there may be another.
func (e Events) fold(ctx context.Context, now time.Time) (n int64, more bool, err error) {
	if !rowLocks(e.d) {
		e.rollMu.Lock()
		defer e.rollMu.Unlock()
	}
	err = e.inTx(ctx, func(a area) error {
		var c Cursor
		var gap sql.NullTime
		lock := ""
		if rowLocks(e.d) {
			lock = " FOR UPDATE"
		}
		if err := a.row(ctx, []any{&c.Seq, &gap}, `SELECT seq, gap_since FROM ff_event_rollup WHERE id = 1`+lock); err != nil {
			return err
		}
		if set := a.d.LargeQuery(); set != "" {
			if _, err := a.exec(ctx, set); err != nil {
				return err
			}
		}
		if gap.Valid {
			c.GapSince = gap.Time.UTC()
		}
		w, err := pending(ctx, a, c, now)
		if err != nil {
			return err
		}
		if w.take == 0 {
			if w.gapSince.Equal(c.GapSince) {
				return nil
			}
			_, err := a.exec(ctx, `UPDATE ff_event_rollup SET gap_since = $1 WHERE id = 1`, nullTime(w.gapSince))
			return err
		}
		from, to := w.from, w.to
		for _, q := range foldStatements(rowLocks(e.d)) {
			if _, err := a.exec(ctx, q, from, to); err != nil {
				return err
			}
		}
		n, more = int64(w.take), w.full
		_, err = a.exec(ctx, `UPDATE ff_event_rollup SET seq = $1, gap_since = NULL WHERE id = 1`, to)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return n, more, nil
}

// window is the events a fold takes: numbered above from up to to, take
// of them; gapSince: since when a missing number has been waited for;
// full: the chunk was full, there may be more.
type window struct {
	from, to int64
	take     int
	gapSince time.Time
	full     bool
}

// pending finds the events a fold takes after cursor c. Most folds find
// the numbers after the cursor without a gap, which their count and the
// highest tell in one row; only a gap makes it read the numbers
// (a second's 50 000 clicks were 50 000 rows to read every second).
func pending(ctx context.Context, a area, c Cursor, now time.Time) (window, error) {
	var n, top int64
	if err := a.row(ctx, []any{&n, &top}, `SELECT count(*), coalesce(max(seq), 0) FROM (SELECT seq FROM ff_events WHERE seq > $1 ORDER BY seq LIMIT $2) s`,
		c.Seq, rollChunk); err != nil {
		return window{}, err
	}
	if n > 0 && top-c.Seq == n {
		return window{from: c.Seq, to: top, take: int(n), full: n == rollChunk}, nil
	}
	var seqs []int64
	if err := a.each(ctx, func(rows *sql.Rows) error {
		var s int64
		seqs = append(seqs, s)
		return rows.Scan(&seqs[len(seqs)-1])
	}, `SELECT seq FROM ff_events WHERE seq > $1 ORDER BY seq LIMIT $2`, c.Seq, rollChunk); err != nil {
		return window{}, err
	}
	from, take, gapSince := Contiguous(c, seqs, now, RollSettle)
	w := window{from: from, take: take, gapSince: gapSince, full: len(seqs) == rollChunk}
	if take > 0 {
		w.to = seqs[take-1]
	}
	return w, nil
}

// Contiguous returns where the events to take after cursor c start (the
// number before the first, from), how many of seqs (ascending, all above
// c.Seq) follow it without a missing number, and since when a missing
// number has been waited for (zero when none is). Past settle the
// missing numbers before seqs[0] are skipped.
func Contiguous(c Cursor, seqs []int64, now time.Time, settle time.Duration) (from int64, take int, gapSince time.Time) {
	if len(seqs) == 0 {
		return c.Seq, 0, time.Time{}
	}
	from = c.Seq
	if seqs[0] != c.Seq+1 {
		switch {
		case c.GapSince.IsZero():
			return c.Seq, 0, now
		case now.Sub(c.GapSince) < settle:
			return c.Seq, 0, c.GapSince
		}
		from = seqs[0] - 1
	}
	next := from + 1
	for take < len(seqs) && seqs[take] == next {
		take++
		next++
	}
	return from, take, time.Time{}
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
