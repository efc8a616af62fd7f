package keyring

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrNoSession is returned for a session cookie that names no session in
// use: forged, altered, unknown, signed out, expired, or signed by a
// retired key. Which of these it was is not told.
var ErrNoSession = errors.New("no valid session")

// Default lengths of a session: it ends when unused for DefaultIdle, and
// after DefaultMaxAge however active.
const (
	DefaultIdle   = 12 * time.Hour
	DefaultMaxAge = 7 * 24 * time.Hour
)

// sessionPurpose names the subkey that signs session cookies; a new
// version of the format takes a new name.
const sessionPurpose = "sessions-v1"

// touchEvery is how stale a session's last use may be before a request
// records a new one: a write every request would cost more than the
// minute of idle time it could miss.
const touchEvery = time.Minute

// Session is a console session: who it acts for and until when.
type Session struct {
	// Subject is whom the session acts for, an actor such as token:ci.
	Subject   string
	CreatedAt time.Time
	// ExpiresAt is when the session ends if not used again: its idle
	// time from its last use, or its maximum age if sooner.
	ExpiresAt time.Time
	// MaxExpiresAt is when it ends however much it is used.
	MaxExpiresAt time.Time
}

// Sessions issues and checks console session cookies. A session lives in
// the store, so every node sharing it accepts the cookie and a sign-out on
// any node ends it at once. The cookie is
//
//	<key id>.<session id>.<secret>.<mac>
//
// where the MAC (HMAC-SHA256 under a subkey of the keyring key named) lets
// a node refuse a forged cookie without reading the store, and the
// secret, of which the store keeps only the SHA-256, is what proves the
// session: a copy of the table opens no session. Retiring a key ends the
// sessions it signed.
type Sessions struct {
	store *store.Store
	ring  *Ring
	// Idle and MaxAge bound a session's life (DefaultIdle, DefaultMaxAge
	// if zero).
	Idle, MaxAge time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	macKeys sync.Map // key id → subkey
}

// NewSessions returns the sessions kept in s, signed with ring's keys.
func NewSessions(s *store.Store, ring *Ring) *Sessions {
	return &Sessions{store: s, ring: ring, Idle: DefaultIdle, MaxAge: DefaultMaxAge, Now: time.Now}
}

func (s *Sessions) idle() time.Duration {
	if s.Idle <= 0 {
		return DefaultIdle
	}
	return s.Idle
}

func (s *Sessions) maxAge() time.Duration {
	if s.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return s.MaxAge
}

// Open starts a session for subject and returns its cookie value, the
// only place its secret shows.
func (s *Sessions) Open(ctx context.Context, subject string) (string, Session, error) {
	k, err := s.ring.Current(ctx)
	if err != nil {
		return "", Session{}, fmt.Errorf("open a session: %w", err)
	}
	id, secret := make([]byte, 16), make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", Session{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return "", Session{}, err
	}
	// To the microsecond, as both stores keep it: the dates answered now
	// are those read back later.
	now := s.Now().UTC().Truncate(time.Microsecond)
	rec := store.SessionRecord{ID: b64(id), SecretHash: hashSecret(b64(secret)), Subject: subject, CreatedAt: now, ExpiresAt: now.Add(s.maxAge()), LastSeenAt: now}
	if err := s.store.Sessions().Create(ctx, rec); err != nil {
		return "", Session{}, fmt.Errorf("record a session: %w", err)
	}
	body := k.ID + "." + rec.ID + "." + b64(secret)
	mac, err := s.mac(k, body)
	if err != nil {
		return "", Session{}, err
	}
	return body + "." + b64(mac), s.session(rec), nil
}

// Check returns the session a cookie names, or ErrNoSession. A session
// in use has its last use recorded (at most every minute), which moves its
// idle expiry forward.
func (s *Sessions) Check(ctx context.Context, cookie string) (Session, error) {
	rec, err := s.lookup(ctx, cookie)
	if err != nil {
		return Session{}, err
	}
	now := s.Now().UTC()
	if rec.RevokedAt != nil || !now.Before(rec.ExpiresAt) || !now.Before(rec.LastSeenAt.Add(s.idle())) {
		return Session{}, ErrNoSession
	}
	if now.Sub(rec.LastSeenAt) >= touchEvery {
		// A touch that fails (two requests of one session at once on the
		// embedded store, whose concurrent updates of a row conflict) only
		// leaves the idle time to run from the previous use: the next
		// request records it.
		if ok, err := s.store.Sessions().Touch(ctx, rec.ID, now); ok && err == nil {
			rec.LastSeenAt = now
		}
	}
	return s.session(rec), nil
}

