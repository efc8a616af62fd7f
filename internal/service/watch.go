package service

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/engine"
)

// RunUpdate is a run as a monitor shows it: its graph with the counts
// recorded so far, and its channel activities' delivery figures. Final is
// set on the last update RunWatch gives: the run has ended and none of its
// messages is left to send, held, paused or in doubt (an operator's
// decision would change the figures).
type RunUpdate struct {
	Status   *engine.RunStatus  `json:"status"`
	Delivery []delivery.Figures `json:"delivery"`
	Final    bool               `json:"final"`
}

// WatchPoll is how often RunWatch reads a run from the store. The store
// is the one source, so what any node records (an activity that ends on
// another node, messages another dispatcher sends) shows the same way.
const WatchPoll = 500 * time.Millisecond

// RunWatch calls fn with the run as it stands, then each time it changes,
// until the update that is final, fn fails, or ctx ends (nil then: the
// watcher went away). One read of the run every WatchPoll, however many
// activities it has.
func (l *Local) RunWatch(ctx context.Context, id int64, fn func(RunUpdate) error) error {
	var last []byte
	t := time.NewTicker(WatchPoll)
	defer t.Stop()
	for {
		u, err := l.runUpdate(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, last) {
			if err := fn(*u); err != nil {
				return err
			}
			last = b
		}
		if u.Final {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// runUpdate reads a run's status and figures.
func (l *Local) runUpdate(ctx context.Context, id int64) (*RunUpdate, error) {
	st, err := l.eng.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	figs, err := delivery.RunFigures(ctx, l.store, id)
	if err != nil {
		return nil, err
	}
	u := &RunUpdate{Status: st, Delivery: figs}
	if figs == nil {
		u.Delivery = []delivery.Figures{}
	}
	switch st.Run.Status {
	case engine.RunRunning, engine.RunPaused, engine.RunWaiting:
	default:
		u.Final = true
		for _, f := range figs {
			if f.Pending+f.Held+f.Paused+f.InDoubt > 0 || len(f.Waiting) > 0 {
				u.Final = false
			}
		}
	}
	return u, nil
}
