package service

import (
	"context"
	"sync"
)

// jobs runs the work that outlives the request that started it (an
// import): on a context of its own, which close ends before waiting for
// the work to finish.
type jobs struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newJobs() *jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobs{ctx: ctx, cancel: cancel}
}

// start runs fn in the background, false (and nothing run) once closed.
func (j *jobs) start(fn func(ctx context.Context)) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return false
	}
	j.wg.Go(func() { fn(j.ctx) })
	return true
}

// close ends the jobs' context and waits for them to return.
func (j *jobs) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.cancel()
	j.wg.Wait()
}

// Close ends the service's background work (imports started by
// ImportStart: each ends interrupted, its table unchanged) and waits for
// it to record how it ended. The store stays open: it is the caller's.
func (l *Local) Close() error {
	l.jobs.close()
	l.pub.close()
	l.recorder.Close()
	return nil
}
