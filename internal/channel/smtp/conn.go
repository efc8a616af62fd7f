package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// stage is how far a transaction got; it decides what a failure means.
type stage int

const (
	stageMail    stage = iota // MAIL FROM
	stageRcpt                 // RCPT TO
	stageData                 // DATA command
	stageContent              // writing the message: incomplete, never accepted
	stageEnd                  // final dot written or being written, reply awaited: in doubt
)

func (s stage) String() string {
	return [...]string{"MAIL FROM", "RCPT TO", "DATA", "message content", "end of data"}[s]
}

// conn is one SMTP session.
type conn struct {
	tcp net.Conn // the socket, closed to abort any exchange
	cl  *gosmtp.Client
	// raw is the connection cl writes to, when we hold it (no TLS or
	// implicit TLS; with STARTTLS go-smtp keeps the TLS connection to
	// itself): see writeContent.
	raw  io.Writer
	utf8 bool
	sent int
	dead bool
}

// deadlineConn never lets an exchange wait forever: go-smtp clears the
// deadline after each command, which would leave the writing of a message
// to a server that stopped reading unbounded.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineConn) SetDeadline(t time.Time) error {
	if t.IsZero() {
		t = time.Now().Add(d.timeout)
	}
	return d.Conn.SetDeadline(t)
}

// heloConn replaces go-smtp's first command, the "EHLO localhost" it
// sends before STARTTLS, with an EHLO naming us; the rest passes
// untouched. go-smtp writes each command in one call, and what it does
// next depends only on the reply.
type heloConn struct {
	net.Conn
	name string
	done bool
}

func (h *heloConn) Write(p []byte) (int, error) {
	if h.done {
		return h.Conn.Write(p)
	}
	h.done = true
	if string(p) != "EHLO localhost\r\n" {
		return h.Conn.Write(p)
	}
	if _, err := io.WriteString(h.Conn, "EHLO "+h.name+"\r\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// dialConn connects, sets up TLS, greets and authenticates.
func dialConn(ctx context.Context, cfg *Config, tlsCfg *tls.Config) (*conn, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	tcp, err := d.DialContext(ctx, "tcp", cfg.addr())
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { tcp.Close() })
	c, err := setup(tcp, cfg, tlsCfg)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		tcp.Close()
		return nil, err
	}
	return c, nil
}

func setup(tcp net.Conn, cfg *Config, tlsCfg *tls.Config) (*conn, error) {
	var nc net.Conn = &deadlineConn{Conn: tcp, timeout: cfg.Timeout}
	nc.SetDeadline(time.Time{})
	helo := cfg.HeloName
	if helo == "" {
		helo = addressLiteral(tcp.LocalAddr())
	}
	var cl *gosmtp.Client
	var raw io.Writer
	switch cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(nc, tlsCfg)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		cl, raw = gosmtp.NewClient(tc), tc
	case TLSStartTLS:
		// go-smtp says EHLO localhost before STARTTLS, and offers no way
		// to name itself there: heloConn puts our name in its place.
		var err error
		if cl, err = gosmtp.NewClientStartTLS(&heloConn{Conn: nc, name: helo}, tlsCfg); err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	default:
		cl, raw = gosmtp.NewClient(nc), nc
	}
	cl.CommandTimeout = cfg.Timeout
	cl.SubmissionTimeout = cfg.Timeout
	if err := cl.Hello(helo); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if cfg.Username != "" {
		if !cl.SupportsAuth(sasl.Plain) {
			return nil, errors.New("server does not offer AUTH PLAIN")
		}
		if err := cl.Auth(sasl.NewPlainClient("", cfg.Username, cfg.Password)); err != nil {
			// Only the server's code and text: never the credentials.
			var se *gosmtp.SMTPError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("AUTH: %w", se)
			}
			return nil, errors.New("AUTH failed")
		}
	}
	ok, _ := cl.Extension("SMTPUTF8")
	return &conn{tcp: tcp, cl: cl, raw: raw, utf8: ok}, nil
}

