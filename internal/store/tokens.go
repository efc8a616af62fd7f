package store

import (
	"context"
	"database/sql"
	"time"
)

// Tokens is the table of API tokens, ff_api_tokens, kept by their SHA-256
// (never in clear).
type Tokens struct{ area }

// Tokens returns the API tokens' area.
func (s *Store) Tokens() Tokens { return Tokens{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (t Tokens) On(q Querier) Tokens { return Tokens{t.area.on(q)} }

// TokenRecord is one API token as the store keeps it.
type TokenRecord struct {
	Hash      string
	Name      string
	CreatedAt time.Time
	// RevokedAt is nil while the token is active.
	RevokedAt *time.Time
}

// Add records a token. A token already recorded, active or revoked, is
// left as it is (added false): a revoked token does not come back by
// being added again. A name an active token has is refused with
// ErrDuplicate. Run it in a transaction: it reads before it writes.
func (t Tokens) Add(ctx context.Context, r TokenRecord) (added bool, err error) {
	var n int
	if err := t.row(ctx, []any{&n}, `SELECT count(*) FROM ff_api_tokens WHERE hash = $1`, r.Hash); err != nil || n > 0 {
		return false, err
	}
	if err := t.row(ctx, []any{&n}, `SELECT count(*) FROM ff_api_tokens WHERE name = $1 AND revoked_at IS NULL`, r.Name); err != nil {
		return false, err
	}
	if n > 0 {
		return false, ErrDuplicate
	}
	if _, err := t.exec(ctx, `INSERT INTO ff_api_tokens (hash, name, created_at) VALUES ($1, $2, $3)`, r.Hash, r.Name, r.CreatedAt); err != nil {
		return false, err
	}
	return true, nil
}

// Get returns the token of that hash, active or revoked; ErrNotFound if
// none.
func (t Tokens) Get(ctx context.Context, hash string) (TokenRecord, error) {
	r := TokenRecord{Hash: hash}
	var revoked sql.NullTime
	if err := t.row(ctx, []any{&r.Name, &r.CreatedAt, &revoked}, `SELECT name, created_at, revoked_at FROM ff_api_tokens WHERE hash = $1`, hash); err != nil {
		return TokenRecord{}, err
	}
	r.CreatedAt, r.RevokedAt = r.CreatedAt.UTC(), utcOrNil(revoked)
	return r, nil
}

// List returns every token, revoked ones included, oldest first.
func (t Tokens) List(ctx context.Context) ([]TokenRecord, error) {
	out := []TokenRecord{}
	err := t.each(ctx, func(rows *sql.Rows) error {
		var (
			r       TokenRecord
			revoked sql.NullTime
		)
		if err := rows.Scan(&r.Hash, &r.Name, &r.CreatedAt, &revoked); err != nil {
			return err
		}
		r.CreatedAt, r.RevokedAt = r.CreatedAt.UTC(), utcOrNil(revoked)
		out = append(out, r)
		return nil
	}, `SELECT hash, name, created_at, revoked_at FROM ff_api_tokens ORDER BY created_at, name`)
	return out, err
}

// Active counts the tokens not revoked.
func (t Tokens) Active(ctx context.Context) (int, error) {
	var n int
	err := t.row(ctx, []any{&n}, `SELECT count(*) FROM ff_api_tokens WHERE revoked_at IS NULL`)
	return n, err
}

// Revoke dates the revocation of the active token of that name;
// ErrNotFound when no active token has it.
func (t Tokens) Revoke(ctx context.Context, name string, at time.Time) error {
	n, err := t.exec(ctx, `UPDATE ff_api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, at, name)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}
