package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Sandbox is what the sandbox provider kept of the messages handed to it,
// ff_sandbox_messages: `fanfare messages` and the API read it, and
// recovery asks it which in-doubt messages it has.
type Sandbox struct{ area }

// Sandbox returns the sandbox's area.
func (s *Store) Sandbox() Sandbox { return Sandbox{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (b Sandbox) On(q Querier) Sandbox { return Sandbox{b.area.on(q)} }

// SandboxRecord is a message the sandbox kept.
type SandboxRecord struct {
	MessageID string
	Channel   string
	Address   string
	Content   string // JSON
	SentAt    time.Time
	Copies    int
}

// Put records messages, 100 to a statement: a message handed over again
// is kept once and its copies counted.
func (b Sandbox) Put(ctx context.Context, ms []SandboxRecord) error {
	for len(ms) > 0 {
		n := min(len(ms), 100)
		values := make([]string, 0, n)
		args := make([]any, 0, 5*n)
		for _, m := range ms[:n] {
			args = append(args, m.MessageID, m.Channel, m.Address, m.Content, m.SentAt.UTC())
			k := len(args)
			values = append(values, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, 1)", k-4, k-3, k-2, k-1, k))
		}
		_, err := b.exec(ctx, `INSERT INTO ff_sandbox_messages (message_id, channel, address, content, sent_at, copies) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (message_id) DO UPDATE SET copies = ff_sandbox_messages.copies + 1`, args...)
		if err != nil {
			return err
		}
		ms = ms[n:]
	}
	return nil
}

const sandboxColumns = `message_id, channel, address, content, sent_at, coalesce(copies, 1)`

func scanSandbox(scan func(dest ...any) error) (SandboxRecord, error) {
	var m SandboxRecord
	err := scan(&m.MessageID, &m.Channel, &m.Address, &m.Content, &m.SentAt, &m.Copies)
	return m, err
}

// List returns up to limit kept messages, newest first, of one run when
// runID > 0 (message ids start with "<run>:").
func (b Sandbox) List(ctx context.Context, runID int64, limit int) ([]SandboxRecord, error) {
	q := `SELECT ` + sandboxColumns + ` FROM ff_sandbox_messages`
	args := []any{limit}
	if runID > 0 {
		q += ` WHERE message_id LIKE $2`
		args = append(args, fmt.Sprintf("%d:%%", runID))
	}
	var out []SandboxRecord
	err := b.each(ctx, func(rows *sql.Rows) error {
		m, err := scanSandbox(rows.Scan)
		out = append(out, m)
		return err
	}, q+` ORDER BY sent_at DESC, message_id LIMIT $1`, args...)
	return out, err
}

// Get returns one kept message, or ErrNotFound.
func (b Sandbox) Get(ctx context.Context, id string) (SandboxRecord, error) {
	var m SandboxRecord
	err := b.row(ctx, []any{&m.MessageID, &m.Channel, &m.Address, &m.Content, &m.SentAt, &m.Copies},
		`SELECT `+sandboxColumns+` FROM ff_sandbox_messages WHERE message_id = $1`, id)
	return m, err
}

// Has reports which of the messages the sandbox kept.
func (b Sandbox) Has(ctx context.Context, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		ph := make([]string, n)
		for i, id := range ids[:n] {
			args[i] = id
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		err := b.each(ctx, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			found[id] = true
			return nil
		}, `SELECT message_id FROM ff_sandbox_messages WHERE message_id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return found, nil
}
