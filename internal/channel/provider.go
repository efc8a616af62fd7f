package channel

import (
	"context"
	"errors"
)

// Channels.
const (
	Email = "email"
	SMS   = "sms"
	Push  = "push"
)

// Message is one rendered message to one recipient, ready to send.
type Message struct {
	// ID is deterministic (run, activity, recipient): providers that can
	// carry it (Message-ID, idempotency keys) do, so a resend is
	// recognisable downstream.
	ID string
	// Seq is the outbox row's number on the embedded store (0: none),
	// which finds the row there without reading the whole outbox: status
	// callbacks carry it.
	Seq     int64
	Channel string
	// To is the address: an email address, an E.164 number, a push token.
	To string
	// Platform is "ios" or "android" for push.
	Platform string

	Email *EmailContent
	SMS   *SMSContent
	Push  *PushContent
}

// EmailContent is a rendered email.
type EmailContent struct {
	From      string
	ReplyTo   string
	Subject   string
	Preheader string
	HTML      string
	Text      string
	// Headers are extra headers (already validated: no CR/LF).
	Headers map[string]string
	// UnsubscribeURL, when set, becomes List-Unsubscribe and
	// List-Unsubscribe-Post (RFC 8058) headers.
	UnsubscribeURL string
}

// SMSContent is a rendered SMS.
type SMSContent struct {
	From string
	Text string
}

// PushContent is a rendered push notification.
type PushContent struct {
	Title    string
	Body     string
	Image    string
	DeepLink string
	Data     map[string]string
	// Badge, Sound and Category are iOS options; AndroidChannel and
	// Priority Android ones.
	Badge          *int
	Sound          string
	Category       string
	AndroidChannel string
	Priority       string
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
	ID      string
	Outcome Outcome
	// ProviderID is the provider's reference (queue id, SID, message name).
	ProviderID string
	// Error explains a failure (never holds a secret).
	Error string
	// Deactivate is true when the provider says the address is dead for
	// good (an unregistered push token): the device is deactivated.
	Deactivate bool
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

// ErrConfig is returned for an unusable provider configuration.
var ErrConfig = errors.New("provider configuration")
