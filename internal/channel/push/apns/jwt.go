package apns

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"
)

// tokenLifetime is how long one provider token is reused. APNs refuses a
// token older than an hour and one replaced more often than every 20
// minutes.
const tokenLifetime = 50 * time.Minute

// signer makes and caches the provider token (an ES256 JWT).
type signer struct {
	teamID, keyID string
	key           *ecdsa.PrivateKey
	now           func() time.Time

	mu     sync.Mutex
	token  string
	issued time.Time
}

// get returns the cached token, signing a new one when it is too old.
func (s *signer) get() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Sub(s.issued) < tokenLifetime {
		return s.token, nil
	}
	tok, err := s.sign(now)
	if err != nil {
		return "", err
	}
	s.token, s.issued = tok, now
	return tok, nil
}

// invalidate drops tok if it is still the cached one (APNs said it
// expired).
func (s *signer) invalidate(tok string) {
	s.mu.Lock()
	if s.token == tok {
		s.token = ""
	}
	s.mu.Unlock()
}

func (s *signer) sign(now time.Time) (string, error) {
	h, err := json.Marshal(map[string]string{"alg": "ES256", "kid": s.keyID})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(map[string]any{"iss": s.teamID, "iat": now.Unix()})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(signing))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	// JWS wants the fixed-width r || s, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}
