package outbound

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// Two nodes on one PostgreSQL database export the same destination while
// four appenders write events: the lease lets one node at a time export,
// and when the first stops cleanly the other takes over. Every event
// arrives exactly once.
func TestTwoExportersOnPostgresExportEachEventOnce(t *testing.T) {
	s := storetest.Open(t, "postgres")
	now := func() time.Time { return time.Now() }
	r := newReceiver(t, now, nil)
	mk := func() *Set {
		c := &Config{Destinations: []Destination{{Name: "cdp", Kind: "webhook", Events: true, URL: r.srv.URL, Secret: secret, Attempts: 3, Batch: 40}}}
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		return New(s, c, Options{Lease: 3 * time.Second, Sleep: (&recorder{}).sleep})
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var nodes sync.WaitGroup
	nodes.Go(func() { mk().Run(ctxA, "node-a", 5*time.Millisecond) })
	nodes.Go(func() { mk().Run(ctxB, "node-b", 5*time.Millisecond) })
	defer func() { stopA(); stopB(); nodes.Wait() }()

	const appenders, batches, per = 4, 10, 25
	var writers sync.WaitGroup
	for w := range appenders {
		writers.Go(func() {
			for b := range batches {
				appendEvents(t, s, int64(100*w+b), per)
				if w == 0 && b == batches/2 {
					stopA() // node a stops cleanly mid-run
				}
			}
		})
	}
	writers.Wait()
	const total = appenders * batches * per
	deadline := time.Now().Add(60 * time.Second)
	for len(r.got()) < total && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := r.got()
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("event %d exported %d times", id, n)
		}
	}
	if len(seen) != total {
		t.Fatalf("exported %d distinct events of %d", len(seen), total)
	}
	last, err := s.Events().LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for id := last - total + 1; id <= last; id++ {
		if seen[id] != 1 {
			t.Fatalf("event %d exported %d times", id, seen[id])
		}
	}
}

// A node stopped cleanly while its batch is on the wire lets the
// delivery finish and moves its cursor: the node that takes over sends
// the next events, not that batch again.
func TestAStopDuringADeliveryIsNotSentAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		appendEvents(t, s, 1, 6)
		now := func() time.Time { return time.Now() }
		ctxA, stopA := context.WithCancel(context.Background())
		defer stopA()
		// The receiver takes the first batch as node a is being stopped.
		r := newReceiver(t, now, func(n int64) bool {
			if n == 1 {
				stopA()
			}
			return false
		})
		set := hookSet(s, r.srv.URL, 3, 4, now, &recorder{})
		a, err := set.exporter(set.dests["cdp"], "node-a")
		if err != nil {
			t.Fatal(err)
		}
		a.run(ctxA, time.Millisecond)
		if got := r.got(); len(got) != 4 {
			t.Fatalf("node a delivered %v, want its first batch of 4", got)
		}
		b, err := set.exporter(set.dests["cdp"], "node-b")
		if err != nil {
			t.Fatal(err)
		}
		drain(t, b)
		got := r.got()
		seen := map[int64]int{}
		for _, id := range got {
			seen[id]++
		}
		if len(got) != 6 || len(seen) != 6 {
			t.Fatalf("received %v, want the 6 events once each", got)
		}
	})
}
