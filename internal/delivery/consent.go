package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Consent statuses.
const (
	OptIn  = store.ConsentOptIn
	OptOut = store.ConsentOptOut
)

// ProfileKey renders a profile's key as the outbox writes it: a JSON object
// of its key attributes in key order, such as {"customer_id":8}.
func ProfileKey(keyAttrs []string, values []any) (string, error) {
	if len(keyAttrs) != len(values) || len(keyAttrs) == 0 {
		return "", fmt.Errorf("a profile key needs one value per key attribute (%s)", strings.Join(keyAttrs, ", "))
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keyAttrs {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(values[i])
		if err != nil {
			return "", err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// SetConsent records a profile's consent for a channel, with its source
// (api, import, unsubscribe…); every later send obeys it.
func SetConsent(ctx context.Context, s *store.Store, dimension, profileKey, ch, status, source string, at time.Time) error {
	if status != OptIn && status != OptOut {
		return fmt.Errorf("consent status must be %q or %q", OptIn, OptOut)
	}
	if err := checkConsentName(ch); err != nil {
		return err
	}
	r := store.ConsentRecord{Dimension: dimension, ProfileKey: profileKey, Channel: ch, Status: status, Source: source, UpdatedAt: at}
	if err := s.Consent().Set(ctx, r); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

// Suppress puts an address on a channel's suppression list: no campaign,
// transactional or not, sends to it again.
func Suppress(ctx context.Context, s *store.Store, ch, address, reason string, at time.Time) error {
	if err := channel.CheckAddress(ch, address); err != nil {
		return err
	}
	if err := s.Suppressions().Add(ctx, store.SuppressionRecord{Channel: ch, Address: address, Reason: reason, CreatedAt: at}); err != nil {
		return fmt.Errorf("suppress address: %w", err)
	}
	return nil
}

// Consent is a profile's recorded consent for one channel.
type Consent struct {
	Channel   string    `json:"channel"`
	Status    string    `json:"status"`
	Source    string    `json:"source"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ProfileConsent is a profile's recorded consent: a record per channel
// that has one, by channel name. A channel without one has no opt-out:
// marketing messages go.
type ProfileConsent struct {
	Dimension  string    `json:"dimension"`
	ProfileKey string    `json:"profile_key"` // as the outbox names the profile, such as {"customer_id":8}
	Consent    []Consent `json:"consent"`
}

// ProfileKeyOf checks key values against a dimension of the current data
// model and names the profile as the outbox does (see DimensionKey).
func ProfileKeyOf(ctx context.Context, s *store.Store, dimension string, values []any) (string, error) {
	m, _, err := schema.Current(ctx, s)
	if err != nil {
		return "", err
	}
	dim := m.Entity(dimension)
	if dim == nil {
		return "", fmt.Errorf("%w: unknown dimension %q", ErrInvalidKey, dimension)
	}
	return DimensionKey(dim, values)
}

// ConsentOf reads a profile's recorded consent.
func ConsentOf(ctx context.Context, s *store.Store, dimension, profileKey string) (*ProfileConsent, error) {
	recs, err := s.Consent().Of(ctx, dimension, profileKey)
	if err != nil {
		return nil, fmt.Errorf("read consent: %w", err)
	}
	out := &ProfileConsent{Dimension: dimension, ProfileKey: profileKey, Consent: make([]Consent, len(recs))}
	for i, r := range recs {
		out.Consent[i] = Consent{Channel: r.Channel, Status: r.Status, Source: r.Source, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// Suppression is an address on the suppression list.
type Suppression struct {
	Channel   string    `json:"channel"`
	Address   string    `json:"address"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxSuppressionsPage bounds a page of the suppression list.
const MaxSuppressionsPage = 1000

// Suppressions reads a channel's suppression list in address order: the
// addresses after the given one (all from the start when empty), at most
// limit (default 100, at most MaxSuppressionsPage); with exact set, the
// one address given, if it is on the list.
func Suppressions(ctx context.Context, s *store.Store, ch, address string, exact bool, limit int) ([]Suppression, error) {
	if err := channel.CheckName(ch); err != nil {
		return nil, err
	}
	if limit > MaxSuppressionsPage {
		return nil, fmt.Errorf("%w: at most %d suppressions at once, not %d", store.ErrLimit, MaxSuppressionsPage, limit)
	}
	if limit <= 0 {
		limit = 100
	}
	var recs []store.SuppressionRecord
	if exact {
		r, err := s.Suppressions().Get(ctx, ch, address)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("read the suppression list: %w", err)
		}
		if err == nil {
			recs = append(recs, r)
		}
	} else {
		var err error
		if recs, err = s.Suppressions().Page(ctx, ch, address, limit); err != nil {
			return nil, fmt.Errorf("read the suppression list: %w", err)
		}
	}
	out := make([]Suppression, len(recs))
	for i, r := range recs {
		out[i] = Suppression{Channel: r.Channel, Address: r.Address, Reason: r.Reason, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// Unsuppress takes an address off the suppression list.
func Unsuppress(ctx context.Context, s *store.Store, ch, address string) error {
	err := s.Suppressions().Remove(ctx, ch, address)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s %s is not suppressed: %w", ch, address, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("unsuppress address: %w", err)
	}
	return nil
}

// Figures counts one channel activity's messages by outcome.
type Figures struct {
	Activity string `json:"activity"`
	Channel  string `json:"channel"`
	Targeted int64  `json:"targeted"`
	Pending  int64  `json:"pending"`
	// Held counts messages waiting for an operator's confirm send,
	// Paused those the run's pause holds until it resumes, Cancelled
	// those the run's stop took back before they were sent.
	Held      int64 `json:"held"`
	Paused    int64 `json:"paused"`
	Cancelled int64 `json:"cancelled"`
	Sent      int64 `json:"sent"`
	Failed    int64 `json:"failed"`
	InDoubt   int64 `json:"in_doubt"`
	// Dropped counts in-doubt messages an operator settled as not sent.
	Dropped  int64            `json:"dropped"`
	Excluded int64            `json:"excluded"`
	ByReason map[string]int64 `json:"excluded_by_reason,omitempty"`
	// Failures counts failed messages by error.
	Failures map[string]int64 `json:"failures,omitempty"`
	// Doubts counts in-doubt messages by why they are, DroppedBy dropped
	// ones by why they were in doubt.
	Doubts    map[string]int64 `json:"in_doubt_by_reason,omitempty"`
	DroppedBy map[string]int64 `json:"dropped_by_reason,omitempty"`
	// Resolutions are the operators' decisions on the activity's in-doubt
	// messages, oldest first.
	Resolutions []Resolution `json:"resolutions,omitempty"`
	// Waiting counts pending messages that wait for something, by reason:
	// outside_send_window, provider_unavailable, or the error they are
	// retried after.
	Waiting map[string]int64 `json:"pending_by_reason,omitempty"`
	// Reports counts sent messages by the provider's latest delivery
	// report (an SMS API's status callbacks: delivered, undelivered…).
	Reports map[string]int64 `json:"delivery_reports,omitempty"`
	// Engagement is what recipients did with the messages (opens, clicks),
	// when the activity tracks it and anything was recorded.
	Engagement *Engagement `json:"engagement,omitempty"`
}

// RunFigures returns the delivery figures of each channel activity of a
// run, in activity order.
func RunFigures(ctx context.Context, s *store.Store, runID int64) ([]Figures, error) {
	counts, err := s.Outbox().Tally(ctx, runID)
	if err != nil {
		return nil, err
	}
	byAct := map[string]*Figures{}
	for _, c := range counts {
		act, ch, status, reason, report, n := c.Activity, c.Channel, c.Status, c.Reason, c.Report, c.Messages
		f := byAct[act]
		if f == nil {
			f = &Figures{Activity: act, Channel: ch}
			byAct[act] = f
		}
		f.Targeted += n
		switch status {
		case store.MessageSent:
			f.Sent += n
			if report != "" {
				if f.Reports == nil {
					f.Reports = map[string]int64{}
				}
				f.Reports[report] += n
			}
		case store.MessageFailed:
			f.Failed += n
			f.Failures = addTo(f.Failures, reason, n)
		case store.MessageInDoubt:
			f.InDoubt += n
			f.Doubts = addTo(f.Doubts, reason, n)
		case store.MessageDropped:
			f.Dropped += n
			f.DroppedBy = addTo(f.DroppedBy, reason, n)
		case store.MessageExcluded:
			f.Excluded += n
			if f.ByReason == nil {
				f.ByReason = map[string]int64{}
			}
			f.ByReason[reason] += n
		case store.MessageHeld:
			if reason == ReasonRunPaused {
				f.Paused += n
			} else {
				f.Held += n
			}
		case store.MessageCancelled:
			f.Cancelled += n
		default:
			f.Pending += n
			if status == store.MessageRetry && reason != "" {
				// Why it waits: outside its send window, its provider
				// resting, or the error it is retried after.
				if f.Waiting == nil {
					f.Waiting = map[string]int64{}
				}
				f.Waiting[reason] += n
			}
		}
	}
	if err := addResolutions(ctx, s, runID, byAct); err != nil {
		return nil, err
	}
	if err := addEngagement(ctx, s, runID, byAct); err != nil {
		return nil, err
	}
	out := make([]Figures, 0, len(byAct))
	for _, f := range byAct {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Activity < out[j].Activity })
	return out, nil
}

// addTo adds n to a count by reason, making the map when needed.
func addTo(m map[string]int64, reason string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[reason] += n
	return m
}

// DeactivateDevices marks the devices holding dead push tokens inactive,
// where the dimension's push targeting names an active attribute, so that
// the data shows it and audiences over devices see it too; the suppression
// list keeps the tokens out of sends whatever the data says later (a
// re-import). It returns how many devices it changed.
func DeactivateDevices(ctx context.Context, s *store.Store, dimension string, tokens []string) (int64, error) {
	m, _, err := schema.Current(ctx, s)
	if err != nil {
		return 0, err
	}
	dim := m.Entity(dimension)
	if len(tokens) == 0 || dim == nil || dim.Targeting == nil || dim.Targeting.Push == nil || dim.Targeting.Push.Active == "" {
		return 0, nil
	}
	push := dim.Targeting.Push
	_, hop, err := audience.ResolveLink(m, dim, push.Link)
	if err != nil {
		return 0, err
	}
	n, err := s.Generated().DeactivateDevices(ctx, hop.To.Name, push.Token, push.Active, tokens)
	if err != nil {
		return 0, fmt.Errorf("deactivate the devices of dead tokens: %w", err)
	}
	return n, nil
}

// ConsentTracking is the consent purpose of tracking: a profile opted out
// of it gets its emails without tracking links or pixel.
const ConsentTracking = "tracking"

// checkConsentName checks what a consent is for: a channel, or tracking.
func checkConsentName(ch string) error {
	if ch == ConsentTracking {
		return nil
	}
	if err := channel.CheckName(ch); err != nil {
		return fmt.Errorf("%w (or %s, the consent to tracking)", err, ConsentTracking)
	}
	return nil
}
