package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// viaAPI reports whether the caller came through the API (an API token):
// what it records as a run's trigger, a consent's source or a
// suppression's reason when the caller names none.
func viaAPI(ctx context.Context) bool {
	a, ok := audit.From(ctx)
	return ok && a.Kind == audit.KindToken
}

// caller names the caller's kind where one is recorded: "api" or "cli".
func caller(ctx context.Context) string {
	if viaAPI(ctx) {
		return "api"
	}
	return "cli"
}

// RunStart starts a run; a live run with parameters is the campaign's
// external signal.
func (l *Local) RunStart(ctx context.Context, name string, opts engine.RunOptions) (*engine.Run, error) {
	if opts.Trigger == "" && viaAPI(ctx) {
		opts.Trigger = "api"
	}
	return l.eng.Start(ctx, name, opts)
}

// Runs lists a campaign's runs, newest first.
func (l *Local) Runs(ctx context.Context, name string, limit int) ([]engine.Run, error) {
	return l.eng.Runs(ctx, name, limit)
}

// RecentRuns lists the latest runs of every campaign, newest first
// (limit 0: 50, at most 1000).
func (l *Local) RecentRuns(ctx context.Context, limit int) ([]engine.Run, error) {
	if limit < 0 {
		return nil, BadRequest("limit must not be negative")
	}
	return l.eng.RecentRuns(ctx, min(limit, 1000))
}

// RunStatus returns a run's graph with counts.
func (l *Local) RunStatus(ctx context.Context, id int64) (*engine.RunStatus, error) {
	return l.eng.Status(ctx, id)
}

// RunLogRequest selects lines of a run's log: of one activity (nil: all;
// "": the run's own lines), numbered after After, at most Limit (0:
// engine.MaxLogLines, which is also the most).
type RunLogRequest struct {
	Activity *string
	After    int64
	Limit    int
}

// RunLog reads a run's log.
func (l *Local) RunLog(ctx context.Context, id int64, req RunLogRequest) ([]engine.LogEntry, error) {
	if req.Limit < 0 || req.After < 0 {
		return nil, BadRequest("after and limit must not be negative")
	}
	return l.eng.Log(ctx, id, engine.LogQuery{Activity: req.Activity, After: req.After, Limit: req.Limit})
}

// RunAction pauses, resumes or stops a run.
func (l *Local) RunAction(ctx context.Context, id int64, action string) (*engine.RunStatus, error) {
	var err error
	switch action {
	case "pause":
		err = l.eng.Pause(ctx, id)
	case "resume":
		err = l.eng.Resume(ctx, id)
	case "stop":
		err = l.eng.Stop(ctx, id)
	default:
		err = BadRequest(fmt.Sprintf("unknown run action %q", action))
	}
	if err != nil {
		return nil, err
	}
	return l.eng.Status(ctx, id)
}

// RunRetry retries a failed activity.
func (l *Local) RunRetry(ctx context.Context, id int64, activity string) (*engine.RunStatus, error) {
	if err := l.eng.Retry(ctx, id, activity); err != nil {
		return nil, err
	}
	return l.eng.Status(ctx, id)
}

// RunResolve resends or drops a run's in-doubt messages, an operator's
// decision recorded with the caller who took it.
func (l *Local) RunResolve(ctx context.Context, id int64, req engine.ResolveRequest) (*engine.Resolution, error) {
	actor, ok := audit.From(ctx)
	if !ok {
		return nil, BadRequest("no caller to record the decision for")
	}
	return l.eng.Resolve(ctx, id, req, actor)
}

// RunPreview returns the first rows of a transition.
func (l *Local) RunPreview(ctx context.Context, id int64, activity, port string, limit int) ([]string, [][]any, error) {
	return l.eng.Preview(ctx, id, activity, port, limit)
}

// RunBreakdown counts all the rows of a transition by the values of one
// of their columns.
func (l *Local) RunBreakdown(ctx context.Context, id int64, activity, port, column string, top int) (*engine.Breakdown, error) {
	if column == "" {
		return nil, BadRequest("name the column to count the values of (column)")
	}
	if top < 0 {
		return nil, BadRequest("top must not be negative")
	}
	return l.eng.Breakdown(ctx, id, activity, port, column, top)
}

