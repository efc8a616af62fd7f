package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Feedback kinds: what a provider (or a bounce mail) says happened to a
// sent email.
const (
	FeedbackDelivered = "delivered"
	FeedbackBounce    = "bounce"
	FeedbackComplaint = "complaint"
	// FeedbackFailed is a message the provider or a carrier refused for
	// itself, not for its address (a carrier's filter, a rejected push
	// payload): nothing is suppressed.
	FeedbackFailed = "failed"
)

// Event types of feedback.
const (
	EventDelivered  = "delivered"
	EventBounceHard = "bounce_hard"
	EventBounceSoft = "bounce_soft"
	EventComplaint  = "complaint"
	// EventFailed is a message a provider refused for itself, not for its
	// address (see FeedbackFailed).
	EventFailed = "failed"
	// EventUnsubscribe is an opt-out through a message's unsubscribe link.
	EventUnsubscribe = "unsubscribe"
)

// Feedback is one report about a sent message: its delivery, a bounce
// (hard: the address will never work — a dead number or push token too;
// soft: it may later), a complaint (the recipient marked it as spam) or a
// failure of the message itself.
type Feedback struct {
	Kind string
	Hard bool
	// Status is an email's RFC 3463 enhanced status code (5.1.1), or the
	// provider's error code of an SMS or push message (30005,
	// UNREGISTERED); Diagnostic what the receiving server said.
	Status     string
	Diagnostic string
	Address    string
	// MessageID is Fanfare's id of the message, when the report carries
	// it; ProviderID the provider's, which finds it otherwise.
	MessageID  string
	ProviderID string
	At         time.Time
	// Source names where the report came from: ses, sendgrid, webhook,
	// sms (a status callback), push.
	Source string
}

// SoftBouncePolicy suppresses an address after Count soft bounces within
// Within (Count 0: never).
type SoftBouncePolicy struct {
	Count  int
	Within time.Duration
}

// DefaultSoftBounces: three soft bounces within fifteen days suppress.
var DefaultSoftBounces = SoftBouncePolicy{Count: 3, Within: 15 * 24 * time.Hour}

// ErrUnknownMessage is feedback about no message Fanfare sent.
var ErrUnknownMessage = errors.New("no message of Fanfare's matches the report")

// RecordFeedback records what reports say about sent emails, as events of
// their messages, and suppresses addresses through the suppression list
// every path uses (see RecordReceipt). A report about no known message is
// skipped and counted.
func RecordFeedback(ctx context.Context, s *store.Store, reports []Feedback, soft SoftBouncePolicy) (recorded, unknown int, err error) {
	return recordFeedback(ctx, s, reports, soft, func([]store.EventRecord) {})
}

// recordFeedback is RecordFeedback, calling written with each event it
// wrote.
func recordFeedback(ctx context.Context, s *store.Store, reports []Feedback, soft SoftBouncePolicy, written func([]store.EventRecord)) (recorded, unknown int, err error) {
	for _, f := range reports {
		m, err := s.Outbox().Locate(ctx, channel.Email, f.MessageID, f.ProviderID)
		if errors.Is(err, store.ErrNotFound) {
			unknown++
			continue
		}
		if err != nil {
			return recorded, unknown, fmt.Errorf("find the message of a report: %w", err)
		}
		ev, err := RecordReceipt(ctx, s, channel.Email, m, f, soft)
		if err != nil {
			return recorded, unknown, err
		}
		written([]store.EventRecord{ev})
		recorded++
	}
	return recorded, unknown, nil
}

// RecordReceipt records what a report says of a sent message of a
// channel, as an event of it (delivered, bounce_hard, bounce_soft,
// complaint, failed), and suppresses its address through the suppression
// list every path uses: at once for a hard bounce or a complaint, after
// the policy's soft bounces (of the channel's messages to the address)
// otherwise. The suppression names its cause and source. It returns the
// event written.
func RecordReceipt(ctx context.Context, s *store.Store, ch string, m store.SentMessage, f Feedback, soft SoftBouncePolicy) (store.EventRecord, error) {
	addr := strings.TrimSpace(cmp.Or(m.Address, f.Address))
	if ch == channel.Email {
		addr = strings.ToLower(addr)
	}
	details, _ := json.Marshal(map[string]string{"source": f.Source, "status": f.Status, "diagnostic": clip(f.Diagnostic)})
	ev := store.EventRecord{At: f.At, RunID: m.RunID, Activity: m.Activity, MessageID: m.MessageID, Details: string(details)}
	why := ""
	switch {
	case f.Kind == FeedbackDelivered:
		ev.Type = EventDelivered
	case f.Kind == FeedbackComplaint:
		ev.Type, why = EventComplaint, "complaint"
	case f.Kind == FeedbackBounce && f.Hard:
		ev.Type, why = EventBounceHard, "hard bounce"
	case f.Kind == FeedbackBounce:
		ev.Type = EventBounceSoft
	case f.Kind == FeedbackFailed:
		ev.Type = EventFailed
	default:
		return ev, fmt.Errorf("feedback of kind %q", f.Kind)
	}
	if err := s.Events().Append(ctx, []store.EventRecord{ev}); err != nil {
		return ev, err
	}
	if ev.Type == EventBounceSoft && soft.Count > 0 && addr != "" {
		n, err := s.Events().SoftBounces(ctx, ch, addr, f.At.Add(-soft.Within))
		if err != nil {
			return ev, err
		}
		if n >= int64(soft.Count) {
			why = fmt.Sprintf("%d soft bounces in %s", n, soft.Within)
		}
	}
	if why != "" && addr != "" {
		reason := fmt.Sprintf("%s (%s): %s", why, f.Source, strings.TrimSpace(f.Status+" "+clip(f.Diagnostic)))
		if err := Suppress(ctx, s, ch, addr, strings.TrimSuffix(reason, ": "), f.At); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// Erasure says what erasing a profile removed.
type Erasure struct {
	Dimension  string `json:"dimension"`
	ProfileKey string `json:"profile_key"`
	// Messages counts the messages whose events, sandbox copies and
	// outbox rows were removed.
	Messages int64 `json:"messages"`
}

// EraseProfile removes every trace of a profile's messages, at once: their
// events (opens, clicks, bounces…), the sandbox's copies and their outbox
// rows. Its consent and a suppressed address stay: they are what keeps
// the profile from being sent to.
func EraseProfile(ctx context.Context, s *store.Store, dimension string, key []any) (*Erasure, error) {
	pk, err := ProfileKeyOf(ctx, s, dimension, key)
	if err != nil {
		return nil, err
	}
	n, err := s.Events().Erase(ctx, dimension, pk)
	if err != nil {
		return nil, fmt.Errorf("erase the profile's messages: %w", err)
	}
	return &Erasure{Dimension: dimension, ProfileKey: pk, Messages: n}, nil
}
