package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
	d, err := e.document(ctx, e.store.DB, r.CampaignID, r.Version)
	if err != nil {
		return nil, err
	}
	out := &RunStatus{Run: r}
	rows, err := e.store.DB.QueryContext(ctx, `SELECT activity_id, type, status, attempts, rows_in, rows_out, started_at, finished_at, error FROM ff_run_activities WHERE run_id = $1 ORDER BY seq`, runID)
	if err != nil {
		return nil, fmt.Errorf("read run activities: %w", err)
	}
	done := map[string]string{}
	for rows.Next() {
		var a ActivityStatus
		var in, outN sql.NullInt64
		var st, fin sql.NullTime
		var errText sql.NullString
		if err := rows.Scan(&a.ID, &a.Type, &a.Status, &a.Attempts, &in, &outN, &st, &fin, &errText); err != nil {
			rows.Close()
			return nil, err
		}
		if in.Valid {
			a.RowsIn = &in.Int64
		}
		if outN.Valid {
			a.RowsOut = &outN.Int64
		}
		if st.Valid {
			a.StartedAt = &st.Time
		}
		if fin.Valid {
			a.FinishedAt = &fin.Time
			if st.Valid {
				ms := fin.Time.Sub(st.Time).Milliseconds()
				a.Millis = &ms
			}
		}
		a.Error = errText.String
		done[a.ID] = a.Status
		out.Activities = append(out.Activities, a)
	}
	rows.Close()
	type outKey struct{ act, port string }
	outputs := map[outKey]TransitionStatus{}
	rows, err = e.store.DB.QueryContext(ctx, `SELECT activity_id, port, table_name, count, columns FROM ff_run_outputs WHERE run_id = $1`, runID)
	if err != nil {
		return nil, fmt.Errorf("read run outputs: %w", err)
	}
	for rows.Next() {
		var a, p, cols string
		var table sql.NullString
		var n int64
		if err := rows.Scan(&a, &p, &table, &n, &cols); err != nil {
			rows.Close()
			return nil, err
		}
		t := TransitionStatus{Count: &n, Control: !table.Valid}
		if t.Control {
			t.Count = nil
		}
		if cols != "" && cols != "null" {
			t.Columns = splitJSONList(cols)
		}
		outputs[outKey{a, p}] = t
	}
	rows.Close()
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
	if port == "" {
		port = "out"
	}
	var table sql.NullString
	err := e.store.DB.QueryRowContext(ctx, `SELECT table_name FROM ff_run_outputs WHERE run_id = $1 AND activity_id = $2 AND port = $3`, runID, activity, port).Scan(&table)
	if err == sql.ErrNoRows {
		return nil, nil, fmt.Errorf("run %d has no rows on %s.%s: %w", runID, activity, port, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	if !table.Valid {
		return nil, nil, nil
	}
	rows, err := e.store.DB.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM %s ORDER BY 1 LIMIT %d`, store.Quote(table.String), limit))
	if err != nil {
		return nil, nil, fmt.Errorf("preview %s.%s (its working table may have been cleaned up): %w", activity, port, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			vals[i] = store.Plain(v)
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

func splitJSONList(s string) []string {
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

func escapeUnderscore(s string) string { return strings.ReplaceAll(s, "_", "!_") }
