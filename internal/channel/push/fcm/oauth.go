package fcm

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel/push/internal/batch"
)

// Scope is the OAuth 2.0 scope FCM sends need.
const Scope = "https://www.googleapis.com/auth/firebase.messaging"

// refreshMargin is how long before expiry a cached access token is
// replaced, so a token never expires on its way to FCM.
const refreshMargin = 5 * time.Minute

// tokenSource obtains and caches access tokens with the service-account
// flow (RFC 7523): a JWT signed with the account's key, exchanged at its
// token URI.
type tokenSource struct {
	sa      *serviceAccount
	client  *http.Client
	timeout time.Duration
	now     func() time.Time

	// mu is held during a fetch, so concurrent senders wait for one
	// request rather than each making their own.
	mu      sync.Mutex
	token   string
	expires time.Time
}

// get returns a valid access token, fetching one if none is cached.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Before(s.expires) {
		return s.token, nil
	}
	tok, ttl, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := min(refreshMargin, ttl/2)
	s.token, s.expires = tok, s.now().Add(ttl-margin)
	return tok, nil
}

// invalidate drops tok if it is still the cached one (a 401 proved it
// stale), so the next get fetches a fresh token.
func (s *tokenSource) invalidate(tok string) {
	s.mu.Lock()
	if s.token == tok {
		s.token = ""
	}
	s.mu.Unlock()
}

// assertion builds the signed JWT (RS256) that the token URI exchanges.
func (s *tokenSource) assertion() (string, error) {
	now := s.now()
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if s.sa.PrivateKeyID != "" {
		header["kid"] = s.sa.PrivateKeyID
	}
	claims := map[string]any{
		"iss":   s.sa.ClientEmail,
		"scope": Scope,
		"aud":   s.sa.TokenURI,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
	return signJWT(header, claims, func(digest []byte) ([]byte, error) {
		return rsa.SignPKCS1v15(nil, s.sa.key, crypto.SHA256, digest)
	})
}

// signJWT encodes header and claims and signs their SHA-256 digest.
func signJWT(header map[string]string, claims map[string]any, sign func([]byte) ([]byte, error)) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(signing))
	sig, err := sign(digest[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// fetch exchanges a fresh assertion for an access token. Its errors hold
// the endpoint's error code, never the assertion or the token.
func (s *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	jwt, err := s.assertion()
	if err != nil {
		return "", 0, errors.New("signing the token request failed")
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {jwt},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.sa.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, errors.New("building the token request failed")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, _, err := batch.Do(s.client, req)
	if err != nil {
		return "", 0, fmt.Errorf("requesting an access token: %w", err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	if resp.Status != http.StatusOK {
		return "", 0, fmt.Errorf("access token refused: HTTP %d %s %s", resp.Status,
			batch.Truncate(body.Error), batch.Truncate(body.Description))
	}
	if body.AccessToken == "" || strings.ContainsAny(body.AccessToken, " \t\r\n") {
		return "", 0, errors.New("access token response holds no usable token")
	}
	ttl := time.Duration(body.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	return body.AccessToken, ttl, nil
}