// RunFigures returns the delivery figures of a run's channel activities.
func (l *Local) RunFigures(ctx context.Context, id int64) ([]delivery.Figures, error) {
	return delivery.RunFigures(ctx, l.store, id)
}

// RunReportRequest says how a run's report is made: its events counted
// by hour or day (By, "" is day), and a conversion to compare the
// splits' control groups on beside the campaign's own: an audience query
// (Conversion, text syntax) where $sent_at is each member's reference
// time and $window_end that time plus Within (a duration, 7d).
type RunReportRequest struct {
	By         string `json:"by,omitempty"`
	Conversion string `json:"conversion,omitempty"`
	Within     string `json:"within,omitempty"`
}

// RunReport reports on a run: each channel activity's figures with what
// recipients did, its events by hour or day, its emails by recipient
// domain, its A/B comparisons and its control groups' uplifts.
func (l *Local) RunReport(ctx context.Context, id int64, req RunReportRequest) (*delivery.Report, error) {
	if req.By != "" && req.By != "hour" && req.By != "day" {
		return nil, BadRequest(fmt.Sprintf("by %q: want hour or day", req.By))
	}
	opt := delivery.ReportOptions{By: req.By}
	switch {
	case req.Conversion != "":
		c := campaign.Conversion{Name: delivery.AdHocConversion, Query: req.Conversion}
		if req.Within != "" {
			d, err := audience.ParseDuration(req.Within)
			if err != nil || d.N <= 0 {
				return nil, BadRequest(fmt.Sprintf("within %q: want a duration longer than 0, such as 7d", req.Within))
			}
			c.Within = d
		}
		if _, err := audience.ParseText(req.Conversion); err != nil {
			return nil, BadRequest(fmt.Sprintf("conversion: cannot read the query: %v", err))
		}
		opt.Conversion = &c
	case req.Within != "":
		return nil, BadRequest("within is the window of a conversion: give the conversion too")
	}
	if _, err := l.eng.Run1(ctx, id); err != nil {
		return nil, err
	}
	r, err := delivery.RunReport(ctx, l.store, id, opt)
	if errors.Is(err, delivery.ErrInvalidConversion) {
		return nil, BadRequest(err.Error())
	}
	return r, err
}

// CampaignReportRequest bounds the runs a campaign's report covers by
// their start: Since (included) and Until (excluded), each a date
// (2026-12-01, midnight UTC) or an RFC 3339 time; empty: open.
type CampaignReportRequest struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
}

// reportTime reads a bound of a campaign's report.
func reportTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, BadRequest(fmt.Sprintf("%s %q: want a date (2026-12-01) or an RFC 3339 time", field, v))
	}
	return t, nil
}

// CampaignReport reports on a campaign's live runs started within
// [since, until): each run's figures, summed over all, by channel
// activity and by channel (see delivery.CampaignRunsReport).
func (l *Local) CampaignReport(ctx context.Context, name string, req CampaignReportRequest) (*delivery.CampaignReport, error) {
	since, err := reportTime("since", req.Since)
	if err != nil {
		return nil, err
	}
	until, err := reportTime("until", req.Until)
	if err != nil {
		return nil, err
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return nil, BadRequest(fmt.Sprintf("since %s is not before until %s", req.Since, req.Until))
	}
	if _, err := l.eng.Get(ctx, name); err != nil {
		return nil, err
	}
	return delivery.CampaignRunsReport(ctx, l.store, name, since, until)
}

// RunConfirm releases a run's held messages (policy confirm_send).
func (l *Local) RunConfirm(ctx context.Context, id int64) (int64, error) {
	return l.eng.ConfirmSend(ctx, id)
}

// SaveOutputRequest names a run's transition (an activity's output port,
// "" for out) and the audience to save its rows as.
type SaveOutputRequest struct {
	Activity string `json:"activity"`
	Port     string `json:"port,omitempty"`
	Name     string `json:"name"`
}

// RunSaveOutput saves the rows a run's transition carried as a saved
// audience (to send to them, or to refine them).
func (l *Local) RunSaveOutput(ctx context.Context, id int64, req SaveOutputRequest) (*audience.Audience, error) {
	return l.eng.SaveOutput(ctx, id, req.Activity, req.Port, req.Name)
}
