package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := s.Events()
		var evs []store.EventRecord
		// 600 opens of 300 messages (more than one statement's batch), a
		// machine's open, anonymous and identified clicks.
		for i := range 600 {
			evs = append(evs, store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: fmt.Sprintf("m%d", i%300)})
		}
		evs = append(evs,
			store.EventRecord{At: runT0, Type: "open", RunID: 1, Activity: "mail", MessageID: "m1", Machine: "apple_mpp", UserAgent: "Mozilla/5.0"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m1", Link: 1, URL: "https://shop.example/a", Label: "offer"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m1", Link: 1, URL: "https://shop.example/a", Label: "offer"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", Link: 2, URL: "https://shop.example/b"},
			store.EventRecord{At: runT0, Type: "click", RunID: 1, Activity: "mail", MessageID: "m2", Link: 2, URL: "https://shop.example/b", Machine: "scanner"},
			store.EventRecord{At: runT0, Type: "open", RunID: 2, Activity: "mail", MessageID: "x"},
		)
		if err := ev.Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		roll(t, s)
		counts, err := ev.Counts(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.EventCount{
			{Activity: "mail", Type: "click", Total: 3, Unique: 1},
			{Activity: "mail", Type: "click", Machine: true, Total: 1, Unique: 1},
			{Activity: "mail", Type: "open", Total: 600, Unique: 300},
			{Activity: "mail", Type: "open", Machine: true, Total: 1, Unique: 1},
		}
		if !reflect.DeepEqual(counts, want) {
			t.Fatalf("counts:\n got %+v\nwant %+v", counts, want)
		}
		links, err := ev.Links(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		wantLinks := []store.LinkCount{
			{Activity: "mail", Link: 1, URL: "https://shop.example/a", Label: "offer", Total: 2, Unique: 1},
			{Activity: "mail", Link: 2, URL: "https://shop.example/b", Total: 1, Unique: 0},
		}
		if !reflect.DeepEqual(links, wantLinks) {
			t.Fatalf("links:\n got %+v\nwant %+v", links, wantLinks)
		}
	})
}

func TestEventSeriesAndDomains(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i, addr := range []string{"a@gmail.com", "b@Gmail.com", "c@outlook.com", "d@gmail.com"} {
			status := "sent"
			if i == 3 {
				status = "excluded"
			}
			if _, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
				VALUES ($1, 1, 'mail', 'email', 'customers', $2, $3, $4, 1, $5, $5, $6)`, fmt.Sprintf("1:mail:%d", i), fmt.Sprintf(`{"id":%d}`, i), addr, status, runT0, i+1); err != nil {
				t.Fatal(err)
			}
		}
		h := runT0.Truncate(time.Hour)
		evs := []store.EventRecord{
			{At: h.Add(5 * time.Minute), Type: "open", RunID: 1, Activity: "mail", MessageID: "1:mail:0"},
			{At: h.Add(50 * time.Minute), Type: "open", RunID: 1, Activity: "mail", MessageID: "1:mail:0"},
			{At: h.Add(70 * time.Minute), Type: "open", RunID: 1, Activity: "mail", MessageID: "1:mail:1", Machine: "apple_mpp"},
			{At: h.Add(75 * time.Minute), Type: "click", RunID: 1, Activity: "mail", MessageID: "1:mail:1", Link: 1, URL: "https://x"},
			{At: h.Add(80 * time.Minute), Type: "bounce_soft", RunID: 1, Activity: "mail", MessageID: "1:mail:2"},
		}
		if err := s.Events().Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		roll(t, s)
		series, err := s.Events().Series(ctx, 1, "hour")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.EventBucket{
			{At: h, Activity: "mail", Type: "open", Events: 2},
			{At: h.Add(time.Hour), Activity: "mail", Type: "bounce_soft", Events: 1},
			{At: h.Add(time.Hour), Activity: "mail", Type: "click", Events: 1},
			{At: h.Add(time.Hour), Activity: "mail", Type: "open", Machine: true, Events: 1},
		}
		if !reflect.DeepEqual(series, want) {
			t.Fatalf("series:\n got %+v\nwant %+v", series, want)
		}
		days, err := s.Events().Series(ctx, 1, "day")
		if err != nil {
			t.Fatal(err)
		}
		perDay := map[time.Time]int64{}
		for _, ev := range evs {
			perDay[ev.At.UTC().Truncate(24*time.Hour)]++
		}
		for _, b := range days {
			perDay[b.At] -= b.Events
		}
		for day, n := range perDay {
			if n != 0 {
				t.Fatalf("series by day: %+v; %d events of %s not counted there", days, n, day)
			}
		}
		if _, err := s.Events().Series(ctx, 1, "week; DROP TABLE x"); err == nil {
			t.Fatal("a series by anything")
		}
		domains, err := s.Events().Domains(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		wantDomains := []store.DomainCount{
			{Activity: "mail", Domain: "gmail.com", Sent: 2, Opened: 1, Clicked: 1},
			{Activity: "mail", Domain: "outlook.com", Sent: 1, Bounced: 1},
		}
		if !reflect.DeepEqual(domains, wantDomains) {
			t.Fatalf("domains:\n got %+v\nwant %+v", domains, wantDomains)
		}
	})
}

// Forgetting old events keeps what the tallies counted of them: a run's
// figures outlive its events.
func TestEventsForget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old, recent := runT0.Add(-400*24*time.Hour), runT0
		if err := s.Events().Append(ctx, []store.EventRecord{{At: old, Type: "open", RunID: 1, Activity: "m", MessageID: "a"}, {At: recent, Type: "open", RunID: 1, Activity: "m", MessageID: "b"}}); err != nil {
			t.Fatal(err)
		}
		roll(t, s)
		if n, err := s.Events().Forget(ctx, runT0.Add(-395*24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("Forget = %d, %v", n, err)
		}
		var events, firsts int
		if err := storetest.DB(s).QueryRow(`SELECT (SELECT count(*) FROM ff_events), (SELECT count(*) FROM ff_event_firsts)`).Scan(&events, &firsts); err != nil || events != 1 || firsts != 1 {
			t.Fatalf("left %d events and %d first events (%v), want 1 and 1", events, firsts, err)
		}
		if c, _ := s.Events().Counts(ctx, 1); len(c) != 1 || c[0].Total != 2 || c[0].Unique != 2 {
			t.Fatalf("counts after forgetting: %+v, want the 2 opens counted before", c)
		}
	})
}

// roll folds the events appended into the reports' tallies.
func roll(t *testing.T, s *store.Store) {
	t.Helper()
	if _, err := s.Events().Roll(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
}
