package delivery

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// CampaignReport is a campaign's report over its live runs (simulations
// send nothing and are left out) started within a span: the figures of
// every run summed, by run, by channel activity and by channel.
type CampaignReport struct {
	Campaign string `json:"campaign"`
	// Since and Until bound the runs' starts, [Since, Until); absent: open.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Totals are the figures of all the runs.
	Totals Totals `json:"totals"`
	// Runs are the runs, oldest first, each with its figures.
	Runs []RunTotals `json:"runs"`
	// Activities are each channel activity's figures over the runs.
	Activities []ActivityTotals `json:"activities"`
	// Channels are each channel's figures over the runs.
	Channels []ChannelTotals `json:"channels"`
}

// RunTotals are one run's figures in a campaign's report.
type RunTotals struct {
	Run       int64     `json:"run"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	Totals
}

// ActivityTotals are one channel activity's figures over a campaign's
// runs; Runs counts the runs that sent through it.
type ActivityTotals struct {
	Activity string `json:"activity"`
	Channel  string `json:"channel"`
	Runs     int    `json:"runs"`
	Totals
}

// CampaignRunsReport reports on a campaign's live runs started within
// [since, until) (a zero time: open), reading each run's figures as its
// own report does.
func CampaignRunsReport(ctx context.Context, s *store.Store, campaign string, since, until time.Time) (*CampaignReport, error) {
	runs, err := s.Runs().Live(ctx, campaign, since, until)
	if err != nil {
		return nil, fmt.Errorf("list the runs of campaign %q: %w", campaign, err)
	}
	r := &CampaignReport{Campaign: campaign, Runs: make([]RunTotals, 0, len(runs)), Activities: []ActivityTotals{}, Channels: []ChannelTotals{}}
	if !since.IsZero() {
		t := since.UTC()
		r.Since = &t
	}
	if !until.IsZero() {
		t := until.UTC()
		r.Until = &t
	}
	acts := map[[2]string]*ActivityTotals{}
	var all []Figures
	for _, run := range runs {
		figs, err := RunFigures(ctx, s, run.ID)
		if err != nil {
			return nil, fmt.Errorf("the figures of run %d: %w", run.ID, err)
		}
		rt := RunTotals{Run: run.ID, Status: run.Status, StartedAt: run.CreatedAt}
		for _, f := range figs {
			rt.add(f)
			r.Totals.add(f)
			k := [2]string{f.Activity, f.Channel}
			a := acts[k]
			if a == nil {
				a = &ActivityTotals{Activity: f.Activity, Channel: f.Channel}
				acts[k] = a
			}
			a.Runs++
			a.add(f)
		}
		all = append(all, figs...)
		r.Runs = append(r.Runs, rt)
	}
	for _, a := range acts {
		r.Activities = append(r.Activities, *a)
	}
	sort.Slice(r.Activities, func(i, j int) bool {
		x, y := r.Activities[i], r.Activities[j]
		return x.Activity < y.Activity || x.Activity == y.Activity && x.Channel < y.Channel
	})
	r.Channels = append(r.Channels, byChannel(all)...)
	return r, nil
}

// WriteCSV writes the report's runs as CSV, one line per run: its id,
// start (RFC 3339, UTC), status and figures.
func (r *CampaignReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"run", "started_at", "status"}, totalsColumns...)); err != nil {
		return err
	}
	for _, run := range r.Runs {
		line := append([]string{strconv.FormatInt(run.Run, 10), run.StartedAt.UTC().Format(time.RFC3339), run.Status}, run.csv()...)
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
