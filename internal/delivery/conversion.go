package delivery

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/datamodel"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/worktable"
)

// ErrInvalidConversion is a conversion the report cannot count: a query
// that does not read or compile, a window that is not a duration.
var ErrInvalidConversion = errors.New("invalid conversion")

// AdHocConversion names a conversion given with the report rather than
// in the campaign's document.
const AdHocConversion = "conversion"

// Uplift compares, on one conversion, a split's treated subsets (each
// feeding a channel activity) with its control group (a subset feeding
// none): each subset's members, how many converted and their rate, and
// for a treated subset its difference from the control's rate with
// Newcombe's 95 % interval.
type Uplift struct {
	Split      string `json:"split"`
	Conversion string `json:"conversion"`
	Query      string `json:"query"`
	Within     string `json:"within,omitempty"`
	// Reference is the control group's reference time, and a treated
	// member's whose message did not go: the median time the treated
	// subsets' messages were sent.
	Reference time.Time `json:"reference,omitzero"`
	// Random is true when every subset of the split is drawn at random
	// (order random, no where): only then does the difference measure
	// what the messages did.
	Random bool          `json:"random"`
	Groups []UpliftGroup `json:"groups"`
	// Unavailable says why nothing was counted: nothing sent yet, or the
	// run's working tables dropped after its retention.
	Unavailable string `json:"unavailable,omitempty"`
}

// UpliftGroup is one subset's conversions. The control group comes
// first; each treated subset carries its uplift over the control's rate
// with the interval, Conclusive when the interval leaves out 0, TooSmall
// when either group has fewer than MinGroup members.
type UpliftGroup struct {
	Subset string `json:"subset"`
	// Activity is the channel activity the subset feeds; "" for the
	// control group.
	Activity   string   `json:"activity,omitempty"`
	Control    bool     `json:"control,omitempty"`
	Members    int64    `json:"members"`
	Converted  int64    `json:"converted"`
	Rate       float64  `json:"rate"`
	Uplift     *float64 `json:"uplift,omitempty"`
	Low        *float64 `json:"low,omitempty"`
	High       *float64 `json:"high,omitempty"`
	Conclusive bool     `json:"conclusive,omitempty"`
	TooSmall   bool     `json:"too_small,omitempty"`
}

// controlSplit is a split with a control group and treated subsets.
type controlSplit struct {
	act     *campaign.Activity
	control string
	treated []UpliftGroup // subset and activity
	random  bool
}

// controlSplits finds the splits with a control group: a subset (or the
// remainder) from which no channel activity follows (it feeds nothing, an
// end, or a save_audience keeping the group), beside subsets feeding
// channel activities directly. The first such subset is the control.
func controlSplits(d *campaign.Document) []controlSplit {
	var out []controlSplit
	for _, a := range d.Activities {
		var s campaign.Split
		if a.Type != "split" || a.Decode(&s) != nil {
			continue
		}
		cs := controlSplit{act: a, random: true}
		ports := make([]string, 0, len(s.Subsets)+1)
		for _, sub := range s.Subsets {
			ports = append(ports, sub.Name)
			cs.random = cs.random && sub.Order == "random" && sub.Where == ""
		}
		if s.Remainder {
			ports = append(ports, campaign.PortRemainder)
		}
		for _, port := range ports {
			channel, sends := "", false
			for _, t := range d.Transitions {
				if t.From != a.ID || t.Output != port {
					continue
				}
				if to := d.Activity(t.To); to != nil && campaign.Types[to.Type].Channel && channel == "" {
					channel = to.ID
				}
				sends = sends || reachesChannel(d, t.To, map[string]bool{})
			}
			switch {
			case channel != "":
				cs.treated = append(cs.treated, UpliftGroup{Subset: port, Activity: channel})
			case !sends && cs.control == "":
				cs.control = port
			}
		}
		if cs.control != "" && len(cs.treated) > 0 {
			out = append(out, cs)
		}
	}
	return out
}

