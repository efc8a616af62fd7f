package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The state of a run's activities (ff_run_activities) and the outputs they
// recorded (ff_run_outputs), in the Runs area.

// ActivityRecord is one activity of a run.
type ActivityRecord struct {
	ID         string
	Type       string
	Status     string
	Attempts   int
	RowsIn     *int64
	RowsOut    *int64
	StartedAt  *time.Time
	FinishedAt *time.Time
	Error      string
}

// OutputRecord is what an activity recorded on one output port. A control
// output carries no rows: it has no table.
type OutputRecord struct {
	Activity  string
	Port      string
	Table     string
	Control   bool
	Dimension string
	Columns   string // a JSON list
	Count     int64
}

// NewActivity is one activity of a new run: its place in the document,
// its first status and how many inputs it expects.
type NewActivity struct {
	ID     string
	Seq    int
	Type   string
	Status string
	Inputs int
}

// addActivitiesRows is how many activities one INSERT adds.
const addActivitiesRows = 500

// AddActivities adds a new run's activities, a statement per
// addActivitiesRows rather than one each: a statement costs about a
// millisecond on the embedded store, whatever its size, and a run's start
// is on its critical path.
func (r Runs) AddActivities(ctx context.Context, runID int64, acts []NewActivity) error {
	for len(acts) > 0 {
		n := min(len(acts), addActivitiesRows)
		values := make([]string, n)
		args := []any{runID}
		for i, a := range acts[:n] {
			k := len(args)
			values[i] = fmt.Sprintf("($1, $%d, $%d, $%d, $%d, $%d, 0, 0, 0)", k+1, k+2, k+3, k+4, k+5)
			args = append(args, a.ID, a.Seq, a.Type, a.Status, a.Inputs)
		}
		if _, err := r.exec(ctx, `INSERT INTO ff_run_activities (run_id, activity_id, seq, type, status, inputs, inputs_done, live_inputs, attempts)
			VALUES `+strings.Join(values, ", "), args...); err != nil {
			return err
		}
		acts = acts[n:]
	}
	return nil
}

// Activities lists a run's activities in the document's order.
func (r Runs) Activities(ctx context.Context, runID int64) ([]ActivityRecord, error) {
	var out []ActivityRecord
	err := r.each(ctx, func(rows *sql.Rows) error {
		var a ActivityRecord
		var in, outN sql.NullInt64
		var st, fin sql.NullTime
		var errText sql.NullString
		if err := rows.Scan(&a.ID, &a.Type, &a.Status, &a.Attempts, &in, &outN, &st, &fin, &errText); err != nil {
			return err
		}
		if in.Valid {
			a.RowsIn = &in.Int64
		}
		if outN.Valid {
			a.RowsOut = &outN.Int64
		}
		a.StartedAt, a.FinishedAt, a.Error = timePtr(st), timePtr(fin), errText.String
		out = append(out, a)
		return nil
	}, `SELECT activity_id, type, status, attempts, rows_in, rows_out, started_at, finished_at, error FROM ff_run_activities WHERE run_id = $1 ORDER BY seq`, runID)
	return out, err
}

// ActivityStatus returns the status of one activity of a run.
func (r Runs) ActivityStatus(ctx context.Context, runID int64, activity string) (string, error) {
	var s string
	err := r.row(ctx, []any{&s}, `SELECT status FROM ff_run_activities WHERE run_id = $1 AND activity_id = $2`, runID, activity)
	return s, err
}

// ActivityCounts counts a run's activities by status.
func (r Runs) ActivityCounts(ctx context.Context, runID int64) (map[string]int, error) {
	counts := map[string]int{}
	err := r.each(ctx, func(rows *sql.Rows) error {
		var s string
		var n int
		err := rows.Scan(&s, &n)
		counts[s] = n
		return err
	}, `SELECT status, count(*) FROM ff_run_activities WHERE run_id = $1 GROUP BY status`, runID)
	return counts, err
}

// SetActivityStatus sets an activity's status.
func (r Runs) SetActivityStatus(ctx context.Context, runID int64, activity, status string) error {
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1 WHERE run_id = $2 AND activity_id = $3`, status, runID, activity)
	return err
}

// MoveActivities sets the run's activities that are in one of the from
// statuses to status to.
func (r Runs) MoveActivities(ctx context.Context, runID int64, to string, from ...string) error {
	args := []any{to, runID}
	in := ""
	for i, s := range from {
		if i > 0 {
			in += ", "
		}
		args = append(args, s)
		in += fmt.Sprintf("$%d", len(args))
	}
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1 WHERE run_id = $2 AND status IN (`+in+`)`, args...)
	return err
}