// transact runs one mail transaction. It returns the stage reached, the
// queue id from the final reply, and the error that stopped it (an
// *gosmtp.SMTPError when the server answered).
func (c *conn) transact(ctx context.Context, from, to string, data []byte) (st stage, queueID string, err error) {
	stop := context.AfterFunc(ctx, func() { c.tcp.Close() })
	defer func() {
		if !stop() {
			// Cancellation closed the socket, maybe after the last reply:
			// the outcome stands, the connection is gone.
			c.dead = true
		}
	}()
	var opts *gosmtp.MailOptions
	if !isASCII(from) || !isASCII(to) {
		opts = &gosmtp.MailOptions{UTF8: true}
	}
	if err := c.cl.Mail(from, opts); err != nil {
		return stageMail, "", err
	}
	if err := c.cl.Rcpt(to, nil); err != nil {
		return stageRcpt, "", err
	}
	w, err := c.cl.Data()
	if err != nil {
		return stageData, "", err
	}
	if err := c.writeContent(w, data); err != nil {
		return stageContent, "", err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return stageEnd, "", err
	}
	return stageEnd, queueIDOf(resp.StatusText), nil
}

// writeContent writes the message to w, the DATA writer, behind which
// textproto's DotWriter moves it one byte and one call at a time. When we
// hold the connection and the message is its own dot-encoding (RFC 5321
// §4.5.2: lines in CRLF, none starting with a dot), it goes straight to
// the connection in one write instead, and only its last line break
// through w, which then ends the data with ".\r\n" as always: the bytes
// on the wire are the same. That relies on go-smtp writing to the
// connection it was given through textproto's buffer alone, a buffer
// flushed before DATA could have its 354 reply; the conformance tests, run
// in each TLS mode, would catch a go-smtp that changed that.
func (c *conn) writeContent(w io.Writer, data []byte) error {
	if c.raw == nil || !dotTransparent(data) {
		_, err := w.Write(data)
		return err
	}
	if _, err := c.raw.Write(bytes.TrimSuffix(data, crlf)); err != nil {
		return err
	}
	_, err := w.Write(crlf)
	return err
}

var crlf = []byte("\r\n")

// dotTransparent reports whether the SMTP dot-encoding of data (RFC 5321
// §4.5.2) is data itself: every CR and LF paired as CRLF, and no line that
// starts with a dot.
func dotTransparent(data []byte) bool {
	if len(data) > 0 && data[0] == '.' {
		return false
	}
	lines := 0
	for i := 0; ; lines++ {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if i < 2 || data[i-2] != '\r' || i < len(data) && data[i] == '.' {
			return false
		}
	}
	return bytes.Count(data, crlf[:1]) == lines
}

// queueIDOf finds the queue id in a 250 reply: "queued as ID" (Postfix),
// "id=ID" (Exim), or nothing.
func queueIDOf(text string) string {
	for _, marker := range []string{"queued as ", "id="} {
		if i := strings.Index(text, marker); i >= 0 {
			id := text[i+len(marker):]
			if j := strings.IndexAny(id, " \t\r\n"); j >= 0 {
				id = id[:j]
			}
			if len(id) > 128 {
				id = id[:128]
			}
			return id
		}
	}
	return ""
}

// reset aborts a failed transaction so the connection can carry the next
// one; false means the connection is no longer usable. go-smtp follows RSET
// with a new EHLO, which some servers (go-smtp's own) take as the end of
// the authenticated session: an authenticated connection is dropped
// instead.
func (c *conn) reset(authenticated bool) bool {
	if c.dead || authenticated {
		return false
	}
	return c.cl.Reset() == nil
}

// close drops the connection without ceremony.
func (c *conn) close() {
	c.dead = true
	c.tcp.Close()
}

// quit ends the session politely, bounded by the connection's timeout.
func (c *conn) quit() {
	if !c.dead {
		c.cl.Quit()
	}
	c.close()
}
