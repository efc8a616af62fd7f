package sms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Limits.
const (
	// maxText is the API's limit on a message body, in characters.
	maxText = 1600
	// maxReply bounds how much of a reply is read.
	maxReply = 1 << 20
	// maxErrorText bounds the API's message copied into a Result.
	maxErrorText = 300
)

// Error codes of the API that mean the number can never receive SMS: the
// recipient is deactivated.
var deadNumber = map[int]bool{
	21211: true, // invalid 'To' number
	21614: true, // 'To' number is not a valid mobile number
}

// errUnsubscribed is the API's answer to a message for a number that
// replied STOP to the sender: the recipient opted out.
const errUnsubscribed = 21610

// Provider sends SMS through a Twilio-style HTTP API, one request per
// message, up to Concurrency requests at a time across all batches.
type Provider struct {
	cfg       Config
	client    *http.Client
	transport *http.Transport
	endpoint  string
	basic     string
	// slots bounds the requests in flight across concurrent batches.
	slots  chan struct{}
	closed atomic.Bool
}

var _ channel.Provider = (*Provider)(nil)

// New validates cfg and returns a provider. It does not connect.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	p := &Provider{
		cfg:       cfg,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// A redirect would resend the credentials and the message
			// elsewhere: the API never redirects a create.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		endpoint: cfg.BaseURL + "/2010-04-01/Accounts/" + cfg.AccountSID + "/Messages.json",
		basic:    base64.StdEncoding.EncodeToString([]byte(cfg.AccountSID + ":" + cfg.AuthToken)),
		slots:    make(chan struct{}, cfg.Concurrency),
	}
	return p, nil
}

// Name returns "sms".
func (p *Provider) Name() string { return "sms" }

// Channel returns channel.SMS.
func (p *Provider) Channel() string { return channel.SMS }

// Concurrency returns how many requests may be in flight at once.
func (p *Provider) Concurrency() int { return p.cfg.Concurrency }

// Close stops further sends and closes idle connections. It is safe to
// call more than once.
func (p *Provider) Close() error {
	p.closed.Store(true)
	p.transport.CloseIdleConnections()
	return nil
}

// Send posts msgs concurrently and returns one result per message, in
// order. Messages not yet posted when ctx ends or the provider is closed
// are reported Transient; a request cut short after it was sent in full is
// Unknown.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	res := make([]channel.Result, len(msgs))
	for i, m := range msgs {
		res[i].ID = m.ID
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(p.cfg.Concurrency, len(msgs)) {
		wg.Go(func() {
			for ctx.Err() == nil && !p.closed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(msgs) {
					return
				}
				res[i] = p.sendOne(ctx, msgs[i])
			}
		})
	}
	wg.Wait()
	for i := range res {
		if res[i].Outcome == "" {
			reason := "not sent"
			if err := ctx.Err(); err != nil {
				reason = "not sent: " + err.Error()
			} else if p.closed.Load() {
				reason = "not sent: provider closed"
			}
			res[i].Outcome, res[i].Error = channel.Transient, "sms: "+reason
		}
	}
	return res
}

