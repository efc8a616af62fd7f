package apns

import "time"

// SetNow replaces the clock the provider token is dated with.
func SetNow(p *Provider, now func() time.Time) {
	p.jwt.mu.Lock()
	defer p.jwt.mu.Unlock()
	p.jwt.now = now
}
