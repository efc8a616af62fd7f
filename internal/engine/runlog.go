package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// A run's log (docs/campaigns.md#a-runs-log): what happened to the run
// and each of its activities, written by the engine with the change it
// tells of (in the same transaction when there is one), read by the run
// monitor and `fanfare campaign log`.

// Events of a run's log.
const (
	LogStarted   = "started"    // an activity's attempt began: attempt
	LogDone      = "done"       // it ended: rows_in, rows_out, outputs (port → rows), ms
	LogRetrying  = "retrying"   // an attempt failed, another comes: attempt, error, retry_in_s
	LogFailed    = "failed"     // its last attempt failed: attempts, error (the run's own line: activity, error)
	LogSkipped   = "skipped"    // no row reached it: every input was a branch not taken
	LogHeld      = "held"       // the run is paused: it waits for the run to resume
	LogLeaseLost = "lease_lost" // another worker took it over; this attempt's result is discarded
	LogRetried   = "retried"    // an operator retried it: by
	LogRun       = "run_started"
	LogPaused    = "paused"    // the run's own: by, messages (paused)
	LogResumed   = "resumed"   // by, messages (released)
	LogStopped   = "stopped"   // by, messages (cancelled)
	LogConfirmed = "confirmed" // by, messages (released)
	LogCompleted = "completed"
)

// Levels of a run's log.
const (
	LogInfo  = "info"
	LogWarn  = "warn"
	LogError = "error"
)

// LogEntry is one line of a run's log.
type LogEntry struct {
	Seq      int64          `json:"seq"`
	Activity string         `json:"activity"`
	At       time.Time      `json:"at"`
	Level    string         `json:"level"`
	Event    string         `json:"event"`
	Message  string         `json:"message"`
	Details  map[string]any `json:"details,omitempty"`
}

// LogQuery selects lines of a run's log (store.LogQuery).
type LogQuery = store.LogQuery

// MaxLogLines is the most lines one read of a run's log returns.
const MaxLogLines = 1000

// Log reads lines of a run's log; ErrNotFound for an unknown run.
func (e *Engine) Log(ctx context.Context, runID int64, q LogQuery) ([]LogEntry, error) {
	if _, err := e.store.Runs().Get(ctx, runID); err != nil {
		return nil, fmt.Errorf("run %d: %w", runID, err)
	}
	if q.Limit <= 0 || q.Limit > MaxLogLines {
		q.Limit = MaxLogLines
	}
	rows, err := e.store.Runs().LogOf(ctx, runID, q)
	if err != nil {
		return nil, fmt.Errorf("read the log of run %d: %w", runID, err)
	}
	out := make([]LogEntry, 0, len(rows))
	for _, r := range rows {
		l := LogEntry{Seq: r.Seq, Activity: r.Activity, At: r.At, Level: r.Level, Event: r.Event, Message: r.Message}
		if r.Details != "" {
			_ = json.Unmarshal([]byte(r.Details), &l.Details)
		}
		out = append(out, l)
	}
	return out, nil
}

// note appends a line to a run's log through runs, bound to the
// transaction of the change it tells of: the line and the change are one.
func (e *Engine) note(ctx context.Context, runs store.Runs, runID int64, activity, level, event, msg string, details map[string]any) error {
	l := store.LogEntry{Activity: activity, At: e.Now().UTC(), Level: level, Event: event, Message: msg}
	if len(details) > 0 {
		b, _ := json.Marshal(details)
		l.Details = string(b)
	}
	if err := runs.Log(ctx, runID, l); err != nil {
		return fmt.Errorf("write the log of run %d: %w", runID, err)
	}
	return nil
}

// noteApart appends a line that tells of no change of the store (an
// attempt overtaken by another worker): one that cannot be written is
// logged, and does not fail the work it tells of.
func (e *Engine) noteApart(ctx context.Context, runID int64, activity, level, event, msg string, details map[string]any) {
	if err := e.note(ctx, e.store.Runs(), runID, activity, level, event, msg, details); err != nil {
		e.log.Warn("write the run's log", "run", runID, "activity", activity, "event", event, "err", err)
	}
}

// by names who asked for a change of the run, for its log: the actor in
// ctx, "" when none is known.
func by(ctx context.Context) string {
	if a, ok := audit.From(ctx); ok {
		return a.String()
	}
	return ""
}

// byText is " by <actor>" for a log message, or "".
func byText(who string) string {
	if who == "" {
		return ""
	}
	return " by " + who
}

// doneMessage says an activity's end in English: its time and rows.
func doneMessage(ms int64, rowsIn, rowsOut int64, outputs map[string]int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "done in %d ms: %d rows in, %d out", ms, rowsIn, rowsOut)
	if len(outputs) > 1 {
		var parts []string
		for _, port := range slices.Sorted(maps.Keys(outputs)) {
			parts = append(parts, fmt.Sprintf("%s %d", port, outputs[port]))
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	return b.String()
}
