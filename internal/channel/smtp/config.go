package smtp

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// TLS modes.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
)

// Defaults.
const (
	DefaultPool    = 8
	DefaultTimeout = 30 * time.Second
	maxPool        = 1024
)

// Config configures the SMTP provider. Its String and LogValue hide the
// host, the credentials and the key: settings never reach a log.
type Config struct {
	Host string
	// Port defaults to 25 (none), 587 (starttls) or 465 (implicit).
	Port int
	// TLS is "none", "starttls" (the default) or "implicit".
	TLS      string
	Username string
	Password string
	// Pool is the number of connections kept open (default 8).
	Pool int
	// Timeout bounds each exchange with the server: connecting, one
	// command and its reply, writing a message, the final reply (default
	// 30s).
	Timeout time.Duration
	DKIM    *DKIMConfig
	// HeloName is the name given in EHLO: a fully qualified domain name
	// (or an address literal, "[192.0.2.1]"). The default is the machine's
	// name when fully qualified, else its canonical name (DNS or
	// /etc/hosts) when that is, else the address literal of each
	// connection's local end (RFC 5321 §4.1.4): a bare host name ("vm") is
	// refused by many receivers.
	HeloName string
	// InsecureSkipVerify accepts any server certificate: tests only.
	InsecureSkipVerify bool
	// Log receives the provider's warnings (default slog.Default()).
	Log *slog.Logger
}

// DKIMConfig configures DKIM signing.
type DKIMConfig struct {
	Domain   string
	Selector string
	// PrivateKeyPEM holds an RSA (PKCS #1 or #8) or Ed25519 (PKCS #8) key.
	PrivateKeyPEM []byte
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if c.Host == "" {
		bad("smtp: host is required")
	} else if strings.ContainsAny(c.Host, " \t\r\n/@") {
		bad("smtp: host is not a host name or address")
	}
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		bad("smtp: tls must be none, starttls or implicit")
	}
	if c.Port == 0 {
		c.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[c.TLS]
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("smtp: port must be 1 to 65535")
	}
	if (c.Username == "") != (c.Password == "") {
		bad("smtp: username and password go together")
	}
	if c.Username != "" && c.TLS == TLSNone && !isLoopback(c.Host) {
		bad("smtp: refusing to send credentials without TLS")
	}
	if strings.ContainsAny(c.Username+c.Password, "\r\n\x00") {
		bad("smtp: credentials hold a control character")
	}
	if c.Pool == 0 {
		c.Pool = DefaultPool
	}
	if c.Pool < 1 || c.Pool > maxPool {
		bad("smtp: pool must be 1 to %d connections", maxPool)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		bad("smtp: timeout must be positive")
	}
	if c.HeloName == "" {
		c.HeloName = defaultHeloName()
	}
	if c.HeloName != "" && !isHeloName(c.HeloName) {
		bad("smtp: helo name must be a domain name or an address literal such as [192.0.2.1]")
	}
	if c.DKIM != nil {
		if _, err := c.DKIM.signer(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", channel.ErrConfig, errors.Join(errs...))
	}
	return nil
}

// signer parses the DKIM key.
func (d *DKIMConfig) signer() (crypto.Signer, error) {
	if d.Domain == "" || d.Selector == "" {
		return nil, errors.New("smtp: dkim needs a domain and a selector")
	}
	if strings.ContainsAny(d.Domain+d.Selector, " ;=\r\n\t") {
		return nil, errors.New("smtp: dkim domain or selector holds a forbidden character")
	}
	block, _ := pem.Decode(d.PrivateKeyPEM)
	if block == nil {
		return nil, errors.New("smtp: dkim private key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("smtp: dkim private key is neither PKCS #1 nor PKCS #8")
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, errors.New("smtp: dkim private key is neither RSA nor Ed25519")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// addr is host:port.
func (c *Config) addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// String describes the configuration without its settings' values.
func (c Config) String() string {
	return fmt.Sprintf("smtp{tls=%s pool=%d timeout=%s auth=%t dkim=%t}",
		c.TLS, c.Pool, c.Timeout, c.Username != "", c.DKIM != nil)
}

// LogValue logs the configuration without host, credentials or key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tls", c.TLS),
		slog.Int("pool", c.Pool),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("auth", c.Username != ""),
		slog.Bool("dkim", c.DKIM != nil),
	)
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

// FromEnv reads a configuration from environment variables named prefix +
// HOST, PORT, TLS, USERNAME, PASSWORD, POOL, TIMEOUT, HELO_NAME,
// DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY. Each may instead be read
// from the file named by the variable with _FILE appended (for secrets
// mounted as files). getenv is os.Getenv outside tests.
func FromEnv(prefix string, getenv func(string) string) (Config, error) {
	get := func(name string) (string, error) {
		if f := getenv(prefix + name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				// The error names the file, never its content.
				return "", fmt.Errorf("%w: smtp: reading %s%s_FILE: %w", channel.ErrConfig, prefix, name, errors.Unwrap(err))
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		}
		return getenv(prefix + name), nil
	}
	var c Config
	var errs []error
	str := func(name string, dst *string) {
		v, err := get(name)
		if err != nil {
			errs = append(errs, err)
		}
		*dst = v
	}
	str("HOST", &c.Host)
	str("TLS", &c.TLS)
	str("USERNAME", &c.Username)
	str("PASSWORD", &c.Password)
	str("HELO_NAME", &c.HeloName)
	var port, pool, timeout, domain, selector, key string
	str("PORT", &port)
	str("POOL", &pool)
	str("TIMEOUT", &timeout)
	str("DKIM_DOMAIN", &domain)
	str("DKIM_SELECTOR", &selector)
	str("DKIM_PRIVATE_KEY", &key)
	var err error
	if port != "" {
		if c.Port, err = strconv.Atoi(port); err != nil {
			errs = append(errs, fmt.Errorf("%w: smtp: %sPORT is not a number", channel.ErrConfig, prefix))
		}
	}
	if pool != "" {
		if c.Pool, err = strconv.Atoi(pool); err != nil {
			errs = append(errs, fmt.Errorf("%w: smtp: %sPOOL is not a number", channel.ErrConfig, prefix))
		}
	}
	if timeout != "" {
		if c.Timeout, err = time.ParseDuration(timeout); err != nil {
			errs = append(errs, fmt.Errorf("%w: smtp: %sTIMEOUT is not a duration", channel.ErrConfig, prefix))
		}
	}
	if domain != "" || selector != "" || key != "" {
		c.DKIM = &DKIMConfig{Domain: domain, Selector: selector, PrivateKeyPEM: []byte(key)}
	}
	return c, errors.Join(errs...)
}
