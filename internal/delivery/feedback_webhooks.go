package delivery

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadSignature is a webhook whose signature does not check: it is
// refused, whatever it says.
var ErrBadSignature = errors.New("the webhook's signature does not check")

// WebhookSkew is how far a signed webhook's timestamp may be from now.
const WebhookSkew = 5 * time.Minute

// GenericEvent is one report of the generic webhook format
// (docs/tracking.md#webhooks).
type GenericEvent struct {
	Type       string    `json:"type"` // delivered, bounce, complaint
	Hard       bool      `json:"hard"`
	MessageID  string    `json:"message_id"`
	ProviderID string    `json:"provider_id"`
	Address    string    `json:"address"`
	Status     string    `json:"status"`
	Diagnostic string    `json:"diagnostic"`
	At         time.Time `json:"at"`
}

// ParseGeneric checks and reads a generic webhook: body signed with
// HMAC-SHA256 under the shared secret over "<timestamp>.<body>", the
// signature given as "v1=<hex>" and the timestamp (Unix seconds) within
// WebhookSkew of now, so a captured request cannot be replayed later.
func ParseGeneric(secret []byte, timestamp, signature string, body []byte, now time.Time) ([]Feedback, error) {
	if len(secret) == 0 {
		return nil, errors.New("no secret is configured for the generic webhook")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > WebhookSkew {
		return nil, ErrBadSignature
	}
	got, err := hex.DecodeString(strings.TrimPrefix(signature, "v1="))
	if err != nil || !strings.HasPrefix(signature, "v1=") {
		return nil, ErrBadSignature
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return nil, ErrBadSignature
	}
	var doc struct {
		Events []GenericEvent `json:"events"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("read the webhook: %w", err)
	}
	out := make([]Feedback, 0, len(doc.Events))
	for i, e := range doc.Events {
		switch e.Type {
		case FeedbackDelivered, FeedbackBounce, FeedbackComplaint:
		default:
			return nil, fmt.Errorf("event %d: type %q: want delivered, bounce or complaint", i, e.Type)
		}
		if e.MessageID == "" && e.ProviderID == "" {
			return nil, fmt.Errorf("event %d: give message_id or provider_id", i)
		}
		out = append(out, Feedback{Kind: e.Type, Hard: e.Hard, Status: e.Status, Diagnostic: e.Diagnostic, Address: e.Address,
			MessageID: e.MessageID, ProviderID: e.ProviderID, At: atOr(e.At, now), Source: "webhook"})
	}
	return out, nil
}

func atOr(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// ParseSendGridKey reads SendGrid's event webhook verification key (the
// base64 of its PKIX public key, as its settings show it).
func ParseSendGridKey(b64 string) (*ecdsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("the SendGrid verification key is not base64: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("the SendGrid verification key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("the SendGrid verification key is not an ECDSA key")
	}
	return pub, nil
}

// sendGridEvent is one event of SendGrid's event webhook.
type sendGridEvent struct {
	Email     string `json:"email"`
	Event     string `json:"event"`
	Type      string `json:"type"` // bounce: bounce or blocked
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Timestamp int64  `json:"timestamp"`
	SGMessage string `json:"sg_message_id"`
	// FanfareMessageID is the message's id when the email carried it as
	// a custom argument.
	FanfareMessageID string `json:"fanfare_message_id"`
}

// ParseSendGrid checks and reads SendGrid's signed event webhook: an
// ECDSA signature (X-Twilio-Email-Event-Webhook-Signature) over the
// timestamp header followed by the body, the timestamp within
// WebhookSkew. A bounce is hard, a block (a refusal that may pass later)
// soft; a spam report is a complaint; other events are not feedback.
func ParseSendGrid(key *ecdsa.PublicKey, timestamp, signature string, body []byte, now time.Time) ([]Feedback, error) {
	if key == nil {
		return nil, errors.New("no SendGrid verification key is configured")
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > WebhookSkew {
		return nil, ErrBadSignature
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return nil, ErrBadSignature
	}
	sum := sha256.Sum256(append([]byte(timestamp), body...))
	if !ecdsa.VerifyASN1(key, sum[:], sig) {
		return nil, ErrBadSignature
	}
	var events []sendGridEvent
	if err := json.Unmarshal(body, &events); err != nil {
		return nil, fmt.Errorf("read the webhook: %w", err)
	}
	var out []Feedback
	for _, e := range events {
		f := Feedback{Address: e.Email, Status: e.Status, Diagnostic: e.Reason, MessageID: e.FanfareMessageID, At: time.Unix(e.Timestamp, 0).UTC(), Source: "sendgrid"}
		if f.MessageID == "" {
			// SendGrid's message id is the one its SMTP answer gave,
			// followed by a filter suffix.
			f.ProviderID, _, _ = strings.Cut(e.SGMessage, ".")
		}
		switch e.Event {
		case "delivered":
			f.Kind = FeedbackDelivered
		case "bounce":
			f.Kind, f.Hard = FeedbackBounce, e.Type != "blocked"
		case "spamreport":
			f.Kind = FeedbackComplaint
		default:
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
