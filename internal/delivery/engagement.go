package delivery

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
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
	// Delivered, BouncedHard, BouncedSoft, Complaints and ReportedFailed
	// count messages by what providers reported of them (email webhooks,
	// SMS status callbacks, SMS and push providers' answers): a dead
	// address (email, number, push token) is a hard bounce, a message
	// refused for itself (a carrier's filter, a rejected push payload)
	// reported failed.
	Delivered      int64 `json:"delivered"`
	BouncedHard    int64 `json:"bounced_hard"`
	BouncedSoft    int64 `json:"bounced_soft"`
	Complaints     int64 `json:"complaints"`
	ReportedFailed int64 `json:"reported_failed"`
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

// addEngagement adds the run's opens and clicks to its figures, first
// folding the events recorded since the last fold into the tallies it
// reads (store.Events.Roll).
func addEngagement(ctx context.Context, s *store.Store, runID int64, byAct map[string]*Figures) error {
	if _, err := s.Events().Roll(ctx, time.Now()); err != nil {
		return fmt.Errorf("fold the events into the reports' tallies: %w", err)
	}
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
		case c.Type == EventFailed:
			e.ReportedFailed += c.Unique
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

// Report is a run's report: each channel activity's figures with what
// recipients did, its events over time and its emails by recipient
// domain.
type Report struct {
	Run        int64     `json:"run"`
	Activities []Figures `json:"activities"`
	// Channels sums the activities' figures by channel: what was sent,
	// delivered and failed by email, SMS and push.
	Channels []ChannelTotals `json:"channels"`
	By       string          `json:"by"`
	Series   []SeriesPoint   `json:"series"`
	Domains  []DomainFigures `json:"domains"`
	// Comparisons set side by side the messages of a split's subsets (an
	// A/B test), their rates' differences with 95 % intervals.
	Comparisons []Comparison `json:"comparisons"`
	// Uplifts compare, on each conversion, a split's treated subsets
	// with its control group (a subset that feeds no channel).
	Uplifts []Uplift `json:"uplifts"`
}

// SeriesPoint counts an activity's events of one type in an hour or day.
type SeriesPoint struct {
	At       time.Time `json:"at"`
	Activity string    `json:"activity"`
	Type     string    `json:"type"`
	Machine  bool      `json:"machine,omitempty"`
	Events   int64     `json:"events"`
}

// DomainFigures is what happened to an activity's emails to one domain.
type DomainFigures struct {
	Activity   string `json:"activity"`
	Domain     string `json:"domain"`
	Sent       int64  `json:"sent"`
	Opened     int64  `json:"opened"`
	Clicked    int64  `json:"clicked"`
	Bounced    int64  `json:"bounced"`
	Complaints int64  `json:"complaints"`
}

// ReportOptions say how a run's report is made: its events counted by
// hour or day (By, "" is day), and a conversion to compare the splits'
// control groups on beside the campaign's own (Conversion, nil for none),
// whose relative dates are measured from Now (zero: the time of the
// report).
type ReportOptions struct {
	By         string
	Conversion *campaign.Conversion
	Now        time.Time
}

// RunReport reports on a run.
func RunReport(ctx context.Context, s *store.Store, runID int64, opt ReportOptions) (*Report, error) {
	by := opt.By
	if by == "" {
		by = "day"
	}
	if by != "hour" && by != "day" {
		return nil, fmt.Errorf("report by %q: want hour or day", by)
	}
	figs, err := RunFigures(ctx, s, runID)
	if err != nil {
		return nil, err
	}
	series, err := s.Events().Series(ctx, runID, by)
	if err != nil {
		return nil, err
	}
	domains, err := s.Events().Domains(ctx, runID)
	if err != nil {
		return nil, err
	}
	comps, err := compare(ctx, s, runID, figs)
	if err != nil {
		return nil, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	ups, err := conversions(ctx, s, runID, opt.Conversion, opt.Now)
	if err != nil {
		return nil, err
	}
	r := &Report{Uplifts: append([]Uplift{}, ups...), Run: runID, Activities: figs, Channels: byChannel(figs), By: by, Series: make([]SeriesPoint, len(series)), Domains: make([]DomainFigures, len(domains)),
		Comparisons: append([]Comparison{}, comps...)}
	for i, b := range series {
		r.Series[i] = SeriesPoint{At: b.At, Activity: b.Activity, Type: b.Type, Machine: b.Machine, Events: b.Events}
	}
	for i, d := range domains {
		r.Domains[i] = DomainFigures{Activity: d.Activity, Domain: d.Domain, Sent: d.Sent, Opened: d.Opened, Clicked: d.Clicked, Bounced: d.Bounced, Complaints: d.Complaints}
	}
	return r, nil
}

// reportColumns are the columns of a report's CSV, one line per channel
// activity.
var reportColumns = []string{"activity", "channel", "targeted", "sent", "excluded", "failed", "in_doubt", "pending",
	"delivered", "bounced_hard", "bounced_soft", "opened", "opens", "opens_by_machines", "clicked", "clicks", "clicks_by_machines",
	"click_to_open", "complaints", "unsubscribed", "reported_failed"}

// WriteCSV writes the report's figures as CSV, one line per channel
// activity (rates as fractions with 4 decimals).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(reportColumns); err != nil {
		return err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, f := range r.Activities {
		e := f.Engagement
		if e == nil {
			e = &Engagement{}
		}
		ctor := ""
		if e.Opened > 0 {
			ctor = strconv.FormatFloat(float64(e.Clicked)/float64(e.Opened), 'f', 4, 64)
		}
		if err := cw.Write([]string{f.Activity, f.Channel, n(f.Targeted), n(f.Sent), n(f.Excluded), n(f.Failed), n(f.InDoubt), n(f.Pending),
			n(e.Delivered), n(e.BouncedHard), n(e.BouncedSoft), n(e.Opened), n(e.OpenedTotal), n(e.OpenedMachine), n(e.Clicked), n(e.ClickedTotal), n(e.ClickedMachine),
			ctor, n(e.Complaints), n(e.Unsubscribed), n(e.ReportedFailed)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
