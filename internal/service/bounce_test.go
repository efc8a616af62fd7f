package service_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/bounce"
	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// capture is an SMTP server that keeps each recipient's envelope sender
// and message.
type capture struct {
	mu   sync.Mutex
	from map[string]string // recipient → MAIL FROM
	data map[string]string
}

type captureSession struct {
	c    *capture
	from string
	to   []string
}

func (s *captureSession) Reset()        { s.from, s.to = "", nil }
func (s *captureSession) Logout() error { return nil }
func (s *captureSession) Mail(from string, _ *gosmtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *captureSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *captureSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	for _, to := range s.to {
		s.c.from[to], s.c.data[to] = s.from, string(b)
	}
	return err
}

// serveSMTP serves be on a loopback port until the test ends.
func serveSMTP(t *testing.T, be gosmtp.Backend) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gosmtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// deliverMail hands a mail to an SMTP server from the null sender, as a
// mail server sends a bounce; the error is the server's refusal.
func deliverMail(addr, to, body string) error {
	c, err := gosmtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.net"); err != nil {
		return err
	}
	if err := c.Mail("", nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, strings.ReplaceAll(body, "\n", "\r\n")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// bounceSample is a mail of internal/bounce/testdata with its
// placeholders filled in.
func bounceSample(t *testing.T, name string, verp map[string]string, bare string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "bounce", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`\{\{VERP:([^}]+)\}\}`).ReplaceAllStringFunc(string(b), func(m string) string {
		return verp[m[len("{{VERP:"):len(m)-2]]
	})
	return strings.ReplaceAll(s, "{{BOUNCES}}", bare)
}

// TestBouncesComeBackToTheirMessage: with a bounce address set, each email
// goes out over SMTP from its own VERP address (its From unchanged); the
// bounce receiver, a real SMTP server, takes a Postfix DSN and an Exim
// one at those addresses and an abuse report at the bare address, and
// records each against its message: a hard bounce and a complaint
// suppress at once, a soft bounce does not; the figures equal the events
// counted here. A delay notice records nothing, a DSN sent twice counts
// once in the unique figures, and a forged or foreign address is refused
// at RCPT TO.
func TestBouncesComeBackToTheirMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := audit.WithActor(context.Background(), audit.CLI())
		sent := &capture{from: map[string]string{}, data: map[string]string{}}
		port := serveSMTP(t, gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return &captureSession{c: sent}, nil }))
		p, err := smtpprov.New(smtpprov.Config{Host: "127.0.0.1", Port: port, TLS: smtpprov.TLSNone, HeloName: "fanfare.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ring := keyring.New(s)
		verp, err := delivery.ParseBounceAddress(ring, "bounces@bounces.example.com")
		if err != nil {
			t.Fatal(err)
		}
		l := service.New(service.Config{Store: s, Log: quiet(), Keys: ring, Providers: map[string]channel.Provider{channel.Email: p}, VERP: verp})
		im := impl{name: "local", svc: l, bare: l, store: s, ctx: ctx}
		fixture(t, im)
		runID := startRun(t, im)
		if _, err := l.Work(ctx, runID); err != nil {
			t.Fatal(err)
		}
		envelope := map[string]string{}
		for _, to := range []string{"a@example.com", "c@example.com"} {
			from := sent.from[to]
			if tok, err := verp.Token(from); err != nil || tok == "" || !strings.Contains(sent.data[to], "From: \"Shop\" <shop@example.com>") {
				t.Fatalf("%s was sent from %q (token %q, %v), with\n%s", to, from, tok, err, sent.data[to])
			}
			envelope[to] = from
		}
		if envelope["a@example.com"] == envelope["c@example.com"] {
			t.Fatal("two messages share their VERP address")
		}

		r := &bounce.Receiver{Store: s, VERP: verp, Record: l.EmailFeedback, Log: quiet()}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Serve(rctx, ln) }()
		defer func() { stop(); <-done }()
		addr, bare := ln.Addr().String(), "bounces@bounces.example.com"
		for _, m := range []struct{ file, to string }{
			{"postfix_hard.eml", envelope["a@example.com"]},
			{"postfix_hard.eml", envelope["a@example.com"]},
			{"exim_soft.eml", envelope["c@example.com"]},
			{"arf.eml", bare},
			{"delayed.eml", envelope["a@example.com"]},
		} {
			if err := deliverMail(addr, m.to, bounceSample(t, m.file, envelope, bare)); err != nil {
				t.Fatalf("%s to %s: %v", m.file, m.to, err)
			}
		}
		forged := envelope["a@example.com"]
		at := strings.LastIndexByte(forged, '@')
		flip := "a"
		if forged[at-1] == 'a' {
			flip = "b"
		}
		forged = forged[:at-1] + flip + forged[at:]
		for _, to := range []string{forged, "postmaster@bounces.example.com", "bounces@elsewhere.example.com", "a@example.com"} {
			var se *gosmtp.SMTPError
			if err := deliverMail(addr, to, bounceSample(t, "postfix_hard.eml", envelope, bare)); !errors.As(err, &se) || se.Code != 550 {
				t.Errorf("a mail to %s: %v; want it refused at RCPT TO with 550", to, err)
			}
		}
		if got := r.Recorded.Load(); got != 4 {
			t.Fatalf("recorded %d reports; want 4 (a DSN twice, a soft bounce, a complaint)", got)
		}

		suppressed := map[string]string{}
		list, err := delivery.Suppressions(ctx, s, channel.Email, "", false, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range list {
			suppressed[x.Address] = x.Reason
		}
		if len(suppressed) != 2 || !strings.HasPrefix(suppressed["a@example.com"], "hard bounce (bounce-mail): 5.1.1 550 5.1.1") || suppressed["c@example.com"] != "complaint (bounce-mail): SomeGenerator/1.0" {
			t.Fatalf("suppressions: %v", suppressed)
		}
		events := map[string][2]int64{} // type → total, unique
		for _, typ := range []string{delivery.EventBounceHard, delivery.EventBounceSoft, delivery.EventComplaint, delivery.EventDelivered} {
			var total, unique int64
			if err := storetest.DB(s).QueryRow(`SELECT count(*), count(DISTINCT message_id) FROM ff_events WHERE run_id = $1 AND type = $2`, runID, typ).Scan(&total, &unique); err != nil {
				t.Fatal(err)
			}
			events[typ] = [2]int64{total, unique}
		}
		if events[delivery.EventBounceHard] != [2]int64{2, 1} || events[delivery.EventBounceSoft] != [2]int64{1, 1} || events[delivery.EventComplaint] != [2]int64{1, 1} || events[delivery.EventDelivered] != [2]int64{} {
			t.Fatalf("events: %v", events)
		}
		figs, err := delivery.RunFigures(ctx, s, runID)
		if err != nil {
			t.Fatal(err)
		}
		e := figs[0].Engagement
		if e == nil || e.BouncedHard != events[delivery.EventBounceHard][1] || e.BouncedSoft != events[delivery.EventBounceSoft][1] || e.Complaints != events[delivery.EventComplaint][1] {
			t.Fatalf("engagement %+v; want the events counted: %v", e, events)
		}
	})
}
