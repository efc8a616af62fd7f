package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/sms"
	"github.com/fanfare-dev/fanfare/internal/channel/sms/smstest"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// plainRenderer renders a fixed email (or SMS), and fails rows whose address starts
// with "broken".
type plainRenderer struct{}

func (plainRenderer) Load(_ context.Context, rows []delivery.Row) delivery.RenderFunc {
	return func(i int) (*channel.Message, error) {
		r := rows[i]
		if strings.HasPrefix(r.Address, "broken") {
			return nil, errors.New("line 1: undefined variable profile.nope")
		}
		if r.Channel == channel.SMS {
			return &channel.Message{ID: r.MessageID, Channel: r.Channel, To: r.Address, SMS: &channel.SMSContent{Text: "Hi"}}, nil
		}
		return &channel.Message{ID: r.MessageID, Channel: r.Channel, To: r.Address,
			Email: &channel.EmailContent{From: "shop@example.com", Subject: "Hello", HTML: "<p>Hi</p>", Text: "Hi"}}, nil
	}
}

// flaky fails transiently the first n sends of each message, then sends.
type flaky struct {
	channel.Provider
	mu    sync.Mutex
	fails map[string]int
	n     int
}

func (f *flaky) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	f.mu.Lock()
	var pass []*channel.Message
	results := make([]channel.Result, len(msgs))
	idx := map[string]int{}
	for i, m := range msgs {
		if f.fails[m.ID] < f.n {
			f.fails[m.ID]++
			results[i] = channel.Result{ID: m.ID, Outcome: channel.Transient, Error: "421 try later"}
			continue
		}
		idx[m.ID] = i
		pass = append(pass, m)
	}
	f.mu.Unlock()
	for _, r := range f.Provider.Send(ctx, pass) {
		results[idx[r.ID]] = r
	}
	return results
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// nextSeq numbers a row written by hand as a channel activity would
// (dispatchers on the embedded store pick rows by seq).
const nextSeq = `(SELECT coalesce(max(seq), 0) + 1 FROM ff_outbox)`

func setup(t *testing.T, s *store.Store, addrs []string) {
	t.Helper()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i, a := range addrs {
		addMessage(t, s, 1, "mail", i+1, a, now)
	}
}

// addMessage writes a pending email of a run's activity for customer n,
// with the id a channel activity would give it.
func addMessage(t *testing.T, s *store.Store, run int64, activity string, n int, addr string, now time.Time) {
	t.Helper()
	addMessageOn(t, s, channel.Email, run, activity, n, addr, now)
}

// addMessageOn writes a pending message of a channel, as addMessage.
func addMessageOn(t *testing.T, s *store.Store, ch string, run int64, activity string, n int, addr string, now time.Time) {
	t.Helper()
	_, err := storetest.DB(s).Exec(`INSERT INTO ff_outbox (message_id, run_id, activity_id, channel, dimension, recipient, address, status, attempts, created_at, updated_at, seq)
		VALUES ($1, $2, $3, $7, 'customers', $4, $5, 'pending', 0, $6, $6, `+nextSeq+`)`,
		fmt.Sprintf("%d:%s:%d", run, activity, n), run, activity, fmt.Sprintf(`{"customer_id":%d}`, n), addr, now, ch)
	if err != nil {
		t.Fatal(err)
	}
}

// addresses returns n addresses r0@example.com….
func addresses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("r%d@example.com", i)
	}
	return out
}

// oneCopyEach fails unless the sandbox holds want addresses, one copy each.
func oneCopyEach(t *testing.T, copies map[string]int, want int) {
	t.Helper()
	if len(copies) != want {
		t.Fatalf("sent to %d of %d: %v", len(copies), want, copies)
	}
	for a, n := range copies {
		if n != 1 {
			t.Fatalf("%s received %d copies", a, n)
		}
	}
}

func dispatcher(t *testing.T, s *store.Store, owner string, p channel.Provider, c *clock) *delivery.Dispatcher {
	return delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
		Owner: owner, Batch: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 3})
}

