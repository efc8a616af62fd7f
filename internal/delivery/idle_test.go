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

// gate holds every batch handed to it until release is closed, and says
// on entered when one arrives.
type gate struct {
	channel.Provider
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

// open lets the held batches and every later one through.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func newGate(p channel.Provider) *gate {
	return &gate{Provider: p, entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (g *gate) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	g.entered <- struct{}{}
	<-g.release
	return g.Provider.Send(ctx, msgs)
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// outstanding counts run 1's messages due or on their way.
func outstanding(t *testing.T, s *store.Store) int64 {
	t.Helper()
	n, err := s.Outbox().Outstanding(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIdleAfterLastBatch: Idle fires on the first claim that finds
// nothing once the last batch is settled — not on a claim that finds
// nothing while another loop's batch is with the provider, nor when that
// batch settles (a failed one would be due again) — and a second waiter
// waits for the messages written after it asked.
func TestIdleAfterLastBatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(3))
		sb, err := delivery.NewSandbox(s, channel.Email)
		if err != nil {
			t.Fatal(err)
		}
		g := newGate(sb)
		d := dispatcher(t, s, "n1", g, c)
		idle := d.Idle()
		held := make(chan int, 1)
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			n, err := d.DispatchOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			held <- n
		}()
		defer func() { g.open(); <-finished }() // a test failing while the batch is held
		<-g.entered
		if n, err := d.DispatchOnce(ctx); n != 0 || err != nil {
			t.Fatalf("a claim beside the held batch = %d, %v", n, err)
		}
		if closed(idle) {
			t.Fatal("idle while a batch is with the provider")
		}
		g.open()
		if n := <-held; n != 3 {
			t.Fatalf("the held batch claimed %d, want 3", n)
		}
		if closed(idle) {
			t.Fatal("idle as a batch settles, before a claim found nothing")
		}
		if n, err := d.DispatchOnce(ctx); n != 0 || err != nil {
			t.Fatalf("the claim after the last batch = %d, %v", n, err)
		}
		if !closed(idle) {
			t.Fatal("not idle after the last batch settled and a claim found nothing")
		}
		if n := outstanding(t, s); n != 0 {
			t.Fatalf("idle with %d messages outstanding", n)
		}

		again := d.Idle()
		addMessage(t, s, 1, "mail", 4, "r4@example.com", c.Now())
		if n, err := d.DispatchOnce(ctx); n != 1 || err != nil {
			t.Fatalf("the claim of the new message = %d, %v", n, err)
		}
		if closed(again) {
			t.Fatal("idle before a claim found nothing")
		}
		drain(t, d)
		if !closed(again) {
			t.Fatal("not idle after the new message settled")
		}
	})
}

// TestIdleNotWhileMessagesLeftOut: a claim that finds nothing because the
// provider's budget is spent leaves messages to send: not idle until they
// are sent.
func TestIdleNotWhileMessagesLeftOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(3))
		sb, err := delivery.NewSandbox(s, channel.Email)
		if err != nil {
			t.Fatal(err)
		}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: sb}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 3, ProviderRate: map[string]float64{channel.Email: 1}})
		idle := d.Idle()
		if n, err := d.DispatchOnce(ctx); n != 3 || err != nil {
			t.Fatalf("first claim = %d, %v", n, err)
		}
		if n, err := d.DispatchOnce(ctx); n != 0 || err != nil {
			t.Fatalf("a claim over budget = %d, %v", n, err)
		}
		if closed(idle) {
			t.Fatalf("idle with the budget spent and %d messages outstanding", outstanding(t, s))
		}
		for range 3 {
			c.Add(time.Second)
			drain(t, d)
		}
		if n := outstanding(t, s); n != 0 || !closed(idle) {
			t.Fatalf("after the budget came back: %d outstanding, idle %v", n, closed(idle))
		}
	})
}

// TestIdleWhileRunning: a running dispatcher's Idle fires once the messages
// held by the provider are sent, with none outstanding, and not before.
func TestIdleWhileRunning(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(10))
		sb, err := delivery.NewSandbox(s, channel.Email)
		if err != nil {
			t.Fatal(err)
		}
		g := newGate(sb)
		defer g.open() // a test failing while a batch is held
		d := dispatcher(t, s, "n1", g, c)
		idle := d.Idle()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = d.Run(ctx, 5*time.Millisecond); close(done) }()
		defer func() { g.open(); cancel(); <-done }()
		<-g.entered
		// The other loops poll meanwhile and find nothing they may take.
		time.Sleep(50 * time.Millisecond)
		if closed(idle) {
			t.Fatal("idle while batches are with the provider")
		}
		g.open()
		select {
		case <-idle:
		case <-time.After(10 * time.Second):
			t.Fatalf("never idle; %d outstanding", outstanding(t, s))
		}
		if n := outstanding(t, s); n != 0 {
			t.Fatalf("idle with %d messages outstanding", n)
		}
	})
}
