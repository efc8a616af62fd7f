package delivery_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	smtpprov "github.com/fanfare-dev/fanfare/internal/channel/smtp"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// refusing is an SMTP server that refuses some recipients with a reply of
// its own.
type refusing map[string]*gosmtp.SMTPError

func (r refusing) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return refusingSession(r), nil }

type refusingSession refusing

func (s refusingSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s refusingSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if e, ok := s[to]; ok {
		return e
	}
	return nil
}
func (s refusingSession) Reset()        {}
func (s refusingSession) Logout() error { return nil }
func (s refusingSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// TestHardBouncesSuppress: a real SMTP server's hard bounce (550 5.1.1 at
// RCPT TO) fails the message and suppresses the address through the path
// dead push tokens take, so the next campaign leaves it out; a spam
// refusal (5.7.1) and a soft bounce (451, retried) do not suppress. The
// hard bounce is a bounce_hard event of its message, the spam refusal a
// failed one, each with the server's code; so the run's report counts
// them with the bounces that come later.
func TestHardBouncesSuppress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
		setup(t, s, []string{"a@example.com", "gone@example.com", "spam@example.com", "grey@example.com"})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := gosmtp.NewServer(refusing{
			"gone@example.com": {Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
			"spam@example.com": {Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "looks like spam"},
			"grey@example.com": {Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 7, 1}, Message: "greylisted"},
		})
		srv.Domain = "localhost"
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		p, err := smtpprov.New(smtpprov.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: "none", Pool: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		d := dispatcher(t, s, "n1", p, c)
		drain(t, d)
		sup, err := delivery.Suppressions(ctx, s, channel.Email, "", false, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(sup) != 1 || sup[0].Address != "gone@example.com" || !strings.HasPrefix(sup[0].Reason, "hard bounce: smtp: RCPT TO: 550 5.1.1 no such user") {
			t.Fatalf("suppressions = %+v; want gone@example.com for its hard bounce", sup)
		}
		var evs []string
		rows, err := storetest.DB(s).Query(`SELECT type || ' ' || message_id || ' ' || details FROM ff_events ORDER BY type`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
		rows.Close()
		if len(evs) != 2 || !strings.HasPrefix(evs[0], `bounce_hard 1:mail:2 {"diagnostic":"smtp: RCPT TO: 550 5.1.1 no such user","source":"smtp","status":"5.1.1"}`) ||
			!strings.HasPrefix(evs[1], `failed 1:mail:3 {"diagnostic":"smtp: RCPT TO: 554 5.7.1 looks like spam","source":"smtp","status":"5.7.1"}`) {
			t.Fatalf("events: %q", evs)
		}
		figs, _ := delivery.RunFigures(ctx, s, 1)
		if e := figs[0].Engagement; e == nil || e.BouncedHard != 1 || e.ReportedFailed != 1 {
			t.Fatalf("engagement %+v; want the hard bounce and the refusal counted", e)
		}
		addMessage(t, s, 2, "mail", 2, "gone@example.com", c.Now())
		drain(t, d)
		second, _ := delivery.RunFigures(ctx, s, 2)
		if second[0].ByReason["suppressed"] != 1 {
			t.Fatalf("the next campaign's figures: %+v; want the bounced address suppressed", second)
		}
	})
}