func drain(t *testing.T, d *delivery.Dispatcher) {
	t.Helper()
	for range 100 {
		n, err := d.DispatchOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox never drained")
}

func sandboxCopies(t *testing.T, s *store.Store) map[string]int {
	rows, err := storetest.DB(s).Query(`SELECT address, copies FROM ff_sandbox_messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		rows.Scan(&a, &n)
		out[a] = n
	}
	return out
}

func TestSendTimeChecksAndOutcomes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "not an address", "b@example.com", "c@example.com", "broken@example.com", "d@example.com", "e\r\nBcc: x@example.com"})
		if err := delivery.Suppress(ctx, s, channel.Email, "B@example.com", "hard bounce", c.Now()); err != nil {
			t.Fatal(err)
		}
		key, _ := delivery.ProfileKey([]string{"customer_id"}, []any{4})
		if err := delivery.SetConsent(ctx, s, "customers", key, channel.Email, delivery.OptOut, "api", c.Now()); err != nil {
			t.Fatal(err)
		}
		sb, err := delivery.NewSandbox(s, channel.Email)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, dispatcher(t, s, "n1", sb, c))
		figs, err := delivery.RunFigures(ctx, s, 1)
		if err != nil || len(figs) != 1 {
			t.Fatalf("figures = %v, %v", figs, err)
		}
		f := figs[0]
		if f.Targeted != 7 || f.Sent != 2 || f.Failed != 1 || f.Excluded != 4 || f.ByReason["invalid_address"] != 2 || f.ByReason["suppressed"] != 1 || f.ByReason["opt_out"] != 1 {
			t.Fatalf("figures = %+v", f)
		}
		if got := sandboxCopies(t, s); len(got) != 2 || got["a@example.com"] != 1 || got["d@example.com"] != 1 {
			t.Fatalf("sandbox = %v", got)
		}
	})
}

func TestTransientFailuresAreRetriedThenGivenUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "b@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		p := &flaky{Provider: sb, fails: map[string]int{}, n: 2}
		d := dispatcher(t, s, "n1", p, c)
		drain(t, d)
		if got := sandboxCopies(t, s); len(got) != 0 {
			t.Fatalf("sent before the backoff: %v", got)
		}
		c.Add(time.Minute)
		drain(t, d)
		c.Add(time.Minute)
		drain(t, d)
		if got := sandboxCopies(t, s); len(got) != 2 {
			t.Fatalf("after retries: %v", got)
		}
		// Three transient failures exhaust MaxAttempts.
		addMessage(t, s, 2, "mail", 1, "z@example.com", c.Now())
		p.n = 10
		for range 4 {
			drain(t, d)
			c.Add(time.Minute)
		}
		figs, _ := delivery.RunFigures(context.Background(), s, 2)
		if len(figs) != 1 || figs[0].Failed != 1 {
			t.Fatalf("figures after exhausted retries: %+v", figs)
		}
	})
}

// TestClaimsComeBackForRowsBehindThem checks claims read on from where
// the last one stopped (on PostgreSQL from the last key, as the index of
// due messages keeps claimed ones until a vacuum; on the embedded store
// from the last seq), and that messages due behind that point (a row of
// an older run written meanwhile, a retry) are still sent, once.
func TestClaimsComeBackForRowsBehindThem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(12))
		sb, _ := delivery.NewSandbox(s, channel.Email)
		// Every message but the first fails once (a chunk failed whole
		// would rest the provider).
		p := &flaky{Provider: sb, fails: map[string]int{"1:mail:1": 1}, n: 1}
		d := dispatcher(t, s, "n1", p, c)
		claim := func() {
			t.Helper()
			if n, err := d.DispatchOnce(context.Background()); err != nil || n != 4 {
				t.Fatalf("claimed %d (%v), want a batch of 4", n, err)
			}
		}
		claim() // four, three failing once: retries behind the cursor
		addMessage(t, s, 0, "mail", 1, "older@example.com", c.Now())
		p.n = 0
		claim() // 5..8, not the older run's row from the start of the index
		if got := sandboxCopies(t, s); got["older@example.com"] != 0 || got["r0@example.com"] != 1 || got["r4@example.com"] != 1 || len(got) != 5 {
			t.Fatalf("second claim sent %v, want r0 and the next four", got)
		}
		drain(t, d)
		c.Add(time.Minute)
		drain(t, d)
		oneCopyEach(t, sandboxCopies(t, s), 13)
	})
}

// TestFailingProviderRestsWhileOtherChannelsSend: an SMS API that answers
// every request with an error page fails a whole chunk, and its channel
// rests: the dispatcher sends the emails queued behind the SMS rather than
// offer the API chunk after chunk. After the rest the API is tried again,
// with one chunk, and the rest doubles while it fails; however long that
// lasts, no message fails for it, and once the API answers every SMS is
// sent, once.
func TestFailingProviderRestsWhileOtherChannelsSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		for i := range 40 {
			addMessageOn(t, s, channel.SMS, 1, "text", i+1, fmt.Sprintf("+336123400%02d", i), c.Now())
		}
		for i, a := range addresses(6) {
			addMessage(t, s, 2, "mail", i+1, a, c.Now())
		}
		var down atomic.Bool
		var offered atomic.Int64
		down.Store(true)
		api := &smstest.API{Reply: func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
			offered.Add(1)
			if !down.Load() {
				return false
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html><body>upstream unavailable</body></html>")
			return true
		}}
		srv := smstest.Start(t, api)
		texts, err := sms.New(sms.Config{BaseURL: srv.URL, AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: "Fanfare"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { texts.Close() })
		mails, _ := delivery.NewSandbox(s, channel.Email)
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: mails, channel.SMS: texts},
			Renderer: plainRenderer{}, Owner: "n1", Batch: 16, Chunk: 4, Lease: time.Minute, Now: c.Now, MaxAttempts: 5})
		offeredNow := func(want int64, when string) {
			t.Helper()
			if n := offered.Load(); n != want {
				t.Fatalf("%s: the API was offered %d messages, want %d", when, n, want)
			}
		}
		drain(t, d)
		offeredNow(4, "failing")
		oneCopyEach(t, sandboxCopies(t, s), 6)
		if got := d.Outages(); len(got) != 1 || got[0].Channel != channel.SMS || got[0].Rest != "30s" || !got[0].Until.Equal(c.Now().Add(30*time.Second)) {
			t.Fatalf("outages = %+v", got)
		}
		// The batch's unsent chunks wait for the provider.
		if figs, err := delivery.RunFigures(context.Background(), s, 1); err != nil || figs[0].Waiting[delivery.ReasonProviderResting] != 12 {
			t.Fatalf("figures while the provider rests = %+v, %v", figs, err)
		}
		c.Add(31 * time.Second)
		drain(t, d)
		offeredNow(8, "after the first rest") // one chunk, failed again: a rest of 60 s
		c.Add(31 * time.Second)
		drain(t, d)
		offeredNow(8, "within the doubled rest")
		// A long outage: one chunk tried after each rest (at most 5
		// minutes), more times than MaxAttempts; the provider's failures
		// do not count against its messages.
		for i := range 6 {
			c.Add(5*time.Minute + time.Second)
			drain(t, d)
			offeredNow(int64(12+4*i), "during a long outage")
		}
		down.Store(false)
		c.Add(5*time.Minute + time.Second)
		drain(t, d)
		if got := d.Outages(); len(got) != 0 {
			t.Fatalf("outages after the provider answered again: %+v", got)
		}
		got := map[string]int{}
		for _, m := range api.Received() {
			got[m.To]++
		}
		oneCopyEach(t, got, 40)
		figs, err := delivery.RunFigures(context.Background(), s, 1)
		if err != nil || len(figs) != 1 || figs[0].Sent != 40 {
			t.Fatalf("figures = %+v, %v", figs, err)
		}
		// Each message counts the one attempt that sent it.
		var most int
		if err := storetest.DB(s).QueryRow(`SELECT max(attempts) FROM ff_outbox WHERE run_id = 1`).Scan(&most); err != nil || most != 1 {
			t.Fatalf("attempts: at most %d (%v), want 1", most, err)
		}
	})
}

// TestStopReplyOptsOut: the SMS API refuses a number that replied STOP
// (code 21610); the message fails, and the profile opts out of SMS, so the
// next campaign leaves it out as an opt-out instead of offering it again.
func TestStopReplyOptsOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		addMessageOn(t, s, channel.SMS, 1, "text", 1, "+33612340001", c.Now())
		addMessageOn(t, s, channel.SMS, 1, "text", 2, "+33612340002", c.Now())
		api := &smstest.API{Reply: func(w http.ResponseWriter, _ *http.Request, form url.Values) bool {
			if form.Get("To") != "+33612340002" {
				return false
			}
			smstest.WriteError(w, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
			return true
		}}
		texts, err := sms.New(sms.Config{BaseURL: smstest.Start(t, api).URL, AccountSID: smstest.AccountSID, AuthToken: smstest.AuthToken, From: "Fanfare"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { texts.Close() })
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.SMS: texts}, Renderer: plainRenderer{},
			Owner: "n1", Batch: 16, Lease: time.Minute, Now: c.Now})
		drain(t, d)
		key, _ := delivery.ProfileKey([]string{"customer_id"}, []any{2})
		pc, err := delivery.ConsentOf(context.Background(), s, "customers", key)
		if err != nil || len(pc.Consent) != 1 || pc.Consent[0].Channel != channel.SMS || pc.Consent[0].Status != delivery.OptOut || pc.Consent[0].Source != "provider:sms" {
			t.Fatalf("consent of the number that replied STOP: %+v, %v", pc, err)
		}
		addMessageOn(t, s, channel.SMS, 2, "text", 1, "+33612340001", c.Now())
		addMessageOn(t, s, channel.SMS, 2, "text", 2, "+33612340002", c.Now())
		drain(t, d)
		figs, err := delivery.RunFigures(context.Background(), s, 2)
		if err != nil || len(figs) != 1 || figs[0].Sent != 1 || figs[0].ByReason[delivery.ReasonOptOut] != 1 {
			t.Fatalf("the next run's figures = %+v, %v", figs, err)
		}
	})
}

// TestFewFailuresDoNotRestTheProvider: the last three messages of a send
// all failing may be their recipients' doing (greylisting, a full
// mailbox): the channel does not rest, and the next messages go at once.
func TestFewFailuresDoNotRestTheProvider(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(3))
		sb, _ := delivery.NewSandbox(s, channel.Email)
		p := &flaky{Provider: sb, fails: map[string]int{}, n: 1}
		d := dispatcher(t, s, "n1", p, c)
		drain(t, d)
		addMessage(t, s, 2, "mail", 1, "next@example.com", c.Now())
		drain(t, d)
		if got := sandboxCopies(t, s); len(got) != 0 {
			t.Fatalf("sent %v, want nothing: the new message fails once too", got)
		}
		if p.fails["2:mail:1"] != 1 {
			t.Fatalf("the next message was not offered at once (the provider rests): %v", p.fails)
		}
	})
}

// TestRecoverNeverResendsBlindly plays a dispatcher that died: messages it
// had only claimed go back to the queue; messages it was sending are in
// doubt, settled by the sandbox (which can tell), never sent twice.
func TestRecoverNeverResendsBlindly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		// A dead dispatcher: 1 claimed, 2 sending and delivered, 3 sending
		// and not delivered.
		storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'claimed', lease_owner = 'dead', lease_until = $1 WHERE message_id = '1:mail:1'`, c.Now())
		storetest.DB(s).Exec(`UPDATE ff_outbox SET status = 'sending', lease_owner = 'dead', lease_until = $1 WHERE message_id IN ('1:mail:2', '1:mail:3')`, c.Now())
		sb.Send(ctx, []*channel.Message{{ID: "1:mail:2", Channel: channel.Email, To: "b@example.com", Email: &channel.EmailContent{From: "shop@example.com", Subject: "x", Text: "x"}}})
		c.Add(2 * time.Minute)
		d := dispatcher(t, s, "n2", sb, c)
		if _, _, err := d.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		copies := sandboxCopies(t, s)
		if len(copies) != 3 || copies["a@example.com"] != 1 || copies["b@example.com"] != 1 || copies["c@example.com"] != 1 {
			t.Fatalf("sandbox = %v", copies)
		}
		figs, _ := delivery.RunFigures(ctx, s, 1)
		if figs[0].Sent != 3 || figs[0].InDoubt != 0 {
			t.Fatalf("figures = %+v", figs[0])
		}
	})
}

