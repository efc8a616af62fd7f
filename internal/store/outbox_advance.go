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

// Accepted is a chunk of messages a provider accepted, with its reference
// of each.
type Accepted struct {
	Provider string
	Rows     []OutboxRow
	Refs     []string
}

// Advance records the messages a provider accepted (done) as sent and
// marks the next chunk (sending) sending, the last write before the
// provider, in one statement: per chunk, DuckDB charges an update by the
// row group it touches far more than by the rows, so this halves the
// outbox's cost of a message. Only the rows of sending that the update
// moved may be sent: it returns them (their attempt counted) and their
// indices in sending. A row it did not move is no longer this sender's
// (its lease ran out and another node took it, or another dispatcher on
// the same file marked it first). Either may be empty.
func (s *Sender) Advance(ctx context.Context, done *Accepted, sending []OutboxRow, now time.Time) (moved []OutboxRow, kept []int, err error) {
	var sent []OutboxRow
	if done != nil {
		sent = done.Rows
	}
	if len(sent)+len(sending) == 0 {
		return nil, nil, nil
	}
	now = now.UTC()
	set, fences, args := s.advanceSQL(done, sending, now)
	where, args := s.where(slices.Concat(sent, sending), rowFence{}, args)
	// RETURNING would tell which rows moved, but costs DuckDB three times
	// the update; the count tells that all did, nearly always.
	n, err := s.exec(ctx, `UPDATE ff_outbox SET `+set+` WHERE `+where+` AND `+fences, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("record sent messages and set the next sending: %w", err)
	}
	if len(sending) == 0 {
		return nil, nil, nil
	}
	var took map[string]bool
	if int(n) != len(sent)+len(sending) {
		if took, err = s.marked(ctx, sending); err != nil {
			return nil, nil, err
		}
	}
	for i, r := range sending {
		if took != nil && !took[r.MessageID] {
			continue
		}
		if !s.leased {
			r.Attempts++ // the claim was not written: the attempt counts from here
		}
		moved, kept = append(moved, r), append(kept, i)
	}
	return moved, kept, nil
}

// advanceSQL is Advance's SET clause, its fences, and their arguments from
// $1 (the time).
func (s *Sender) advanceSQL(done *Accepted, sending []OutboxRow, now time.Time) (set, fences string, args []any) {
	var sent []OutboxRow
	if done != nil {
		sent = done.Rows
	}
	args = []any{now}
	bind := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// The owner: of the rows going out, and of the sent ones where they are
	// fenced (below).
	owner := ""
	if len(sending) > 0 || s.leased {
		owner = bind(s.cfg.Owner)
	}
	// On PostgreSQL a row going out is leased anew: a node recovering
	// expired leases finds it in doubt only once it has been sending for
	// a lease, not because its claim waited for its window.
	lease := ""
	if len(sending) > 0 && s.leased {
		lease = "CAST(" + bind(now.Add(s.cfg.Lease)) + " AS TIMESTAMPTZ)"
	}
	ref, provider := "", ""
	if len(sent) > 0 {
		refs := bind(done.Refs)
		if !s.leased {
			ref = `list_extract(CAST(` + refs + ` AS VARCHAR[]), list_position(CAST(` + bind(seqs(sent)) + ` AS BIGINT[]), seq))`
		} else {
			ref = `(CAST(` + refs + ` AS TEXT[]))[array_position(CAST(` + bind(messageIDs(sent)) + ` AS TEXT[]), message_id)]`
		}
		provider = bind(done.Provider)
	}
	// Each column's value for a sent row and for one going out; "" leaves
	// it as it is. The two kinds of rows in one update differ by status:
	// the held fence admits no row being sent.
	cols := [][3]string{
		{"status", "'sent'", "'sending'"},
		{"sent_at", "$1", ""},
		{"provider", provider, ""},
		{"provider_id", ref, ""},
		{"reason", "NULL", ""},
		{"lease_owner", "NULL", owner},
		{"lease_until", "NULL", lease},
	}
	if !s.leased {
		// The claim was not written: the attempt counts from here.
		cols = append(cols, [3]string{"attempts", "", "coalesce(attempts, 0) + 1"})
	}
	var b strings.Builder
	b.WriteString("updated_at = $1")
	for _, c := range cols {
		name, v := c[0], ""
		switch {
		case len(sending) == 0:
			v = c[1]
		case len(sent) == 0:
			v = c[2]
		default:
			v = "CASE WHEN status = 'sending' THEN " + cmp.Or(c[1], name) + " ELSE " + cmp.Or(c[2], name) + " END"
		}
		if v != "" {
			b.WriteString(", " + name + " = " + v)
		}
	}
	return b.String(), s.advanceFences(len(sent), len(sending), owner), args
}

// advanceFences is Advance's condition on the rows it moves, with the
// owner as the given parameter: a sent row is this sender's and being
// sent; one going out is held. On the embedded store nothing else changes
// a message being sent, and reading the two just-updated columns across
// the row group would be half the cost of a sent-only update: no fence
// there.
func (s *Sender) advanceFences(sent, sending int, owner string) string {
	sentFence, heldFence := fenceSQL(s.fence(Handed), owner), fenceSQL(s.fence(Held), owner)
	switch {
	case sending == 0 && !s.leased:
		return "TRUE"
	case sending == 0:
		return sentFence
	case sent == 0:
		return heldFence
	}
	return "(" + sentFence + " OR " + heldFence + ")"
}

// marked returns which of the rows are this sender's and being sent.
func (s *Sender) marked(ctx context.Context, rows []OutboxRow) (map[string]bool, error) {
	where, args := s.where(rows, s.fence(Handed), nil)
	took := map[string]bool{}
	err := s.each(ctx, func(rs *sql.Rows) error {
		var id string
		if err := rs.Scan(&id); err != nil {
			return err
		}
		took[id] = true
		return nil
	}, `SELECT message_id FROM ff_outbox WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read messages set sending: %w", err)
	}
	return took, nil
}