// reachesChannel reports whether a channel activity is id or follows it:
// a subset from which none does receives nothing, whatever else it feeds
// (a save_audience keeping the control group, an end).
func reachesChannel(d *campaign.Document, id string, seen map[string]bool) bool {
	if seen[id] {
		return false
	}
	seen[id] = true
	if a := d.Activity(id); a != nil && campaign.Types[a.Type].Channel {
		return true
	}
	for _, t := range d.Transitions {
		if t.From == id && reachesChannel(d, t.To, seen) {
			return true
		}
	}
	return false
}

// conversions compares the run's splits with a control group on each
// conversion: the campaign's (report.conversions) and extra, given with
// the report (whose query must compile: ErrInvalidConversion). A
// campaign's conversion that no longer compiles (the data model
// changed) says so in Unavailable.
func conversions(ctx context.Context, s *store.Store, runID int64, extra *campaign.Conversion, now time.Time) ([]Uplift, error) {
	raw, err := s.Runs().Content(ctx, runID)
	if err != nil {
		return nil, err
	}
	d, err := campaign.Parse([]byte(raw.Document))
	if err != nil {
		return nil, nil // a document that no longer reads compares nothing
	}
	convs := slices.Clone(d.Conversions)
	if extra != nil {
		convs = append(convs, *extra)
	}
	splits := controlSplits(d)
	if len(convs) == 0 || len(splits) == 0 {
		return nil, nil
	}
	m, _, err := schema.Current(ctx, s)
	if err != nil {
		return nil, err
	}
	outs, err := s.Runs().Outputs(ctx, runID)
	if err != nil {
		return nil, err
	}
	var res []Uplift
	for _, sp := range splits {
		for i, c := range convs {
			u, err := uplift(ctx, s, runID, sp, outs, c, func(dim string) (*audience.Query, error) {
				q, err := campaign.ConversionQuery(c, dim, d.Variables)
				if q != nil {
					q.Now = now
				}
				return q, err
			}, m)
			if errors.Is(err, ErrInvalidConversion) && (extra == nil || i < len(convs)-1) {
				u.Unavailable, err = err.Error(), nil
			}
			if err != nil {
				return nil, err
			}
			res = append(res, u)
		}
	}
	return res, nil
}

// conversionQuery reads a conversion's query over a dimension.
type conversionQuery func(dim string) (*audience.Query, error)