// TestConcurrentDispatchersSendEachMessageOnce runs four dispatchers on one
// outbox.
func TestConcurrentDispatchersSendEachMessageOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, addresses(200))
		sb, _ := delivery.NewSandbox(s, channel.Email)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := dispatcher(t, s, fmt.Sprintf("n%d", w), sb, c)
				for range 200 {
					n, err := d.DispatchOnce(context.Background())
					if err != nil && !strings.Contains(err.Error(), "onflict") {
						t.Error(err)
						return
					}
					if n == 0 && err == nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		oneCopyEach(t, sandboxCopies(t, s), 200)
	})
}

// stalledRenderer holds every batch between its claim and its send until
// released. loaded says a batch is held; it is signalled once, and a later
// batch (a loop claiming again, say under load) never blocks on it, so a
// failing test ends instead of hanging in its cleanup.
type stalledRenderer struct {
	loaded, release chan struct{}
}

func newStalled() stalledRenderer {
	return stalledRenderer{loaded: make(chan struct{}, 1), release: make(chan struct{})}
}

func (r stalledRenderer) Load(ctx context.Context, rows []delivery.Row) delivery.RenderFunc {
	select {
	case r.loaded <- struct{}{}:
	default:
	}
	<-r.release
	return plainRenderer{}.Load(ctx, rows)
}

