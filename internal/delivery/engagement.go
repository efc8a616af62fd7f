package delivery

import (
	"context"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Engagement is what the recipients of a channel activity's messages did
// with them: opens and clicks by people (unique: the messages opened or
// clicked; total: every open or click) and, apart, by machines (privacy
// proxies fetching images, scanners following links), never counted as
// people's. An anonymous event counts in the totals only.
type Engagement struct {
	Opened         int64 `json:"opened"`
	OpenedTotal    int64 `json:"opened_total"`
	OpenedMachine  int64 `json:"opened_machine"`
	Clicked        int64 `json:"clicked"`
	ClickedTotal   int64 `json:"clicked_total"`
	ClickedMachine int64 `json:"clicked_machine"`
	// Delivered, BouncedHard, BouncedSoft and Complaints count messages
	// by what providers reported of them (webhooks).
	Delivered   int64 `json:"delivered"`
	BouncedHard int64 `json:"bounced_hard"`
	BouncedSoft int64 `json:"bounced_soft"`
	Complaints  int64 `json:"complaints"`
	// Unsubscribed counts messages whose unsubscribe link was used.
	Unsubscribed int64 `json:"unsubscribed"`
	// Links are people's clicks by link, most clicked first.
	Links []LinkClicks `json:"links,omitempty"`
}

// LinkClicks are the clicks people made on one link.
type LinkClicks struct {
	Link   int    `json:"link"`
	URL    string `json:"url"`
	Label  string `json:"label,omitempty"`
	Clicks int64  `json:"clicks"`
	Unique int64  `json:"unique"`
}

// addEngagement adds the run's opens and clicks to its figures.
func addEngagement(ctx context.Context, s *store.Store, runID int64, byAct map[string]*Figures) error {
	counts, err := s.Events().Counts(ctx, runID)
	if err != nil {
		return err
	}
	links, err := s.Events().Links(ctx, runID)
	if err != nil {
		return err
	}
	of := func(act string) *Engagement {
		f := byAct[act]
		if f == nil {
			return nil // events of an activity with no messages: none to add to
		}
		if f.Engagement == nil {
			f.Engagement = &Engagement{}
		}
		return f.Engagement
	}
	for _, c := range counts {
		e := of(c.Activity)
		if e == nil {
			continue
		}
		switch {
		case c.Type == EventOpen && c.Machine:
			e.OpenedMachine += c.Total
		case c.Type == EventOpen:
			e.Opened, e.OpenedTotal = e.Opened+c.Unique, e.OpenedTotal+c.Total
		case c.Type == EventClick && c.Machine:
			e.ClickedMachine += c.Total
		case c.Type == EventClick:
			e.Clicked, e.ClickedTotal = e.Clicked+c.Unique, e.ClickedTotal+c.Total
		case c.Type == EventDelivered:
			e.Delivered += c.Unique
		case c.Type == EventBounceHard:
			e.BouncedHard += c.Unique
		case c.Type == EventBounceSoft:
			e.BouncedSoft += c.Unique
		case c.Type == EventComplaint:
			e.Complaints += c.Unique
		case c.Type == EventUnsubscribe:
			e.Unsubscribed += c.Unique
		}
	}
	for _, l := range links {
		if e := of(l.Activity); e != nil {
			e.Links = append(e.Links, LinkClicks{Link: l.Link, URL: l.URL, Label: l.Label, Clicks: l.Total, Unique: l.Unique})
		}
	}
	return nil
}
