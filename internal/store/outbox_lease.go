package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Leases on PostgreSQL. Several nodes share the outbox; a message a node
// claims or hands over carries its lease (lease_owner, lease_until). While
// a node holds messages its heartbeat extends their leases; every node
// recovers, continuously, the messages whose lease ran out, those of a
// node that died. On the embedded store one process owns the file and
// claims are not written: Recover, at start-up, settles every message a
// previous process left, and nothing else is needed.

// Leased reports whether the sender's claims are leases to keep
// (Heartbeat) while other nodes recover those that run out
// (RecoverExpired): true where several nodes may share the outbox.
func (s *Sender) Leased() bool { return s.leased }

// leases are the messages a sender's loops hold on PostgreSQL (by id, with
// how many loops hold each: a loop that outlived its lease may still hold
// a message another loop claimed again).
type leases struct {
	mu   sync.Mutex
	held map[string]int
}

// hold notes a loop's claimed messages.
func (l *leases) hold(rows []OutboxRow) {
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
func (l *leases) drop(rows []OutboxRow) {
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

// Heartbeat extends, to now and a lease, the leases of the messages this
// sender holds. A message whose lease another node already took is no
// longer this one's (its owner changed) and is left alone.
func (s *Sender) Heartbeat(ctx context.Context, now time.Time) error {
	held := s.leases.ids()
	if !s.leased || len(held) == 0 {
		return nil
	}
	// SKIP LOCKED: a row locked now is being moved by this node's own loop
	// (marked sending with a fresh lease, or recorded), or taken by a
	// recovery; waiting for it, in an order of its own, deadlocked with
	// those statements under load, failing the heartbeat until leases ran
	// out and live nodes lost their work to each other.
	_, err := s.exec(ctx, `UPDATE ff_outbox SET lease_until = $1
		WHERE message_id IN (SELECT message_id FROM ff_outbox
			WHERE message_id = ANY($2) AND lease_owner = $3 AND status IN ('claimed', 'sending')
			FOR UPDATE SKIP LOCKED)`,
		now.UTC().Add(s.cfg.Lease), held, s.cfg.Owner)
	return err
}

// Recover settles the messages of dispatchers that died: claimed ones go
// back to pending, without counting the claim as an attempt (they were
// never handed to a provider); those being sent are in doubt
// (ReasonDispatcherDied). On the embedded store, whose file one process
// owns, every such message was a previous process's; on PostgreSQL only
// those whose lease expired (see RecoverExpired).
func (s *Sender) Recover(ctx context.Context, now time.Time) (returned, inDoubt int64, err error) {
	return s.expire(ctx, now, !s.leased)
}

// RecoverExpired settles, as Recover does, the messages whose lease ran
// out at now: those of a node that died while others live.
func (s *Sender) RecoverExpired(ctx context.Context, now time.Time) (returned, inDoubt int64, err error) {
	return s.expire(ctx, now, false)
}

// expire settles claimed and sending messages whose lease ran out, or all
// of them.
func (s *Sender) expire(ctx context.Context, now time.Time, all bool) (returned, inDoubt int64, err error) {
	now = now.UTC()
	// expiring selects the rows of a status whose lease ran out. On
	// PostgreSQL it skips rows locked now: their owner is moving them (it
	// lives), and waiting for them deadlocked with its statements.
	expiring := func(status MessageStatus) string {
		if all {
			return "status = '" + string(status) + "' AND $1 = $1"
		}
		return "message_id IN (SELECT message_id FROM ff_outbox WHERE status = '" + string(status) + "' AND lease_until < $1 FOR UPDATE SKIP LOCKED)"
	}
	returned, err = s.exec(ctx, `UPDATE ff_outbox SET status = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = $1,
		attempts = greatest(coalesce(attempts, 1) - 1, 0)
		WHERE `+expiring(MessageClaimed), now)
	if err != nil {
		return 0, 0, fmt.Errorf("recover claimed messages: %w", err)
	}
	inDoubt, err = s.exec(ctx, `UPDATE ff_outbox SET status = 'in_doubt', reason = $2, lease_owner = NULL, lease_until = NULL, updated_at = $1
		WHERE `+expiring(MessageSending), now, ReasonDispatcherDied)
	if err != nil {
		return returned, 0, fmt.Errorf("recover messages being sent: %w", err)
	}
	return returned, inDoubt, nil
}