// TestStalledDispatcherNeverSendsWhatAnotherTook stalls a dispatcher after
// its claim until another has taken and sent the same messages (on
// PostgreSQL once the first one's lease ran out; on the embedded store,
// whose claims are in memory, at once): the stalled one must not send them
// again when it wakes.
func TestStalledDispatcherNeverSendsWhatAnotherTook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		stalled := newStalled()
		slow := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: sb}, Renderer: stalled,
			Owner: "slow", Batch: 10, Lease: time.Minute, Now: c.Now})
		done := make(chan error)
		go func() {
			_, err := slow.DispatchOnce(ctx)
			done <- err
		}()
		<-stalled.loaded
		c.Add(2 * time.Minute)
		other := dispatcher(t, s, "other", sb, c)
		if _, _, err := other.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, other)
		close(stalled.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		oneCopyEach(t, sandboxCopies(t, s), 3)
		figs, _ := delivery.RunFigures(ctx, s, 1)
		if figs[0].Sent != 3 {
			t.Fatalf("figures = %+v", figs[0])
		}
	})
}

// deadTokens answers "unregistered" for some addresses.
type deadTokens struct {
	channel.Provider
	dead map[string]bool
}

func (p deadTokens) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	out := make([]channel.Result, len(msgs))
	var live []*channel.Message
	idx := map[string]int{}
	for i, m := range msgs {
		if p.dead[m.To] {
			out[i] = channel.Result{ID: m.ID, Outcome: channel.Permanent, Error: "UNREGISTERED", Deactivate: true}
			continue
		}
		idx[m.ID] = i
		live = append(live, m)
	}
	for _, r := range p.Provider.Send(ctx, live) {
		out[idx[r.ID]] = r
	}
	return out
}

