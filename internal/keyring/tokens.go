package keyring

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
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
	return t.store.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ff_api_tokens WHERE hash = $1`, hashToken(token)).Scan(&n); err != nil {
			return fmt.Errorf("look up token: %w", err)
		}
		if n > 0 {
			return nil
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ff_api_tokens WHERE name = $1 AND revoked_at IS NULL`, name).Scan(&n); err != nil {
			return fmt.Errorf("look up token: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("token %q: %w", name, ErrTokenExists)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ff_api_tokens (hash, name, created_at) VALUES ($1, $2, $3)`, hashToken(token), name, t.Now().UTC()); err != nil {
			return fmt.Errorf("record token %s: %w", name, err)
		}
		return nil
	})
}

// Status says whether a token is recorded, and revoked.
func (t *Tokens) Status(ctx context.Context, token string) (known, revoked bool, err error) {
	var rev sql.NullTime
	err = t.store.DB.QueryRowContext(ctx, `SELECT revoked_at FROM ff_api_tokens WHERE hash = $1`, hashToken(token)).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("look up token: %w", err)
	}
	return true, rev.Valid, nil
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
	err = t.store.DB.QueryRowContext(ctx, `SELECT name FROM ff_api_tokens WHERE hash = $1 AND revoked_at IS NULL`, h).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
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
	t.seen[h] = seenToken{name: name, at: t.Now()}
	t.mu.Unlock()
	return name, true, nil
}

// List returns every token, revoked ones included, oldest first.
func (t *Tokens) List(ctx context.Context) ([]Token, error) {
	rows, err := t.store.DB.QueryContext(ctx, `SELECT name, created_at, revoked_at FROM ff_api_tokens ORDER BY created_at, name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var tk Token
		var rev sql.NullTime
		if err := rows.Scan(&tk.Name, &tk.CreatedAt, &rev); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		tk.CreatedAt = tk.CreatedAt.UTC()
		if rev.Valid {
			r := rev.Time.UTC()
			tk.RevokedAt = &r
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// Active reports how many tokens are not revoked.
func (t *Tokens) Active(ctx context.Context) (int, error) {
	var n int
	if err := t.store.DB.QueryRowContext(ctx, `SELECT count(*) FROM ff_api_tokens WHERE revoked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

// Revoke revokes the active token of that name: every node refuses it
// within Refresh (this one at once).
func (t *Tokens) Revoke(ctx context.Context, name string) error {
	res, err := t.store.DB.ExecContext(ctx, `UPDATE ff_api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, t.Now().UTC(), name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("no active token named %q: %w", name, store.ErrNotFound)
	}
	t.mu.Lock()
	clear(t.seen)
	t.mu.Unlock()
	return nil
}
