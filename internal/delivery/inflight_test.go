package delivery_test

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net"
	"net/textproto"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// counting accepts every message and, each time it is handed a window,
// counts the outbox's messages marked sending: those a crash at that
// moment would leave in doubt.
type counting struct {
	referee
	s        *store.Store
	conns    int
	mu       sync.Mutex
	maxDoubt int
	err      error
}

func (p *counting) Concurrency() int { return p.conns }

func (p *counting) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	var n int
	err := storetest.DB(p.s).QueryRowContext(ctx, `SELECT count(*) FROM ff_outbox WHERE status = 'sending'`).Scan(&n)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxDoubt = max(p.maxDoubt, n)
	if err != nil && p.err == nil {
		p.err = err
	}
	return p.referee.Send(ctx, msgs)
}

// runUntilSent runs d as `fanfare serve` does until the outbox has
// nothing left to send, then stops it.
func runUntilSent(t *testing.T, s *store.Store, d *delivery.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, 10*time.Millisecond) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); ; {
		var left int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE status IN ('pending', 'claimed', 'sending', 'retry')`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still to send", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInDoubtIsBoundedByConnections sends with the dispatcher's loops,
// each of which claims a large batch, through a provider with 3
// connections: whenever the provider is handed messages, at most two
// windows of 3 are marked sending (in doubt, were the process to die
// then), not every loop's chunk.
func TestInDoubtIsBoundedByConnections(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const conns, n = 3, 600
		setup(t, s, addresses(n))
		p := &counting{s: s, conns: conns}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 200, Loops: 4, Lease: time.Minute, MaxAttempts: 3})
		runUntilSent(t, s, d)
		if p.err != nil {
			t.Fatal(p.err)
		}
		var sent int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE status = 'sent'`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent != n {
			t.Fatalf("%d of %d sent", sent, n)
		}
		if p.maxDoubt > 2*conns {
			t.Fatalf("up to %d messages marked sending at once, want at most %d (2 × %d connections)", p.maxDoubt, 2*conns, conns)
		}
		t.Logf("at most %d messages marked sending at once, %d windows handed over", p.maxDoubt, p.sends)
	})
}

// down fails every message for now, over two connections.
type down struct{ referee }

func (*down) Concurrency() int { return 2 }

func (*down) Send(_ context.Context, msgs []*channel.Message) []channel.Result {
	out := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		out[i] = channel.Result{ID: m.ID, Outcome: channel.Transient, Error: "421 service not available"}
	}
	return out
}