// TestDeadAddressesAreDeactivated: an address the provider reports dead
// for good is suppressed, so later messages to it are excluded.
func TestDeadAddressesAreDeactivated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "gone@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		d := dispatcher(t, s, "n1", deadTokens{Provider: sb, dead: map[string]bool{"gone@example.com": true}}, c)
		drain(t, d)
		addMessage(t, s, 2, "mail", 2, "gone@example.com", c.Now())
		drain(t, d)
		first, _ := delivery.RunFigures(context.Background(), s, 1)
		second, _ := delivery.RunFigures(context.Background(), s, 2)
		if first[0].Sent != 1 || first[0].Failed != 1 || second[0].ByReason["suppressed"] != 1 {
			t.Fatalf("figures: %+v then %+v", first, second)
		}
	})
}

// TestSandboxKeepsBodiesOfTheFirstMessages: past Keep messages of an
// activity, the sandbox records each email (address, subject, copies) but
// not its body, and says how large the body was.
func TestSandboxKeepsBodiesOfTheFirstMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"})
		sb, _ := delivery.NewSandbox(s, channel.Email)
		drain(t, dispatcher(t, s, "n1", sb.WithKeep(2), c))
		sink := &delivery.StoreSink{Store: s}
		list, err := sink.List(ctx, 1, 100)
		if err != nil || len(list) != 5 {
			t.Fatalf("list = %v, %v", list, err)
		}
		whole := 0
		for _, m := range list {
			var content struct {
				Email   channel.EmailContent `json:"email"`
				Dropped int                  `json:"body_dropped_bytes"`
			}
			if err := json.Unmarshal(m.Content, &content); err != nil {
				t.Fatal(err)
			}
			if content.Email.Subject != "Hello" {
				t.Errorf("%s: subject %q", m.ID, content.Email.Subject)
			}
			switch {
			case content.Email.HTML == "<p>Hi</p>" && content.Email.Text == "Hi" && content.Dropped == 0:
				whole++
			case content.Email.HTML == "" && content.Dropped == len("<p>Hi</p>")+len("Hi"):
			default:
				t.Errorf("%s: %s", m.ID, m.Content)
			}
		}
		if whole != 2 {
			t.Errorf("%d messages kept whole, want 2", whole)
		}
	})
}

