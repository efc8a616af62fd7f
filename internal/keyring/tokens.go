package keyring

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrTokenName is returned for a token name that is not valid or already
// names an active token.
var ErrTokenName = errors.New("token name")

// ErrTokenExists is returned when creating a token with the name of an
// active one.
var ErrTokenExists = errors.New("an active token has that name (revoke it first)")

// TokenPrefix begins every API token Fanfare makes.
const TokenPrefix = "ff_"

// tokenNameRE is what a token name may be: it shows in logs and in the
// actor of what a token does (token:<name>).
var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$`)

// Token describes an API token; the token itself is shown only when
// created.
type Token struct {
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Tokens are the API tokens of a store, kept as their SHA-256. A node
// remembers a token it checked for Refresh, so a revocation takes effect
// on every node within it.
type Tokens struct {
	store *store.Store
	// Refresh is how long a checked token is trusted (DefaultRefresh if
	// zero).
	Refresh time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu   sync.Mutex
	seen map[string]seenToken // by hash
}

type seenToken struct {
	name string
	at   time.Time
}

// NewTokens returns the API tokens kept in s.
func NewTokens(s *store.Store) *Tokens {
	return &Tokens{store: s, Refresh: DefaultRefresh, Now: time.Now, seen: map[string]seenToken{}}
}

// hashToken is how a token is kept: a token has 192 random bits, so a
// plain SHA-256 is enough (no password to stretch).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckTokenName checks a token name.
func CheckTokenName(name string) error {
	if !tokenNameRE.MatchString(name) {
		return fmt.Errorf("%w %q: letters, digits and _ . @ -, starting with a letter or digit, at most 63", ErrTokenName, name)
	}
	return nil
}

// Create makes a token with that name and returns it: the only time it is
// shown.
func (t *Tokens) Create(ctx context.Context, name string) (string, error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := TokenPrefix + hex.EncodeToString(buf)
	if err := t.Add(ctx, name, tok); err != nil {
		return "", err
	}
	return tok, nil
}

// Add records a token made elsewhere (FANFARE_API_TOKEN, a token file)
// under a name. A token already recorded — active or revoked — is left as
// it is: a revoked token does not come back by being configured again.
func (t *Tokens) Add(ctx context.Context, name, token string) error {
	if err := CheckTokenName(name); err != nil {
		return err
	}
	if len(token) < 16 {
		return errors.New("an API token needs at least 16 characters")
	}
	rec := store.TokenRecord{Hash: hashToken(token), Name: name, CreatedAt: t.Now().UTC()}
	err := t.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := t.store.Tokens().On(tx).Add(ctx, rec)
		return err
	})
	if errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("token %q: %w", name, ErrTokenExists)
	}
	if err != nil {
		return fmt.Errorf("record token %s: %w", name, err)
	}
	return nil
}

// Status says whether a token is recorded, and revoked.
func (t *Tokens) Status(ctx context.Context, token string) (known, revoked bool, err error) {
	rec, err := t.store.Tokens().Get(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("look up token: %w", err)
	}
	return true, rec.RevokedAt != nil, nil
}

// Check returns the name of an active token, or ok false.
func (t *Tokens) Check(ctx context.Context, token string) (name string, ok bool, err error) {
	if token == "" {
		return "", false, nil
	}
	h := hashToken(token)
	refresh := t.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	t.mu.Lock()
	s, hit := t.seen[h]
	t.mu.Unlock()
	if hit && t.Now().Sub(s.at) < refresh {
		return s.name, true, nil
	}
	rec, err := t.store.Tokens().Get(ctx, h)
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.RevokedAt != nil {
		t.mu.Lock()
		delete(t.seen, h)
		t.mu.Unlock()
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("check token: %w", err)
	}
	t.mu.Lock()
	if len(t.seen) > 10000 { // bounded: a few tokens in practice
		clear(t.seen)
	}
	t.seen[h] = seenToken{name: rec.Name, at: t.Now()}
	t.mu.Unlock()
	return rec.Name, true, nil
}

// CheckNow is Check without the node's memory of tokens checked: what
// the store says now (a sign-in, which outlives a revocation made
// elsewhere unless it sees it).
func (t *Tokens) CheckNow(ctx context.Context, token string) (name string, ok bool, err error) {
	if token == "" {
		return "", false, nil
	}
	rec, err := t.store.Tokens().Get(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.RevokedAt != nil {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("check token: %w", err)
	}
	return rec.Name, true, nil
}

// List returns every token, revoked ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	recs, err := t.store.Tokens().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, len(recs))
	for i, r := range recs {
		out[i] = Token{Name: r.Name, CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
	}
	return out, nil
}

// Active reports how many tokens are not revoked.
func (t *Tokens) Active(ctx context.Context) (int, error) {
	n, err := t.store.Tokens().Active(ctx)
	if err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

// Revoke revokes the active token of that name: every node refuses it
// within Refresh (this one at once).
func (t *Tokens) Revoke(ctx context.Context, name string) error {
	err := t.store.Tokens().Revoke(ctx, name, t.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no active token named %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	t.mu.Lock()
	clear(t.seen)
	t.mu.Unlock()
	return nil
}
