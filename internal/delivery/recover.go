package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"
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
// left, and nothing else is needed.

// MinLease is the shortest lease a server accepts: shorter, a node slowed
// down (a loaded machine, a pause of its database connection) could miss
// its heartbeats and lose work it is doing to another node.
const MinLease = 5 * time.Second

// recoverEvery is how often a node looks for expired leases: a dead node's
// messages go back to work within a lease and this.
func recoverEvery(lease time.Duration) time.Duration {
	return min(lease/3, 5*time.Second)
}

// leases are the messages this dispatcher's loops hold on PostgreSQL (by
// id, with how many loops hold each: a loop that outlived its lease may
// still hold a message another loop claimed again).
type leases struct {
	mu   sync.Mutex
	held map[string]int
}

// hold notes a loop's claimed messages.
func (l *leases) hold(rows []Row) {
	if len(rows) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[string]int{}
	}
	for _, r := range rows {
		l.held[r.MessageID]++
	}
}

// drop forgets messages a loop is done with.
func (l *leases) drop(rows []Row) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rows {
		if l.held[r.MessageID]--; l.held[r.MessageID] <= 0 {
			delete(l.held, r.MessageID)
		}
	}
}

// ids returns the messages held.
func (l *leases) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.held))
	for id := range l.held {
		out = append(out, id)
	}
	return out
}

// keepLeases starts, on PostgreSQL, the heartbeat of the messages this
// dispatcher holds and the recovery of expired leases; they run until the
// returned function is called (which waits for them), not until ctx ends:
// a stopping dispatcher still records what it handed over.
func (d *Dispatcher) keepLeases(ctx context.Context) (stop func()) {
	if d.cfg.Store.Embedded() {
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

func (d *Dispatcher) leaseLoop(ctx context.Context) {
	beat := time.NewTicker(d.cfg.Lease / 3)
	defer beat.Stop()
	recov := time.NewTicker(recoverEvery(d.cfg.Lease))
	defer recov.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if err := d.heartbeat(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Log.Warn("extend the leases of messages being sent", "err", err)
			}
		case <-recov.C:
			if err := d.recoverExpired(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Log.Error("recover messages whose lease expired", "err", err)
			}
		}
	}
}

// heartbeat extends the leases of the messages this dispatcher holds. A
// message whose lease another node already took is no longer this one's
// (its owner changed) and is left alone.
func (d *Dispatcher) heartbeat(ctx context.Context) error {
	held := d.leases.ids()
	if len(held) == 0 {
		return nil
	}
	// SKIP LOCKED: a row locked now is being moved by this node's own loop
	// (marked sending with a fresh lease, or recorded), or taken by a
	// recovery; waiting for it, in an order of its own, deadlocked with
	// those statements under load, failing the heartbeat until leases ran
	// out and live nodes lost their work to each other.
	_, err := d.cfg.Store.DB.ExecContext(ctx, `UPDATE ff_outbox SET lease_until = $1
		WHERE message_id IN (SELECT message_id FROM ff_outbox
			WHERE message_id = ANY($2) AND lease_owner = $3 AND status IN ('claimed', 'sending')
			FOR UPDATE SKIP LOCKED)`,
		d.cfg.Now().UTC().Add(d.cfg.Lease), held, d.cfg.Owner)
	return err
}

// recoverExpired settles the messages whose lease ran out, and asks the
// providers that can tell about those it put in doubt.
func (d *Dispatcher) recoverExpired(ctx context.Context) error {
	_, inDoubt, err := d.expire(ctx, false)
	if err != nil || inDoubt == 0 {
		return err
	}
	return d.reconcile(ctx)
}

// expire returns claimed messages whose lease ran out (all of them when
// every lease is dead, at the start of the process owning an embedded
// store) to the queue, without counting the claim as an attempt, and puts
// those being sent in doubt.
func (d *Dispatcher) expire(ctx context.Context, all bool) (returned, inDoubt int64, err error) {
	now := d.cfg.Now().UTC()
	// expiring selects the rows of a status whose lease ran out. On
	// PostgreSQL it skips rows locked now: their owner is moving them (it
	// lives), and waiting for them deadlocked with its statements.
	expiring := func(status string) string {
		if all {
			return "status = '" + status + "' AND $1 = $1"
		}
		return "message_id IN (SELECT message_id FROM ff_outbox WHERE status = '" + status + "' AND lease_until < $1 FOR UPDATE SKIP LOCKED)"
	}
	res, err := d.cfg.Store.DB.ExecContext(ctx, `UPDATE ff_outbox SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = $1,
		attempts = greatest(coalesce(attempts, 1) - 1, 0)
		WHERE `+expiring(StatusClaimed), now)
	if err != nil {
		return 0, 0, fmt.Errorf("recover claimed messages: %w", err)
	}
	returned, _ = res.RowsAffected()
	res, err = d.cfg.Store.DB.ExecContext(ctx, `UPDATE ff_outbox SET status = 'in_doubt', reason = $2, lease_owner = NULL, lease_until = NULL, updated_at = $1
		WHERE `+expiring(StatusSending), now, ReasonDispatcherDied)
	if err != nil {
		return returned, 0, fmt.Errorf("recover messages being sent: %w", err)
	}
	inDoubt, _ = res.RowsAffected()
	if returned+inDoubt > 0 {
		d.cfg.Log.Warn("recovered the messages of a stopped dispatcher", "returned_to_queue", returned, "in_doubt", inDoubt)
	}
	return returned, inDoubt, nil
}