// StartActivity records an attempt of an activity starting at at, and
// returns the activity's clock: at for a first attempt, the first
// attempt's start for a later one (a worker took over after a crash or a
// lease that ran out), so that relative dates ("within last 365d") draw the
// same line in every attempt and a retried activity selects the rows the
// first would have. An operator's retry starts the attempts over at 1, and
// so the clock.
func (r Runs) StartActivity(ctx context.Context, runID int64, activity, status string, attempt int, at time.Time) (time.Time, error) {
	var clock time.Time
	err := r.row(ctx, []any{&clock}, `UPDATE ff_run_activities SET status = $1, attempts = $2,
	started_at = CASE WHEN $2 > 1 AND started_at IS NOT NULL THEN started_at ELSE $3 END
	WHERE run_id = $4 AND activity_id = $5 RETURNING started_at`,
		status, attempt, at.UTC(), runID, activity)
	return clock.UTC(), err
}

// FinishActivity records an activity finished (done, or skipped) with the
// rows it read and wrote, clearing an earlier attempt's error.
func (r Runs) FinishActivity(ctx context.Context, runID int64, activity, status string, rowsIn, rowsOut int64, at time.Time) error {
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1, rows_in = $2, rows_out = $3, finished_at = $4, error = NULL WHERE run_id = $5 AND activity_id = $6`,
		status, rowsIn, rowsOut, at.UTC(), runID, activity)
	return err
}

// SkipActivity records an activity skipped: every input was a branch not
// taken.
func (r Runs) SkipActivity(ctx context.Context, runID int64, activity, status string, at time.Time) error {
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1, finished_at = $2, rows_in = 0, rows_out = 0 WHERE run_id = $3 AND activity_id = $4`,
		status, at.UTC(), runID, activity)
	return err
}

// ActivityError sets an activity's status with the error of its last
// attempt (finished when at is not zero).
func (r Runs) ActivityError(ctx context.Context, runID int64, activity, status, errText string, at time.Time) error {
	if at.IsZero() {
		_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1, error = $2 WHERE run_id = $3 AND activity_id = $4`, status, errText, runID, activity)
		return err
	}
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1, error = $2, finished_at = $3 WHERE run_id = $4 AND activity_id = $5`,
		status, errText, at.UTC(), runID, activity)
	return err
}

// ResetActivity sets an activity's status, clearing its error and end (an
// operator's retry).
func (r Runs) ResetActivity(ctx context.Context, runID int64, activity, status string) error {
	_, err := r.exec(ctx, `UPDATE ff_run_activities SET status = $1, error = NULL, finished_at = NULL WHERE run_id = $2 AND activity_id = $3`, status, runID, activity)
	return err
}

// ResolveInput counts one more resolved input of an activity, live or not
// (a branch not taken), and returns how many inputs it has, how many are
// resolved and how many of those are live.
func (r Runs) ResolveInput(ctx context.Context, runID int64, activity string, live bool) (inputs, done, liveIn int, err error) {
	inc := 0
	if live {
		inc = 1
	}
	err = r.row(ctx, []any{&inputs, &done, &liveIn}, `UPDATE ff_run_activities SET inputs_done = inputs_done + 1, live_inputs = live_inputs + $1
		WHERE run_id = $2 AND activity_id = $3 RETURNING inputs, inputs_done, live_inputs`, inc, runID, activity)
	return inputs, done, liveIn, err
}

// AddOutput records an activity's output.
func (r Runs) AddOutput(ctx context.Context, runID int64, o OutputRecord) error {
	var table any
	if !o.Control {
		table = o.Table
	}
	_, err := r.exec(ctx, `INSERT INTO ff_run_outputs (run_id, activity_id, port, table_name, dimension, columns, count) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		runID, o.Activity, o.Port, table, o.Dimension, o.Columns, o.Count)
	return err
}

// Output returns what an activity recorded on a port; ErrNotFound when
// nothing (a branch not taken, or not yet).
func (r Runs) Output(ctx context.Context, runID int64, activity, port string) (OutputRecord, error) {
	o := OutputRecord{Activity: activity, Port: port}
	var table sql.NullString
	err := r.row(ctx, []any{&table, &o.Dimension, &o.Columns, &o.Count},
		`SELECT table_name, dimension, columns, count FROM ff_run_outputs WHERE run_id = $1 AND activity_id = $2 AND port = $3`, runID, activity, port)
	o.Table, o.Control = table.String, !table.Valid
	return o, err
}

// Outputs lists every output a run's activities recorded.
func (r Runs) Outputs(ctx context.Context, runID int64) ([]OutputRecord, error) {
	var out []OutputRecord
	err := r.each(ctx, func(rows *sql.Rows) error {
		var o OutputRecord
		var table sql.NullString
		if err := rows.Scan(&o.Activity, &o.Port, &table, &o.Dimension, &o.Count, &o.Columns); err != nil {
			return err
		}
		o.Table, o.Control = table.String, !table.Valid
		out = append(out, o)
		return nil
	}, `SELECT activity_id, port, table_name, dimension, count, columns FROM ff_run_outputs WHERE run_id = $1`, runID)
	return out, err
}
