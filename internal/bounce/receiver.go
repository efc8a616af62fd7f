package bounce

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Source names the bounce receiver in the events and suppressions it
// records.
const Source = "bounce-mail"

// Defaults of the receiver.
const (
	DefaultMaxBytes = 10 << 20
	maxRecipients   = 50
	timeout         = 2 * time.Minute
)

// Receiver is the bounce receiver: an SMTP server for the bounce address's
// domain, which takes the mail sent to the messages' VERP addresses
// (bounces) and to the bare bounce address (the abuse reports of feedback
// loops), and records what they say as feedback of the messages they are
// about (Record, the service's EmailFeedback): events, and suppressions
// through the one suppression path. It refuses every other recipient at RCPT TO, so it
// relays nothing and takes no mail for anybody else. A mail is answered
// 250 only once what it says is recorded; a failure to record it answers
// 451, and the sending server tries again later.
type Receiver struct {
	Store *store.Store
	VERP  *delivery.VERP
	// Record records the reports found, as a provider's webhook's
	// (service.Local.EmailFeedback).
	Record func(context.Context, []delivery.Feedback) (recorded, unknown int, err error)
	Log    *slog.Logger
	// TLS, when set, is offered with STARTTLS.
	TLS *tls.Config
	// MaxBytes bounds a mail (DefaultMaxBytes).
	MaxBytes int64

	// Counts of mails taken in: recorded reports, reports about no
	// known message, mails that were no report.
	Recorded, Unknown, Ignored atomic.Int64
}

// Serve answers SMTP on ln until ctx ends.
func (r *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &session{r: r}, nil
	}))
	srv.Domain = r.VERP.Domain
	srv.MaxMessageBytes = r.maxBytes()
	srv.MaxRecipients = maxRecipients
	srv.ReadTimeout, srv.WriteTimeout = timeout, timeout
	srv.TLSConfig = r.TLS
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogLogger{r.Log}
	stop := context.AfterFunc(ctx, func() {
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	})
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, gosmtp.ErrServerClosed) {
		err = nil
	}
	return err
}

func (r *Receiver) maxBytes() int64 {
	if r.MaxBytes > 0 {
		return r.MaxBytes
	}
	return DefaultMaxBytes
}

// session is one SMTP session's mail transaction.
type session struct {
	r     *Receiver
	rcpts []string
}

func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

// Mail takes any sender: bounces come from the null sender, abuse reports
// from their provider's address.
func (s *session) Mail(string, *gosmtp.MailOptions) error { return nil }

var (
	errNoSuchUser = &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such recipient here"}
	errTryLater   = &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Cannot record the report now, try again later"}
)

// Rcpt takes the bare bounce address and the VERP addresses an active key
// signed.
func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	tok, err := s.r.VERP.Token(to)
	if err != nil {
		return errNoSuchUser
	}
	if tok != "" {
		if _, _, err := s.r.VERP.Check(context.Background(), to); errors.Is(err, delivery.ErrNotVERP) {
			return errNoSuchUser
		} else if err != nil {
			s.r.Log.Error("bounce receiver: check a recipient", "err", err)
			return errTryLater
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

// Data reads the mail and records what it says.
func (s *session) Data(body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	reports, err := Parse(bytes.NewReader(data))
	if err != nil || len(reports) == 0 {
		// Unreadable or no report: taken and dropped, as a server does
		// with mail it cannot use; sending it back would only bounce.
		s.r.Ignored.Add(1)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.r.record(ctx, s.rcpts, reports); err != nil {
		s.r.Log.Error("bounce receiver: record a report", "err", err)
		return errTryLater
	}
	return nil
}

// record finds the message of each report, by the VERP address the mail
// came to or, for one sent to the bare address, the one it quotes, and
// records the reports as feedback.
func (r *Receiver) record(ctx context.Context, rcpts []string, reports []Report) error {
	var fb []delivery.Feedback
	for _, rep := range reports {
		m, err := r.locate(ctx, append(append([]string{}, rcpts...), rep.Senders...))
		if errors.Is(err, store.ErrNotFound) {
			r.Unknown.Add(1)
			continue
		}
		if err != nil {
			return err
		}
		at := rep.At
		if at.IsZero() || at.After(time.Now()) {
			at = time.Now()
		}
		fb = append(fb, delivery.Feedback{Kind: rep.Kind, Hard: rep.Hard, Status: rep.Status, Diagnostic: rep.Diagnostic,
			Address: rep.Recipient, MessageID: m.MessageID, At: at.UTC(), Source: Source})
	}
	n, unknown, err := r.Record(ctx, fb)
	r.Recorded.Add(int64(n))
	r.Unknown.Add(int64(unknown))
	return err
}

// locate returns the message of the first VERP address among addrs that
// names one; store.ErrNotFound when none does.
func (r *Receiver) locate(ctx context.Context, addrs []string) (store.SentMessage, error) {
	for _, a := range addrs {
		m, err := r.VERP.Resolve(ctx, r.Store, a)
		if errors.Is(err, delivery.ErrNotVERP) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		return m, err
	}
	return store.SentMessage{}, store.ErrNotFound
}

// slogLogger is go-smtp's error log on slog.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) {
	l.log.Debug("bounce receiver", "detail", fmt.Sprintf(format, v...))
}
func (l slogLogger) Println(v ...any) { l.log.Debug("bounce receiver", "detail", fmt.Sprintln(v...)) }
