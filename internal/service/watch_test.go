package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
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
