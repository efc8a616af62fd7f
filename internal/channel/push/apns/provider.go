package apns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/internal/batch"
)

// PayloadMessageID is the custom payload key that carries Message.ID.
const PayloadMessageID = "fanfare_message_id"

// maxPayload is APNs' limit on a notification's payload.
const maxPayload = 4096

// Provider sends push notifications through APNs.
type Provider struct {
	cfg    Config
	client *http.Client
	jwt    *signer
	slots  chan struct{}
	closed atomic.Bool
}

var _ channel.Provider = (*Provider)(nil)

// New validates cfg and returns a provider. It does not connect until the
// first Send.
func New(cfg Config) (*Provider, error) {
	key, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// APNs speaks HTTP/2 only.
		t.Protocols = new(http.Protocols)
		t.Protocols.SetHTTP2(true)
		client = &http.Client{Transport: t}
	}
	return &Provider{
		cfg:    cfg,
		client: client,
		jwt:    &signer{teamID: cfg.TeamID, keyID: cfg.KeyID, key: key, now: time.Now},
		slots:  make(chan struct{}, cfg.Concurrency),
	}, nil
}

// Name returns "apns".
func (p *Provider) Name() string { return "apns" }

// Channel returns channel.Push.
func (p *Provider) Channel() string { return channel.Push }

// Concurrency returns how many requests may be in flight at once.
func (p *Provider) Concurrency() int { return p.cfg.Concurrency }

// Send sends msgs with up to Concurrency requests in flight and returns one
// result per message, in order.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	return batch.Run(ctx, "apns", msgs, p.slots, p.closed.Load, p.sendOne)
}

// Close stops sending and closes idle connections.
func (p *Provider) Close() error {
	p.closed.Store(true)
	p.client.CloseIdleConnections()
	return nil
}

// ID derives the apns-id of a message from its ID: the same message sent
// twice carries the same UUID.
func ID(messageID string) string {
	if messageID == "" {
		return ""
	}
	h := sha256.Sum256([]byte("fanfare/apns-id\x00" + messageID))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8: custom
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// sendOne sends m, signing a new provider token once if APNs says the
// current one expired.
func (p *Provider) sendOne(ctx context.Context, m *channel.Message) channel.Result {
	if err := channel.CheckToken(m.To); err != nil {
		return failed(channel.Permanent, "%v", err)
	}
	if _, err := hex.DecodeString(m.To); err != nil {
		return failed(channel.Permanent, "%v: device token is not hexadecimal", channel.ErrAddress)
	}
	body, err := payload(m)
	if err != nil {
		return failed(channel.Permanent, "%v", err)
	}
	for attempt := 0; ; attempt++ {
		tok, err := p.jwt.get()
		if err != nil {
			return failed(channel.Transient, "not sent: signing the provider token failed")
		}
		r, retry := p.post(ctx, tok, m, body)
		if !retry || attempt > 0 {
			return r
		}
		p.jwt.invalidate(tok)
	}
}

// post makes one request; retry is true when the provider token expired.
func (p *Provider) post(ctx context.Context, tok string, m *channel.Message, body []byte) (r channel.Result, retry bool) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	u := p.cfg.BaseURL + "/3/device/" + url.PathEscape(m.To)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return failed(channel.Permanent, "building the request: %v", err), false
	}
	req.Header.Set("Authorization", "bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apns-topic", p.cfg.Topic)
	req.Header.Set("apns-push-type", "alert")
	req.Header.Set("apns-priority", priority(m.Push.Priority))
	if id := ID(m.ID); id != "" {
		req.Header.Set("apns-id", id)
	}
	resp, written, err := batch.Do(p.client, req)
	if err != nil {
		return batch.Failed("apns", written, err), false
	}
	if resp.Status == http.StatusOK {
		id := resp.Header.Get("apns-id")
		if id == "" {
			id = ID(m.ID)
		}
		return channel.Result{Outcome: channel.Sent, ProviderID: id}, false
	}
	var e struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	return classify(resp.Status, e.Reason), resp.Status == http.StatusForbidden && e.Reason == "ExpiredProviderToken"
}

// classify maps an APNs status and reason to an outcome.
func classify(status int, reason string) channel.Result {
	why := fmt.Sprintf("HTTP %d %s", status, batch.Truncate(reason))
	switch {
	case status == http.StatusGone || reason == "Unregistered" || reason == "BadDeviceToken" || reason == "ExpiredToken":
		r := failed(channel.Permanent, "device token dead: %s", why)
		r.Deactivate = true
		return r
	case status == http.StatusTooManyRequests || status >= 500:
		return failed(channel.Transient, "%s", why)
	case status == http.StatusForbidden:
		// The provider token or the key is at fault, not the message.
		return failed(channel.Transient, "%s", why)
	}
	return failed(channel.Permanent, "%s", why)
}

func failed(o channel.Outcome, format string, args ...any) channel.Result {
	return channel.Result{Outcome: o, Error: "apns: " + fmt.Sprintf(format, args...)}
}

// priority maps PushContent.Priority to apns-priority: 10 delivers at once,
// 5 when convenient for the device.
func priority(p string) string {
	switch strings.ToLower(p) {
	case "normal", "low":
		return "5"
	}
	return "10"
}

// payload builds the JSON body for m.
func payload(m *channel.Message) ([]byte, error) {
	c := m.Push
	if c == nil {
		return nil, fmt.Errorf("no push content")
	}
	aps := map[string]any{}
	alert := map[string]any{}
	if c.Title != "" {
		alert["title"] = c.Title
	}
	if c.Body != "" {
		alert["body"] = c.Body
	}
	if len(alert) > 0 {
		aps["alert"] = alert
	}
	if c.Badge != nil {
		aps["badge"] = *c.Badge
	}
	if c.Sound != "" {
		aps["sound"] = c.Sound
	}
	if c.Category != "" {
		aps["category"] = c.Category
	}
	root := map[string]any{}
	for k, v := range c.Data {
		if k == "aps" {
			return nil, fmt.Errorf("data key %q is reserved", k)
		}
		root[k] = v
	}
	if c.Image != "" {
		// A notification service extension fetches it.
		aps["mutable-content"] = 1
		root["image"] = c.Image
	}
	if c.DeepLink != "" {
		root["deep_link"] = c.DeepLink
	}
	if m.ID != "" {
		root[PayloadMessageID] = m.ID
	}
	root["aps"] = aps
	b, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("payload of %d bytes exceeds APNs' %d", len(b), maxPayload)
	}
	return b, nil
}
