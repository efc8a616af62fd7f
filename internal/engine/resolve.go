package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audit"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// An operator's decisions on in-doubt messages.
const (
	// Resend puts them back in the queue: the dispatchers send them again,
	// rendered anew under the same message id (an email keeps its
	// Message-ID, so a receiver can tell a second copy).
	Resend = "resend"
	// Drop settles them as not sent (status dropped): nothing sends them
	// again, whether or not the provider had them.
	Drop = "drop"
)

// Outbox statuses a resolution reads and writes.
const (
	outboxInDoubt = "in_doubt"
	outboxDropped = "dropped"
)

// ErrDecision is returned for a decision other than Resend or Drop.
var ErrDecision = errors.New("the decision must be resend or drop")

// ResolveRequest is an operator's decision on a run's in-doubt messages,
// of one activity or (Activity empty) of all.
type ResolveRequest struct {
	Decision string `json:"decision"`
	Activity string `json:"activity,omitempty"`
}

// Resolution is a decision taken: how many in-doubt messages it moved, by
// activity, who took it and when.
type Resolution struct {
	RunID      int64            `json:"run_id"`
	Decision   string           `json:"decision"`
	Messages   int64            `json:"messages"`
	ByActivity map[string]int64 `json:"by_activity"`
	Actor      audit.Actor      `json:"actor"`
	DecidedAt  time.Time        `json:"decided_at"`
}

// Resolve applies an operator's decision to a run's in-doubt messages and
// records it. At-least-once is a person's choice: nothing else resends a
// message in doubt. Resending in a paused send holds the messages with
// the others until the run resumes; a stopped run sends nothing again, so
// its in-doubt messages can only be dropped. A run with nothing in doubt
// (in the activity asked for) is refused.
func (e *Engine) Resolve(ctx context.Context, runID int64, req ResolveRequest, actor audit.Actor) (*Resolution, error) {
	if req.Decision != Resend && req.Decision != Drop {
		return nil, fmt.Errorf("resolve run %d: %q: %w", runID, req.Decision, ErrDecision)
	}
	if actor.IsZero() {
		return nil, fmt.Errorf("resolve run %d: no actor: a decision must say who took it", runID)
	}
	if _, err := e.Run1(ctx, runID); err != nil {
		return nil, err
	}
	res := &Resolution{RunID: runID, Decision: req.Decision, ByActivity: map[string]int64{}, Actor: actor, DecidedAt: e.Now().UTC()}
	err := e.inRun(ctx, runID, func(tx *store.Tx, status string) error {
		where, args := `run_id = $1 AND status = '`+outboxInDoubt+`'`, []any{runID}
		if req.Activity != "" {
			_, err := e.store.Runs().On(tx).ActivityStatus(ctx, runID, req.Activity)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("activity %s of run %d: %w", req.Activity, runID, store.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("read activity %s of run %d: %w", req.Activity, runID, err)
			}
			where, args = where+` AND activity_id = $2`, append(args, req.Activity)
		}
		if req.Decision == Resend && status == RunStopped {
			return fmt.Errorf("run %d was stopped and sends nothing again: its in-doubt messages can only be dropped: %w", runID, ErrRunState)
		}
		set, err := e.resolvedStatus(ctx, tx, runID, req.Decision, status)
		if err != nil {
			return err
		}
		// The update says which messages it moved: what another node's
		// recovery settled meanwhile is neither moved nor counted.
		n := len(args)
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`UPDATE ff_outbox SET %s, updated_at = $%d, retry_at = NULL, lease_owner = NULL, lease_until = NULL WHERE %s RETURNING activity_id`, set, n+1, where),
			append(args, res.DecidedAt)...)
		if err != nil {
			return fmt.Errorf("%s the in-doubt messages of run %d: %w", req.Decision, runID, err)
		}
		if err := countMoved(rows, res); err != nil {
			return fmt.Errorf("%s the in-doubt messages of run %d: %w", req.Decision, runID, err)
		}
		switch {
		case res.Messages == 0 && req.Activity != "":
			return fmt.Errorf("run %d has no message in doubt in activity %s: %w", runID, req.Activity, ErrRunState)
		case res.Messages == 0:
			return fmt.Errorf("run %d has no message in doubt: %w", runID, ErrRunState)
		}
		return e.recordResolution(ctx, tx, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// countMoved counts the messages an update returned, by activity.
func countMoved(rows *sql.Rows, res *Resolution) error {
	defer rows.Close()
	for rows.Next() {
		var act string
		if err := rows.Scan(&act); err != nil {
			return err
		}
		res.ByActivity[act]++
		res.Messages++
	}
	return rows.Err()
}

// resolvedStatus is the SET clause that moves in-doubt messages by a
// decision: a dropped one keeps its reason (why it was in doubt); a
// resent one is due at once, or held with the run's other messages while
// its send is paused (the run paused, or a completed run's send paused).
func (e *Engine) resolvedStatus(ctx context.Context, tx *store.Tx, runID int64, decision, runStatus string) (string, error) {
	if decision == Drop {
		return `status = '` + outboxDropped + `'`, nil
	}
	paused := runStatus == RunPaused
	if !paused {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND `+pausedMessages, runID).Scan(&n); err != nil {
			return "", fmt.Errorf("read the paused messages of run %d: %w", runID, err)
		}
		paused = n > 0
	}
	if paused {
		return `status = '` + outboxHeld + `', reason = '` + outboxRunPaused + `'`, nil
	}
	return `status = '` + outboxPending + `', reason = NULL`, nil
}

// recordResolution writes the decision, a row per activity it touched.
func (e *Engine) recordResolution(ctx context.Context, tx *store.Tx, res *Resolution) error {
	acts := make([]string, 0, len(res.ByActivity))
	for a := range res.ByActivity {
		acts = append(acts, a)
	}
	sort.Strings(acts)
	for _, a := range acts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ff_outbox_resolutions (run_id, activity_id, decision, messages, actor_kind, actor_name, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, res.RunID, a, res.Decision, res.ByActivity[a], res.Actor.Kind, res.Actor.Name, res.DecidedAt); err != nil {
			return fmt.Errorf("record the resolution of run %d: %w", res.RunID, err)
		}
	}
	return nil
}
