package service_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestRunWatchFollowsARunToItsEnd: a run worked by another node (a
// service of its own over the same store, its engine and dispatcher
// running) is followed by RunWatch — in this process and over the API's
// event stream — from what it is when asked to its final update: the
// updates change one after the other, the sent count never goes back, and
// only the last is final, with the run completed and both French
// customers' emails sent. An unknown run is not found, before any stream.
func TestRunWatchFollowsARunToItsEnd(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, cancel := context.WithTimeout(im.ctx, 2*time.Minute)
		defer cancel()
		err := im.svc.RunWatch(ctx, 999, func(service.RunUpdate) error { return nil })
		wantIs(t, "an unknown run", err, store.ErrNotFound)

		id := startRun(t, im)
		node := service.New(service.Config{Store: im.store, Log: quiet(), Providers: sandbox(t, im.store)})
		t.Cleanup(func() { node.Close() })
		worked := make(chan error, 1)
		go func() { _, err := node.Work(context.Background(), id); worked <- err }()

		var updates []service.RunUpdate
		if err := im.svc.RunWatch(ctx, id, func(u service.RunUpdate) error {
			updates = append(updates, u)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := <-worked; err != nil {
			t.Fatal(err)
		}
		if len(updates) == 0 {
			t.Fatal("no update")
		}
		sent := int64(-1)
		for i, u := range updates {
			if u.Status.Run.ID != id || u.Final != (i == len(updates)-1) {
				t.Errorf("update %d of %d: run %d, final %v", i, len(updates), u.Status.Run.ID, u.Final)
			}
			var n int64
			for _, f := range u.Delivery {
				n += f.Sent
			}
			if n < sent {
				t.Errorf("update %d: sent %d after %d", i, n, sent)
			}
			sent = n
		}
		last := updates[len(updates)-1]
		if last.Status.Run.Status != engine.RunCompleted || len(last.Delivery) != 1 || last.Delivery[0].Sent != 2 || last.Delivery[0].Pending != 0 {
			t.Errorf("final update: run %s, delivery %+v", last.Status.Run.Status, last.Delivery)
		}
		for _, a := range last.Status.Activities {
			if a.Status != "done" {
				t.Errorf("final update: activity %s is %s", a.ID, a.Status)
			}
		}
	})
}

// Watchers of one run share one read of it every WatchPoll; the first to
// leave does not stop the others' updates, and the last stops the reads.
func TestRunWatchReadsARunOnceForAllItsWatchers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		im := localImpl(t, s)
		l := im.svc.(*service.Local)
		fixture(t, im)
		id := startRun(t, im)
		type watch struct {
			cancel context.CancelFunc
			first  chan struct{}
			done   chan error
			last   atomic.Pointer[service.RunUpdate]
		}
		watches := make([]*watch, 3)
		for i := range watches {
			ctx, cancel := context.WithTimeout(im.ctx, 2*time.Minute)
			w := &watch{cancel: cancel, first: make(chan struct{}), done: make(chan error, 1)}
			watches[i] = w
			go func() {
				var once sync.Once
				w.done <- l.RunWatch(ctx, id, func(u service.RunUpdate) error {
					w.last.Store(&u)
					once.Do(func() { close(w.first) })
					return nil
				})
			}()
			<-w.first
		}
		defer func() {
			for _, w := range watches {
				w.cancel()
			}
		}()
		if n := service.Watched(l); n != 1 {
			t.Fatalf("%d polls for three watchers of one run", n)
		}
		// Three watchers each reading would make 3 reads a poll.
		before, start := service.WatchReads(l), time.Now()
		time.Sleep(4 * service.WatchPoll)
		reads, polls := service.WatchReads(l)-before, int64(time.Since(start)/service.WatchPoll)+1
		if reads > polls {
			t.Errorf("%d reads of the run in %d polls' time for three watchers", reads, polls)
		}

		watches[0].cancel()
		watches[1].cancel()
		for _, w := range watches[:2] {
			if err := <-w.done; err != nil {
				t.Fatal(err)
			}
		}
		node := service.New(service.Config{Store: s, Log: quiet(), Providers: sandbox(t, s)})
		t.Cleanup(func() { node.Close() })
		if _, err := node.Work(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if err := <-watches[2].done; err != nil {
			t.Fatal(err)
		}
		if last := watches[2].last.Load(); !last.Final || last.Status.Run.Status != engine.RunCompleted {
			t.Errorf("the last watcher's last update: final %v, run %s", last.Final, last.Status.Run.Status)
		}
		if n := service.Watched(l); n != 0 {
			t.Errorf("%d polls left with no watcher", n)
		}
		// A watcher of the run ended gets its final state at once.
		var got []service.RunUpdate
		if err := l.RunWatch(im.ctx, id, func(u service.RunUpdate) error { got = append(got, u); return nil }); err != nil || len(got) != 1 || !got[0].Final {
			t.Errorf("a watcher after the end: %d updates, %v", len(got), err)
		}
	})
}
