package fcm

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
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
	DefaultBaseURL     = "https://fcm.googleapis.com"
	DefaultTokenURI    = "https://oauth2.googleapis.com/token"
	DefaultConcurrency = 16
	DefaultTimeout     = 15 * time.Second
	maxConcurrency     = 1024
)

// Config configures the FCM provider. Its String, GoString and LogValue
// hide the service account: the key never reaches a log.
type Config struct {
	// ProjectID is the Firebase project (default: the service account's).
	ProjectID string
	// ServiceAccountJSON is the Google service-account key file.
	ServiceAccountJSON []byte
	// BaseURL defaults to https://fcm.googleapis.com.
	BaseURL string
	// Concurrency bounds the requests in flight (default 16).
	Concurrency int
	// Timeout bounds one request, response included (default 15s).
	Timeout time.Duration
	// HTTPClient replaces the default HTTP/2 client (tests, proxies).
	HTTPClient *http.Client
}

// serviceAccount is the part of the key file the provider uses.
type serviceAccount struct {
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`

	key *rsa.PrivateKey
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	_, err := c.validate()
	return err
}

func (c *Config) validate() (*serviceAccount, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	sa, err := parseServiceAccount(c.ServiceAccountJSON)
	if err != nil {
		errs = append(errs, err)
	} else if c.ProjectID == "" {
		c.ProjectID = sa.ProjectID
	}
	if c.ProjectID == "" {
		bad("fcm: project id is required")
	} else if strings.ContainsAny(c.ProjectID, "/?#% \t\r\n") {
		bad("fcm: project id holds a forbidden character")
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if !isHTTPS(c.BaseURL) {
		bad("fcm: base URL must be an absolute https URL")
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 1 || c.Concurrency > maxConcurrency {
		bad("fcm: concurrency must be 1 to %d", maxConcurrency)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		bad("fcm: timeout must be positive")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", channel.ErrConfig, errors.Join(errs...))
	}
	return sa, nil
}

// parseServiceAccount reads the key file. Its errors never quote it.
func parseServiceAccount(b []byte) (*serviceAccount, error) {
	if len(b) == 0 {
		return nil, errors.New("fcm: service account is required")
	}
	var sa serviceAccount
	if err := json.Unmarshal(b, &sa); err != nil {
		return nil, errors.New("fcm: service account is not a JSON key file")
	}
	if sa.ClientEmail == "" || strings.ContainsAny(sa.ClientEmail, " \t\r\n") {
		return nil, errors.New("fcm: service account has no client_email")
	}
	if sa.TokenURI == "" {
		sa.TokenURI = DefaultTokenURI
	}
	if !isHTTPS(sa.TokenURI) {
		return nil, errors.New("fcm: service account token_uri is not an absolute https URL")
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return nil, errors.New("fcm: service account private_key is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("fcm: service account private_key is not RSA")
		}
		sa.key = rk
	} else if rk, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		sa.key = rk
	} else {
		return nil, errors.New("fcm: service account private_key is neither PKCS #8 nor PKCS #1")
	}
	sa.PrivateKey = ""
	return &sa, nil
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// String describes the configuration without the service account.
func (c Config) String() string {
	return fmt.Sprintf("fcm{project=%s base=%s concurrency=%d timeout=%s service_account=%t}",
		c.ProjectID, c.BaseURL, c.Concurrency, c.Timeout, len(c.ServiceAccountJSON) > 0)
}

// GoString keeps %#v from printing the key.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without the service account.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("project", c.ProjectID),
		slog.String("base_url", c.BaseURL),
		slog.Int("concurrency", c.Concurrency),
		slog.Duration("timeout", c.Timeout),
		slog.Bool("service_account", len(c.ServiceAccountJSON) > 0),
	)
}

// FromEnv reads a configuration from environment variables named prefix +
// PROJECT_ID, SERVICE_ACCOUNT_JSON, BASE_URL, CONCURRENCY and TIMEOUT, each
// of which may instead be read from the file named by the variable with
// _FILE appended. getenv is os.Getenv outside tests.
func FromEnv(prefix string, getenv func(string) string) (Config, error) {
	r := batch.NewEnvReader("fcm", prefix, getenv)
	c := Config{ProjectID: r.String("PROJECT_ID"), BaseURL: r.String("BASE_URL"), Concurrency: r.Int("CONCURRENCY"), Timeout: r.Duration("TIMEOUT")}
	if v := r.String("SERVICE_ACCOUNT_JSON"); v != "" {
		c.ServiceAccountJSON = []byte(v)
	}
	return c, r.Err()
}
