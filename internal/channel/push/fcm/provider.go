package fcm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/internal/batch"
)

// DataMessageID is the data key that carries Message.ID, so the app (and
// anyone reading FCM's logs) can recognise a resend.
const DataMessageID = "fanfare_message_id"

// Provider sends push notifications through FCM.
type Provider struct {
	cfg    Config
	url    string
	client *http.Client
	tokens *tokenSource
	slots  chan struct{}
	closed atomic.Bool
}

var _ channel.Provider = (*Provider)(nil)

// New validates cfg and returns a provider. It fetches no token until the
// first Send.
func New(cfg Config) (*Provider, error) {
	sa, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ForceAttemptHTTP2 = true
		t.MaxIdleConnsPerHost = cfg.Concurrency
		client = &http.Client{Transport: t}
	}
	return &Provider{
		cfg:    cfg,
		url:    cfg.BaseURL + "/v1/projects/" + cfg.ProjectID + "/messages:send",
		client: client,
		tokens: &tokenSource{sa: sa, client: client, timeout: cfg.Timeout, now: time.Now},
		slots:  make(chan struct{}, cfg.Concurrency),
	}, nil
}

// Name returns "fcm".
func (p *Provider) Name() string { return "fcm" }

// Channel returns channel.Push.
func (p *Provider) Channel() string { return channel.Push }

// Concurrency returns how many requests may be in flight at once.
func (p *Provider) Concurrency() int { return p.cfg.Concurrency }

// Send sends msgs with up to Concurrency requests in flight and returns one
// result per message, in order.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	return batch.Run(ctx, "fcm", msgs, p.slots, p.closed.Load, p.sendOne)
}

// Close stops sending and closes idle connections.
func (p *Provider) Close() error {
	p.closed.Store(true)
	p.client.CloseIdleConnections()
	return nil
}

// sendOne sends m, refreshing the access token once if FCM refuses it.
func (p *Provider) sendOne(ctx context.Context, m *channel.Message) channel.Result {
	if err := channel.CheckToken(m.To); err != nil {
		return failed(channel.Permanent, "%v", err)
	}
	body, err := payload(m, time.Now())
	if err != nil {
		return failed(channel.Permanent, "%v", err)
	}
	for attempt := 0; ; attempt++ {
		tok, err := p.tokens.get(ctx)
		if err != nil {
			return failed(channel.Transient, "not sent: %v", err)
		}
		r, retry := p.post(ctx, tok, body)
		if !retry || attempt > 0 {
			return r
		}
		p.tokens.invalidate(tok)
	}
}

// post makes one send request; retry is true on a 401 (a stale token).
func (p *Provider) post(ctx context.Context, tok string, body []byte) (r channel.Result, retry bool) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return failed(channel.Permanent, "building the request: %v", err), false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, written, err := batch.Do(p.client, req)
	if err != nil {
		return batch.Failed("fcm", written, err), false
	}
	if resp.Status == http.StatusOK {
		var ok struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(resp.Body, &ok)
		return channel.Result{Outcome: channel.Sent, ProviderID: ok.Name}, false
	}
	r = classify(resp)
	if r.Outcome == channel.Transient {
		r.RetryAfter = channel.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r, resp.Status == http.StatusUnauthorized
}

// classify maps an FCM error response to an outcome.
func classify(resp *batch.Response) channel.Result {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
			Details []struct {
				Type      string `json:"@type"`
				ErrorCode string `json:"errorCode"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	code := e.Error.Status
	for _, d := range e.Error.Details {
		if d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	why := fmt.Sprintf("HTTP %d %s: %s", resp.Status, batch.Truncate(code), batch.Truncate(e.Error.Message))
	r := classifyWhy(resp, code, why)
	if r.Outcome == channel.Permanent {
		r.Code = batch.Truncate(code)
	}
	return r
}

// classifyWhy maps FCM's status and error code to an outcome explained by
// why.
func classifyWhy(resp *batch.Response, code, why string) channel.Result {
	switch {
	case code == "UNREGISTERED":
		r := failed(channel.Permanent, "token unregistered: %s", why)
		r.Deactivate = true
		return r
	case code == "SENDER_ID_MISMATCH":
		// The token belongs to another project: this sender can never use it.
		return failed(channel.Permanent, "%s", why)
	case code == "UNAVAILABLE" || code == "INTERNAL" || code == "QUOTA_EXCEEDED",
		resp.Status == http.StatusTooManyRequests, resp.Status >= 500:
		return failed(channel.Transient, "%s", why)
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden ||
		code == "THIRD_PARTY_AUTH_ERROR" || code == "PERMISSION_DENIED":
		// The credentials, not the message, are at fault: a setup
		// error, which rests the channel.
		r := failed(channel.Transient, "setup error: %s", why)
		r.Setup = true
		return r
	}
	return failed(channel.Permanent, "%s", why)
}

func failed(o channel.Outcome, format string, args ...any) channel.Result {
	return channel.Result{Outcome: o, Error: "fcm: " + fmt.Sprintf(format, args...)}
}

// payload builds the JSON request body for m, as of now.
func payload(m *channel.Message, now time.Time) ([]byte, error) {
	c := m.Push
	if c == nil {
		return nil, fmt.Errorf("no push content")
	}
	data := make(map[string]string, len(c.Data)+2)
	for k, v := range c.Data {
		if why := channel.ReservedDataKey(k); why != "" {
			return nil, fmt.Errorf("data key %q is %s", k, why)
		}
		data[k] = v
	}
	if c.DeepLink != "" {
		data["deep_link"] = c.DeepLink
	}
	if m.ID != "" {
		data[DataMessageID] = m.ID
	}
	msg := map[string]any{"token": m.To}
	if !c.DataOnly() && (c.Title != "" || c.Body != "" || c.Image != "") {
		msg["notification"] = omitEmpty(map[string]any{"title": c.Title, "body": c.Body, "image": c.Image})
	}
	if len(data) > 0 {
		msg["data"] = data
	}
	android := map[string]any{}
	switch strings.ToLower(c.Priority) {
	case "high":
		android["priority"] = "HIGH"
	case "normal", "low":
		android["priority"] = "NORMAL"
	}
	if c.AndroidChannel != "" {
		android["notification"] = map[string]any{"channel_id": c.AndroidChannel}
	}
	if len(android) > 0 {
		msg["android"] = android
	}
	msg["apns"] = apnsConfig(c, now)
	return json.Marshal(map[string]any{"message": msg})
}

// apnsConfig is what FCM passes on to APNs when the token is an Apple
// device's: the headers APNs would get from Fanfare itself (push type,
// priority, expiration, collapse ID), and the iOS options of the payload;
// a data-only push goes as a background push, which wakes the app.
func apnsConfig(c *channel.PushContent, now time.Time) map[string]any {
	aps := omitEmpty(map[string]any{"sound": c.Sound, "category": c.Category})
	if c.Badge != nil {
		aps["badge"] = *c.Badge
	}
	if c.DataOnly() {
		aps = map[string]any{"content-available": 1}
	}
	out := map[string]any{"headers": apns.Headers(c, now)}
	if len(aps) > 0 {
		out["payload"] = map[string]any{"aps": aps}
	}
	return out
}

func omitEmpty(m map[string]any) map[string]any {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}
