package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrRunState is returned when a run cannot do what was asked in its state.
var ErrRunState = errors.New("not possible in the run's state")

// inRun runs fn in a transaction that holds the run (its row on
// PostgreSQL, its lock on the embedded store), with the run's status.
func (e *Engine) inRun(ctx context.Context, runID int64, fn func(tx *store.Tx, status string) error) error {
	release := e.store.Runs().Hold(runID)
	defer release()
	return e.store.InTx(ctx, func(tx *store.Tx) error {
		status, err := e.store.Runs().On(tx).Lock(ctx, runID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("run %d: %w", runID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock run %d: %w", runID, err)
		}
		return fn(tx, status)
	})
}

// pauseSend holds a run's messages not yet handed to a provider until the
// run resumes, and returns how many.
func (e *Engine) pauseSend(ctx context.Context, tx *store.Tx, runID int64) (int64, error) {
	return e.store.Outbox().On(tx).Pause(ctx, runID, e.Now())
}

// Pause stops a running run from starting further activities (activities
// already running finish) and holds its messages not yet handed to a
// provider until it resumes. A completed run whose send is under way can
// be paused too: its send pauses, the run stays completed.
func (e *Engine) Pause(ctx context.Context, runID int64) error {
	return e.inRun(ctx, runID, func(tx *store.Tx, status string) error {
		held, err := e.pauseSend(ctx, tx, runID)
		if err != nil {
			return err
		}
		runs := e.store.Runs().On(tx)
		switch {
		case status == RunRunning, status == RunWaiting:
			if err := runs.SetStatus(ctx, runID, RunPaused); err != nil {
				return err
			}
		case (status == RunCompleted || status == RunFailed) && held > 0:
		default:
			return fmt.Errorf("pause run %d (%s, nothing left to send): %w", runID, status, ErrRunState)
		}
		who := by(ctx)
		return e.note(ctx, runs, runID, "", LogInfo, LogPaused, fmt.Sprintf("paused%s: %d messages held", byText(who), held), map[string]any{"by": who, "messages": held})
	})
}

// Resume restarts a paused run where it stopped, and its send; a
// completed run's paused send resumes.
func (e *Engine) Resume(ctx context.Context, runID int64) error {
	err := e.inRun(ctx, runID, func(tx *store.Tx, status string) error {
		released, err := e.store.Outbox().On(tx).Resume(ctx, runID, e.Now())
		if err != nil {
			return err
		}
		runs := e.store.Runs().On(tx)
		who := by(ctx)
		logged := func() error {
			return e.note(ctx, runs, runID, "", LogInfo, LogResumed, fmt.Sprintf("resumed%s: %d messages released", byText(who), released), map[string]any{"by": who, "messages": released})
		}
		if status != RunPaused {
			if released > 0 && (status == RunCompleted || status == RunFailed) {
				return logged()
			}
			return fmt.Errorf("resume run %d (%s): %w", runID, status, ErrRunState)
		}
		if err := logged(); err != nil {
			return err
		}
		if err := runs.SetStatus(ctx, runID, RunRunning); err != nil {
			return err
		}
		if err := runs.MoveActivities(ctx, runID, ActQueued, ActHeld); err != nil {
			return err
		}
		_, err = e.queue.Reschedule(ctx, tx, fmt.Sprintf("run/%d/", runID), held, e.Now())
		return err
	})
	if err == nil {
		e.notify()
	}
	return err
}

// Stop ends a run: nothing more starts; running activities' results are
// discarded; and its messages not yet handed to a provider are cancelled
// (the ones on their way still get their outcome). A completed run whose
// messages are still going out can be stopped too: its send stops (a
// failed one's too, and it stays failed).
func (e *Engine) Stop(ctx context.Context, runID int64) error {
	return e.inRun(ctx, runID, func(tx *store.Tx, status string) error {
		cancelled, err := e.store.Outbox().On(tx).Cancel(ctx, runID, e.Now())
		if err != nil {
			return err
		}
		switch {
		case status == RunStopped:
			return fmt.Errorf("stop run %d (%s): %w", runID, status, ErrRunState)
		case (status == RunCompleted || status == RunFailed) && cancelled == 0:
			return fmt.Errorf("stop run %d (%s, nothing left to send): %w", runID, status, ErrRunState)
		}
		runs := e.store.Runs().On(tx)
		who := by(ctx)
		if err := e.note(ctx, runs, runID, "", LogInfo, LogStopped, fmt.Sprintf("stopped%s: %d messages cancelled", byText(who), cancelled), map[string]any{"by": who, "messages": cancelled}); err != nil {
			return err
		}
		if status == RunFailed {
			return nil // its messages cancelled, it stays failed, with its error
		}
		if err := runs.Finish(ctx, runID, RunStopped, e.Now()); err != nil {
			return err
		}
		return e.stopActivities(ctx, tx, runID)
	})
}

// Retry puts a failed activity of a waiting run back to work (an
// operator's decision under policy wait).
func (e *Engine) Retry(ctx context.Context, runID int64, activity string) error {
	e.sweepFailed(ctx, runID, activity)
	err := e.inRun(ctx, runID, func(tx *store.Tx, status string) error {
		if status != RunWaiting && status != RunRunning {
			return fmt.Errorf("retry in run %d (%s): %w", runID, status, ErrRunState)
		}
		runs := e.store.Runs().On(tx)
		actStatus, err := runs.ActivityStatus(ctx, runID, activity)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activity %s of run %d: %w", activity, runID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if actStatus != ActFailed {
			return fmt.Errorf("activity %s is %s, not failed: %w", activity, actStatus, ErrRunState)
		}
		id, err := e.queue.JobID(ctx, tx, jobKey(runID, activity))
		if err != nil {
			return err
		}
		if err := e.queue.Retry(ctx, tx, id); err != nil {
			return err
		}
		if err := runs.ResetActivity(ctx, runID, activity, ActQueued); err != nil {
			return err
		}
		who := by(ctx)
		if err := e.note(ctx, runs, runID, activity, LogInfo, LogRetried, "retried"+byText(who), map[string]any{"by": who}); err != nil {
			return err
		}
		return runs.SetStatus(ctx, runID, RunRunning)
	})
	if err != nil {
		return err
	}
	e.notify()
	return nil
}

