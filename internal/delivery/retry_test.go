package delivery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// throttling fails every message transiently, asking for a wait.
type throttling struct {
	channel.Provider
	asked time.Duration
	mu    sync.Mutex
	tries int
}

func (p *throttling) Send(_ context.Context, msgs []*channel.Message) []channel.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		p.tries++
		out[i] = channel.Result{ID: m.ID, Outcome: channel.Transient, Error: "429 slow down", RetryAfter: p.asked}
	}
	return out
}

func (p *throttling) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tries
}

// retryIn is how long after now the message waits.
func retryIn(t *testing.T, s *store.Store, now time.Time) time.Duration {
	t.Helper()
	var at time.Time
	if err := s.DB.QueryRow(`SELECT retry_at FROM ff_outbox WHERE status = 'retry'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at.Sub(now)
}

// TestRetryWaitsWhatTheProviderAsks: a Retry-After is honoured, to the
// second, instead of the fixed backoff.
func TestRetryWaitsWhatTheProviderAsks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		p := &throttling{Provider: sb, asked: 5 * time.Minute}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 5})
		drain(t, d)
		if got := retryIn(t, s, c.Now()); got != 5*time.Minute {
			t.Fatalf("retry in %v, want the 5m asked", got)
		}
		c.Add(time.Minute)
		drain(t, d)
		if n := p.count(); n != 1 {
			t.Fatalf("offered %d times a minute later, want once: the provider asked for five", n)
		}
		c.Add(4 * time.Minute)
		drain(t, d)
		if n := p.count(); n != 2 {
			t.Fatalf("offered %d times five minutes later, want twice", n)
		}
	})
}

// TestRetryBacksOffExponentially: without a Retry-After each attempt waits
// about twice as long as the one before, jittered down by at most half.
func TestRetryBacksOffExponentially(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		p := &throttling{Provider: sb}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 5})
		for attempt, most := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute} {
			drain(t, d)
			if n := p.count(); n != attempt+1 {
				t.Fatalf("attempt %d: offered %d times", attempt+1, n)
			}
			got := retryIn(t, s, c.Now())
			if got > most || got < most/2 {
				t.Fatalf("attempt %d: retry in %v, want between %v and %v", attempt+1, got, most/2, most)
			}
			c.Add(got)
		}
	})
}
