package service

import (
	"context"
	"time"

	"github.com/fanfare-dev/fanfare/internal/engine"
)

// Working a run in this process, as the CLI does when no server runs: the
// engine and the dispatcher New built, driven until the run is done.

// Work runs the engine in this process until the run stops running, and
// its dispatcher (to the sandbox) until the run's messages are out.
func (l *Local) Work(ctx context.Context, id int64) (*engine.RunStatus, error) {
	disp := l.Dispatcher()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = l.Engine().Run(wctx); done <- struct{}{} }()
	go func() { _ = disp.Run(wctx, 50*time.Millisecond); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	st, err := WaitRun(ctx, l.RunStatus, id)
	if err != nil {
		return st, err
	}
	return st, l.waitSent(ctx, id)
}

// Send runs a dispatcher in this process until the run's due messages are
// out (its activities are left to a server or Work).
func (l *Local) Send(ctx context.Context, id int64) error {
	disp := l.Dispatcher()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = disp.Run(wctx, 50*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	return l.waitSent(ctx, id)
}

// waitSent waits until none of the run's messages is due or on its way.
func (l *Local) waitSent(ctx context.Context, id int64) error {
	for ctx.Err() == nil {
		var n int
		// TODO(outbox): the outbox's own count (store.Outbox); better, a
		// signal from the dispatcher that it found nothing of the run's
		// left to send (it has none yet), rather than a count and a sleep.
		if err := l.Store().DB.QueryRowContext(ctx, `SELECT count(*) FROM ff_outbox WHERE run_id = $1 AND status IN ('pending', 'claimed', 'sending')`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		// The count reads the run's outbox (12–25 ms at 1M rows on
		// DuckDB, measured): every 50 ms it took up to half of the store's
		// time from the send.
		time.Sleep(250 * time.Millisecond)
	}
	return nil
}

// WaitRun polls a run's status until it is no longer running.
func WaitRun(ctx context.Context, status func(context.Context, int64) (*engine.RunStatus, error), id int64) (*engine.RunStatus, error) {
	for {
		st, err := status(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.Run.Status != engine.RunRunning {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
