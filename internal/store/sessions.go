package store

import (
	"context"
	"database/sql"
	"time"
)

// Sessions is the table of console sessions, ff_sessions: each holds the
// SHA-256 of the secret its cookie carries (never the secret), whom it
// acts for, and when it ends.
type Sessions struct{ area }

// Sessions returns the sessions' area.
func (s *Store) Sessions() Sessions { return Sessions{s.area()} }

// On returns the same area running on q (a transaction, a connection).
func (s Sessions) On(q Querier) Sessions { return Sessions{s.area.on(q)} }

// SessionRecord is one session as the store keeps it.
type SessionRecord struct {
	ID         string
	SecretHash string
	// Subject is whom the session acts for, as an actor (token:<name>;
	// user:<id> once user accounts exist).
	Subject   string
	CreatedAt time.Time
	// ExpiresAt is the latest the session may be used, however active.
	ExpiresAt time.Time
	// LastSeenAt is when it was last used (to the minute or so: see
	// Touch), from which its idle time runs.
	LastSeenAt time.Time
	// RevokedAt is nil while the session has not been ended.
	RevokedAt *time.Time
}

// Create records a new session.
func (s Sessions) Create(ctx context.Context, r SessionRecord) error {
	_, err := s.exec(ctx, `INSERT INTO ff_sessions (id, secret_hash, subject, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.ID, r.SecretHash, r.Subject, r.CreatedAt, r.ExpiresAt, r.LastSeenAt)
	return err
}

// Get returns the session of that id, ended or not; ErrNotFound if none.
func (s Sessions) Get(ctx context.Context, id string) (SessionRecord, error) {
	r := SessionRecord{ID: id}
	var revoked sql.NullTime
	if err := s.row(ctx, []any{&r.SecretHash, &r.Subject, &r.CreatedAt, &r.ExpiresAt, &r.LastSeenAt, &revoked},
		`SELECT secret_hash, subject, created_at, expires_at, last_seen_at, revoked_at FROM ff_sessions WHERE id = $1`, id); err != nil {
		return SessionRecord{}, err
	}
	r.CreatedAt, r.ExpiresAt, r.LastSeenAt, r.RevokedAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC(), r.LastSeenAt.UTC(), utcOrNil(revoked)
	return r, nil
}

// Touch moves a session's last use forward to at; a session revoked, or
// seen at or after at already, is left as it is (touched false).
func (s Sessions) Touch(ctx context.Context, id string, at time.Time) (touched bool, err error) {
	n, err := s.exec(ctx, `UPDATE ff_sessions SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL AND last_seen_at < $1`, at, id)
	return n > 0, err
}

// Revoke dates the end of a session not yet revoked; ErrNotFound when
// there is none of that id, or it is revoked already.
func (s Sessions) Revoke(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, `UPDATE ff_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// RevokeSubject ends every session of a subject (its token revoked, say)
// and returns how many it ended.
func (s Sessions) RevokeSubject(ctx context.Context, subject string, at time.Time) (int64, error) {
	return s.exec(ctx, `UPDATE ff_sessions SET revoked_at = $1 WHERE subject = $2 AND revoked_at IS NULL`, at, subject)
}

// Purge deletes the sessions that can no longer be used: past their
// expiry at now, or last seen before idleSince. A revoked session stays
// until then: its row says who signed out, and when.
func (s Sessions) Purge(ctx context.Context, now, idleSince time.Time) (int64, error) {
	return s.exec(ctx, `DELETE FROM ff_sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, idleSince)
}