// uplift counts one conversion over a split's control group and treated
// subsets and compares them.
func uplift(ctx context.Context, s *store.Store, runID int64, sp controlSplit, outs []store.OutputRecord, c campaign.Conversion, query conversionQuery, m *datamodel.Model) (Uplift, error) {
	u := Uplift{Split: sp.act.ID, Conversion: c.Name, Query: c.Query, Random: sp.random, Groups: []UpliftGroup{}}
	if c.Within.N > 0 {
		u.Within = c.Within.String()
	}
	byPort := map[string]store.OutputRecord{}
	for _, o := range outs {
		if o.Activity == sp.act.ID {
			byPort[o.Port] = o
		}
	}
	ctl, ok := byPort[sp.control]
	if !ok || ctl.Control || ctl.Dimension == "" {
		u.Unavailable = "the split has not run"
		return u, nil
	}
	u.Groups = append(u.Groups, UpliftGroup{Subset: sp.control, Control: true, Members: ctl.Count})
	subsets := []store.ConversionSubset{{Name: sp.control, Table: ctl.Table}}
	var acts []string
	for _, g := range sp.treated {
		if o, ok := byPort[g.Subset]; ok && !o.Control {
			g.Members = o.Count
			u.Groups = append(u.Groups, g)
			subsets = append(subsets, store.ConversionSubset{Name: g.Subset, Table: o.Table, Activity: g.Activity})
			acts = append(acts, g.Activity)
		}
	}
	ref, sent, err := s.Outbox().MedianSent(ctx, runID, acts)
	if err != nil || sent == 0 {
		u.Unavailable = "no message of the treated subsets was sent yet"
		return u, err
	}
	u.Reference = ref
	for _, sub := range subsets {
		names, err := s.Runs().WorkTables(ctx, runID, sub.Table, false)
		if err != nil {
			return u, err
		}
		if !slices.Contains(names, sub.Table) {
			u.Unavailable = "the split's rows are gone: the run's working tables were dropped after its retention (policy.retention)"
			return u, nil
		}
	}
	dim := m.Entity(ctl.Dimension)
	if dim == nil {
		u.Unavailable = fmt.Sprintf("the split's dimension %s is no longer in the data model", ctl.Dimension)
		return u, nil
	}
	q, err := query(dim.Name)
	if err != nil {
		return u, fmt.Errorf("%w %s: %v", ErrInvalidConversion, c.Name, err)
	}
	over := audience.Over{Table: store.ConversionMembers, Group: store.ConversionGroup,
		Refs: map[string]string{audience.RefSentAt: store.ConversionSentAt, audience.RefWindowEnd: store.ConversionWindowEnd}}
	aud := func(name string) (string, error) { return s.Audiences().MemberTable(ctx, name) }
	text, args, err := audience.CountOver(m, s.Dialect, q, aud, over)
	if err != nil {
		return u, fmt.Errorf("%w %s: %v", ErrInvalidConversion, c.Name, err)
	}
	counts, err := s.Runs().Conversions(ctx, store.ConversionCount{RunID: runID, Key: dim.Key, Recipient: worktable.Recipient("w", dim.Key),
		Reference: ref, Window: interval(c.Within), Subsets: subsets, Count: text, CountArgs: args})
	if err != nil {
		return u, err
	}
	base := &u.Groups[0]
	base.Converted = counts[base.Subset]
	base.Rate = rate(base.Converted, base.Members)
	for i := 1; i < len(u.Groups); i++ {
		g := &u.Groups[i]
		g.Converted = counts[g.Subset]
		g.Rate = rate(g.Converted, g.Members)
		diff, lo, hi := Newcombe(g.Converted, g.Members, base.Converted, base.Members)
		g.Uplift, g.Low, g.High = &diff, &lo, &hi
		g.TooSmall = g.Members < MinGroup || base.Members < MinGroup
		g.Conclusive = !g.TooSmall && (lo > 0 || hi < 0)
	}
	return u, nil
}

// interval writes a window as an SQL interval both databases read; ""
// for none. The sessions' time zone is UTC, so days are 24 hours.
func interval(d campaign.Duration) string {
	if d.N <= 0 {
		return ""
	}
	unit := map[string]string{"s": "seconds", "min": "minutes", "h": "hours", "d": "days", "mo": "months", "y": "years"}[d.Unit]
	n := d.N
	if d.Unit == "w" {
		n, unit = 7*d.N, "days"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// upliftColumns are the columns of the uplifts' CSV, one line per subset.
var upliftColumns = []string{"split", "conversion", "within", "reference", "random", "subset", "activity", "control",
	"members", "converted", "rate", "uplift", "low", "high", "conclusive", "too_small", "unavailable"}

// WriteUpliftCSV writes the report's uplifts as CSV, one line per subset
// of each split and conversion, the control group first (rates and
// differences as fractions with 4 decimals; a control group's difference
// empty).
func (r *Report) WriteUpliftCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(upliftColumns); err != nil {
		return err
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	for _, u := range r.Uplifts {
		ref := ""
		if !u.Reference.IsZero() {
			ref = u.Reference.UTC().Format(time.RFC3339)
		}
		groups := u.Groups
		if len(groups) == 0 {
			groups = []UpliftGroup{{}}
		}
		for _, g := range groups {
			rt := g.Rate
			line := []string{u.Split, u.Conversion, u.Within, ref, strconv.FormatBool(u.Random), g.Subset, g.Activity, strconv.FormatBool(g.Control),
				strconv.FormatInt(g.Members, 10), strconv.FormatInt(g.Converted, 10), f(&rt), f(g.Uplift), f(g.Low), f(g.High),
				strconv.FormatBool(g.Conclusive), strconv.FormatBool(g.TooSmall), u.Unavailable}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
