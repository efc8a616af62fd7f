package outbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrUnknownDestination is a destination no configuration names (a
// saved audience's publication, a dead letter's redelivery).
var ErrUnknownDestination = errors.New("unknown outbound destination")

// ErrDeliveryFailed is a redelivery or a publication the destination did
// not accept.
var ErrDeliveryFailed = errors.New("the destination did not accept the delivery")

// ErrUnknownDeadLetter is a dead letter the store does not hold; it is
// a store.ErrNotFound too.
var ErrUnknownDeadLetter = fmt.Errorf("unknown dead letter: %w", store.ErrNotFound)

// ErrNotConfigured is an outbound operation asked of a process that has
// no destinations (fanfare serve --outbound FILE).
var ErrNotConfigured = errors.New("no outbound destinations are configured (fanfare serve --outbound FILE, docs/outbound.md)")

// Config is the operator's outbound configuration (--outbound FILE): the
// destinations, each named.
type Config struct {
	Destinations []Destination `json:"destinations"`
}

// Destination is one place events and audiences go: a directory of files
// (Kind "files") or a webhook (Kind "webhook").
type Destination struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Events streams every event there; without it the destination only
	// receives the audiences published to it.
	Events bool `json:"events"`
	// Dir is a files destination's directory; a file is rotated once it
	// holds MaxBytes or has been open for MaxAge.
	Dir      string   `json:"dir,omitempty"`
	MaxBytes int64    `json:"max_bytes,omitempty"`
	MaxAge   Duration `json:"max_age,omitempty"`
	// URL, and Secret or SecretFile (the key of the signature), are a
	// webhook's; a batch is tried Attempts times, the delays between
	// tries doubling from Backoff up to MaxBackoff, then kept as a dead
	// letter. Timeout bounds one try.
	URL        string   `json:"url,omitempty"`
	Secret     string   `json:"secret,omitempty"`
	SecretFile string   `json:"secret_file,omitempty"`
	Attempts   int      `json:"attempts,omitempty"`
	Backoff    Duration `json:"backoff,omitempty"`
	MaxBackoff Duration `json:"max_backoff,omitempty"`
	Timeout    Duration `json:"timeout,omitempty"`
	// Batch is the most events one file write or one POST carries.
	Batch int `json:"batch,omitempty"`
	// AudienceKeep is how many versioned files of each published audience
	// a files destination keeps, the latest; older ones are deleted after
	// each publication.
	AudienceKeep int `json:"audience_keep,omitempty"`
	// AudiencePart is the most rows of an audience one POST of its
	// publication carries.
	AudiencePart int `json:"audience_part,omitempty"`
}

// Defaults of a destination.
const (
	DefaultMaxBytes   = 64 << 20
	DefaultMaxAge     = 15 * time.Minute
	DefaultAttempts   = 8
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultTimeout    = 30 * time.Second
	DefaultBatch      = 500
	MaxBatch          = 10000
	// DefaultAudienceKeep keeps a few versions for a consumer that reads
	// behind, or that compares a version with the previous one, without
	// filling the directory with every refresh.
	DefaultAudienceKeep = 5
	// DefaultAudiencePart is not the events' Batch: event batches are
	// small so that events go out soon after they happen, while an
	// audience is all there at once, and 10 million rows in 500-row
	// POSTs would be 20 000 requests. 50 000 rows of a few attributes are
	// a few MiB, a body receivers commonly accept.
	DefaultAudiencePart = 50000
	MaxAudiencePart     = 1000000
)

// Duration is a time.Duration written as Go writes one ("15m", "30s").
type Duration time.Duration

// UnmarshalJSON reads "15m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"15m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "15m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Load reads the configuration file at path, applies the defaults and
// checks it; a problem names the destination and its field.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the outbound configuration: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Check applies the defaults and checks every destination.
func (c *Config) Check() error {
	var problems []string
	seen := map[string]bool{}
	for i := range c.Destinations {
		d := &c.Destinations[i]
		at := fmt.Sprintf("destinations[%d]", i)
		if !namePattern.MatchString(d.Name) {
			problems = append(problems, at+".name: want lower-case letters, digits, _ and -, starting with a letter")
		} else if seen[d.Name] {
			problems = append(problems, at+".name: "+d.Name+" is named twice")
		}
		seen[d.Name] = true
		problems = append(problems, d.check(at)...)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (d *Destination) check(at string) []string {
	var p []string
	switch d.Kind {
	case "files":
		if d.Dir == "" {
			p = append(p, at+".dir: a files destination needs a directory")
		}
		d.MaxBytes = orDefault(d.MaxBytes, DefaultMaxBytes)
		d.MaxAge = orDefault(d.MaxAge, Duration(DefaultMaxAge))
		d.AudienceKeep = orDefault(d.AudienceKeep, DefaultAudienceKeep)
		if d.AudienceKeep < 1 {
			p = append(p, fmt.Sprintf("%s.audience_keep: %d is less than 1", at, d.AudienceKeep))
		}
	case "webhook":
		if !strings.HasPrefix(d.URL, "https://") && !strings.HasPrefix(d.URL, "http://") {
			p = append(p, at+".url: a webhook needs an http(s) URL")
		}
		if d.SecretFile != "" {
			b, err := os.ReadFile(d.SecretFile)
			if err != nil {
				p = append(p, at+".secret_file: "+err.Error())
			}
			d.Secret = strings.TrimSpace(string(b))
		}
		if len(d.Secret) < 16 {
			p = append(p, at+".secret: a webhook needs a secret of at least 16 characters (secret or secret_file)")
		}
		d.Attempts = orDefault(d.Attempts, DefaultAttempts)
		d.Backoff = orDefault(d.Backoff, Duration(DefaultBackoff))
		d.MaxBackoff = orDefault(d.MaxBackoff, Duration(DefaultMaxBackoff))
		d.Timeout = orDefault(d.Timeout, Duration(DefaultTimeout))
		d.AudiencePart = orDefault(d.AudiencePart, DefaultAudiencePart)
		if d.AudiencePart < 1 || d.AudiencePart > MaxAudiencePart {
			p = append(p, fmt.Sprintf("%s.audience_part: %d is not between 1 and %d", at, d.AudiencePart, MaxAudiencePart))
		}
	default:
		p = append(p, at+".kind: want files or webhook, not "+fmt.Sprintf("%q", d.Kind))
	}
	d.Batch = orDefault(d.Batch, DefaultBatch)
	if d.Batch < 1 || d.Batch > MaxBatch {
		p = append(p, fmt.Sprintf("%s.batch: %d is not between 1 and %d", at, d.Batch, MaxBatch))
	}
	return p
}

func orDefault[T int | int64 | Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
