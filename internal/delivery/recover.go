package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Leases on PostgreSQL. Several nodes share the outbox; a message a node
// claims or hands over carries its lease (lease_owner, lease_until). While
// a node holds messages its heartbeat extends their leases (every lease/3);
// every node recovers, continuously, the messages whose lease ran out,
// those of a node that died: claimed ones go back to the queue (never
// handed to a provider), ones being sent are in doubt, then settled by
// their provider where it can tell (see reconcile). The claim takes only
// due messages, so without this a dead node's messages would wait for the
// next start of a node.
//
// Leases are compared with each node's clock: nodes must agree on the time
// to well within a lease (NTP does).
//
// On the embedded store one process owns the file and claims are not
// written: Recover, at start-up, settles every message a previous process
// left, and nothing else is needed (store.Sender decides which).

// MinLease is the shortest lease a server accepts: shorter, a node slowed
// down (a loaded machine, a pause of its database connection) could miss
// its heartbeats and lose work it is doing to another node.
const MinLease = 5 * time.Second

// recoverEvery is how often a node looks for expired leases: a dead node's
// messages go back to work within a lease and this.
func recoverEvery(lease time.Duration) time.Duration {
	return min(lease/3, 5*time.Second)
}

// Recover settles the messages of dispatchers that died: claimed ones go
// back to pending (they were never handed to a provider); sending ones are
// in doubt, then settled by the provider where it can tell. On the embedded
// store, whose file one process owns, every such message was a previous
// process's; on PostgreSQL only those whose lease expired, and Run goes on
// recovering those while it runs (see keepLeases).
func (d *Dispatcher) Recover(ctx context.Context) (returned, inDoubt int64, err error) {
	if returned, inDoubt, err = d.send.Recover(ctx, d.cfg.Now()); err != nil {
		return returned, inDoubt, err
	}
	d.recovered(returned, inDoubt)
	return returned, inDoubt, d.reconcile(ctx)
}

// recovered logs what a recovery settled.
func (d *Dispatcher) recovered(returned, inDoubt int64) {
	if returned+inDoubt > 0 {
		d.cfg.Log.Warn("recovered the messages of a stopped dispatcher", "returned_to_queue", returned, "in_doubt", inDoubt)
	}
}

// reconcile asks providers that can tell whether they have the in-doubt
// messages: those they have are sent, the others go back to pending.
func (d *Dispatcher) reconcile(ctx context.Context) error {
	for ch, p := range d.cfg.Providers {
		r, ok := p.(Reconciler)
		if !ok {
			continue
		}
		doubt, err := d.send.InDoubt(ctx, ch)
		if err != nil {
			return err
		}
		if len(doubt) == 0 {
			continue
		}
		has, err := r.Has(ctx, ids(doubt))
		if err != nil {
			return fmt.Errorf("reconcile %s: %w", ch, err)
		}
		var sent, unsent []Row
		for _, r := range doubt {
			if has[r.MessageID] {
				sent = append(sent, r)
			} else {
				unsent = append(unsent, r)
			}
		}
		now := d.cfg.Now().UTC()
		if err := d.setStatus(ctx, sent, store.MessageSent, "", now, store.Doubted); err != nil {
			return err
		}
		if err := d.setStatus(ctx, unsent, store.MessagePending, "", now, store.Doubted); err != nil {
			return err
		}
	}
	return nil
}

// keepLeases starts, where claims are leases (PostgreSQL), the heartbeat
// of the messages this dispatcher holds and the recovery of expired
// leases; they run until the returned function is called (which waits for
// them), not until ctx ends: a stopping dispatcher still records what it
// handed over.
func (d *Dispatcher) keepLeases(ctx context.Context) (stop func()) {
	if !d.send.Leased() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.leaseLoop(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// leaseLoop extends this dispatcher's leases every lease/3 and recovers
// the messages whose lease ran out, each on its own goroutine: a
// recovery of thousands of rows (a dead node's), slow on a loaded
// machine, must not delay the heartbeat, or this node's own leases run
// out and another takes its messages over mid-send (seen in
// TestNodeDeathDoesNotStallASend under a full test run's load).
func (d *Dispatcher) leaseLoop(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		every(ctx, recoverEvery(d.cfg.Lease), func() {
			if err := d.recoverExpired(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Log.Error("recover messages whose lease expired", "err", err)
			}
		})
	})
	every(ctx, d.cfg.Lease/3, func() {
		if err := d.send.Heartbeat(ctx, d.cfg.Now()); err != nil && ctx.Err() == nil {
			d.cfg.Log.Warn("extend the leases of messages being sent", "err", err)
		}
	})
}

// every calls f every period until ctx ends.
func every(ctx context.Context, period time.Duration, f func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// recoverExpired settles the messages whose lease ran out, and asks the
// providers that can tell about those it put in doubt.
func (d *Dispatcher) recoverExpired(ctx context.Context) error {
	returned, inDoubt, err := d.send.RecoverExpired(ctx, d.cfg.Now())
	if err != nil {
		return err
	}
	if d.recovered(returned, inDoubt); inDoubt == 0 {
		return nil
	}
	return d.reconcile(ctx)
}
