package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

func (l *Local) sink() *delivery.StoreSink { return &delivery.StoreSink{Store: l.store} }

// Messages lists what the sandbox captured.
func (l *Local) Messages(ctx context.Context, run int64, limit int) ([]delivery.SandboxMessage, error) {
	return l.sink().List(ctx, run, limit)
}

// Message returns one sandbox message.
func (l *Local) Message(ctx context.Context, id string) (*delivery.SandboxMessage, error) {
	return l.sink().Get(ctx, id)
}

// MessageHTML returns the HTML part of an email the sandbox kept
// (ErrNotFound for a message without one).
func (l *Local) MessageHTML(ctx context.Context, id string) (string, error) {
	return l.sink().HTML(ctx, id)
}

// ImportConsent records a consent file (see delivery.ImportConsent); a
// file that does not read is a bad request.
func (l *Local) ImportConsent(ctx context.Context, dimension, source string, r io.Reader) (*delivery.ConsentImport, error) {
	m, _, err := schema.Current(ctx, l.store)
	if err != nil {
		return nil, err
	}
	res, err := delivery.ImportConsent(ctx, l.store, m, dimension, r, source, time.Now(), l.limits)
	if errors.Is(err, delivery.ErrConsentFile) {
		return nil, Refused(err)
	}
	return res, err
}

// Consent reads a profile's recorded consent.
func (l *Local) Consent(ctx context.Context, dimension string, key []any) (*delivery.ProfileConsent, error) {
	pk, err := delivery.ProfileKeyOf(ctx, l.store, dimension, key)
	if err != nil {
		return nil, err
	}
	return delivery.ConsentOf(ctx, l.store, dimension, pk)
}

// ConsentSet is a recorded consent, the profile named by its key as the
// store holds it.
type ConsentSet struct {
	Dimension  string `json:"dimension"`
	ProfileKey string `json:"profile_key"`
	Channel    string `json:"channel"`
	Status     string `json:"status"`
}

// SetConsent records a profile's consent for a channel.
func (l *Local) SetConsent(ctx context.Context, dimension string, key []any, ch, status, source string) (*ConsentSet, error) {
	pk, err := delivery.ProfileKeyOf(ctx, l.store, dimension, key)
	if err != nil {
		return nil, err
	}
	if err := delivery.SetConsent(ctx, l.store, dimension, pk, ch, status, cmp.Or(source, caller(ctx)), time.Now()); err != nil {
		return nil, Refused(err)
	}
	return &ConsentSet{Dimension: dimension, ProfileKey: pk, Channel: ch, Status: status}, nil
}

// Suppressions reads a page of a channel's suppression list (see
// delivery.Suppressions).
func (l *Local) Suppressions(ctx context.Context, ch, address string, exact bool, limit int) ([]delivery.Suppression, error) {
	if limit < 0 || limit > delivery.MaxSuppressionsPage {
		return nil, BadRequest(fmt.Sprintf("limit %q: want 1 to %d", strconv.Itoa(limit), delivery.MaxSuppressionsPage))
	}
	return delivery.Suppressions(ctx, l.store, ch, address, exact, limit)
}

// Suppress puts an address on the suppression list.
func (l *Local) Suppress(ctx context.Context, ch, address, reason string) error {
	if err := delivery.Suppress(ctx, l.store, ch, address, cmp.Or(reason, caller(ctx)), time.Now()); err != nil {
		return Refused(err)
	}
	return nil
}

// Unsuppress takes an address off the suppression list.
func (l *Local) Unsuppress(ctx context.Context, ch, address string) error {
	return delivery.Unsuppress(ctx, l.store, ch, address)
}

// ConsentRequest records a profile's consent for a channel.
type ConsentRequest struct {
	Dimension string `json:"dimension"`
	// Key holds the profile's key values in key order.
	Key     []any  `json:"key"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
	Source  string `json:"source,omitempty"`
}

// SuppressionRequest puts an address on (or takes it off) the list.
type SuppressionRequest struct {
	Channel string `json:"channel"`
	Address string `json:"address"`
	Reason  string `json:"reason,omitempty"`
}

// ProfileErase removes every trace of a profile's messages (events,
// sandbox copies, outbox rows); its consent and suppressions stay.
func (l *Local) ProfileErase(ctx context.Context, dimension string, key []any) (*delivery.Erasure, error) {
	return delivery.EraseProfile(ctx, l.store, dimension, key)
}
