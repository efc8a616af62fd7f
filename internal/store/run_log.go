package store

import (
	"context"
	"database/sql"
	"time"
)

// A run's log (ff_run_log, migration 0025), in the Runs area: what
// happened to the run and each of its activities, appended in order.

// LogEntry is one line of a run's log. Activity is "" for the run itself;
// Event names what happened, Message says it in English, Details is a
// JSON object (or "").
type LogEntry struct {
	Seq      int64
	RunID    int64
	Activity string
	At       time.Time
	Level    string
	Event    string
	Message  string
	Details  string
}

// Log appends a line to a run's log (Seq and RunID of e are ignored for
// the run given).
func (r Runs) Log(ctx context.Context, runID int64, e LogEntry) error {
	var details any
	if e.Details != "" {
		details = e.Details
	}
	_, err := r.exec(ctx, `INSERT INTO ff_run_log (run_id, activity, logged_at, level, event, message, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		runID, e.Activity, e.At.UTC(), e.Level, e.Event, e.Message, details)
	return err
}

// LogQuery selects lines of a run's log: of one activity (all when
// Activity is nil; "" is the run's own lines), numbered after After, at
// most Limit.
type LogQuery struct {
	Activity *string
	After    int64
	Limit    int
}

// LogOf reads the lines of a run's log q selects, in order.
func (r Runs) LogOf(ctx context.Context, runID int64, q LogQuery) ([]LogEntry, error) {
	args := []any{runID, q.After, q.Limit}
	where := ""
	if q.Activity != nil {
		where = " AND activity = $4"
		args = append(args, *q.Activity)
	}
	var out []LogEntry
	err := r.each(ctx, func(rows *sql.Rows) error {
		var e LogEntry
		var details sql.NullString
		if err := rows.Scan(&e.Seq, &e.RunID, &e.Activity, &e.At, &e.Level, &e.Event, &e.Message, &details); err != nil {
			return err
		}
		e.At, e.Details = e.At.UTC(), details.String
		out = append(out, e)
		return nil
	}, `SELECT seq, run_id, activity, logged_at, level, event, message, details FROM ff_run_log
		WHERE run_id = $1 AND seq > $2`+where+` ORDER BY seq LIMIT $3`, args...)
	return out, err
}
