package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Channels.
const (
	Email = "email"
	SMS   = "sms"
	Push  = "push"
)

// ErrChannel is wrapped by CheckName's refusals.
var ErrChannel = errors.New("unknown channel")

// CheckName refuses a name that is not a channel's.
func CheckName(name string) error {
	switch name {
	case Email, SMS, Push:
		return nil
	}
	return fmt.Errorf("%w %q: want email, sms or push", ErrChannel, name)
}

// Message is one rendered message to one recipient, ready to send.
type Message struct {
	// ID is deterministic (run, activity, recipient): providers that can
	// carry it (Message-ID, idempotency keys) do, so a resend is
	// recognisable downstream.
	ID string `json:"id"`
	// Seq is the outbox row's number on the embedded store (0: none),
	// which finds the row there without reading the whole outbox: status
	// callbacks carry it.
	Seq     int64  `json:"seq,omitempty"`
	Channel string `json:"channel"`
	// To is the address: an email address, an E.164 number, a push token.
	To string `json:"to"`
	// Platform is "ios" or "android" for push.
	Platform string `json:"platform,omitempty"`

	Email *EmailContent `json:"email,omitempty"`
	SMS   *SMSContent   `json:"sms,omitempty"`
	Push  *PushContent  `json:"push,omitempty"`
}

// EmailContent is a rendered email.
type EmailContent struct {
	From      string `json:"from"`
	ReplyTo   string `json:"reply_to,omitempty"`
	Subject   string `json:"subject"`
	Preheader string `json:"preheader,omitempty"`
	HTML      string `json:"html,omitempty"`
	Text      string `json:"text,omitempty"`
	// Headers are extra headers (already validated: no CR/LF).
	Headers map[string]string `json:"headers,omitempty"`
	// ReturnPath, when set, is the envelope sender (MAIL FROM) in place
	// of the From address: the message's own VERP address, which its
	// bounces come back to.
	ReturnPath string `json:"return_path,omitempty"`
	// UnsubscribeURL, when set, becomes List-Unsubscribe and
	// List-Unsubscribe-Post (RFC 8058) headers.
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
}

// SMSContent is a rendered SMS.
type SMSContent struct {
	From string `json:"from,omitempty"`
	Text string `json:"text"`
}

// PushContent is a rendered push notification.
type PushContent struct {
	Title    string            `json:"title,omitempty"`
	Body     string            `json:"body,omitempty"`
	Image    string            `json:"image,omitempty"`
	DeepLink string            `json:"deep_link,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
	// Badge, Sound and Category are iOS options; AndroidChannel and
	// Priority Android ones.
	Badge          *int   `json:"badge,omitempty"`
	Sound          string `json:"sound,omitempty"`
	Category       string `json:"category,omitempty"`
	AndroidChannel string `json:"android_channel,omitempty"`
	Priority       string `json:"priority,omitempty"`
	// Background makes a data-only push that wakes the app and shows
	// nothing (on iOS a background push: content-available, priority 5).
	// A push with nothing to show (no title, body, badge or sound) is
	// sent so whatever this says.
	Background bool `json:"background,omitempty"`
	// Expiration, when set, is how long APNs keeps trying to deliver the
	// notification (0: once, at once); CollapseID makes it replace a shown
	// notification with the same ID. Both are iOS options.
	Expiration *time.Duration `json:"expiration,omitempty"`
	CollapseID string         `json:"collapse_id,omitempty"`
}

// Outcome of a send.
type Outcome string

// Outcomes. Unknown means the provider may or may not have accepted the
// message (a connection dropped after the data was sent): it must never be
// resent blindly.
const (
	Sent      Outcome = "sent"
	Permanent Outcome = "failed"   // will never succeed (bad address, rejected)
	Transient Outcome = "retry"    // may succeed later (throttled, unavailable)
	Unknown   Outcome = "in_doubt" // the provider may have it
)

// Result is what happened to one message.
type Result struct {
	ID      string  `json:"id"`
	Outcome Outcome `json:"outcome"`
	// ProviderID is the provider's reference (queue id, SID, message name).
	ProviderID string `json:"provider_id,omitempty"`
	// Error explains a failure (never holds a secret).
	Error string `json:"error,omitempty"`
	// Code is the provider's own code of a failure (FCM's UNREGISTERED,
	// APNs' BadDeviceToken, an SMS API's 21211), when it gave one: the
	// event of a failed message keeps it.
	Code string `json:"code,omitempty"`
	// Deactivate is true when the provider says the address is dead for
	// good (an unregistered push token): the device is deactivated.
	Deactivate bool `json:"deactivate,omitempty"`
	// OptedOut is true when the provider says the recipient told it to
	// stop (an SMS STOP reply): the profile opts out of the channel.
	OptedOut bool `json:"opted_out,omitempty"`
	// RetryAfter, for a Transient result, is how long the provider asked
	// to wait (its Retry-After); 0 leaves the wait to the dispatcher.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// Setup is true when the provider's configuration, not the message,
	// is at fault (a wrong topic, credentials for another environment):
	// the message (Transient) waits while its channel rests, and no
	// address is held against it.
	Setup bool `json:"setup,omitempty"`
}

// Provider sends messages of one channel.
type Provider interface {
	// Name identifies the provider in figures and logs ("smtp", "sandbox").
	Name() string
	// Channel is the channel it serves.
	Channel() string
	// Send sends a batch and returns one result per message, in order. It
	// returns early with Transient (never sent) results for the rest when
	// ctx ends.
	Send(ctx context.Context, msgs []*Message) []Result
	// Close releases connections.
	Close() error
}

// Concurrent is a provider that hands messages over on at most
// Concurrency connections (or requests) at once. The dispatcher marks
// messages sending, their outcome unknown until recorded, in windows of
// that size and at most two windows at a time, so that a crash leaves at
// most twice that many in doubt: a message is marked only when a
// connection is about to take it.
type Concurrent interface {
	Concurrency() int
}

// ErrConfig is returned for an unusable provider configuration.
var ErrConfig = errors.New("provider configuration")

// maxRetryAfter bounds the wait a provider may ask for: a value beyond it
// (a misconfigured gateway's, a hostile one's) is taken as this.
const maxRetryAfter = time.Hour

// RetryAfter reads an HTTP Retry-After value (RFC 9110 §10.2.3), delay
// seconds or an HTTP-date, as a wait from now, at most an hour. It is 0
// when the value is absent, malformed or in the past.
func RetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(value); err == nil {
		d = at.Sub(now)
	}
	return max(min(d, maxRetryAfter), 0)
}
