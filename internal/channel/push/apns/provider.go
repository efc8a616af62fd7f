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
	"strconv"
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
	return wrongEnvironment(batch.Run(ctx, "apns", msgs, p.slots, p.closed.Load, p.sendOne))
}

// minBadBatch is the fewest messages a batch must hold for all of them
// refused as BadDeviceToken to say the environment is wrong, not the
// tokens.
const minBadBatch = 4

// wrongEnvironment turns a batch whose every token APNs called bad into
// a setup error. APNs answers BadDeviceToken as well to a token of the
// other environment (an app built for the sandbox, a server sending to
// production, or the reverse): one such answer fails its message (never
// deactivating the token, which may be good), but a whole batch of them
// says the base URL is wrong, and its messages wait while the channel
// rests.
func wrongEnvironment(res []channel.Result) []channel.Result {
	if len(res) < minBadBatch {
		return res
	}
	for _, r := range res {
		if !strings.HasPrefix(r.Error, badToken) {
			return res
		}
	}
	for i := range res {
		res[i].Outcome, res[i].Setup = channel.Transient, true
		res[i].Error = "apns: every device token of the batch refused as BadDeviceToken: does the base URL (FANFARE_APNS_BASE_URL) name the environment the app was built for, sandbox or production?"
	}
	return res
}

// badToken starts the error of a message refused as BadDeviceToken.
const badToken = "apns: device token refused (BadDeviceToken)"

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
	for k, v := range Headers(m.Push, time.Now()) {
		req.Header.Set(k, v)
	}
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
	r = classify(resp.Status, e.Reason)
	if r.Outcome == channel.Transient {
		r.RetryAfter = channel.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r, resp.Status == http.StatusForbidden && e.Reason == "ExpiredProviderToken"
}

// classify maps an APNs status and reason to an outcome; a permanent
// failure keeps the reason as its code.
func classify(status int, reason string) channel.Result {
	r := classifyWhy(status, reason)
	if r.Outcome == channel.Permanent {
		r.Code = batch.Truncate(reason)
	}
	return r
}

// classifyWhy maps an APNs status and reason to an outcome.
func classifyWhy(status int, reason string) channel.Result {
	why := fmt.Sprintf("HTTP %d %s", status, batch.Truncate(reason))
	switch {
	case status == http.StatusGone || reason == "Unregistered" || reason == "ExpiredToken":
		r := failed(channel.Permanent, "device token dead: %s", why)
		r.Deactivate = true
		return r
	case reason == "BadDeviceToken":
		// Also the answer to a good token of the other environment:
		// the message fails, the token stays (see wrongEnvironment).
		return channel.Result{Outcome: channel.Permanent, Error: badToken + ": " + why + "; a token of the other environment (sandbox or production) is refused so too"}
	case reason == "BadTopic" || reason == "TopicDisallowed" || reason == "MissingTopic" ||
		reason == "BadCertificate" || reason == "BadCertificateEnvironment" || status == http.StatusForbidden:
		// The topic, the key or the environment is at fault, not the
		// message: it waits while the channel rests.
		r := failed(channel.Transient, "setup error: %s", why)
		r.Setup = true
		return r
	case status == http.StatusTooManyRequests || status >= 500:
		return failed(channel.Transient, "%s", why)
	}
	return failed(channel.Permanent, "%s", why)
}

func failed(o channel.Outcome, format string, args ...any) channel.Result {
	return channel.Result{Outcome: o, Error: "apns: " + fmt.Sprintf(format, args...)}
}

// Headers are the APNs request headers a push's content decides, as of
// now: its type, priority, expiration and collapse ID. FCM passes them on
// to APNs for an Apple device (its apns.headers).
func Headers(c *channel.PushContent, now time.Time) map[string]string {
	h := map[string]string{"apns-push-type": "alert", "apns-priority": priority(c.Priority)}
	if c.DataOnly() {
		// Apple refuses priority 10 for a background push.
		h["apns-push-type"], h["apns-priority"] = "background", "5"
	}
	if c.Expiration != nil {
		// A date in seconds since the epoch; 0: one attempt, not stored.
		h["apns-expiration"] = "0"
		if *c.Expiration > 0 {
			h["apns-expiration"] = strconv.FormatInt(now.Add(*c.Expiration).Unix(), 10)
		}
	}
	if c.CollapseID != "" {
		h["apns-collapse-id"] = c.CollapseID
	}
	return h
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

// maxCollapseID is APNs' limit on apns-collapse-id.
const maxCollapseID = 64

// payload builds the JSON body for m.
func payload(m *channel.Message) ([]byte, error) {
	c := m.Push
	if c == nil {
		return nil, fmt.Errorf("no push content")
	}
	if len(c.CollapseID) > maxCollapseID || strings.ContainsAny(c.CollapseID, "\r\n") {
		return nil, fmt.Errorf("collapse ID of %d bytes: at most %d, on one line", len(c.CollapseID), maxCollapseID)
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
	if c.DataOnly() {
		// A background push wakes the app and may carry nothing that
		// shows.
		aps = map[string]any{"content-available": 1}
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
