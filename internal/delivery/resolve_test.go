package delivery_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// doubtful is an SMTP server that, the first time it sees a Message-ID,
// takes the message's content and drops the connection without replying:
// the sender cannot tell whether it has the message (in doubt). Later
// copies are accepted. It keeps every copy's headers.
type doubtful struct {
	mu     sync.Mutex
	copies map[string][]textproto.MIMEHeader // by Message-ID
}

func (d *doubtful) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &doubtfulSession{d: d, c: c}, nil
}

type doubtfulSession struct {
	d *doubtful
	c *gosmtp.Conn
}

func (s *doubtfulSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *doubtfulSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *doubtfulSession) Reset()                                 {}
func (s *doubtfulSession) Logout() error                          { return nil }
func (s *doubtfulSession) Data(r io.Reader) error {
	br := bufio.NewReader(r)
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		return err
	}
	io.Copy(io.Discard, br)
	id := h.Get("Message-Id")
	s.d.mu.Lock()
	s.d.copies[id] = append(s.d.copies[id], h)
	first := len(s.d.copies[id]) == 1
	s.d.mu.Unlock()
	if first {
		s.c.Conn().Close() // the reply never leaves
	}
	return nil
}

// received returns the copies the server got of each Message-ID.
func (d *doubtful) received() map[string][]textproto.MIMEHeader {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string][]textproto.MIMEHeader, len(d.copies))
	for id, hs := range d.copies {
		out[id] = append([]textproto.MIMEHeader(nil), hs...)
	}
	return out
}

// twoMailings sends two emails to everyone, from two activities.
const twoMailings = `name: twice
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'all'}
  split: {type: fork}
  news:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'News for {{ profile.email }}'
    text: 'Hello'
  promo:
    type: email
    from: 'Shop <shop@example.com>'
    subject: 'Promo'
    text: 'Hello'
transitions:
  - start -> all
  - all -> split
  - split -> news
  - split -> promo
`

// inDoubtRun runs twoMailings live to the three shop customers and sends
// it to a doubtful SMTP server: every message ends in doubt, by the real
// path (the provider cannot tell whether the server has it). It returns
// the run, the server, and a dispatcher to send again with.
func inDoubtRun(t *testing.T, s *store.Store) (int64, *doubtful, *delivery.Dispatcher) {
	t.Helper()
	loadShop(t, s)
	run := runLive(t, s, twoMailings)
	box := &doubtful{copies: map[string][]textproto.MIMEHeader{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(box)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p, err := smtpprov.New(smtpprov.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: "none", Pool: 1, HeloName: "fanfare.test", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	// Batches of two: the in-doubt messages of a batch are too few to rest
	// the provider as failing (an outage needs four failed in a row).
	d := delivery.New(delivery.Config{Store: s, Providers: map[string]channel.Provider{channel.Email: p}, Owner: "n1", Chunk: 2, Batch: 2,
		Renderer: &delivery.CampaignRenderer{Store: s, Links: delivery.NewLinks(keyring.New(s)), PublicURL: "https://fanfare.example.com"}})
	drain(t, d)
	figs := figuresByActivity(t, s, run)
	for _, act := range []string{"news", "promo"} {
		if f := figs[act]; f.InDoubt != 3 || f.Sent != 0 {
			t.Fatalf("%s before the decision: %+v", act, f)
		}
	}
	return run, box, d
}

func figuresByActivity(t *testing.T, s *store.Store, run int64) map[string]delivery.Figures {
	t.Helper()
	figs, err := delivery.RunFigures(context.Background(), s, run)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]delivery.Figures{}
	for _, f := range figs {
		out[f.Activity] = f
	}
	return out
}

// TestResolveResendSendsTheSameMessageAgain: in-doubt messages count as in
// doubt by their reason, not as failures; an operator resends one
// activity's, which go out again as the same message (same Message-ID,
// same subject) and are sent, while the other activity's stay in doubt
// until dropped; both decisions are recorded with their actor and time.
func TestResolveResendSendsTheSameMessageAgain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		run, box, d := inDoubtRun(t, s)
		f := figuresByActivity(t, s, run)["news"]
		if f.Failed != 0 || len(f.Failures) != 0 || len(f.Doubts) != 1 {
			t.Fatalf("in-doubt messages counted as failures: %+v", f)
		}
		for reason, n := range f.Doubts {
			if n != 3 || !strings.Contains(reason, "in doubt: connection lost") {
				t.Fatalf("in doubt by reason: %v", f.Doubts)
			}
		}
		eng := engine.New(engine.Config{Store: s})
		alice := audit.Actor{Kind: audit.KindCLI, Name: "alice"}
		res, err := eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Resend, Activity: "news"}, alice)
		if err != nil || res.Messages != 3 || len(res.ByActivity) != 1 || res.ByActivity["news"] != 3 || res.Actor != alice {
			t.Fatalf("resend: %+v, %v", res, err)
		}
		drain(t, d)
		figs := figuresByActivity(t, s, run)
		if n, p := figs["news"], figs["promo"]; n.Sent != 3 || n.InDoubt != 0 || p.InDoubt != 3 || p.Sent != 0 {
			t.Fatalf("after resending news: news %+v, promo %+v", n, p)
		}
		if r := figs["news"].Resolutions; len(r) != 1 || r[0].Decision != engine.Resend || r[0].Messages != 3 || r[0].Actor != alice || !r[0].DecidedAt.Equal(res.DecidedAt.Truncate(time.Microsecond)) {
			t.Fatalf("news resolutions: %+v (decided at %s)", r, res.DecidedAt)
		}
		got := box.received()
		for _, id := range outboxIDs(t, s, run, "news") {
			copies := got[smtpprov.MessageID(id, "shop@example.com")]
			if len(copies) != 2 || copies[0].Get("Subject") != copies[1].Get("Subject") || !strings.HasPrefix(copies[1].Get("Subject"), "News for ") {
				t.Fatalf("%s: %d copies under its Message-ID: %v", id, len(copies), copies)
			}
		}
		bob := audit.Token("ops")
		if res, err = eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Drop}, bob); err != nil || res.Messages != 3 || res.ByActivity["promo"] != 3 {
			t.Fatalf("drop: %+v, %v", res, err)
		}
		drain(t, d)
		p := figuresByActivity(t, s, run)["promo"]
		if p.Dropped != 3 || p.InDoubt != 0 || p.Sent != 0 || p.Pending != 0 || len(p.DroppedBy) != 1 || len(p.Resolutions) != 1 || p.Resolutions[0].Actor != bob {
			t.Fatalf("after dropping promo: %+v", p)
		}
		for _, id := range outboxIDs(t, s, run, "promo") {
			if n := len(box.received()[smtpprov.MessageID(id, "shop@example.com")]); n != 1 {
				t.Fatalf("dropped %s reached the server %d times", id, n)
			}
		}
		// Nothing is left in doubt: another decision is refused.
		if _, err := eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Drop}, bob); !errors.Is(err, engine.ErrRunState) || !strings.Contains(err.Error(), "no message in doubt") {
			t.Fatalf("resolving with nothing in doubt: %v", err)
		}
	})
}