// sweepFailed drops the tables the attempts of a failed activity left:
// the retried job's attempts start over at 1, whose execution does not
// sweep (execute). It runs before the job is ready again, while no worker
// can be building the activity's tables.
func (e *Engine) sweepFailed(ctx context.Context, runID int64, activity string) {
	if status, err := e.store.Runs().ActivityStatus(ctx, runID, activity); err != nil || status != ActFailed {
		return
	}
	st, err := e.loadState(ctx, runID)
	if err != nil {
		e.log.Warn("drop stray tables", "run", runID, "err", err)
		return
	}
	if seq, _ := activityByID(st.doc, activity); seq >= 0 {
		e.dropStray(ctx, runID, seq, 0)
	}
}

// Cleanup drops the working tables of runs that finished longer ago than
// their campaign's retention, and of stopped and failed runs' strays.
func (e *Engine) Cleanup(ctx context.Context) (int, error) {
	list, err := e.store.Runs().Uncleaned(ctx)
	if err != nil {
		return 0, fmt.Errorf("find finished runs: %w", err)
	}
	now := e.Now()
	n := 0
	for _, f := range list {
		d, err := e.document(ctx, e.store.Campaigns(), f.CampaignID, f.Version)
		if err != nil {
			continue
		}
		due := f.FinishedAt.Add(7 * 24 * time.Hour)
		if d.Policy.Retention.N > 0 {
			due = d.Policy.Retention.Shift(f.FinishedAt, 1)
		}
		if now.Before(due) {
			continue
		}
		if err := e.dropRunTables(ctx, f.ID); err != nil {
			return n, err
		}
		if err := e.store.Runs().MarkCleaned(ctx, f.ID, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// dropRunTables drops every working table of a run.
func (e *Engine) dropRunTables(ctx context.Context, runID int64) error {
	return e.dropTables(ctx, runID, workTablePrefix(runID, -1), "", false)
}

// ConfirmSend releases a live run's held messages to the dispatchers (a
// campaign with policy confirm_send waits for it) and returns how many.
func (e *Engine) ConfirmSend(ctx context.Context, runID int64) (int64, error) {
	r, err := e.Run1(ctx, runID)
	if err != nil {
		return 0, err
	}
	if r.Mode != ModeLive {
		return 0, fmt.Errorf("run %d is a simulation: nothing to send: %w", runID, ErrRunState)
	}
	// Messages a pause holds wait for the run to resume, not for this.
	var n int64
	err = e.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = e.store.Outbox().On(tx).Confirm(ctx, runID, e.Now()); err != nil || n == 0 {
			return err
		}
		who := by(ctx)
		return e.note(ctx, e.store.Runs().On(tx), runID, "", LogInfo, LogConfirmed, fmt.Sprintf("send confirmed%s: %d messages released", byText(who), n), map[string]any{"by": who, "messages": n})
	})
	if err != nil {
		return 0, fmt.Errorf("confirm send of run %d: %w", runID, err)
	}
	return n, nil
}
