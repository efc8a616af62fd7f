package sms

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Defaults.
const (
	DefaultBaseURL     = "https://api.twilio.com"
	DefaultConcurrency = 8
	DefaultTimeout     = 15 * time.Second
	maxConcurrency     = 1024
)

// Config configures the SMS provider. Its String, GoString and LogValue
// hide the account and the token: settings never reach a log.
type Config struct {
	// BaseURL is the API root (default https://api.twilio.com).
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the sender used when a message sets none: an E.164 number
	// or an alphanumeric sender ID.
	From string
	// StatusCallback, when set, is the URL the API posts delivery
	// statuses to (see ParseStatusCallback).
	StatusCallback string
	// Concurrency bounds the requests in flight across all batches
	// (default 8).
	Concurrency int
	// Timeout bounds one request, from connecting to reading the reply
	// (default 15s).
	Timeout time.Duration
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || !(u.Scheme == "https" || u.Scheme == "http") {
		bad("sms: base URL must be an absolute http(s) URL without credentials or query")
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		bad("sms: refusing to send credentials without TLS")
	}
	if c.AccountSID == "" {
		bad("sms: account SID is required")
	} else if !isAlnum(c.AccountSID) {
		// It becomes a path segment: nothing but letters and digits.
		bad("sms: account SID must be letters and digits")
	}
	if c.AuthToken == "" {
		bad("sms: auth token is required")
	} else if strings.ContainsAny(c.AuthToken, "\r\n\x00 ") {
		bad("sms: auth token holds a space or control character")
	}
	if c.From != "" {
		if err := checkFrom(c.From); err != nil {
			bad("sms: from: %v", err)
		}
	}
	if c.StatusCallback != "" {
		if u, err := url.Parse(c.StatusCallback); err != nil || u.Host == "" ||
			!(u.Scheme == "https" || u.Scheme == "http") || strings.ContainsAny(c.StatusCallback, " \r\n") {
			bad("sms: status callback must be an absolute http(s) URL")
		}
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		bad("sms: concurrency must be 1 to %d", maxConcurrency)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		bad("sms: timeout must be positive")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", channel.ErrConfig, errors.Join(errs...))
	}
	return nil
}

// checkFrom accepts an E.164 number or an alphanumeric sender ID (1 to 11
// letters, digits and spaces, at least one letter).
func checkFrom(s string) error {
	if strings.HasPrefix(s, "+") {
		return channel.CheckPhone(s)
	}
	if s == "" || len(s) > 11 {
		return errors.New("sender ID must be 1 to 11 characters")
	}
	letter := false
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
			letter = true
		case b >= '0' && b <= '9', b == ' ':
		default:
			return errors.New("sender ID must be letters, digits and spaces")
		}
	}
	if !letter {
		return errors.New("sender ID needs a letter")
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the configuration without the account or the token.
func (c Config) String() string {
	return fmt.Sprintf("sms{concurrency=%d timeout=%s auth=%t callback=%t}",
		c.Concurrency, c.Timeout, c.AuthToken != "", c.StatusCallback != "")
}

// LogValue logs the configuration without the account or the token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("concurrency", c.Concurrency),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("auth", c.AuthToken != ""),
		slog.Bool("callback", c.StatusCallback != ""),
	)
}

// GoString keeps %#v from printing the token.
func (c Config) GoString() string { return c.String() }

// FromEnv reads a configuration from environment variables named prefix +
// BASE_URL, ACCOUNT_SID, AUTH_TOKEN, FROM, STATUS_CALLBACK, CONCURRENCY and
// TIMEOUT. Each may instead be read from the file named by the variable
// with _FILE appended (for secrets mounted as files). getenv is os.Getenv
// outside tests. It does not validate: call Validate (New does).
func FromEnv(prefix string, getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name string) string {
		if f := getenv(prefix + name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				// The error names the file, never its content.
				errs = append(errs, fmt.Errorf("%w: sms: reading %s%s_FILE: %w", channel.ErrConfig, prefix, name, errors.Unwrap(err)))
				return ""
			}
			return strings.TrimRight(string(b), "\r\n")
		}
		return getenv(prefix + name)
	}
	c := Config{
		BaseURL:        get("BASE_URL"),
		AccountSID:     get("ACCOUNT_SID"),
		AuthToken:      get("AUTH_TOKEN"),
		From:           get("FROM"),
		StatusCallback: get("STATUS_CALLBACK"),
	}
	if v := get("CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: sms: %sCONCURRENCY is not a number", channel.ErrConfig, prefix))
		}
		c.Concurrency = n
	}
	if v := get("TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: sms: %sTIMEOUT is not a duration", channel.ErrConfig, prefix))
		}
		c.Timeout = d
	}
	return c, errors.Join(errs...)
}
