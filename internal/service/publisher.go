package service

import (
	"context"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/audience"
)

// publisher publishes saved audiences in the background after each of
// their versions (docs/outbound.md): one publication of an audience at a
// time, and a version saved meanwhile publishes the latest once the
// running one ends, so the stable file is never replaced by an older
// version. The save that caused it never waits for it.
type publisher struct {
	publish func(ctx context.Context, name string)
	ctx     context.Context
	cancel  context.CancelFunc

	mu      sync.Mutex
	closed  bool
	running map[string]bool
	again   map[string]bool
	wg      sync.WaitGroup
}

func newPublisher(publish func(ctx context.Context, name string)) *publisher {
	ctx, cancel := context.WithCancel(context.Background())
	return &publisher{publish: publish, ctx: ctx, cancel: cancel, running: map[string]bool{}, again: map[string]bool{}}
}

// saved publishes an audience's current version, if it is published.
func (p *publisher) saved(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
	case p.running[name]:
		p.again[name] = true
	default:
		p.running[name] = true
		p.wg.Go(func() { p.loop(name) })
	}
}

// audienceSaved is the engine's hook (engine.Config.AudienceSaved).
func (p *publisher) audienceSaved(_ context.Context, a *audience.Audience) { p.saved(a.Name) }

func (p *publisher) loop(name string) {
	for {
		p.publish(p.ctx, name)
		p.mu.Lock()
		if !p.again[name] || p.closed {
			delete(p.running, name)
			delete(p.again, name)
			p.mu.Unlock()
			return
		}
		delete(p.again, name)
		p.mu.Unlock()
	}
}

// wait returns once the publications started so far are done.
func (p *publisher) wait() { p.wg.Wait() }

// close ends the publications running (a webhook's retries stop) and
// waits for them.
func (p *publisher) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// WaitPublications returns once the audience publications started so far
// are done (tests read what they published).
func (l *Local) WaitPublications() { l.pub.wait() }
