package engine

import (
	"context"
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
		if req.Activity != "" {
			_, err := e.store.Runs().On(tx).ActivityStatus(ctx, runID, req.Activity)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("activity %s of run %d: %w", req.Activity, runID, store.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("read activity %s of run %d: %w", req.Activity, runID, err)
			}
		}
		if req.Decision == Resend && status == RunStopped {
			return fmt.Errorf("run %d was stopped and sends nothing again: its in-doubt messages can only be dropped: %w", runID, ErrRunState)
		}
		to, err := e.resolvedStatus(ctx, tx, runID, req.Decision, status)
		if err != nil {
			return err
		}
		// The update says which messages it moved: what another node's
		// recovery settled meanwhile is neither moved nor counted.
		moved, err := e.store.Outbox().On(tx).ResolveInDoubt(ctx, runID, req.Activity, to, res.DecidedAt)
		if err != nil {
			return fmt.Errorf("%s the in-doubt messages of run %d: %w", req.Decision, runID, err)
		}
		for act, n := range moved {
			res.ByActivity[act] += n
			res.Messages += n
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

// resolvedStatus is the status a decision moves in-doubt messages to:
// dropped; or, resent, pending (due at once), or held with the run's
// other messages while its send is paused (the run paused, or a completed
// run's send paused).
func (e *Engine) resolvedStatus(ctx context.Context, tx *store.Tx, runID int64, decision, runStatus string) (store.MessageStatus, error) {
	if decision == Drop {
		return store.MessageDropped, nil
	}
	paused := runStatus == RunPaused
	if !paused {
		n, err := e.store.Outbox().On(tx).Paused(ctx, runID)
		if err != nil {
			return "", fmt.Errorf("read the paused messages of run %d: %w", runID, err)
		}
		paused = n > 0
	}
	if paused {
		return store.MessageHeld, nil
	}
	return store.MessagePending, nil
}

// recordResolution writes the decision, a row per activity it touched.
func (e *Engine) recordResolution(ctx context.Context, tx *store.Tx, res *Resolution) error {
	acts := make([]string, 0, len(res.ByActivity))
	for a := range res.ByActivity {
		acts = append(acts, a)
	}
	sort.Strings(acts)
	for _, a := range acts {
		if err := e.store.Outbox().On(tx).RecordResolution(ctx, store.OutboxResolution{RunID: res.RunID, Activity: a, Decision: res.Decision,
			Messages: res.ByActivity[a], ActorKind: res.Actor.Kind, ActorName: res.Actor.Name, DecidedAt: res.DecidedAt}); err != nil {
			return err
		}
	}
	return nil
}
