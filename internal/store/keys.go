package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Keys is the keyring's table, ff_keys: the secrets that sign and encrypt
// links, shared by every node of the store.
type Keys struct{ area }

// Keys returns the keyring's area.
func (s *Store) Keys() Keys { return Keys{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (k Keys) On(q Querier) Keys { return Keys{k.area.on(q)} }

// KeyRecord is one key as the store keeps it; the secret is stored as
// base64 text.
type KeyRecord struct {
	ID        string
	Secret    []byte
	Source    string
	CreatedAt time.Time
	// RetiredAt is nil while the key is active.
	RetiredAt *time.Time
}

// Add records a key; a key whose id is already held is left as it is
// (two nodes importing the same secret add it once).
func (k Keys) Add(ctx context.Context, r KeyRecord) error {
	_, err := k.exec(ctx, `INSERT INTO ff_keys (id, secret, source, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
		r.ID, base64.StdEncoding.EncodeToString(r.Secret), r.Source, r.CreatedAt)
	return err
}

// Retire dates the retirement of an active key; ErrNotFound when no
// active key has that id.
func (k Keys) Retire(ctx context.Context, id string, at time.Time) error {
	n, err := k.exec(ctx, `UPDATE ff_keys SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL`, at, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// List returns every key, retired ones included, oldest first (by id
// among keys made at the same instant, so every node orders them alike).
func (k Keys) List(ctx context.Context) ([]KeyRecord, error) {
	var out []KeyRecord
	err := k.each(ctx, func(rows *sql.Rows) error {
		var (
			r       KeyRecord
			secret  string
			retired sql.NullTime
		)
		if err := rows.Scan(&r.ID, &secret, &r.Source, &r.CreatedAt, &retired); err != nil {
			return err
		}
		var err error
		if r.Secret, err = base64.StdEncoding.DecodeString(strings.TrimSpace(secret)); err != nil {
			return fmt.Errorf("key %s: %w", r.ID, err)
		}
		r.CreatedAt, r.RetiredAt = r.CreatedAt.UTC(), utcOrNil(retired)
		out = append(out, r)
		return nil
	}, `SELECT id, secret, source, created_at, retired_at FROM ff_keys ORDER BY created_at, id`)
	return out, err
}

// utcOrNil is a nullable time in UTC, or nil.
func utcOrNil(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
