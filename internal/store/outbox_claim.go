package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Sender is one dispatcher's hold on the outbox: it claims due messages,
// marks them sending, records their outcomes (outbox_send.go) and keeps
// its leases (outbox_lease.go). Its loops share it.
//
// How a claim holds messages differs between the stores, and is decided
// here. On PostgreSQL a claim is written: the rows are leased to Owner
// (claimed, lease_owner, lease_until) with FOR UPDATE SKIP LOCKED, so that
// the dispatchers of several nodes share the outbox. On the embedded
// store, whose file one process owns, a claim writes nothing: the rows
// this sender's loops hold are kept in memory, and a row is the store's
// "ours" only once the update that marks it sending has moved it (so that
// two dispatchers on one file still never both send it).
type Sender struct {
	area
	cfg    SenderConfig
	leased bool // claims are written leases (PostgreSQL)

	key    keyCursor
	cur    seqCursor
	leases leases
}

// SenderConfig names a dispatcher and how it claims.
type SenderConfig struct {
	// Owner names this dispatcher alone, as leases require.
	Owner string
	// Lease is how long a claim, or a message being sent, is held before
	// another node may take it over (PostgreSQL).
	Lease time.Duration
	// Batch is how many messages a claim takes.
	Batch int
}

// Sender returns a dispatcher's hold on the outbox.
func (o Outbox) Sender(cfg SenderConfig) *Sender {
	return &Sender{area: o.area, cfg: cfg, leased: rowLocks(o.d)}
}

// StatementBound reports whether a statement costs the outbox more than
// its rows do: DuckDB charges an update ~1.5 ms whatever its rows, so a
// dispatcher there marks more messages sending at once.
func (o Outbox) StatementBound() bool { return !rowLocks(o.d) }

// Skip leaves the messages of a channel (Channel set) or of a run's
// activity out of a claim: their budget is spent, or their provider rests.
type Skip struct {
	Channel  string
	Run      int64
	Activity string
}

// keyCursor is where claims on PostgreSQL read next: the key of the last
// message claimed, in the order of the index of due messages (see claim).
type keyCursor struct {
	mu       sync.Mutex
	set      bool
	run      int64
	activity string
	message  string
	restart  time.Time
}

// seqCursor is where claims on the embedded store read next, and which
// rows this sender's loops hold (see claimSeq).
type seqCursor struct {
	mu       sync.Mutex
	after    int64 // the last seq read
	restart  time.Time
	inFlight map[int64]bool
}

// rowColumns are the outbox columns an OutboxRow holds.
const rowColumns = `message_id, run_id, activity_id, channel, coalesce(dimension, ''), recipient, coalesce(address, ''), coalesce(platform, ''), coalesce(attempts, 0), seq`

func scanRow(rs *sql.Rows, more ...any) (OutboxRow, error) {
	var r OutboxRow
	err := rs.Scan(append([]any{&r.MessageID, &r.RunID, &r.Activity, &r.Channel, &r.Dimension, &r.Recipient, &r.Address, &r.Platform, &r.Attempts, &r.Seq}, more...)...)
	return r, err
}

// due is the condition of a message ready to go, with the time as $1.
const due = `(status = 'pending' OR (status = 'retry' AND retry_at <= $1))`

// skipSQL is the claim's condition leaving out the skipped messages, with
// its arguments numbered from n+1.
func skipSQL(skip []Skip, n int) (string, []any) {
	var cond []string
	var args []any
	for _, k := range skip {
		if k.Channel != "" {
			args = append(args, k.Channel)
			cond = append(cond, fmt.Sprintf("channel = $%d", n+len(args)))
			continue
		}
		args = append(args, k.Run, k.Activity)
		cond = append(cond, fmt.Sprintf("(run_id = $%d AND activity_id = $%d)", n+len(args)-1, n+len(args)))
	}
	if len(cond) == 0 {
		return "", nil
	}
	return " AND NOT (" + strings.Join(cond, " OR ") + ")", args
}

