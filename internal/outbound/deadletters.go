package outbound

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// DeadLetter is a batch no attempt delivered, as operators list it.
type DeadLetter struct {
	ID          int64  `json:"id"`
	Destination string `json:"destination"`
	// Kind is "events" (numbered FirstSeq to LastSeq) or "audience" (a
	// part of a saved audience's publication, its name in Audience, its
	// version as FirstSeq and LastSeq; Part 0 for a whole publication,
	// as they were posted before they had parts).
	Kind     string `json:"kind"`
	Audience string `json:"audience,omitempty"`
	FirstSeq int64  `json:"first_seq,omitempty"`
	LastSeq  int64  `json:"last_seq,omitempty"`
	// Part is the part's number, from 1, and Last whether it was the
	// publication's last.
	Part          int       `json:"part,omitempty"`
	Last          bool      `json:"last,omitempty"`
	Items         int64     `json:"items"`
	Attempts      int       `json:"attempts"`
	Error         string    `json:"error"`
	CreatedAt     time.Time `json:"created_at"`
	RedeliveredAt time.Time `json:"redelivered_at,omitzero"`
	// Body is what every attempt sent (shown with one dead letter, not
	// in lists).
	Body string `json:"body,omitempty"`
}

func deadLetterOf(d store.DeadLetter) DeadLetter {
	out := DeadLetter{ID: d.ID, Destination: d.Destination, Kind: d.Kind, Audience: d.Subject, FirstSeq: d.FirstSeq, LastSeq: d.LastSeq,
		Items: d.Items, Attempts: d.Attempts, Error: d.Error, CreatedAt: d.CreatedAt, RedeliveredAt: d.RedeliveredAt, Body: d.Body}
	if d.Kind == storedPart || d.Kind == storedLastPart {
		out.Kind, out.LastSeq, out.Part, out.Last = KindAudience, d.FirstSeq, int(d.LastSeq), d.Kind == storedLastPart
	}
	return out
}

// Filter selects dead letters: of one destination (all when empty),
// redelivered or not (nil for both), the newest Limit (0: 100, at most
// 1000).
type Filter struct {
	Destination string
	Redelivered *bool
	Limit       int
}

// Most dead letters one list returns.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// DeadLetters lists the dead letters a filter selects, newest first,
// without their bodies.
func DeadLetters(ctx context.Context, s *store.Store, f Filter) ([]DeadLetter, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultListLimit
	}
	sf := store.DeadLetterFilter{Destination: f.Destination, Limit: min(f.Limit, MaxListLimit)}
	if f.Redelivered != nil {
		sf.Redelivered = map[bool]string{true: "yes", false: "no"}[*f.Redelivered]
	}
	ds, err := s.Outbound().DeadLetters(ctx, sf)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, len(ds))
	for i, d := range ds {
		out[i] = deadLetterOf(d)
	}
	return out, nil
}

// DeadLetters lists this process's dead letters; a destination it does
// not configure is ErrUnknownDestination.
func (s *Set) DeadLetters(ctx context.Context, f Filter) ([]DeadLetter, error) {
	if f.Destination != "" {
		if err := s.known(f.Destination); err != nil {
			return nil, err
		}
	}
	return DeadLetters(ctx, s.store, f)
}

// DeadLetter returns one dead letter with its body (ErrUnknownDeadLetter).
func (s *Set) DeadLetter(ctx context.Context, id int64) (*DeadLetter, error) {
	d, err := s.store.Outbound().DeadLetter(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrUnknownDeadLetter)
	}
	if err != nil {
		return nil, err
	}
	out := deadLetterOf(d)
	return &out, nil
}

// Redeliver posts a dead letter's body again, once, signed anew with the
// same webhook id (receivers deduplicate by it), and records it
// delivered; a refusal is ErrDeliveryFailed and leaves it listed.
func (s *Set) Redeliver(ctx context.Context, id int64) (*DeadLetter, error) {
	d, err := s.store.Outbound().DeadLetter(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("dead letter %d: %w", id, ErrUnknownDeadLetter)
	}
	if err != nil {
		return nil, err
	}
	dest, ok := s.dests[d.Destination]
	if !ok || dest.Kind != "webhook" {
		return nil, fmt.Errorf("dead letter %d: %w %q (this server's --outbound configuration has no webhook of that name)", id, ErrUnknownDestination, d.Destination)
	}
	hook := s.webhook(dest)
	var webhookID, contentType string
	var extra http.Header
	if d.Kind == KindEvents {
		webhookID, contentType = fmt.Sprintf("%s-events-%d-%d", d.Destination, d.FirstSeq, d.LastSeq), "application/x-ndjson"
	} else {
		dl := deadLetterOf(d)
		webhookID, contentType, extra = audienceRequest(d.Destination, dl.Audience, dl.FirstSeq, dl.Part, dl.Last, formatOf(d.Body))
	}
	if _, err := hook.Post(ctx, webhookID, contentType, extra, []byte(d.Body), 1); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("dead letter %d: %w: %v", id, ErrDeliveryFailed, err)
	}
	if err := s.store.Outbound().Redelivered(ctx, id, d.Attempts+1, s.now()); err != nil {
		return nil, err
	}
	d.Attempts++
	d.RedeliveredAt = s.now().UTC()
	out := deadLetterOf(d)
	out.Body = ""
	return &out, nil
}
