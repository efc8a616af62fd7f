package outbound

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// The kinds of dead letters.
const (
	KindEvents   = "events"
	KindAudience = "audience"
)

// Set is the configured destinations of one process, over a store.
type Set struct {
	store  *store.Store
	log    *slog.Logger
	dests  map[string]*Destination
	order  []string
	lease  time.Duration
	settle time.Duration
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	client *http.Client
	// mu serialises the files destinations' audience writes with nothing
	// else; events files belong to their exporter.
	mu sync.Mutex
}

// Options tune a Set; zero values take the defaults (tests inject the
// clock and the waits).
type Options struct {
	Log *slog.Logger
	// Lease is how long a node's hold on a destination lasts without
	// renewal (30s).
	Lease  time.Duration
	Settle time.Duration
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Client *http.Client
}

// New builds the destinations of a checked configuration.
func New(s *store.Store, c *Config, o Options) *Set {
	set := &Set{store: s, log: o.Log, dests: map[string]*Destination{}, lease: o.Lease, settle: o.Settle, now: o.Now, sleep: o.Sleep, client: o.Client}
	if set.log == nil {
		set.log = slog.New(slog.DiscardHandler)
	}
	if set.lease <= 0 {
		set.lease = 30 * time.Second
	}
	if set.settle <= 0 {
		set.settle = Settle
	}
	if set.now == nil {
		set.now = time.Now
	}
	if set.sleep == nil {
		set.sleep = sleep
	}
	if set.client == nil {
		set.client = &http.Client{}
	}
	if c != nil {
		for i := range c.Destinations {
			d := c.Destinations[i]
			set.dests[d.Name] = &d
			set.order = append(set.order, d.Name)
		}
	}
	return set
}

// Destinations lists the destinations' names, as configured.
func (s *Set) Destinations() []string { return s.order }

func (s *Set) webhook(d *Destination) *Webhook {
	c := *s.client
	c.Timeout = time.Duration(d.Timeout)
	return &Webhook{URL: d.URL, Secret: []byte(d.Secret), Attempts: d.Attempts, Backoff: time.Duration(d.Backoff),
		MaxBackoff: time.Duration(d.MaxBackoff), Client: &c, Now: s.now, Sleep: s.sleep}
}

func (s *Set) exporter(d *Destination, owner string) (*exporter, error) {
	x := &exporter{set: s, dest: d, owner: owner}
	if d.Kind == "files" {
		x.files = &Files{Dir: d.Dir, Prefix: "events", MaxBytes: d.MaxBytes, MaxAge: time.Duration(d.MaxAge), Now: s.now}
		if err := x.files.Recover(); err != nil {
			return nil, fmt.Errorf("outbound destination %s: %w", d.Name, err)
		}
	} else {
		x.hook = s.webhook(d)
	}
	return x, nil
}

// Run exports the events to every destination that streams them, as
// node owner, polling every poll when there is nothing to send, until ctx
// ends.
func (s *Set) Run(ctx context.Context, owner string, poll time.Duration) error {
	var xs []*exporter
	for _, name := range s.order {
		if d := s.dests[name]; d.Events {
			x, err := s.exporter(d, owner)
			if err != nil {
				return err
			}
			xs = append(xs, x)
		}
	}
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Go(func() { x.run(ctx, poll) })
	}
	wg.Wait()
	return ctx.Err()
}

// redact drops a URL's query and user, which may hold secrets, from what
// is logged and shown.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(a webhook URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}
