package apns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/internal/batch"
)

// Defaults.
const (
	DefaultBaseURL     = "https://api.push.apple.com"
	DefaultConcurrency = 16
	DefaultTimeout     = 15 * time.Second
	maxConcurrency     = 1024
)

// Config configures the APNs provider. Its String, GoString and LogValue
// hide the key: it never reaches a log.
type Config struct {
	TeamID string
	KeyID  string
	// PrivateKeyP8 is the .p8 key: an EC P-256 key in PKCS #8 PEM.
	PrivateKeyP8 []byte
	// Topic is the app's bundle id.
	Topic string
	// BaseURL defaults to https://api.push.apple.com (the sandbox is
	// https://api.sandbox.push.apple.com).
	BaseURL string
	// Concurrency bounds the requests in flight (default 16).
	Concurrency int
	// Timeout bounds one request, response included (default 15s).
	Timeout time.Duration
	// HTTPClient replaces the default HTTP/2-only client (tests, proxies).
	HTTPClient *http.Client
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	_, err := c.validate()
	return err
}

func (c *Config) validate() (*ecdsa.PrivateKey, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if !isID(c.TeamID) {
		bad("apns: team id must be letters and digits")
	}
	if !isID(c.KeyID) {
		bad("apns: key id must be letters and digits")
	}
	key, err := parseKey(c.PrivateKeyP8)
	if err != nil {
		errs = append(errs, err)
	}
	if c.Topic == "" || strings.ContainsAny(c.Topic, " \t\r\n\x00") {
		bad("apns: topic (the bundle id) is required, without spaces")
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
		bad("apns: base URL must be an absolute https URL")
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		bad("apns: concurrency must be 1 to %d", maxConcurrency)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		bad("apns: timeout must be positive")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", channel.ErrConfig, errors.Join(errs...))
	}
	return key, nil
}

func isID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseKey reads the .p8 key. Its errors never quote it.
func parseKey(p8 []byte) (*ecdsa.PrivateKey, error) {
	if len(p8) == 0 {
		return nil, errors.New("apns: private key is required")
	}
	block, _ := pem.Decode(p8)
	if block == nil {
		return nil, errors.New("apns: private key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("apns: private key is not PKCS #8")
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("apns: private key is not an EC P-256 key")
	}
	return ek, nil
}

// String describes the configuration without the key.
func (c Config) String() string {
	return fmt.Sprintf("apns{team=%s key_id=%s topic=%s base=%s concurrency=%d timeout=%s key=%t}",
		c.TeamID, c.KeyID, c.Topic, c.BaseURL, c.Concurrency, c.Timeout, len(c.PrivateKeyP8) > 0)
}

// GoString keeps %#v from printing the key.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without the key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("team", c.TeamID),
		slog.String("key_id", c.KeyID),
		slog.String("topic", c.Topic),
		slog.String("base_url", c.BaseURL),
		slog.Int("concurrency", c.Concurrency),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("key", len(c.PrivateKeyP8) > 0),
	)
}

// FromEnv reads a configuration from environment variables named prefix +
// TEAM_ID, KEY_ID, PRIVATE_KEY, TOPIC, BASE_URL, CONCURRENCY and TIMEOUT,
// each of which may instead be read from the file named by the variable
// with _FILE appended. getenv is os.Getenv outside tests.
func FromEnv(prefix string, getenv func(string) string) (Config, error) {
	r := batch.NewEnvReader("apns", prefix, getenv)
	c := Config{TeamID: r.String("TEAM_ID"), KeyID: r.String("KEY_ID"), Topic: r.String("TOPIC"), BaseURL: r.String("BASE_URL"),
		Concurrency: r.Int("CONCURRENCY"), Timeout: r.Duration("TIMEOUT")}
	if v := r.String("PRIVATE_KEY"); v != "" {
		c.PrivateKeyP8 = []byte(v)
	}
	return c, r.Err()
}
