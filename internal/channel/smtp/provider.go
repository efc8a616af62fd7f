package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// maxDialFailures is how many connection attempts in a row may fail before
// the rest of a batch is left to retry without trying again: a server that
// is down should not hold a batch for one timeout per message.
const maxDialFailures = 3

// Provider sends email over SMTP through a pool of persistent connections.
type Provider struct {
	cfg  Config
	dkim *dkimSigner
	tls  *tls.Config
	now  func() time.Time

	// plainUnsubscribe warns once of unsubscribe URLs that are not HTTPS.
	plainUnsubscribe sync.Once

	// slots bounds the connections in use across concurrent batches.
	slots chan struct{}

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

var _ channel.Provider = (*Provider)(nil)

// New validates cfg and returns a provider. It does not connect: the first
// Send opens connections as it needs them.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{
		cfg:   cfg,
		now:   time.Now,
		slots: make(chan struct{}, cfg.Pool),
		tls: &tls.Config{
			ServerName:         cfg.Host,
			InsecureSkipVerify: cfg.InsecureSkipVerify,
			MinVersion:         tls.VersionTLS12,
		},
	}
	if cfg.DKIM != nil {
		d, err := newDKIMSigner(cfg.DKIM)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", channel.ErrConfig, err)
		}
		p.dkim = d
	} else {
		p.log().Warn("smtp: no DKIM key: emails go out unsigned, without one-click unsubscription (List-Unsubscribe-Post, RFC 8058)")
	}
	return p, nil
}

func (p *Provider) log() *slog.Logger {
	if p.cfg.Log != nil {
		return p.cfg.Log
	}
	return slog.Default()
}

// Name returns "smtp".
func (p *Provider) Name() string { return "smtp" }

// Channel returns channel.Email.
func (p *Provider) Channel() string { return channel.Email }

// Concurrency returns the size of the connection pool.
func (p *Provider) Concurrency() int { return p.cfg.Pool }

// Send sends msgs over up to Pool connections and returns one result per
// message, in order. Messages left when ctx ends are reported Transient;
// the one in flight is Unknown if its content had been sent in full.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	res := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		res[i].ID = m.ID
	}
	b := &batch{ctx: ctx, msgs: msgs, res: res}
	workers := min(p.cfg.Pool, len(msgs))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { p.work(b) })
	}
	wg.Wait()
	for i := range res {
		if res[i].Outcome == "" {
			reason := "not sent"
			if err := ctx.Err(); err != nil {
				reason = "not sent: " + err.Error()
			} else if p.isClosed() {
				reason = "not sent: provider closed"
			}
			res[i].Outcome, res[i].Error = channel.Transient, "smtp: "+reason
		}
	}
	return res
}

// batch is one Send call shared by its workers.
type batch struct {
	ctx          context.Context
	msgs         []*channel.Message
	res          []channel.Result
	next         atomic.Int64
	dialFailures atomic.Int32
}

// take returns the index of the next message to send, or -1.
func (b *batch) take() int {
	i := int(b.next.Add(1) - 1)
	if i >= len(b.msgs) {
		return -1
	}
	return i
}

// work sends messages of b over one connection slot until none is left.
func (p *Provider) work(b *batch) {
	select {
	case p.slots <- struct{}{}:
	case <-b.ctx.Done():
		return
	}
	defer func() { <-p.slots }()

	var c *conn
	defer func() { p.release(c) }()
	for {
		if b.ctx.Err() != nil || p.isClosed() {
			return
		}
		i := b.take()
		if i < 0 {
			return
		}
		b.res[i] = p.sendOne(b, &c, b.msgs[i])
	}
}

