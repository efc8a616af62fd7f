package service

import (
	"context"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
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
	return st, l.waitSent(ctx, disp, id)
}

// Send runs a dispatcher in this process until the run's due messages are
// out (its activities are left to a server or Work).
func (l *Local) Send(ctx context.Context, id int64) error {
	disp := l.Dispatcher()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = disp.Run(wctx, 50*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	return l.waitSent(ctx, disp, id)
}

// SharedSendPoll is how often waiting for a run's messages counts them
// where other nodes' dispatchers share the outbox: what they settle
// raises no signal in this process.
const SharedSendPoll = time.Second

// waitSent waits until none of the run's messages is due or on its way:
// it counts them when disp has nothing left to send (Idle), and where
// other nodes may hold some of them, every SharedSendPoll besides. The
// count reads the run's outbox (12–25 ms at 1M rows on DuckDB, measured),
// so it is not repeated while messages go out.
func (l *Local) waitSent(ctx context.Context, disp *delivery.Dispatcher, id int64) error {
	var poll <-chan time.Time
	if disp.Shared() {
		t := time.NewTicker(SharedSendPoll)
		defer t.Stop()
		poll = t.C
	}
	// Asked before the count: an idle dispatcher after it has settled
	// what the count saw.
	idle := disp.Idle()
	for {
		n, err := l.Store().Outbox().Outstanding(ctx, id)
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-idle:
			// Where another node holds some, the poll alone counts
			// again, rather than each of this dispatcher's empty polls.
			idle = nil
			if poll == nil {
				idle = disp.Idle()
			}
		case <-poll:
		}
	}
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
