package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ActivityStatus is one activity of a run.
type ActivityStatus struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	RowsIn     *int64     `json:"rows_in,omitempty"`
	RowsOut    *int64     `json:"rows_out,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Millis     *int64     `json:"millis,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// TransitionStatus is one transition of a run with the rows it carried.
type TransitionStatus struct {
	From   string `json:"from"`
	Output string `json:"output"`
	To     string `json:"to"`
	// State is "pending" (not resolved yet), "taken" or "not_taken".
	State string `json:"state"`
	// Control is true for a transition that carries no rows, only the
	// signal to go on (from start, scheduler, signal).
	Control bool     `json:"control,omitempty"`
	Count   *int64   `json:"count,omitempty"`
	Columns []string `json:"columns,omitempty"`
}

// RunStatus is a run with every activity and transition.
type RunStatus struct {
	Run         *Run               `json:"run"`
	Activities  []ActivityStatus   `json:"activities"`
	Transitions []TransitionStatus `json:"transitions"`
}

// Status returns a run's graph with the count on every transition.
func (e *Engine) Status(ctx context.Context, runID int64) (*RunStatus, error) {
	r, err := e.Run1(ctx, runID)
	if err != nil {
		return nil, err
	}
	d, err := e.document(ctx, e.store.Campaigns(), r.CampaignID, r.Version)
	if err != nil {
		return nil, err
	}
	acts, err := e.store.Runs().Activities(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("read run activities: %w", err)
	}
	out := &RunStatus{Run: r}
	done := map[string]string{}
	for _, x := range acts {
		a := ActivityStatus{ID: x.ID, Type: x.Type, Status: x.Status, Attempts: x.Attempts, RowsIn: x.RowsIn, RowsOut: x.RowsOut,
			StartedAt: x.StartedAt, FinishedAt: x.FinishedAt, Error: x.Error}
		if a.FinishedAt != nil && a.StartedAt != nil {
			ms := a.FinishedAt.Sub(*a.StartedAt).Milliseconds()
			a.Millis = &ms
		}
		done[a.ID] = a.Status
		out.Activities = append(out.Activities, a)
	}
	outputs, err := e.transitionOutputs(ctx, runID)
	if err != nil {
		return nil, err
	}
	for _, tr := range d.Transitions {
		port := tr.Output
		if port == "" {
			port = "out"
		}
		ts := TransitionStatus{From: tr.From, Output: port, To: tr.To, State: "pending"}
		if o, ok := outputs[outKey{tr.From, port}]; ok {
			ts.State, ts.Count, ts.Columns, ts.Control = "taken", o.Count, o.Columns, o.Control
		} else if s := done[tr.From]; s == ActDone || s == ActSkipped {
			ts.State = "not_taken"
		}
		out.Transitions = append(out.Transitions, ts)
	}
	return out, nil
}

type outKey struct{ act, port string }

// transitionOutputs returns what each output port of a run carried.
func (e *Engine) transitionOutputs(ctx context.Context, runID int64) (map[outKey]TransitionStatus, error) {
	recs, err := e.store.Runs().Outputs(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("read run outputs: %w", err)
	}
	outputs := map[outKey]TransitionStatus{}
	for _, o := range recs {
		t := TransitionStatus{Control: o.Control}
		if !t.Control {
			n := o.Count
			t.Count = &n
		}
		if o.Columns != "" && o.Columns != "null" {
			t.Columns = splitJSONList(o.Columns)
		}
		outputs[outKey{o.Activity, o.Port}] = t
	}
	return outputs, nil
}

// MaxPreviewRows bounds a preview of a transition.
const MaxPreviewRows = 1000

