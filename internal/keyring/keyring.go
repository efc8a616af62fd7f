package keyring

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Key sources: made by Fanfare, or imported from a secret configured
// before keys lived in the store (FANFARE_SECRET, <data-dir>/secret).
const (
	SourceGenerated = "generated"
	SourceLegacy    = "legacy"
)

// ErrUnknownKey is returned for a key id the ring does not hold, or holds
// retired.
var ErrUnknownKey = errors.New("unknown or retired key")

// ErrCurrentKey is returned when retiring the key that issues new links.
var ErrCurrentKey = errors.New("this key issues new links: rotate first, then retire it")

// DefaultRefresh is how long a node trusts its copy of the keyring: a
// rotation or retirement made on another node takes effect here within it.
const DefaultRefresh = 10 * time.Second

// secretSize is the length of a generated key (256 bits).
const secretSize = 32

// Key is one key of the ring.
type Key struct {
	ID        string     `json:"id"`
	Source    string     `json:"source"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	// Secret is the key material; never shown.
	Secret []byte `json:"-"`
}

// Active reports whether the key still checks what it issued.
func (k Key) Active() bool { return k.RetiredAt == nil }

// Derive returns a subkey of n bytes for one use (such as
// "unsubscribe-links-v1"), so that uses never share key material.
func (k Key) Derive(purpose string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, k.Secret, []byte("fanfare keyring"), purpose, n)
}

// Ring is the keyring of a store. It keeps a copy of the keys, read again
// when older than Refresh, or when asked for a key it does not know.
type Ring struct {
	store *store.Store
	// Refresh is how long the copy is trusted (DefaultRefresh if zero).
	Refresh time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	first sync.Mutex // one first key per process
	// copy is the keys last read (nil: none, or invalidated), read
	// without a lock: every tracking request asks for a key.
	copy atomic.Pointer[snapshot]
	// reading is set while one caller reads a stale copy again.
	reading atomic.Bool
	// mu serialises reads of the store, and guards missedAt.
	mu       sync.Mutex
	missedAt time.Time
}

// snapshot is the keys read from the store at a time.
type snapshot struct {
	keys []Key // oldest first
	at   time.Time
}

// New returns the keyring kept in s.
func New(s *store.Store) *Ring {
	return &Ring{store: s, Refresh: DefaultRefresh, Now: time.Now}
}

// Current returns the key that issues new links: the newest active key
// Fanfare made, one being made on first use.
func (r *Ring) Current(ctx context.Context) (Key, error) {
	keys, err := r.load(ctx, false)
	if err != nil {
		return Key{}, err
	}
	if k, ok := current(keys); ok {
		return k, nil
	}
	r.first.Lock()
	defer r.first.Unlock()
	if keys, err = r.load(ctx, true); err != nil {
		return Key{}, err
	}
	if k, ok := current(keys); ok {
		return k, nil
	}
	// Two nodes starting together may each add one: both keys are good,
	// and every node picks the same newest.
	return r.Rotate(ctx)
}

// current picks the newest active generated key.
func current(keys []Key) (Key, bool) {
	for i := len(keys) - 1; i >= 0; i-- {
		if k := keys[i]; k.Active() && k.Source == SourceGenerated {
			return k, true
		}
	}
	return Key{}, false
}

// Get returns an active key by id, or ErrUnknownKey.
func (r *Ring) Get(ctx context.Context, id string) (Key, error) {
	keys, err := r.load(ctx, false)
	if err != nil {
		return Key{}, err
	}
	if k, ok := find(keys, id); ok {
		return k, nil
	}
	// A key rotated in by another node since the last read: read again,
	// at most once a second, so unknown ids cannot make every request
	// query the store.
	r.mu.Lock()
	again := r.Now().Sub(r.missedAt) >= time.Second
	if again {
		r.missedAt = r.Now()
	}
	r.mu.Unlock()
	if again {
		if keys, err = r.load(ctx, true); err != nil {
			return Key{}, err
		}
		if k, ok := find(keys, id); ok {
			return k, nil
		}
	}
	return Key{}, ErrUnknownKey
}

func find(keys []Key, id string) (Key, bool) {
	for _, k := range keys {
		if k.ID == id && k.Active() {
			return k, true
		}
	}
	return Key{}, false
}

// Active returns the active keys from the copy (read again when stale):
// those that check what they issued, for tokens that do not name their
// key.
func (r *Ring) Active(ctx context.Context) ([]Key, error) {
	keys, err := r.load(ctx, false)
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, k := range keys {
		if k.Active() {
			out = append(out, k)
		}
	}
	return out, nil
}

// Legacy returns the active keys imported from secrets configured before
// the keyring, which check the links they signed.
func (r *Ring) Legacy(ctx context.Context) ([]Key, error) {
	keys, err := r.load(ctx, false)
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, k := range keys {
		if k.Active() && k.Source == SourceLegacy {
			out = append(out, k)
		}
	}
	return out, nil
}

// List returns every key, retired ones included, oldest first.
func (r *Ring) List(ctx context.Context) ([]Key, error) {
	return r.load(ctx, true)
}

// Rotate adds a new key, which issues every link from now on; the others
// keep checking theirs.
func (r *Ring) Rotate(ctx context.Context) (Key, error) {
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, err
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return Key{}, err
	}
	k := Key{ID: "k" + hex.EncodeToString(id), Source: SourceGenerated, CreatedAt: r.Now().UTC(), Secret: secret}
	if err := r.insert(ctx, k); err != nil {
		return Key{}, err
	}
	r.invalidate()
	return k, nil
}

// Import adds a key whose secret was configured outside the store, once:
// its id derives from the secret, so every node importing the same secret
// adds one key, and a key retired stays retired.
func (r *Ring) Import(ctx context.Context, secret []byte) (Key, error) {
	if len(secret) == 0 {
		return Key{}, errors.New("empty secret")
	}
	sum := sha256.Sum256(secret)
	k := Key{ID: "legacy-" + hex.EncodeToString(sum[:4]), Source: SourceLegacy, CreatedAt: r.Now().UTC(), Secret: secret}
	keys, err := r.load(ctx, true)
	if err != nil {
		return Key{}, err
	}
	for _, have := range keys {
		if have.ID == k.ID {
			return have, nil
		}
	}
	if err := r.insert(ctx, k); err != nil {
		return Key{}, err
	}
	r.invalidate()
	return k, nil
}

func (r *Ring) insert(ctx context.Context, k Key) error {
	rec := store.KeyRecord{ID: k.ID, Secret: k.Secret, Source: k.Source, CreatedAt: k.CreatedAt}
	if err := r.store.Keys().Add(ctx, rec); err != nil {
		return fmt.Errorf("add key %s: %w", k.ID, err)
	}
	return nil
}

// Retire stops a key from checking anything: links it issued are refused
// from now on (within Refresh on other nodes). The key that issues new
// links cannot be retired before a rotation replaces it.
func (r *Ring) Retire(ctx context.Context, id string) error {
	keys, err := r.load(ctx, true)
	if err != nil {
		return err
	}
	k, ok := find(keys, id)
	if !ok {
		return fmt.Errorf("key %q: %w", id, store.ErrNotFound)
	}
	if cur, ok := current(keys); ok && cur.ID == k.ID {
		return fmt.Errorf("key %s: %w", id, ErrCurrentKey)
	}
	// Not found now is a key another node retired meanwhile: done too.
	if err := r.store.Keys().Retire(ctx, id, r.Now().UTC()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("retire key %s: %w", id, err)
	}
	r.invalidate()
	return nil
}

// invalidate drops the copy after a change made here: every caller waits
// for the next read rather than use the keys before it.
func (r *Ring) invalidate() { r.copy.Store(nil) }

// trusted returns the copy when it is younger than Refresh.
func (r *Ring) trusted() (*snapshot, bool) {
	refresh := r.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	c := r.copy.Load()
	return c, c != nil && r.Now().Sub(c.at) < refresh
}

// load returns the keys, read from the store when the copy is stale or
// fresh is set. A stale copy is read again by one caller while the others
// go on with it, so that a slow read of the store (the embedded
// database's checkpoint) holds up one request, not every one; with no
// copy every caller waits for the read.
func (r *Ring) load(ctx context.Context, fresh bool) ([]Key, error) {
	if !fresh {
		c, ok := r.trusted()
		if ok {
			return c.keys, nil
		}
		if c != nil {
			if !r.reading.CompareAndSwap(false, true) {
				return c.keys, nil
			}
			defer r.reading.Store(false)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.trusted(); ok && !fresh {
		return c.keys, nil // read by the caller this one waited for
	}
	recs, err := r.store.Keys().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the keyring: %w", err)
	}
	var keys []Key
	for _, rec := range recs {
		keys = append(keys, Key{ID: rec.ID, Source: rec.Source, CreatedAt: rec.CreatedAt, RetiredAt: rec.RetiredAt, Secret: rec.Secret})
	}
	r.copy.Store(&snapshot{keys: keys, at: r.Now()})
	return keys, nil
}
