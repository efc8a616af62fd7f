package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/api"
)

// part is a part of the server that works until the server stops (the
// engine, the dispatcher): first its start-up recovery, then its work.
type part struct {
	name    string
	recover func(ctx context.Context) error
	run     func(ctx context.Context) error
}

// supervisor runs the server's parts. A part whose recovery or work fails
// is logged and retried with growing delays; until it works again health
// shows it (a server that answers "ok" while it sends nothing hides the
// failure from every check).
type supervisor struct {
	log      *slog.Logger
	minDelay time.Duration
	maxDelay time.Duration

	mu      sync.Mutex
	failing map[string]api.Problem
}

func newSupervisor(log *slog.Logger) *supervisor {
	return &supervisor{log: log, minDelay: time.Second, maxDelay: time.Minute, failing: map[string]api.Problem{}}
}

// run works p until ctx ends.
func (s *supervisor) run(ctx context.Context, p part) {
	delay := s.minDelay
	for attempt := 1; ; attempt++ {
		err := p.recover(ctx)
		if err == nil {
			if s.clear(p.name) {
				s.log.Info("started after failing", "part", p.name, "attempts", attempt)
			}
			// Run recovers again, finding nothing left: nothing of this
			// process's was claimed in between.
			err = p.run(ctx)
		}
		if ctx.Err() != nil || err == nil {
			return
		}
		s.log.Error("a part of the server failed; retrying", "part", p.name, "err", err, "attempt", attempt, "retry_in", delay)
		s.fail(api.Problem{Part: p.name, Error: err.Error(), Attempts: attempt, RetryAt: time.Now().Add(delay).UTC()})
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, s.maxDelay)
	}
}

func (s *supervisor) fail(p api.Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.failing[p.Part]; ok {
		p.Since = prev.Since
	} else {
		p.Since = time.Now().UTC()
	}
	s.failing[p.Part] = p
}

// clear reports whether the part was failing.
func (s *supervisor) clear(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, was := s.failing[name]
	delete(s.failing, name)
	return was
}

// problems lists the failing parts, for health.
func (s *supervisor) problems() []api.Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []api.Problem
	for _, p := range s.failing {
		ps = append(ps, p)
	}
	return ps
}
