package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Suppressions is the suppression list, ff_suppressions: addresses no
// message of their channel goes to, transactional or not. Addresses are
// kept, and looked up, in lower case.
type Suppressions struct{ area }

// Suppressions returns the suppression list's area.
func (s *Store) Suppressions() Suppressions { return Suppressions{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (s Suppressions) On(q Querier) Suppressions { return Suppressions{s.area.on(q)} }

// SuppressionRecord is an address on the suppression list.
type SuppressionRecord struct {
	Channel   string
	Address   string
	Reason    string
	CreatedAt time.Time
}

// Add puts an address on the list; an address already there takes the
// new reason and keeps its date.
func (s Suppressions) Add(ctx context.Context, r SuppressionRecord) error {
	_, err := s.exec(ctx, `INSERT INTO ff_suppressions (channel, address, reason, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason`, r.Channel, strings.ToLower(r.Address), r.Reason, r.CreatedAt.UTC())
	return err
}

// Get returns the channel's entry for address; ErrNotFound when it is not
// on the list.
func (s Suppressions) Get(ctx context.Context, channel, address string) (SuppressionRecord, error) {
	r := SuppressionRecord{Channel: channel}
	err := s.row(ctx, []any{&r.Address, &r.Reason, &r.CreatedAt},
		`SELECT address, reason, created_at FROM ff_suppressions WHERE channel = $1 AND address = $2`, channel, strings.ToLower(address))
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// Page returns at most limit entries of the channel's list after the
// address after ("" for the start), in address order.
func (s Suppressions) Page(ctx context.Context, channel, after string, limit int) ([]SuppressionRecord, error) {
	out := []SuppressionRecord{}
	err := s.each(ctx, func(rows *sql.Rows) error {
		var r SuppressionRecord
		if err := rows.Scan(&r.Channel, &r.Address, &r.Reason, &r.CreatedAt); err != nil {
			return err
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
		return nil
	}, `SELECT channel, address, reason, created_at FROM ff_suppressions WHERE channel = $1 AND address > $2 ORDER BY address LIMIT $3`,
		channel, strings.ToLower(after), limit)
	return out, err
}

// Remove takes an address off the list; ErrNotFound when it is not on it.
func (s Suppressions) Remove(ctx context.Context, channel, address string) error {
	n, err := s.exec(ctx, `DELETE FROM ff_suppressions WHERE channel = $1 AND address = $2`, channel, strings.ToLower(address))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// Among returns which of addrs (lower case) the suppression list holds
// for channel: the check every send makes before a hand-over.
func (s Suppressions) Among(ctx context.Context, channel string, addrs []string) (map[string]bool, error) {
	return s.found(ctx, `SELECT address FROM ff_suppressions WHERE channel = $1 AND `+s.d.InList("address", 2, "VARCHAR"), channel, addrs)
}
