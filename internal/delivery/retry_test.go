package delivery_test

import (
	"context"
	"sync"
	"sync/atomic"
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
	if err := storetest.DB(s).QueryRow(`SELECT retry_at FROM ff_outbox WHERE status = 'retry'`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at.Sub(now)
}

// TestRetryWaitsWhatTheProviderAsks: a Retry-After is honoured, to the
// second, instead of the fixed backoff.
func TestRetryWaitsWhatTheProviderAsks(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// misconfigured answers every message with a setup error (an APNs
// BadTopic) until fixed.
type misconfigured struct {
	channel.Provider
	fixed atomic.Bool
}

func (p *misconfigured) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	if p.fixed.Load() {
		return p.Provider.Send(ctx, msgs)
	}
	out := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		out[i] = channel.Result{ID: m.ID, Outcome: channel.Transient, Setup: true, Error: "apns: setup error: HTTP 400 BadTopic"}
	}
	return out
}

// TestSetupErrorRestsTheChannel: a setup error rests the channel even for
// a lone message, is never counted as the message's attempt (however long
// the configuration stays wrong), and the message goes once it is fixed.
func TestSetupErrorRestsTheChannel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		p := &misconfigured{Provider: sb}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 2})
		for range 4 {
			drain(t, d)
			if o := d.Outages(); len(o) != 1 || o[0].Channel != channel.Email {
				t.Fatalf("outages %+v, want the email channel resting", o)
			}
			c.Add(10 * time.Minute)
		}
		p.fixed.Store(true)
		drain(t, d)
		if got := sandboxCopies(t, s); got["a@example.com"] != 1 {
			t.Fatalf("after the fix: %v, want the message sent once", got)
		}
	})
}
