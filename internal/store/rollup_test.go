package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// The tallies Roll keeps give the figures counting the events themselves
// gives (the queries reports ran before the tallies, below): events
// appended in many batches with folds between them, repeated opens and
// clicks, machines', anonymous ones, links whose URL differs by
// recipient, hard and soft bounces of one message in different folds,
// messages not sent; and again after a profile's erasure.
func TestRollGivesTheCountsOfTheEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		db := storetest.DB(s)
		rnd := rand.New(rand.NewPCG(7, 11))
		const messages = 120
		domains := []string{"gmail.com", "Outlook.com", "orange.fr"}
		for i := range messages {
			status := "sent"
			if i%17 == 0 {
				status = "failed"
			}
			run, act := int64(1+i%2), []string{"mail_a", "mail_b"}[i%3%2]
			if _, err := db.Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
				VALUES ($1, $2, $3, 'email', 'customers', $4, $5, $6, 1, $7, $7, $8)`,
				fmt.Sprintf("%d:%s:%d", run, act, i), run, act, fmt.Sprintf(`{"id":%d}`, i%40), fmt.Sprintf("p%d@%s", i, domains[i%3]), status, runT0, i+1); err != nil {
				t.Fatal(err)
			}
		}
		types := []string{"open", "open", "open", "click", "click", "delivered", "bounce_hard", "bounce_soft", "complaint", "unsubscribe"}
		for batch := range 12 {
			var evs []store.EventRecord
			for range 1 + rnd.IntN(150) {
				i := rnd.IntN(messages)
				run, act := int64(1+i%2), []string{"mail_a", "mail_b"}[i%3%2]
				ev := store.EventRecord{At: runT0.Add(time.Duration(rnd.IntN(72*60)) * time.Minute), Type: types[rnd.IntN(len(types))],
					RunID: run, Activity: act, MessageID: fmt.Sprintf("%d:%s:%d", run, act, i)}
				if rnd.IntN(10) == 0 {
					ev.MessageID = ""
				}
				if (ev.Type == "open" || ev.Type == "click") && rnd.IntN(4) == 0 {
					ev.Machine = "apple_mpp"
				}
				if ev.Type == "click" {
					ev.Link = 1 + rnd.IntN(3)
					ev.URL = fmt.Sprintf("https://shop.example/p%d", ev.Link)
					if ev.Link == 3 {
						ev.URL += fmt.Sprintf("?r=%d", i%4)
					}
					if ev.Link != 2 {
						ev.Label = "offer"
					}
				}
				evs = append(evs, ev)
			}
			if err := s.Events().Append(ctx, evs); err != nil {
				t.Fatal(err)
			}
			if batch%3 != 1 {
				roll(t, s)
			}
		}
		roll(t, s)
		for run := int64(1); run <= 2; run++ {
			sameAsTheEvents(t, s, run)
		}
		if _, err := s.Events().Erase(ctx, "customers", `{"id":3}`); err != nil {
			t.Fatal(err)
		}
		for run := int64(1); run <= 2; run++ {
			sameAsTheEvents(t, s, run)
		}
		// And what is appended after the erasure counts as before.
		if err := s.Events().Append(ctx, []store.EventRecord{{At: runT0, Type: "open", RunID: 1, Activity: "mail_a", MessageID: "1:mail_a:0"},
			{At: runT0, Type: "click", RunID: 1, Activity: "mail_a", MessageID: "1:mail_a:4", Link: 1, URL: "https://shop.example/p1", Label: "offer"}}); err != nil {
			t.Fatal(err)
		}
		roll(t, s)
		sameAsTheEvents(t, s, 1)
	})
}

// sameAsTheEvents checks a run's tallied figures against the events.
func sameAsTheEvents(t *testing.T, s *store.Store, run int64) {
	t.Helper()
	ctx := context.Background()
	db := storetest.DB(s)
	counts, err := s.Events().Counts(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	var want []store.EventCount
	query(t, db, func(r *sql.Rows) error {
		var c store.EventCount
		want = append(want, c)
		p := &want[len(want)-1]
		return r.Scan(&p.Activity, &p.Type, &p.Machine, &p.Total, &p.Unique)
	}, `SELECT activity, type, machine IS NOT NULL, count(*), count(DISTINCT message_id) FROM ff_events
		WHERE run_id = $1 GROUP BY activity, type, machine IS NOT NULL ORDER BY activity, type, 3`, run)
	if len(want) == 0 || !reflect.DeepEqual(counts, want) {
		t.Fatalf("run %d, counts:\n got %+v\nwant %+v", run, counts, want)
	}
	links, err := s.Events().Links(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	var wantLinks []store.LinkCount
	query(t, db, func(r *sql.Rows) error {
		var c store.LinkCount
		var label sql.NullString
		if err := r.Scan(&c.Activity, &c.Link, &c.URL, &label, &c.Total, &c.Unique); err != nil {
			return err
		}
		c.Label = label.String
		wantLinks = append(wantLinks, c)
		return nil
	}, `SELECT activity, link, url, label, count(*), count(DISTINCT message_id) FROM ff_events
		WHERE run_id = $1 AND type = 'click' AND machine IS NULL
		GROUP BY activity, link, url, label ORDER BY count(*) DESC, activity, link, url`, run)
	if !reflect.DeepEqual(sortedLinks(links), sortedLinks(wantLinks)) {
		t.Fatalf("run %d, links:\n got %+v\nwant %+v", run, links, wantLinks)
	}
	for _, unit := range []string{"hour", "day"} {
		series, err := s.Events().Series(ctx, run, unit)
		if err != nil {
			t.Fatal(err)
		}
		span := map[string]string{"hour": "3600", "day": "86400"}[unit]
		var wantSeries []store.EventBucket
		query(t, db, func(r *sql.Rows) error {
			var b store.EventBucket
			var bucket int64
			if err := r.Scan(&bucket, &b.Activity, &b.Type, &b.Machine, &b.Events); err != nil {
				return err
			}
			b.At = time.Unix(bucket, 0).UTC()
			wantSeries = append(wantSeries, b)
			return nil
		}, `SELECT CAST(floor(date_part('epoch', created_at) / `+span+`) AS BIGINT) * `+span+`, activity, type, machine IS NOT NULL, count(*) FROM ff_events
			WHERE run_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, run)
		if !reflect.DeepEqual(series, wantSeries) {
			for i := range min(len(series), len(wantSeries)) {
				if series[i] != wantSeries[i] {
					t.Fatalf("run %d, series by %s: %d points, want %d; the first difference: %+v, want %+v", run, unit, len(series), len(wantSeries), series[i], wantSeries[i])
				}
			}
			t.Fatalf("run %d, series by %s: %d points, want %d", run, unit, len(series), len(wantSeries))
		}
	}
	domains, err := s.Events().Domains(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	var wantDomains []store.DomainCount
	query(t, db, func(r *sql.Rows) error {
		var d store.DomainCount
		wantDomains = append(wantDomains, d)
		p := &wantDomains[len(wantDomains)-1]
		return r.Scan(&p.Activity, &p.Domain, &p.Sent, &p.Opened, &p.Clicked, &p.Bounced, &p.Complaints)
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
		GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`, run)
	if len(wantDomains) == 0 || !reflect.DeepEqual(domains, wantDomains) {
		t.Fatalf("run %d, domains:\n got %+v\nwant %+v", run, domains, wantDomains)
	}
}

func query(t *testing.T, db *sql.DB, fn func(*sql.Rows) error, q string, args ...any) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// sortedLinks orders links whose clicks tie the same on both sides.
func sortedLinks(ls []store.LinkCount) map[store.LinkCount]bool {
	m := map[store.LinkCount]bool{}
	for _, l := range ls {
		m[l] = true
	}
	return m
}

// An append still in flight holds its numbers: Roll folds up to them and
// no further, then the rest once it commits; a number that never comes
// is skipped once RollSettle has passed.
func TestRollWaitsForAnAppendInFlight(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		db := storetest.DB(s)
		open := func(msg string) store.EventRecord {
			return store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: msg}
		}
		if err := s.Events().Append(ctx, []store.EventRecord{open("a")}); err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`INSERT INTO ff_events (created_at, type, run_id, activity, message_id) VALUES ($1, 'open', 1, 'mail', 'b')`, runT0); err != nil {
			t.Fatal(err)
		}
		if err := s.Events().Append(ctx, []store.EventRecord{open("c")}); err != nil {
			t.Fatal(err)
		}
		opened := func(now time.Time) int64 {
			t.Helper()
			if _, err := s.Events().Roll(ctx, now); err != nil {
				t.Fatal(err)
			}
			c, err := s.Events().Counts(ctx, 1)
			if err != nil || len(c) != 1 && len(c) != 0 {
				t.Fatalf("counts %+v, %v", c, err)
			}
			if len(c) == 0 {
				return 0
			}
			return c[0].Unique
		}
		now := time.Now()
		if n := opened(now); n != 1 {
			t.Fatalf("with b's append in flight: %d opened, want a's 1", n)
		}
		if n := opened(now.Add(store.RollSettle / 2)); n != 1 {
			t.Fatalf("half the settling time later: %d opened, want 1", n)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := opened(now.Add(store.RollSettle / 2)); n != 3 {
			t.Fatalf("b committed: %d opened, want 3", n)
		}
		// A number taken by an append that rolled back never comes.
		tx, err = db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO ff_events (created_at, type, run_id, activity, message_id) VALUES ($1, 'open', 1, 'mail', 'd')`, runT0); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := s.Events().Append(ctx, []store.EventRecord{open("e")}); err != nil {
			t.Fatal(err)
		}
		if n := opened(now); n != 3 {
			t.Fatalf("behind the missing number: %d opened, want 3", n)
		}
		if n := opened(now.Add(store.RollSettle + time.Second)); n != 4 {
			t.Fatalf("once it settled: %d opened, want 4", n)
		}
	})
}