// Close ends the session a cookie names, on every node at once, and
// returns its subject; a cookie that names no session in use is
// ErrNoSession.
func (s *Sessions) Close(ctx context.Context, cookie string) (subject string, err error) {
	rec, err := s.lookup(ctx, cookie)
	if err != nil {
		return "", err
	}
	err = s.store.Sessions().Revoke(ctx, rec.ID, s.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNoSession
	}
	if err != nil {
		return "", fmt.Errorf("end a session: %w", err)
	}
	return rec.Subject, nil
}

// CloseSubject ends every session of a subject and returns how many it
// ended.
func (s *Sessions) CloseSubject(ctx context.Context, subject string) (int64, error) {
	n, err := s.store.Sessions().RevokeSubject(ctx, subject, s.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %s: %w", subject, err)
	}
	return n, nil
}

// Purge deletes the sessions that can no longer be used and returns how
// many.
func (s *Sessions) Purge(ctx context.Context) (int64, error) {
	now := s.Now().UTC()
	n, err := s.store.Sessions().Purge(ctx, now, now.Add(-s.idle()))
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return n, nil
}

// cookieRE is the shape of a session cookie: a key id, then the session's
// id (16 bytes), secret (32 bytes) and MAC (32 bytes) in unpadded base64url.
var cookieRE = regexp.MustCompile(`^(k[0-9a-f]{8})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$`)

// lookup checks a cookie's signature and secret and returns its session
// as the store holds it, ended or not.
func (s *Sessions) lookup(ctx context.Context, cookie string) (store.SessionRecord, error) {
	m := cookieRE.FindStringSubmatch(cookie)
	if m == nil {
		return store.SessionRecord{}, ErrNoSession
	}
	k, err := s.ring.Get(ctx, m[1])
	if errors.Is(err, ErrUnknownKey) {
		return store.SessionRecord{}, ErrNoSession
	}
	if err != nil {
		return store.SessionRecord{}, err
	}
	want, err := s.mac(k, m[1]+"."+m[2]+"."+m[3])
	if err != nil {
		return store.SessionRecord{}, err
	}
	// Strict: a MAC has one spelling (the last character's spare bits
	// are zero), so an altered cookie is never read as the same MAC.
	got, err := base64.RawURLEncoding.Strict().DecodeString(m[4])
	if err != nil || !hmac.Equal(got, want) {
		return store.SessionRecord{}, ErrNoSession
	}
	rec, err := s.store.Sessions().Get(ctx, m[2])
	if errors.Is(err, store.ErrNotFound) {
		return store.SessionRecord{}, ErrNoSession
	}
	if err != nil {
		return store.SessionRecord{}, fmt.Errorf("look up a session: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(m[3])), []byte(rec.SecretHash)) != 1 {
		return store.SessionRecord{}, ErrNoSession
	}
	return rec, nil
}

// session is what a session record tells its holder.
func (s *Sessions) session(rec store.SessionRecord) Session {
	exp := rec.LastSeenAt.Add(s.idle())
	if rec.ExpiresAt.Before(exp) {
		exp = rec.ExpiresAt
	}
	return Session{Subject: rec.Subject, CreatedAt: rec.CreatedAt, ExpiresAt: exp, MaxExpiresAt: rec.ExpiresAt}
}

// mac signs a cookie's body with the key's session subkey, derived once
// per key.
func (s *Sessions) mac(k Key, body string) ([]byte, error) {
	sub, ok := s.macKeys.Load(k.ID)
	if !ok {
		d, err := k.Derive(sessionPurpose, sha256.Size)
		if err != nil {
			return nil, err
		}
		sub, _ = s.macKeys.LoadOrStore(k.ID, d)
	}
	h := hmac.New(sha256.New, sub.([]byte))
	h.Write([]byte(body))
	return h.Sum(nil), nil
}

// hashSecret is how the store keeps a session's secret: 256 random bits
// need no stretching.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