// TestSmallWindowsStillRestAFailingProvider: a provider with two
// connections gets windows of two messages, fewer than an outage needs;
// the windows of a batch that fail in a row add up, and the channel rests
// without the outage counting as attempts of its messages.
func TestSmallWindowsStillRestAFailingProvider(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(8))
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: &down{}}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 8, Lease: time.Minute, Now: c.Now, MaxAttempts: 3})
		if _, err := d.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(d.Outages()) != 1 {
			t.Fatalf("outages %v, want the email channel resting", d.Outages())
		}
		var tried int
		if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE attempts > 0`).Scan(&tried); err != nil {
			t.Fatal(err)
		}
		if tried > 2 {
			t.Fatalf("%d messages counted an attempt, want at most the first window's 2", tried)
		}
	})
}

// holdingServer is an SMTP server that counts the copies of each
// Message-ID it accepts; once it has accepted hold of them, it reads the
// messages that follow but holds its reply to each until release is
// closed: their hand-over is in progress.
type holdingServer struct {
	hold     int64
	accepted atomic.Int64
	holding  chan struct{} // closed when the first reply is held
	release  chan struct{}
	once     sync.Once
	mu       sync.Mutex
	copies   map[string]int
}

func (h *holdingServer) NewSession(*gosmtp.Conn) (gosmtp.Session, error) {
	return &holdingSession{h: h}, nil
}

type holdingSession struct{ h *holdingServer }

func (s *holdingSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *holdingSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *holdingSession) Reset()                                 {}
func (s *holdingSession) Logout() error                          { return nil }
func (s *holdingSession) Data(r io.Reader) error {
	hdr, err := textproto.NewReader(bufio.NewReader(r)).ReadMIMEHeader()
	if err != nil {
		return err
	}
	io.Copy(io.Discard, r)
	h := s.h
	if h.accepted.Load() >= h.hold {
		h.once.Do(func() { close(h.holding) })
		<-h.release
	}
	h.accepted.Add(1)
	h.mu.Lock()
	h.copies[hdr.Get("Message-Id")]++
	h.mu.Unlock()
	return nil
}

func startHoldingServer(t *testing.T, hold int64) (*holdingServer, int) {
	t.Helper()
	h := &holdingServer{hold: hold, holding: make(chan struct{}), release: make(chan struct{}), copies: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(h)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h, ln.Addr().(*net.TCPAddr).Port
}

// TestStopLeavesNothingInDoubt stops a dispatcher (as SIGTERM stops
// `fanfare serve`) while messages are being handed to a real SMTP server:
// the hand-overs in progress finish and are recorded sent, what was
// claimed and not handed over goes back to the queue, and nothing is left
// sending or in doubt. A restarted dispatcher then sends the rest, each
// message once.
func TestStopLeavesNothingInDoubt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const n = 300
		setup(t, s, addresses(n))
		h, port := startHoldingServer(t, 40)
		p, err := smtpprov.New(smtpprov.Config{Host: "127.0.0.1", Port: port, TLS: "none", Pool: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		newDispatcher := func() *delivery.Dispatcher {
			return delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
				Owner: "n1", Batch: 100, Lease: time.Minute, MaxAttempts: 3})
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		go func() { stopped <- newDispatcher().Run(ctx, 10*time.Millisecond) }()
		select {
		case <-h.holding:
		case err := <-stopped:
			t.Fatalf("the dispatcher stopped before sending: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the server never received the messages")
		}
		cancel()
		// The replies are held until the dispatcher has stopped (a
		// dispatcher that cuts hand-overs off does at once) or has had a
		// second to: a dispatcher that waits for them cannot stop sooner.
		select {
		case err := <-stopped:
			close(h.release)
			stopped <- err
		case <-time.After(time.Second):
			close(h.release)
		}
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		counts := storetest.OutboxStatuses(t, s)
		if counts[delivery.StatusSending]+counts[delivery.StatusInDoubt]+counts[delivery.StatusClaimed] != 0 {
			t.Fatalf("after the stop: %v; want nothing sending, in doubt or claimed", counts)
		}
		h.mu.Lock()
		received := len(h.copies)
		h.mu.Unlock()
		if counts[delivery.StatusSent] != received || counts[delivery.StatusPending]+counts[delivery.StatusRetry] != n-received {
			t.Fatalf("after the stop: %v, %d messages received; want those received sent and the others queued", counts, received)
		}
		// The stop came while the server held its replies: what it
		// received since is at most the two windows of the pool's 4
		// connections that were marked sending then.
		if received > 40+2*4 {
			t.Fatalf("%d messages received, want at most 40 + 2 windows of 4", received)
		}
		t.Logf("stopped with %d of %d sent: %v", received, n, counts)

		runUntilSent(t, s, newDispatcher())
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.copies) != n {
			t.Fatalf("%d of %d messages received", len(h.copies), n)
		}
		for id, c := range h.copies {
			if c != 1 {
				t.Errorf("%s received %d times", id, c)
			}
		}
		if counts := storetest.OutboxStatuses(t, s); counts[delivery.StatusSent] != n {
			t.Fatalf("after the restart: %v", counts)
		}
	})
}

// slowLoad renders as plainRenderer after the clock moved on by a while:
// rendering outlasts the claim's lease.
type slowLoad struct {
	c     *clock
	after time.Duration
}

func (r slowLoad) Load(ctx context.Context, rows []delivery.Row) delivery.RenderFunc {
	r.c.Add(r.after)
	return plainRenderer{}.Load(ctx, rows)
}

// leaseCheck accepts every message and notes the earliest lease of the
// messages marked sending as it is handed them.
type leaseCheck struct {
	referee
	s        *store.Store
	earliest sql.NullTime
}

func (p *leaseCheck) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	if err := storetest.DB(p.s).QueryRowContext(ctx, `SELECT min(lease_until) FROM ff_outbox WHERE status = 'sending'`).Scan(&p.earliest); err != nil {
		panic(err)
	}
	return p.referee.Send(ctx, msgs)
}

// TestSendingIsLeasedAnew: on PostgreSQL a message marked sending after its
// claim waited longer than a lease is leased from the moment it is marked,
// so that a node recovering expired leases does not find it in doubt
// while it is being handed over. (The embedded store leases nothing.)
func TestSendingIsLeasedAnew(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(4))
		p := &leaseCheck{s: s}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: slowLoad{c: c, after: 2 * time.Minute},
			Owner: "n1", Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 3})
		if _, err := d.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s.Embedded() {
			if p.earliest.Valid {
				t.Fatalf("a lease on the embedded store: %v", p.earliest.Time)
			}
			return
		}
		if !p.earliest.Valid || !p.earliest.Time.After(c.Now()) {
			t.Fatalf("messages handed over at %v with a lease until %v", c.Now(), p.earliest)
		}
	})
}
