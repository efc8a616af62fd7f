package delivery

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrBadLink is returned for an unsubscribe link that no active key of
// the keyring issued (forged, altered, truncated, or its key retired).
var ErrBadLink = errors.New("this unsubscribe link is not valid")

// Unsubscribe is what an unsubscribe link stands for: one profile's
// consent to one channel, from one message.
type Unsubscribe struct {
	Dimension  string `json:"d"`
	ProfileKey string `json:"k"`
	Channel    string `json:"c"`
	MessageID  string `json:"m"`
	// SentAt is when the message was made (to the millisecond); zero for
	// a link made before links carried it.
	SentAt time.Time `json:"-"`
}

// linkPayload is what a link encrypts.
type linkPayload struct {
	Unsubscribe
	SentAt int64 `json:"t,omitempty"` // Unix milliseconds
}

// linkPurpose names the subkey of unsubscribe links; a new version of the
// format takes a new name.
const linkPurpose = "unsubscribe-links-v1"

// isKeyID reports whether s looks like a keyring key id in a link:
// "k" and 8 lowercase hexadecimal digits (a hand check: a regular
// expression took a tenth of a tracking hit's own work).
func isKeyID(s string) bool {
	if len(s) != 9 || s[0] != 'k' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Links issues and checks unsubscribe links with the store's keyring. A
// link is "<key id>.<payload>": the payload is encrypted and
// authenticated (XChaCha20-Poly1305 under a subkey of that key), so it
// reveals nothing — no profile key, address or message id — and cannot be
// altered; the key id in clear names the key that opens it, so a link
// keeps working after a rotation until its key is retired.
type Links struct {
	Ring *keyring.Ring
	// Now is the clock that dates links; tests replace it.
	Now func() time.Time

	// aeads holds the ciphers derived, by purpose and key id (a map
	// under a lock: a sync.Map's key would be allocated on every hit).
	mu    sync.RWMutex
	aeads map[aeadKey]cipher.AEAD
}

// NewLinks returns the links of a keyring.
func NewLinks(r *keyring.Ring) *Links { return &Links{Ring: r, Now: time.Now} }

// Token returns the token of an unsubscribe link, dated now, under the
// keyring's current key.
func (l *Links) Token(ctx context.Context, u Unsubscribe) (string, error) {
	k, err := l.Ring.Current(ctx)
	if err != nil {
		return "", fmt.Errorf("unsubscribe link: %w", err)
	}
	if u.SentAt.IsZero() {
		u.SentAt = l.Now()
	}
	return l.seal(k, linkPurpose, linkPayload{Unsubscribe: u, SentAt: u.SentAt.UnixMilli()})
}

// seal encrypts v's JSON under a subkey of k for one purpose: a token
// "<key id>.<payload>".
func (l *Links) seal(k keyring.Key, purpose string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return l.sealBytes(k, purpose, plain)
}

// sealBytes encrypts plain under a subkey of k for one purpose.
func (l *Links) sealBytes(k keyring.Key, purpose string, plain []byte) (string, error) {
	aead, err := l.aead(k, purpose)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, plain, []byte(k.ID))
	return k.ID + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open decrypts a token seal made for purpose into v: ErrBadLink when no
// active key of the ring made it for that purpose.
func (l *Links) open(ctx context.Context, purpose, kid, body string, v any) error {
	plain, _, err := l.unseal(ctx, kid, body, purpose)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return ErrBadLink
	}
	return nil
}

// unseal decrypts a token's payload made for one of purposes, tried in
// order, and says which: ErrBadLink when no active key of the ring made
// it for any of them.
func (l *Links) unseal(ctx context.Context, kid, body string, purposes ...string) ([]byte, string, error) {
	k, err := l.Ring.Get(ctx, kid)
	if errors.Is(err, keyring.ErrUnknownKey) {
		return nil, "", ErrBadLink
	}
	if err != nil {
		return nil, "", err
	}
	sealed, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, "", ErrBadLink
	}
	for _, purpose := range purposes {
		aead, err := l.aead(k, purpose)
		if err != nil {
			return nil, "", err
		}
		if len(sealed) < aead.NonceSize()+aead.Overhead() {
			return nil, "", ErrBadLink
		}
		if plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(kid)); err == nil {
			return plain, purpose, nil
		}
	}
	return nil, "", ErrBadLink
}

