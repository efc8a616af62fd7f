package outbound

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Status is a destination as operators watch it: where it goes, and for
// a destination that streams events, where its exporter stands — the
// last event delivered (Cursor), the events not exported yet (Lag), the
// node holding it and until when, since when a missing number is waited
// for — and the dead letters not redelivered yet.
type Status struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Events bool   `json:"events"`
	// Target is a files destination's directory or a webhook's URL
	// (without its query and user).
	Target      string    `json:"target"`
	Cursor      int64     `json:"cursor"`
	Lag         int64     `json:"lag"`
	LeaseOwner  string    `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	GapSince    time.Time `json:"gap_since,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	DeadLetters int64     `json:"dead_letters"`
}

// Status lists the destinations, as configured, with where each stands.
func (s *Set) Status(ctx context.Context) ([]Status, error) {
	cursors, err := s.store.Outbound().Cursors(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := s.store.Outbound().PendingDeadLetters(ctx)
	if err != nil {
		return nil, err
	}
	out := []Status{}
	for _, name := range s.order {
		d := s.dests[name]
		st := Status{Name: name, Kind: d.Kind, Events: d.Events, Target: d.Dir, DeadLetters: pending[name]}
		if d.Kind == "webhook" {
			st.Target = redact(d.URL)
		}
		if c, ok := cursors[name]; ok {
			st.Cursor, st.LeaseOwner, st.LeaseUntil, st.GapSince, st.UpdatedAt = c.Seq, c.LeaseOwner, c.LeaseUntil, c.GapSince, c.UpdatedAt
		}
		if d.Events {
			if st.Lag, err = s.store.Events().CountAfter(ctx, st.Cursor); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// known is nil for a configured destination, ErrUnknownDestination
// naming the configured ones otherwise.
func (s *Set) known(name string) error {
	if _, ok := s.dests[name]; ok {
		return nil
	}
	return fmt.Errorf("destination: %w %q (configured: %s)", ErrUnknownDestination, name, strings.Join(s.order, ", "))
}
