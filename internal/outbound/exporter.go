package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Settle is how long an exporter waits for a missing event number before
// it takes the number for one that will never come (an append that
// failed): an append commits within milliseconds of taking its numbers,
// so a number still missing after Settle is not in flight.
const Settle = 10 * time.Second

// exporter streams ff_events to one destination: it holds the
// destination's lease, reads the events after its cursor, delivers them
// and only then advances the cursor, so a crash sends again what was
// being delivered (at least once) and loses nothing.
type exporter struct {
	set   *Set
	dest  *Destination
	owner string
	files *Files
	hook  *Webhook
}

// step runs one round and returns the events it delivered (or dead-
// lettered); held is false when another node holds the destination.
func (x *exporter) step(ctx context.Context) (n int, held bool, err error) {
	s, name := x.set, x.dest.Name
	now := s.now()
	c, held, err := s.store.Outbound().Claim(ctx, name, x.owner, 0, now, now.Add(s.lease))
	if err != nil || !held {
		return 0, held, err
	}
	evs, err := s.store.Events().After(ctx, c.Seq, x.dest.Batch)
	if err != nil {
		return 0, true, fmt.Errorf("read the events after %d: %w", c.Seq, err)
	}
	take, gap := contiguous(c, evs, now, s.settle)
	if len(take) == 0 {
		if !gap.Equal(c.GapSince) {
			c.GapSince = gap
			err = s.store.Outbound().Advance(ctx, name, x.owner, c, now)
		}
		if x.files != nil && err == nil {
			err = x.files.Tick(now)
		}
		return 0, true, err
	}
	body, err := encode(take)
	if err != nil {
		return 0, true, err
	}
	first, last := take[0].Seq, take[len(take)-1].Seq
	if err := x.deliver(ctx, first, last, len(take), body); err != nil {
		return 0, true, err
	}
	// A clean stop (ctx ending) after the batch was delivered still moves
	// the cursor, or the node that takes over would send the batch again.
	adv, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return len(take), true, s.store.Outbound().Advance(adv, name, x.owner, store.Cursor{Seq: last}, s.now())
}

// contiguous returns the events that follow the cursor without a missing
// number, and since when a missing number has been waited for (zero
// when none is). Past Settle the missing numbers are skipped.
func contiguous(c store.Cursor, evs []store.StreamEvent, now time.Time, settle time.Duration) ([]store.StreamEvent, time.Time) {
	seqs := make([]int64, len(evs))
	for i, ev := range evs {
		seqs[i] = ev.Seq
	}
	_, take, gap := store.Contiguous(c, seqs, now, settle)
	return evs[:take], gap
}

// deliver writes a batch to the files, or posts it to the webhook,
// holding the lease meanwhile; a batch the webhook refused every time
// becomes a dead letter. A clean stop (stop ending) lets the attempt in
// flight finish, within the webhook's timeout, but starts no other: an
// attempt cut short may have reached the receiver all the same, and
// the node that takes over would send it again.
func (x *exporter) deliver(stop context.Context, first, last int64, items int, body []byte) error {
	if x.files != nil {
		return x.files.Write(body)
	}
	ctx, release := x.hold(context.WithoutCancel(stop))
	defer release()
	hook := *x.hook
	hook.Sleep = func(_ context.Context, d time.Duration) error { return x.set.sleep(stop, d) }
	id := fmt.Sprintf("%s-events-%d-%d", x.dest.Name, first, last)
	attempts, err := hook.Post(ctx, id, "application/x-ndjson", nil, body, x.dest.Attempts)
	if err == nil || ctx.Err() != nil || stop.Err() != nil {
		return err
	}
	dl := store.DeadLetter{Destination: x.dest.Name, Kind: KindEvents, FirstSeq: first, LastSeq: last, Items: int64(items),
		Body: string(body), Attempts: attempts, Error: err.Error(), CreatedAt: x.set.now()}
	dlID, derr := x.set.store.Outbound().AddDeadLetter(ctx, dl)
	if derr != nil {
		return errors.Join(err, derr)
	}
	x.set.log.Warn("outbound batch kept as a dead letter", "destination", x.dest.Name, "dead_letter", dlID, "first", first, "last", last, "attempts", attempts, "err", err)
	return nil
}

// hold renews the lease every lease/3 while a delivery retries; the
// returned context ends if the lease is lost.
func (x *exporter) hold(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(x.set.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := x.set.now()
			if _, ok, err := x.set.store.Outbound().Claim(ctx, x.dest.Name, x.owner, 0, now, now.Add(x.set.lease)); err == nil && !ok {
				x.set.log.Warn("outbound lease lost while delivering", "destination", x.dest.Name)
				cancel()
				return
			}
		}
	}()
	return ctx, func() { cancel(); <-done }
}

// run steps until ctx ends: at once while there is more to send, every
// poll otherwise; a failure is logged and retried.
func (x *exporter) run(ctx context.Context, poll time.Duration) {
	defer func() {
		if x.files != nil {
			if err := x.files.Rotate(); err != nil {
				x.set.log.Error("outbound: close the file being written", "destination", x.dest.Name, "err", err)
			}
		}
		release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		x.set.store.Outbound().Release(release, x.dest.Name, x.owner)
	}()
	for ctx.Err() == nil {
		n, _, err := x.step(ctx)
		if err != nil && ctx.Err() == nil {
			x.set.log.Error("outbound export", "destination", x.dest.Name, slog.Any("err", err))
		}
		if n > 0 && err == nil {
			continue
		}
		if sleep(ctx, poll) != nil {
			return
		}
	}
}