// TestImportConsent imports a consent file: good rows recorded, bad rows
// reported with their line and column, a row older than consent recorded
// since never replacing it, and the send-time check obeying the result.
func TestImportConsent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"})
		m, err := datamodel.Parse([]byte("entities:\n  customers:\n    key: customer_id\n    attributes:\n      customer_id: integer\n      email: string\n    targeting: {email: email}\n"))
		if err != nil {
			t.Fatal(err)
		}
		// Customer 3 unsubscribed after the export the file comes from.
		key3, _ := delivery.ProfileKey([]string{"customer_id"}, []any{3})
		if err := delivery.SetConsent(ctx, s, "customers", key3, channel.Email, delivery.OptOut, "unsubscribe", c.Now()); err != nil {
			t.Fatal(err)
		}
		file := "customer_id,channel,status,updated_at\n" +
			"1,email,opt_out,\n" + // line 2
			"2,email,maybe,\n" + // line 3: bad status
			"x,email,opt_out,\n" + // line 4: bad key
			"3,email,opt_in,2026-10-01T00:00:00Z\n" + // line 5: older than the unsubscribe
			"4,fax,opt_out,\n" + // line 6: bad channel
			"4,email,opt_in,2026-10-01T00:00:00Z\n" +
			"4,email,opt_out,2026-10-02T00:00:00Z\n" // the newer of two rows wins
		res, err := delivery.ImportConsent(ctx, s, m, "customers", strings.NewReader(file), "", c.Now(), ingest.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 7 || res.Accepted != 4 || len(res.Rejects) != 3 {
			t.Fatalf("import = %+v", res)
		}
		want := []delivery.ConsentReject{{Line: 3, Column: "status", Value: "maybe", Reason: "must be opt_in or opt_out"}, {Line: 4, Column: "customer_id", Value: "x", Reason: "not an integer"}, {Line: 6, Column: "channel", Value: "fax", Reason: "must be email, sms or push"}}
		if fmt.Sprint(res.Rejects) != fmt.Sprint(want) {
			t.Errorf("rejects = %+v", res.Rejects)
		}
		drain(t, dispatcher(t, s, "n1", func() channel.Provider { sb, _ := delivery.NewSandbox(s, channel.Email); return sb }(), c))
		if got := sandboxCopies(t, s); len(got) != 1 || got["b@example.com"] != 1 {
			t.Fatalf("sandbox = %v (only b has no opt-out)", got)
		}
		var source string
		storetest.DB(s).QueryRow(`SELECT source FROM ff_consent WHERE profile_key = $1`, key3).Scan(&source)
		if source != "unsubscribe" {
			t.Errorf("customer 3's consent source = %q: the older import replaced a later unsubscribe", source)
		}
	})
}

// referee accepts every message with a reference of its own, but fails
// those whose address starts with "reject" for good and those starting
// with "later" for now.
type referee struct{ sends int }

func (*referee) Name() string    { return "referee" }
func (*referee) Channel() string { return channel.Email }
func (*referee) Close() error    { return nil }
func (p *referee) Send(_ context.Context, msgs []*channel.Message) []channel.Result {
	p.sends++
	out := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		switch {
		case strings.HasPrefix(m.To, "reject"):
			out[i] = channel.Result{ID: m.ID, Outcome: channel.Permanent, Error: "550 no such user"}
		case strings.HasPrefix(m.To, "later"):
			out[i] = channel.Result{ID: m.ID, Outcome: channel.Transient, Error: "421 try later"}
		default:
			out[i] = channel.Result{ID: m.ID, Outcome: channel.Sent, ProviderID: "ref-" + m.ID}
		}
	}
	return out
}