// TestResolveRefusals: an unknown run or activity is not found, a decision
// other than resend or drop is refused, a stopped run's in-doubt messages
// can only be dropped, and a paused send holds resent messages until the
// run resumes.
func TestResolveRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		run, _, _ := inDoubtRun(t, s)
		eng := engine.New(engine.Config{Store: s})
		who := audit.Token("ops")
		for _, c := range []struct {
			name string
			run  int64
			req  engine.ResolveRequest
			want error
		}{
			{"unknown run", 999, engine.ResolveRequest{Decision: engine.Resend}, store.ErrNotFound},
			{"unknown activity", run, engine.ResolveRequest{Decision: engine.Resend, Activity: "nope"}, store.ErrNotFound},
			{"activity without messages", run, engine.ResolveRequest{Decision: engine.Drop, Activity: "all"}, engine.ErrRunState},
			{"no decision", run, engine.ResolveRequest{}, engine.ErrDecision},
			{"unknown decision", run, engine.ResolveRequest{Decision: "retry"}, engine.ErrDecision},
		} {
			if _, err := eng.Resolve(ctx, c.run, c.req, who); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Drop}, audit.Actor{}); err == nil {
			t.Error("a decision without an actor was taken")
		}
		// The run's status as a stop or a pause leaves it.
		storetest.DB(s).Exec(`UPDATE ff_runs SET status = 'stopped' WHERE id = $1`, run)
		if _, err := eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Resend}, who); !errors.Is(err, engine.ErrRunState) || !strings.Contains(err.Error(), "can only be dropped") {
			t.Fatalf("resend in a stopped run: %v", err)
		}
		storetest.DB(s).Exec(`UPDATE ff_runs SET status = 'paused' WHERE id = $1`, run)
		if _, err := eng.Resolve(ctx, run, engine.ResolveRequest{Decision: engine.Resend, Activity: "promo"}, who); err != nil {
			t.Fatal(err)
		}
		if f := figuresByActivity(t, s, run)["promo"]; f.Paused != 3 || f.Pending != 0 {
			t.Fatalf("resent in a paused run: %+v", f)
		}
		if figs := figuresByActivity(t, s, run); figs["news"].InDoubt != 3 {
			t.Fatalf("news after resending promo alone: %+v", figs["news"])
		}
	})
}

// outboxIDs returns the message ids of a run's activity.
func outboxIDs(t *testing.T, s *store.Store, run int64, activity string) []string {
	t.Helper()
	rows, err := storetest.DB(s).Query(`SELECT message_id FROM ff_outbox WHERE run_id = $1 AND activity_id = $2`, run, activity)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if len(out) != 3 {
		t.Fatalf("%s has %d messages", activity, len(out))
	}
	return out
}
