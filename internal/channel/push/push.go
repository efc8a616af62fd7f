package push

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/push/apns"
	"github.com/fanfare-dev/fanfare/internal/channel/push/fcm"
)

// Platforms.
const (
	IOS     = "ios"
	Android = "android"
)

// Provider dispatches push messages by platform.
type Provider struct {
	byPlatform map[string]channel.Provider
}

var _ channel.Provider = (*Provider)(nil)

// New returns a provider sending Android messages through f and iOS ones
// through a; either may be nil, and a message for its platform then fails.
func New(f *fcm.Provider, a *apns.Provider) channel.Provider {
	p := &Provider{byPlatform: map[string]channel.Provider{}}
	if f != nil {
		p.byPlatform[Android] = f
	}
	if a != nil {
		p.byPlatform[IOS] = a
	}
	return p
}

// Name returns "push".
func (p *Provider) Name() string { return "push" }

// Channel returns channel.Push.
func (p *Provider) Channel() string { return channel.Push }

// Concurrency returns the requests its platforms' providers may have in
// flight at once, together.
func (p *Provider) Concurrency() int {
	n := 0
	for _, sub := range p.byPlatform {
		if c, ok := sub.(channel.Concurrent); ok {
			n += c.Concurrency()
		}
	}
	return n
}

// Send splits msgs by platform, sends each part concurrently through its
// provider and returns one result per message, in order.
func (p *Provider) Send(ctx context.Context, msgs []*channel.Message) []channel.Result {
	res := make([]channel.Result, len(msgs))
	parts := map[string][]int{}
	for i, m := range msgs {
		res[i].ID = m.ID
		if _, ok := p.byPlatform[m.Platform]; !ok {
			res[i].Outcome, res[i].Error = channel.Permanent, fmt.Sprintf("push: no provider for platform %.20q", m.Platform)
			continue
		}
		parts[m.Platform] = append(parts[m.Platform], i)
	}
	var wg sync.WaitGroup
	for platform, idx := range parts {
		part := make([]*channel.Message, len(idx))
		for j, i := range idx {
			part[j] = msgs[i]
		}
		wg.Go(func() {
			for j, r := range p.byPlatform[platform].Send(ctx, part) {
				res[idx[j]] = r
			}
		})
	}
	wg.Wait()
	return res
}

// Close closes every platform's provider.
func (p *Provider) Close() error {
	var errs []error
	for _, sub := range p.byPlatform {
		errs = append(errs, sub.Close())
	}
	return errors.Join(errs...)
}