// sendOne sends m on *cp, dialling or redialling as needed.
func (p *Provider) sendOne(b *batch, cp **conn, m *channel.Message) channel.Result {
	r := channel.Result{ID: m.ID}
	fail := func(o channel.Outcome, format string, args ...any) channel.Result {
		r.Outcome, r.Error = o, p.redact("smtp: "+fmt.Sprintf(format, args...))
		return r
	}
	if err := check(m); err != nil {
		return fail(channel.Permanent, "%v", err)
	}
	msg, err := compose(m, p.now(), p.dkim)
	if err != nil {
		return fail(channel.Permanent, "%v", err)
	}
	if u := m.Email.UnsubscribeURL; p.dkim != nil && u != "" && !OneClick(u, true) {
		p.plainUnsubscribe.Do(func() {
			p.log().Warn("smtp: the unsubscribe URL is not HTTPS (see --public-url): emails go out without one-click unsubscription (List-Unsubscribe-Post, RFC 8058)")
		})
	}
	defer msg.free()
	for attempt := 0; ; attempt++ {
		if b.ctx.Err() != nil {
			return fail(channel.Transient, "not sent: %v", b.ctx.Err())
		}
		c, err := p.connection(b, cp)
		if err != nil {
			return fail(channel.Transient, "%v", err)
		}
		if !isASCII(msg.from+m.To) && !c.utf8 {
			return fail(channel.Permanent, "internationalised address and the server lacks SMTPUTF8")
		}
		reused := c.sent > 0
		st, queueID, err := c.transact(b.ctx, msg.from, m.To, msg.data)
		if err == nil {
			c.sent++
			if c.dead {
				*cp = nil
			}
			r.Outcome, r.ProviderID = channel.Sent, queueID
			return r
		}
		var se *gosmtp.SMTPError
		if errors.As(err, &se) {
			// The server answered: its code decides, and the connection
			// stays usable once the transaction is reset.
			if c.dead || se.Code == 421 || (st < stageEnd && !c.reset(p.cfg.Username != "")) {
				c.close()
				*cp = nil
			}
			o := channel.Transient
			if se.Code/100 == 5 {
				o = channel.Permanent
			}
			// A hard bounce: the address does not exist (or is gone) for
			// good, and no campaign sends to it again.
			r.Deactivate = hardBounce(st, se)
			r.Code = strconv.Itoa(se.Code)
			if c := se.EnhancedCode; c != gosmtp.NoEnhancedCode && c[0] != 0 {
				r.Code = channel.EnhancedStatus(c).String()
				return fail(o, "%s: %d %d.%d.%d %s", st, se.Code, c[0], c[1], c[2], se.Message)
			}
			return fail(o, "%s: %d %s", st, se.Code, se.Message)
		}
		// The connection failed: it cannot be trusted any more.
		c.close()
		*cp = nil
		if st == stageEnd {
			return fail(channel.Unknown, "in doubt: connection lost waiting for the reply to the message: %v", err)
		}
		if b.ctx.Err() != nil {
			return fail(channel.Transient, "not sent: %v", b.ctx.Err())
		}
		// A pooled connection the server closed while idle fails on its
		// first command; nothing was sent, so one fresh try is safe.
		if reused && st == stageMail && attempt == 0 {
			continue
		}
		return fail(channel.Transient, "%s: %v", st, err)
	}
}

// connection returns the connection *cp, dialling one into it when there
// is none. A failure to dial counts towards the batch's limit, past which
// the batch stops dialling; the error says why the message was not sent.
func (p *Provider) connection(b *batch, cp **conn) (*conn, error) {
	if *cp != nil {
		return *cp, nil
	}
	if b.dialFailures.Load() >= maxDialFailures {
		return nil, errors.New("not sent: server unavailable")
	}
	c, err := p.dial(b.ctx)
	if err != nil {
		b.dialFailures.Add(1)
		if b.ctx.Err() != nil {
			return nil, fmt.Errorf("not sent: %v", b.ctx.Err())
		}
		// Even a refused login leaves the message itself sendable.
		return nil, fmt.Errorf("connecting: %v", err)
	}
	b.dialFailures.Store(0)
	*cp = c
	return c, nil
}

// check refuses a message the provider cannot send safely.
func check(m *channel.Message) error {
	if m.ID == "" {
		return errors.New("message without ID")
	}
	if m.Channel != "" && m.Channel != channel.Email {
		return fmt.Errorf("%s message sent to the email provider", m.Channel)
	}
	if err := channel.CheckEmail(m.To); err != nil {
		return err
	}
	return channel.CheckEmailContent(m.Email)
}

// redact removes the server's address and the credentials from an error
// text: settings never reach a result or a log.
func (p *Provider) redact(s string) string {
	for _, secret := range []string{p.cfg.Password, p.cfg.Username, p.cfg.addr(), p.cfg.Host} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// release returns a healthy connection to the pool.
func (p *Provider) release(c *conn) {
	if c == nil || c.dead {
		return
	}
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.cfg.Pool {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.quit()
	}
}

// acquireIdle takes a pooled connection, or nil.
func (p *Provider) acquireIdle() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return c
	}
	return nil
}

func (p *Provider) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// dial returns a pooled connection or opens one: connect, TLS, EHLO, AUTH.
func (p *Provider) dial(ctx context.Context) (*conn, error) {
	if c := p.acquireIdle(); c != nil {
		return c, nil
	}
	return dialConn(ctx, &p.cfg, p.tls)
}

// Close closes the pooled connections; later sends are left to retry.
// It may be called more than once.
func (p *Provider) Close() error {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		wg.Go(c.quit)
	}
	wg.Wait()
	return nil
}

// hardBounce reports a server's refusal of the recipient's address itself,
// for good (RFC 3463): a permanent reply to RCPT TO — or to the end of the
// data, which a server checking late refuses instead — whose enhanced
// status says the mailbox does not exist or is unusable
// (channel.EnhancedStatus.AddressGone), or, from a server that gives no
// enhanced status, a 550/551/553 saying the user is unknown.
func hardBounce(st stage, se *gosmtp.SMTPError) bool {
	if se.Code/100 != 5 || (st != stageRcpt && st != stageEnd) {
		return false
	}
	if c := se.EnhancedCode; c != gosmtp.NoEnhancedCode && c[0] != 0 {
		return channel.EnhancedStatus(c).AddressGone()
	}
	if se.Code != 550 && se.Code != 551 && se.Code != 553 {
		return false
	}
	return unknownUser.MatchString(se.Message)
}

// unknownUser is how servers without enhanced status codes say an address
// does not exist.
var unknownUser = regexp.MustCompile(`(?i)(user|mailbox|recipient|address)( address)? (unknown|not found|does not exist|doesn't exist|unavailable)|unknown (user|recipient|mailbox)|no such (user|mailbox|recipient)|invalid (recipient|mailbox)`)