// aead returns the cipher of a key's tokens for one purpose, derived
// once: a send makes a link per message.
func (l *Links) aead(k keyring.Key, purpose string) (cipher.AEAD, error) {
	id := aeadKey{purpose, k.ID}
	l.mu.RLock()
	a, ok := l.aeads[id]
	l.mu.RUnlock()
	if ok {
		return a, nil
	}
	sub, err := k.Derive(purpose, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	a, err = chacha20poly1305.NewX(sub)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.aeads == nil {
		l.aeads = make(map[aeadKey]cipher.AEAD)
	}
	l.aeads[id] = a
	l.mu.Unlock()
	return a, nil
}

type aeadKey struct{ purpose, keyID string }

// Parse opens a link's token and returns what it stands for, or
// ErrBadLink.
func (l *Links) Parse(ctx context.Context, token string) (Unsubscribe, error) {
	kid, body, ok := strings.Cut(token, ".")
	if !ok {
		return Unsubscribe{}, ErrBadLink
	}
	if !isKeyID(kid) {
		return l.parseLegacy(ctx, kid, body)
	}
	var p linkPayload
	if err := l.open(ctx, linkPurpose, kid, body, &p); err != nil {
		return Unsubscribe{}, err
	}
	if p.SentAt <= 0 {
		return Unsubscribe{}, ErrBadLink
	}
	u := p.Unsubscribe
	u.SentAt = time.UnixMilli(p.SentAt).UTC()
	return checked(u)
}

// parseLegacy checks a link of an earlier version — readable JSON signed
// by HMAC-SHA256 with FANFARE_SECRET or the data directory's secret —
// with the keys imported from those secrets: mail already sent keeps
// working until they are retired. Such a link carries no date.
func (l *Links) parseLegacy(ctx context.Context, body, sig string) (Unsubscribe, error) {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return Unsubscribe{}, ErrBadLink
	}
	keys, err := l.Ring.Legacy(ctx)
	if err != nil {
		return Unsubscribe{}, err
	}
	for _, k := range keys {
		m := hmac.New(sha256.New, k.Secret)
		m.Write([]byte("fanfare-unsubscribe\x00"))
		m.Write([]byte(body))
		if !hmac.Equal(got, m.Sum(nil)) {
			continue
		}
		payload, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			return Unsubscribe{}, ErrBadLink
		}
		var u Unsubscribe
		if err := json.Unmarshal(payload, &u); err != nil {
			return Unsubscribe{}, ErrBadLink
		}
		return checked(u)
	}
	return Unsubscribe{}, ErrBadLink
}

func checked(u Unsubscribe) (Unsubscribe, error) {
	if u.Dimension == "" || u.ProfileKey == "" || u.Channel == "" {
		return Unsubscribe{}, ErrBadLink
	}
	return u, nil
}

// RecordUnsubscribe opts the link's profile out of the channel, and
// reports whether it is now opted out. A link is not obeyed when the
// profile opted in again after the message was made: a replayed old link
// does not undo a newer choice. A link without a date (of an earlier
// version) is always obeyed.
func RecordUnsubscribe(ctx context.Context, s *store.Store, u Unsubscribe, at time.Time) (bool, error) {
	return recordUnsubscribe(ctx, s, u, at, func([]store.EventRecord) {})
}

// recordUnsubscribe is RecordUnsubscribe, calling written with the event
// it wrote.
func recordUnsubscribe(ctx context.Context, s *store.Store, u Unsubscribe, at time.Time, written func([]store.EventRecord)) (bool, error) {
	sent := u.SentAt
	if sent.IsZero() {
		sent = at
	}
	r := store.ConsentRecord{Dimension: u.Dimension, ProfileKey: u.ProfileKey, Channel: u.Channel, Source: "unsubscribe:" + u.MessageID, UpdatedAt: at}
	out, err := s.Consent().Unsubscribe(ctx, r, sent)
	if err != nil {
		return false, fmt.Errorf("record unsubscribe: %w", err)
	}
	if out && u.MessageID != "" {
		// The message's figures count it (a message the outbox no longer
		// holds is not counted; the opt-out stands all the same).
		if m, err := s.Outbox().Locate(ctx, u.Channel, u.MessageID, ""); err == nil {
			ev := store.EventRecord{At: at, Type: EventUnsubscribe, RunID: m.RunID, Activity: m.Activity, MessageID: m.MessageID}
			if err := s.Events().Append(ctx, []store.EventRecord{ev}); err != nil {
				return out, fmt.Errorf("record unsubscribe: %w", err)
			}
			written([]store.EventRecord{ev})
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, fmt.Errorf("record unsubscribe: %w", err)
		}
	}
	return out, nil
}
