package delivery_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// Leases are written on PostgreSQL alone: on the embedded store one process
// owns the file, its claims are in memory, and the start-up recovery is the
// whole story (TestRecoverNeverResendsBlindly covers it on both stores).

// testLease is short, so that these tests wait a few of them on the real
// clock; fanfare serve refuses less than delivery.MinLease.
const testLease = time.Second

// tally counts the messages a provider was handed.
type tally struct {
	channel.Provider
	n atomic.Int64
}

func (c *tally) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	c.n.Add(int64(len(msgs)))
	return c.Provider.Send(ctx, msgs)
}

// running starts a dispatcher's Run until the test ends or stop is called
// (which returns at once, as a SIGTERM would).
func running(t *testing.T, s *store.Store, owner string, p channel.Provider, r delivery.Renderer) (stop func()) {
	t.Helper()
	d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: r,
		Owner: owner, Batch: 10, Lease: testLease, MaxAttempts: 3})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx, 20*time.Millisecond) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return cancel
}

// waitSent polls the run's figures until want messages are sent.
func waitSent(t *testing.T, s *store.Store, want int64, within time.Duration) delivery.Figures {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		figs, err := delivery.RunFigures(context.Background(), s, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) == 1 && figs[0].Sent == want {
			return figs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %+v, want %d sent", within, figs, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunningNodeRecoversADeadNodesMessages: a node died holding messages,
// one claimed, two being sent (one of which reached the provider); their
// leases run out while another node runs. That node must take them over
// without a restart: the claimed one sent, those being sent in doubt and
// settled by the sandbox, which can tell; none sent twice.
func TestRunningNodeRecoversADeadNodesMessages(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	ctx := context.Background()
	setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com"})
	sb, _ := delivery.NewSandbox(s, channel.Email)
	until := time.Now().Add(testLease)
	storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'claimed', lease_owner = 'dead', lease_until = $1 WHERE message_id = '1:mail:1'`, until)
	storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'sending', lease_owner = 'dead', lease_until = $1 WHERE message_id IN ('1:mail:2', '1:mail:3')`, until)
	sb.Send(ctx, []*channel.Message{{ID: "1:mail:2", Channel: channel.Email, To: "b@example.com", Email: &channel.EmailContent{From: "shop@example.com", Subject: "x", Text: "x"}}})

	running(t, s, "live", sb, plainRenderer{})
	// Under their lease they stay the dead node's.
	for time.Now().Add(100 * time.Millisecond).Before(until) {
		var n int
		storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_outbox WHERE lease_owner = 'dead'`).Scan(&n)
		if n != 3 && time.Now().Before(until) {
			t.Fatalf("%d of 3 messages left under a live lease", 3-n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	figs := waitSent(t, s, 3, testLease+5*time.Second)
	if figs.InDoubt != 0 || figs.Pending != 0 {
		t.Fatalf("figures = %+v", figs)
	}
	oneCopyEach(t, sandboxCopies(t, s), 3)
}

// TestHeartbeatKeepsASlowNodesMessages: a node holds a batch for several
// leases (stalled between its claim and its send) while another node runs
// and recovers expired leases. Its heartbeat must keep the batch its own:
// the other node sends nothing, the slow one sends each message once.
func TestHeartbeatKeepsASlowNodesMessages(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com"})
	sb, _ := delivery.NewSandbox(s, channel.Email)
	slowP, otherP := &tally{Provider: sb}, &tally{Provider: sb}
	stalled := newStalled()
	running(t, s, "slow", slowP, stalled)
	var once sync.Once
	release := func() { once.Do(func() { close(stalled.release) }) }
	t.Cleanup(release) // before the slow node's Run is stopped
	<-stalled.loaded
	leaseUntil := func() time.Time {
		var at time.Time
		if err := storetest.DB(s).QueryRow(`SELECT min(lease_until) FROM ff_outbox WHERE lease_owner = 'slow' AND status = 'claimed'`).Scan(&at); err != nil {
			t.Fatalf("the slow node lost its claim: %v", err)
		}
		return at
	}
	first := leaseUntil()
	running(t, s, "other", otherP, plainRenderer{})
	// Three leases later the claim is still the slow node's, extended.
	deadline := time.Now().Add(10 * testLease)
	for time.Now().Before(first.Add(2 * testLease)) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if at := leaseUntil(); !at.After(time.Now()) {
		t.Fatalf("the lease was not extended: it ends %s, claimed until %s", at, first)
	}
	release()
	waitSent(t, s, 3, 5*time.Second)
	oneCopyEach(t, sandboxCopies(t, s), 3)
	if slowP.n.Load() != 3 || otherP.n.Load() != 0 {
		t.Fatalf("the slow node sent %d, the other %d; want 3 and 0", slowP.n.Load(), otherP.n.Load())
	}
}

// hanging holds every hand-over until released, whatever its context says
// (a provider slow to answer the last command of a stop). entered is
// signalled once, by the first hand-over; a later one never blocks on it.
type hanging struct {
	channel.Provider
	entered chan struct{}
	release chan struct{}
}

func (h *hanging) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-h.release
	return h.Provider.Send(context.WithoutCancel(ctx), msgs)
}

// TestStoppingNodeKeepsItsLeases: a node told to stop while a hand-over is
// in progress finishes and records it (a stop's grace may last longer
// than a lease) while another node runs. Its heartbeat must go on until
// then: the messages end sent, not in doubt.
func TestStoppingNodeKeepsItsLeases(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "postgres")
	setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com"})
	sb, _ := delivery.NewSandbox(s, channel.Email)
	p := &hanging{Provider: sb, entered: make(chan struct{}, 1), release: make(chan struct{})}
	stop := running(t, s, "stopping", p, plainRenderer{})
	var once sync.Once
	release := func() { once.Do(func() { close(p.release) }) }
	t.Cleanup(release)
	<-p.entered
	stop()
	stoppedAt := time.Now()
	running(t, s, "other", sb, plainRenderer{})
	// Wait until the heartbeat has carried the leases a lease past the stop.
	deadline := time.Now().Add(10 * testLease)
	for {
		var until sql.NullTime
		storetest.DB(s).QueryRow(`SELECT min(lease_until) FROM ff_outbox WHERE lease_owner = 'stopping' AND status = 'sending'`).Scan(&until)
		if !until.Valid {
			t.Fatal("the stopping node lost the messages it was handing over")
		}
		if until.Time.After(stoppedAt.Add(testLease)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leases were not extended after the stop: they end %s", until.Time)
		}
		time.Sleep(20 * time.Millisecond)
	}
	release()
	figs := waitSent(t, s, 3, 5*time.Second)
	if figs.InDoubt != 0 {
		t.Fatalf("figures = %+v", figs)
	}
	oneCopyEach(t, sandboxCopies(t, s), 3)
}