// TestEveryChunkOfABatchIsRecorded sends one batch of several chunks, with
// failures, exclusions and template errors among them: a chunk's sent
// messages are recorded by the update that marks the next one sending, so
// each row must end with its own outcome and reference.
func TestEveryChunkOfABatchIsRecorded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		n := 2*delivery.EmbeddedSendChunk + 44
		addrs := make([]string, n)
		want := map[string]string{} // by message id: status
		for i := range addrs {
			addrs[i] = fmt.Sprintf("r%d@example.com", i)
			switch i {
			case 3, delivery.EmbeddedSendChunk + 5:
				addrs[i] = fmt.Sprintf("reject%d@example.com", i)
			case delivery.EmbeddedSendChunk - 1, 2 * delivery.EmbeddedSendChunk:
				addrs[i] = fmt.Sprintf("later%d@example.com", i)
			case delivery.EmbeddedSendChunk + 7:
				addrs[i] = fmt.Sprintf("broken%d@example.com", i)
			case 2*delivery.EmbeddedSendChunk + 2:
				addrs[i] = "not an address"
			}
			status := delivery.StatusSent
			switch {
			case strings.HasPrefix(addrs[i], "reject"), strings.HasPrefix(addrs[i], "broken"):
				status = delivery.StatusFailed
			case strings.HasPrefix(addrs[i], "later"):
				status = delivery.StatusRetry
			case addrs[i] == "not an address":
				status = delivery.StatusExcluded
			}
			want[fmt.Sprintf("1:mail:%d", i+1)] = status
		}
		setup(t, s, addrs)
		p := &referee{}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: n, Chunk: delivery.EmbeddedSendChunk, Lease: time.Minute, Now: c.Now, MaxAttempts: 3})
		if got, err := d.DispatchOnce(context.Background()); err != nil || got != n {
			t.Fatalf("DispatchOnce = %d, %v; want %d", got, err, n)
		}
		if p.sends != 3 {
			t.Fatalf("%d chunks handed to the provider, want 3", p.sends)
		}
		rows, err := storetest.DB(s).Query(`SELECT message_id, status, coalesce(provider_id, ''), coalesce(provider, ''), attempts, coalesce(lease_owner, '') FROM ff_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var id, status, ref, provider, owner string
			var attempts int
			if err := rows.Scan(&id, &status, &ref, &provider, &attempts, &owner); err != nil {
				t.Fatal(err)
			}
			seen++
			if status != want[id] {
				t.Errorf("%s: %s, want %s", id, status, want[id])
			}
			if status == delivery.StatusSent && (ref != "ref-"+id || provider != "referee" || owner != "") {
				t.Errorf("%s sent with reference %q by %q, owner %q", id, ref, provider, owner)
			}
			if status != delivery.StatusSent && ref != "" {
				t.Errorf("%s is %s with reference %q", id, status, ref)
			}
			if sentOrFailed := status == delivery.StatusSent || status == delivery.StatusRetry; sentOrFailed && attempts != 1 {
				t.Errorf("%s: %d attempts, want 1", id, attempts)
			}
		}
		if seen != n {
			t.Fatalf("%d rows, want %d", seen, n)
		}
	})
}

// shutdownOnSend accepts what it is given, and the process is told to stop
// while it sends.
type shutdownOnSend struct {
	referee
	stop context.CancelFunc
}

func (p *shutdownOnSend) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	defer p.stop()
	return p.referee.Send(ctx, msgs)
}

// TestShutdownRecordsWhatWasSent stops the dispatcher while a provider
// sends: what the provider took is recorded sent, not left sending (in
// doubt after a restart), and nothing more goes out.
func TestShutdownRecordsWhatWasSent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		addrs := addresses(2 * delivery.EmbeddedSendChunk)
		setup(t, s, addrs)
		ctx, cancel := context.WithCancel(context.Background())
		p := &shutdownOnSend{stop: cancel}
		d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Renderer: plainRenderer{},
			Owner: "n1", Batch: len(addrs), Chunk: delivery.EmbeddedSendChunk, Lease: time.Minute, Now: c.Now, MaxAttempts: 3})
		if _, err := d.DispatchOnce(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("DispatchOnce = %v, want the cancellation", err)
		}
		if p.sends != 1 {
			t.Fatalf("%d chunks sent after the stop, want 1", p.sends)
		}
		counts := map[string]int{}
		rows, err := storetest.DB(s).Query(`SELECT status FROM ff_outbox`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			rows.Scan(&st)
			counts[st]++
		}
		if counts[delivery.StatusSent] != delivery.EmbeddedSendChunk || counts[delivery.StatusSending] != 0 {
			t.Fatalf("statuses after the stop: %v; want %d sent, none sending", counts, delivery.EmbeddedSendChunk)
		}
	})
}