// sendOne posts one message. A zero Outcome means it was never posted.
func (p *Provider) sendOne(ctx context.Context, m *channel.Message) channel.Result {
	r := channel.Result{ID: m.ID}
	fail := func(o channel.Outcome, format string, args ...any) channel.Result {
		r.Outcome, r.Error = o, p.redact("sms: "+fmt.Sprintf(format, args...))
		return r
	}
	from, err := p.check(m)
	if err != nil {
		return fail(channel.Permanent, "%v", err)
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return r
	}
	defer func() { <-p.slots }()
	if ctx.Err() != nil || p.closed.Load() {
		return r
	}

	form := url.Values{"To": {m.To}, "From": {from}, "Body": {m.SMS.Text}}
	if p.cfg.StatusCallback != "" {
		form.Set("StatusCallback", CallbackURL(p.cfg.StatusCallback, m.ID, m.Seq))
	}
	// wrote records that the request started to reach the connection: from
	// then on the API may have created the message (WroteRequest can come
	// after the server has answered, or with the cancellation's error), so
	// a failure is in doubt, never a blind retry.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace),
		http.MethodPost, p.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fail(channel.Transient, "building request: %v", err)
	}
	req.Header.Set("Authorization", "Basic "+p.basic)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := p.client.Do(req)
	if err != nil {
		if wrote.Load() {
			return fail(channel.Unknown, "no reply after sending: %v", err)
		}
		return fail(channel.Transient, "not sent: %v", err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	r = p.outcome(r, resp.StatusCode, body, readErr)
	if r.Outcome == channel.Transient {
		r.RetryAfter = channel.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// check validates a message and returns its sender.
func (p *Provider) check(m *channel.Message) (string, error) {
	if err := channel.CheckPhone(m.To); err != nil {
		return "", fmt.Errorf("to: %w", err)
	}
	if m.SMS == nil {
		return "", errors.New("no sms content")
	}
	from := m.SMS.From
	if from == "" {
		from = p.cfg.From
	}
	if from == "" {
		return "", errors.New("no sender: neither the message nor the configuration sets From")
	}
	if err := checkFrom(from); err != nil {
		return "", fmt.Errorf("from: %w", err)
	}
	switch {
	case m.SMS.Text == "":
		return "", errors.New("empty body")
	case !utf8.ValidString(m.SMS.Text):
		return "", errors.New("body is not valid UTF-8")
	case utf8.RuneCountInString(m.SMS.Text) > maxText:
		return "", fmt.Errorf("body longer than %d characters", maxText)
	}
	return from, nil
}

// created is the part of a created message the provider reads.
type created struct {
	SID string `json:"sid"`
}

// apiError is the API's error reply.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
}

// outcome maps a reply to a result.
func (p *Provider) outcome(r channel.Result, status int, body []byte, readErr error) channel.Result {
	fail := func(o channel.Outcome, format string, args ...any) channel.Result {
		r.Outcome, r.Error = o, p.redact("sms: "+fmt.Sprintf(format, args...))
		return r
	}
	switch {
	case status >= 200 && status < 300:
		var c created
		if readErr != nil {
			return fail(channel.Unknown, "status %d, reply cut short: %v", status, readErr)
		}
		if err := json.Unmarshal(body, &c); err != nil || c.SID == "" {
			return fail(channel.Unknown, "status %d with an unreadable reply", status)
		}
		r.Outcome, r.ProviderID = channel.Sent, c.SID
		return r
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return fail(channel.Transient, "status %d%s", status, describe(body))
	case status == http.StatusRequestTimeout:
		// The server gave up before reading the whole request.
		return fail(channel.Transient, "status %d%s", status, describe(body))
	case status >= 400 && status < 500:
		var e apiError
		if json.Unmarshal(body, &e) == nil {
			if e.Code != 0 {
				r.Code = strconv.Itoa(e.Code)
			}
			r.Deactivate = deadNumber[e.Code]
			r.OptedOut = e.Code == errUnsubscribed
		}
		return fail(channel.Permanent, "status %d%s", status, describe(body))
	case status >= 500:
		// Only the API's own error reply says the message was not
		// created; a gateway's page says nothing of what lies behind it.
		var e apiError
		if readErr == nil && json.Unmarshal(body, &e) == nil && e.Code != 0 {
			return fail(channel.Transient, "status %d%s", status, describe(body))
		}
		return fail(channel.Unknown, "status %d without an API error reply", status)
	}
	return fail(channel.Transient, "unexpected status %d", status)
}

// describe renders the API's error code and message, bounded and without
// control characters, or nothing.
func describe(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) != nil || (e.Code == 0 && e.Message == "") {
		return ""
	}
	msg := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, e.Message)
	if utf8.RuneCountInString(msg) > maxErrorText {
		msg = string([]rune(msg)[:maxErrorText]) + "…"
	}
	if e.Code == 0 {
		return ": " + msg
	}
	return fmt.Sprintf(": code %d: %s", e.Code, msg)
}

// redact removes the credentials and the account from an error text.
func (p *Provider) redact(s string) string {
	for _, secret := range []string{p.cfg.AuthToken, p.basic, p.cfg.AccountSID} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