// Claim takes a batch of due messages, older runs first, leaving out the
// skipped ones, for one of the sender's loops; the loop gives them back
// with Release when it is done with them, whatever their outcome (an
// error too).
func (s *Sender) Claim(ctx context.Context, now time.Time, skip []Skip) ([]OutboxRow, error) {
	if !s.leased {
		return s.claimSeq(ctx, now.UTC(), skip)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A claim cut off by a stop could be written and its rows never read:
	// they would wait for their lease to run out. It completes, and the
	// dispatcher returns them to the queue.
	rows, err := s.claim(context.WithoutCancel(ctx), now.UTC(), skip)
	s.leases.hold(rows)
	return rows, err
}

// Release forgets the rows a loop claimed.
func (s *Sender) Release(rows []OutboxRow) {
	if s.leased {
		s.leases.drop(rows)
		return
	}
	s.cur.mu.Lock()
	for _, r := range rows {
		delete(s.cur.inFlight, r.Seq)
	}
	s.cur.mu.Unlock()
}

// claim leases a batch of due messages on PostgreSQL, older runs first
// (read in that order from a partial index); FOR UPDATE SKIP LOCKED lets
// the dispatchers of several nodes share the outbox.
//
// Claims read on from the last key claimed: a message leaves the index's
// condition as it is claimed, but its entry stays in the index until the
// table is vacuumed, so a claim from the start steps over every message
// sent so far (twice the time of a claim at 500 000 sent, without
// autovacuum). The cursor goes back to the start when a claim comes short
// of a batch (the end, or rows other nodes hold), at least once a
// RetryBackoff (for retries and returned leases behind it), and is not
// used while messages are skipped (they are left, not taken, and must not
// fall behind the cursor).
func (s *Sender) claim(ctx context.Context, now time.Time, skip []Skip) ([]OutboxRow, error) {
	spent, spentArgs := skipSQL(skip, 4)
	k := &s.key
	k.mu.Lock()
	if now.Sub(k.restart) >= RetryBackoff {
		k.set, k.restart = false, now
	}
	from, fromArgs := "", []any(nil)
	if k.set && spent == "" {
		n := 4 + len(spentArgs)
		from = fmt.Sprintf(" AND (run_id, activity_id, message_id) > ($%d, $%d, $%d)", n+1, n+2, n+3)
		fromArgs = []any{k.run, k.activity, k.message}
	}
	k.mu.Unlock()
	out, last, err := s.claimFrom(ctx, now, spent+from, append(spentArgs, fromArgs...))
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	// Loops claim at once: the cursor may go back to a batch that ended
	// before another's, which costs that claim a few rows stepped over.
	switch {
	case spent != "" || len(out) < s.cfg.Batch:
		k.set = false
	case last != nil:
		k.set, k.run, k.activity, k.message = true, last.RunID, last.Activity, last.MessageID
	}
	k.mu.Unlock()
	if len(out) == 0 && from != "" {
		// Nothing after the cursor: from the start, at once.
		out, _, err = s.claimFrom(ctx, now, spent, spentArgs)
	}
	return out, err
}

// claimFrom claims one batch under a condition; last is the batch's last
// row in the index's order, as the server sorts it.
func (s *Sender) claimFrom(ctx context.Context, now time.Time, cond string, args []any) (out []OutboxRow, last *OutboxRow, err error) {
	// The batch is locked once, in a CTE of its own, then updated by key:
	// as "message_id IN (subquery)", a plan made on the statistics of an
	// empty outbox ran the locking subquery again for every row of a 1M-row
	// one.
	rs, err := s.q.QueryContext(ctx, `WITH batch AS MATERIALIZED (
			SELECT message_id AS claimed, run_id AS k1, activity_id AS k2 FROM ff_outbox WHERE `+due+cond+` ORDER BY run_id, activity_id, message_id LIMIT $4 FOR UPDATE SKIP LOCKED),
		tail AS (SELECT claimed FROM batch ORDER BY k1 DESC, k2 DESC, claimed DESC LIMIT 1)
		UPDATE ff_outbox SET status = 'claimed', lease_owner = $2, lease_until = $3,
		attempts = coalesce(attempts, 0) + 1, updated_at = $1 FROM batch WHERE message_id = batch.claimed
		RETURNING `+rowColumns+`, message_id = (SELECT claimed FROM tail)`,
		append([]any{now, s.cfg.Owner, now.Add(s.cfg.Lease), s.cfg.Batch}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("claim messages: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var isLast bool
		r, err := scanRow(rs, &isLast)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
		if isLast {
			last = &out[len(out)-1]
		}
	}
	return out, last, rs.Err()
}

// claimSeq takes a batch of due messages on the embedded store without
// writing (see Sender). Claims walk the outbox by seq, the order rows
// were written (older runs first), from a cursor, a window of seq at a
// time, so that each reads the row groups of its window alone, not every
// row after the cursor (13 ms a claim at 200 000 rows); past a window with
// nothing more due, one query finds the next due message. The cursor goes
// back to the start at the end of the outbox, and at least once a
// RetryBackoff, for retries that came due behind it.
func (s *Sender) claimSeq(ctx context.Context, now time.Time, skip []Skip) ([]OutboxRow, error) {
	c := &s.cur
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight == nil {
		c.inFlight = map[int64]bool{}
	}
	if now.Sub(c.restart) >= RetryBackoff {
		c.after, c.restart = 0, now
	}
	spent, spentArgs := skipSQL(skip, 4)
	nextSpent, nextArgs := skipSQL(skip, 2)
	span := int64(s.cfg.Batch) * 4
	started, wrapped := c.after, false
	var out []OutboxRow
	for len(out) < s.cfg.Batch {
		upto, limit := c.after+span, s.cfg.Batch-len(out)
		read := 0
		err := s.each(ctx, func(rs *sql.Rows) error {
			r, err := scanRow(rs)
			if err != nil {
				return err
			}
			read++
			c.after = r.Seq
			if !c.inFlight[r.Seq] {
				out = append(out, r)
			}
			return nil
		}, `SELECT `+rowColumns+` FROM ff_outbox WHERE seq > $2 AND seq <= $3 AND `+due+spent+` ORDER BY seq LIMIT $4`,
			append([]any{now, c.after, upto, limit}, spentArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		if read == limit {
			continue
		}
		// Nothing more is due in the window: on to the next due message,
		// or back to the start past the last.
		var next sql.NullInt64
		if err := s.row(ctx, []any{&next}, `SELECT min(seq) FROM ff_outbox WHERE seq > $2 AND `+due+nextSpent,
			append([]any{now, upto}, nextArgs...)...); err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		if next.Valid {
			c.after = next.Int64 - 1
			continue
		}
		c.after, c.restart = 0, now
		if started == 0 || wrapped || len(out) > 0 {
			break
		}
		wrapped = true
	}
	for _, r := range out {
		c.inFlight[r.Seq] = true
	}
	return out, nil
}
