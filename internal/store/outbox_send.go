package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fence limits an update to the messages a sender may change.
type Fence int

const (
	// Held are the messages this sender claimed and has not handed to a
	// provider: leased to it on PostgreSQL; on the embedded store, where
	// claims are not written, still due.
	Held Fence = iota
	// Handed are the messages this sender marked sending.
	Handed
	// Doubted are messages in doubt, whoever sent them.
	Doubted
)

// rowFence is a Fence's rows: those the sender holds (owner) and, when set,
// in one of some statuses.
type rowFence struct {
	owner  bool
	status []MessageStatus
}

// fence returns what f admits.
func (s *Sender) fence(f Fence) rowFence {
	switch f {
	case Held:
		if !s.leased {
			return rowFence{status: []MessageStatus{MessagePending, MessageRetry}}
		}
		return rowFence{owner: true, status: []MessageStatus{MessageClaimed}}
	case Handed:
		return rowFence{owner: true, status: []MessageStatus{MessageSending}}
	}
	return rowFence{status: []MessageStatus{MessageInDoubt}}
}

// fenceSQL is a fence's condition, with the owner as the given parameter.
// Statuses are this file's constants, written inline.
func fenceSQL(f rowFence, owner string) string {
	var conds []string
	if f.owner {
		conds = append(conds, "lease_owner = "+owner)
	}
	if len(f.status) > 0 {
		words := make([]string, len(f.status))
		for i, st := range f.status {
			words[i] = string(st)
		}
		conds = append(conds, "status IN ('"+strings.Join(words, "', '")+"')")
	}
	if len(conds) == 0 {
		return "TRUE"
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// where returns the condition that picks rows out of the outbox within a
// fence, its arguments appended to args: on PostgreSQL by message_id,
// through the primary key. DuckDB would scan the whole outbox for a list
// of message ids (6 ms for 64 rows in a 1M-row outbox), so there rows are
// picked by seq, whose range lets the scan skip the row groups outside it;
// a chunk is most often a whole range, which needs no list at all.
func (s *Sender) where(rows []OutboxRow, f rowFence, args []any) (string, []any) {
	var b strings.Builder
	if !s.leased {
		seqs := seqs(rows)
		distinct := make(map[int64]bool, len(rows))
		for _, q := range seqs {
			distinct[q] = true
		}
		lo, hi := slices.Min(seqs), slices.Max(seqs)
		args = append(args, lo, hi)
		fmt.Fprintf(&b, "seq BETWEEN $%d AND $%d", len(args)-1, len(args))
		if hi-lo+1 != int64(len(distinct)) {
			args = append(args, seqs)
			fmt.Fprintf(&b, " AND list_contains(CAST($%d AS BIGINT[]), seq)", len(args))
		}
	} else {
		args = append(args, messageIDs(rows))
		fmt.Fprintf(&b, "message_id = ANY($%d)", len(args))
	}
	if f.owner || len(f.status) > 0 {
		owner := ""
		if f.owner {
			args = append(args, s.cfg.Owner)
			owner = fmt.Sprintf("$%d", len(args))
		}
		b.WriteString(" AND " + fenceSQL(f, owner))
	}
	return b.String(), args
}

// Outcome is what Settle writes: a status and its reason; for a retry,
// when it comes due and whether its attempt is given back (the provider
// failed, not the message).
type Outcome struct {
	Status  MessageStatus
	Reason  string
	RetryAt time.Time
	Forgive bool
}

// Settle moves messages within a fence to an outcome, 500 to a statement,
// releasing their leases unless they stay claimed or sending.
func (s *Sender) Settle(ctx context.Context, rows []OutboxRow, o Outcome, f Fence, now time.Time) error {
	set := ""
	if o.Forgive {
		set = ", attempts = greatest(coalesce(attempts, 1) - 1, 0)"
	}
	if o.Status != MessageSending && o.Status != MessageClaimed {
		set += ", lease_owner = NULL, lease_until = NULL"
	}
	now = now.UTC()
	for len(rows) > 0 {
		n := min(len(rows), 500)
		args := []any{string(o.Status), nullable(o.Reason), now, cmp.Or(o.RetryAt, now.Add(RetryBackoff)).UTC()}
		where, args := s.where(rows[:n], s.fence(f), args)
		q := `UPDATE ff_outbox SET status = $1, reason = $2, updated_at = $3, retry_at = CASE WHEN $1 = 'retry' THEN CAST($4 AS TIMESTAMPTZ) ELSE NULL END` + set +
			` WHERE ` + where
		if _, err := s.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("set messages %s: %w", o.Status, err)
		}
		rows = rows[n:]
	}
	return nil
}

// Requeue gives messages this sender holds back without counting their
// claim as an attempt: to pending (over budget) or to retry at a time
// (outside the send window, a resting provider; at zero: none). On the
// embedded store claims are not written, so a message given back to
// pending is simply left as it is.
func (s *Sender) Requeue(ctx context.Context, rows []OutboxRow, status MessageStatus, reason string, at, now time.Time) error {
	if !s.leased && status == MessagePending {
		return nil
	}
	var retryAt any
	if !at.IsZero() {
		retryAt = at
	}
	set := `status = $1, reason = $2, updated_at = $3, retry_at = CAST($4 AS TIMESTAMPTZ)`
	if s.leased {
		set += `, attempts = greatest(coalesce(attempts, 1) - 1, 0), lease_owner = NULL, lease_until = NULL`
	}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		where, args := s.where(rows[:n], s.fence(Held), []any{string(status), nullable(reason), now.UTC(), retryAt})
		if _, err := s.exec(ctx, `UPDATE ff_outbox SET `+set+` WHERE `+where, args...); err != nil {
			return fmt.Errorf("requeue messages (%s): %w", status, err)
		}
		rows = rows[n:]
	}
	return nil
}

// InDoubt returns a channel's messages in doubt (MessageID and Seq).
func (s *Sender) InDoubt(ctx context.Context, channel string) ([]OutboxRow, error) {
	var out []OutboxRow
	err := s.each(ctx, func(rs *sql.Rows) error {
		var r OutboxRow
		if err := rs.Scan(&r.MessageID, &r.Seq); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, `SELECT message_id, seq FROM ff_outbox WHERE status = 'in_doubt' AND channel = $1`, channel)
	return out, err
}

func seqs(rows []OutboxRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.Seq
	}
	return out
}

func messageIDs(rows []OutboxRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.MessageID
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
