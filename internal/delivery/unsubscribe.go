package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// ErrBadLink is returned for an unsubscribe link that was not signed by
// this Fanfare (forged, altered or truncated).
var ErrBadLink = errors.New("this unsubscribe link is not valid")

// Unsubscribe is what an unsubscribe link stands for: one profile's
// consent to one channel.
type Unsubscribe struct {
	Dimension  string `json:"d"`
	ProfileKey string `json:"k"`
	Channel    string `json:"c"`
	MessageID  string `json:"m"`
}

// Signer signs and checks unsubscribe links with a secret key, so a link
// cannot be forged, nor altered to unsubscribe another profile.
type Signer struct{ Key []byte }

// Token returns the signed token of an unsubscribe link.
func (s Signer) Token(u Unsubscribe) string {
	payload, _ := json.Marshal(u)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body))
}

// Parse checks a token's signature and returns what it stands for.
func (s Signer) Parse(token string) (Unsubscribe, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || len(s.Key) == 0 {
		return Unsubscribe{}, ErrBadLink
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Unsubscribe{}, ErrBadLink
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Unsubscribe{}, ErrBadLink
	}
	var u Unsubscribe
	if err := json.Unmarshal(payload, &u); err != nil || u.Dimension == "" || u.ProfileKey == "" || u.Channel == "" {
		return Unsubscribe{}, ErrBadLink
	}
	return u, nil
}

func (s Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("fanfare-unsubscribe\x00"))
	m.Write([]byte(body))
	return m.Sum(nil)
}