// Preview returns the first rows a transition (an activity's output port)
// carried, with its enrichment columns.
func (e *Engine) Preview(ctx context.Context, runID int64, activity, port string, limit int) ([]string, [][]any, error) {
	if limit > MaxPreviewRows {
		return nil, nil, fmt.Errorf("%w: at most %d rows at once, not %d", store.ErrLimit, MaxPreviewRows, limit)
	}
	if limit <= 0 {
		limit = 20
	}
	o, err := e.output(ctx, runID, activity, port)
	if err != nil {
		return nil, nil, err
	}
	if o.Control {
		return nil, nil, nil
	}
	cols, rows, err := e.store.Runs().TableRows(ctx, o.Table, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("preview %s.%s (its working table may have been cleaned up): %w", activity, port, err)
	}
	return cols, rows, nil
}

// Breakdown is how a transition's rows spread over the values of one of
// their columns: the most frequent values, and the rows of the others.
type Breakdown struct {
	Column string       `json:"column"`
	Rows   int64        `json:"rows"`
	Values []ValueCount `json:"values"`
	Others int64        `json:"others"`
}

// ValueCount is how many rows hold one value (nil: no value), as text.
type ValueCount struct {
	Value *string `json:"value"`
	Rows  int64   `json:"rows"`
}

// MaxBreakdownValues bounds the values a breakdown lists.
const MaxBreakdownValues = 1000

// Breakdown counts the rows a run's transition carried (an activity's
// output port) by the values of one of their columns, over all of them:
// the top most frequent (default 20).
func (e *Engine) Breakdown(ctx context.Context, runID int64, activity, port, column string, top int) (*Breakdown, error) {
	if top > MaxBreakdownValues {
		return nil, fmt.Errorf("%w: at most %d values, not %d", store.ErrLimit, MaxBreakdownValues, top)
	}
	if top <= 0 {
		top = 20
	}
	o, err := e.output(ctx, runID, activity, port)
	if err != nil {
		return nil, err
	}
	if o.Control {
		return nil, fmt.Errorf("%s.%s carries no rows (a control output): %w", activity, port, store.ErrNotFound)
	}
	values, total, err := e.store.Runs().TableBreakdown(ctx, o.Table, column, top)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s.%s has no column %q: %w", activity, port, column, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("count %s.%s by %s (its working table may have been cleaned up): %w", activity, port, column, err)
	}
	b := &Breakdown{Column: column, Rows: total, Values: make([]ValueCount, 0, len(values)), Others: total}
	for _, v := range values {
		b.Values = append(b.Values, ValueCount{Value: v.Value, Rows: v.Rows})
		b.Others -= v.Rows
	}
	return b, nil
}

// output is what a run's activity recorded on a port ("" is out):
// ErrNotFound when the run has no rows there.
func (e *Engine) output(ctx context.Context, runID int64, activity, port string) (store.OutputRecord, error) {
	if port == "" {
		port = "out"
	}
	o, err := e.store.Runs().Output(ctx, runID, activity, port)
	if errors.Is(err, store.ErrNotFound) {
		return o, fmt.Errorf("run %d has no rows on %s.%s: %w", runID, activity, port, store.ErrNotFound)
	}
	return o, err
}

func splitJSONList(s string) []string {
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

func escapeUnderscore(s string) string { return strings.ReplaceAll(s, "_", "!_") }

// SaveOutput saves the rows a run's transition carried (an activity's
// output port) as a saved audience of their dimension: version 1 of a new
// audience, or a new version of an existing one. The rows must still be
// there (working tables are dropped after the campaign's retention) and of
// a dimension (not a file's rows).
func (e *Engine) SaveOutput(ctx context.Context, runID int64, activity, port, name string) (*audience.Audience, error) {
	if port == "" {
		port = "out"
	}
	o, err := e.store.Runs().Output(ctx, runID, activity, port)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("run %d has no rows on %s.%s: %w", runID, activity, port, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if o.Control || o.Dimension == "" {
		return nil, fmt.Errorf("%w: %s.%s carries no rows of a dimension to save", audience.ErrInvalidRequest, activity, port)
	}
	a, err := (&audience.Service{Store: e.store}).SaveTable(ctx, name, o.Dimension, o.Table, audience.SaveReplace)
	if err == nil {
		e.audienceSaved(ctx, a)
	}
	return a, err
}
