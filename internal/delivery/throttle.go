package delivery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/campaign"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/schema"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// pacing is what a channel activity's settings say about when and how fast
// to send — rate (messages per second, 0 for no limit) and window — and
// whether its messages are transactional (they skip marketing consent).
type pacing struct {
	rate          float64
	window        *sendWindow
	transactional bool
}

// sendWindow is the local time of day messages may be sent: from (inclusive)
// to (exclusive), in minutes since midnight; to < from crosses midnight.
type sendWindow struct {
	from, to int
	// loc is the window's timezone; attr, when set, an attribute of the
	// dimension holding each recipient's own (loc, or UTC, when it has
	// none that is valid).
	loc  *time.Location
	attr string
}

// open tells whether local time t is inside the window.
func (w *sendWindow) open(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	if w.from < w.to {
		return m >= w.from && m < w.to
	}
	return m >= w.from || m < w.to
}

// next returns the next opening of the window after now, in loc.
func (w *sendWindow) next(now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	y, mo, d := local.Date()
	at := time.Date(y, mo, d, w.from/60, w.from%60, 0, 0, loc)
	if !at.After(local) {
		at = time.Date(y, mo, d+1, w.from/60, w.from%60, 0, 0, loc)
	}
	return at
}

// bucket is a token bucket: rate tokens a second, holding at most one
// second's worth (at least 1), full when created.
type bucket struct {
	rate, tokens float64
	last         time.Time
}

func newBucket(rate float64, now time.Time) *bucket {
	return &bucket{rate: rate, tokens: max(rate, 1), last: now}
}

// available refills the bucket up to now and returns the whole tokens in it.
func (b *bucket) available(now time.Time) int {
	if now.After(b.last) {
		b.tokens = min(max(b.rate, 1), b.tokens+b.rate*now.Sub(b.last).Seconds())
		b.last = now
	}
	return int(math.Floor(b.tokens + 1e-9))
}

func (b *bucket) take(n int) { b.tokens -= float64(n) }

// pacer holds a dispatcher's pacing: each activity's settings, read once,
// and the token buckets of activities (per run) and providers. They live in
// the process: each node paces its own sends.
type pacer struct {
	mu      sync.Mutex
	rules   map[string]pacing
	buckets map[bucketKey]*bucket
}

// bucketKey names a budget: a run's activity, or a provider's channel.
type bucketKey struct {
	run      int64
	activity string
	provider string
}

func activityKey(run int64, activity string) string { return fmt.Sprintf("%d/%s", run, activity) }

// bucket returns the bucket of key, made with rate on first use.
func (p *pacer) bucket(key bucketKey, rate float64, now time.Time) *bucket {
	b := p.buckets[key]
	if b == nil {
		if p.buckets == nil {
			p.buckets = map[bucketKey]*bucket{}
		}
		b = newBucket(rate, now)
		p.buckets[key] = b
	}
	return b
}

// exhausted returns the activities (of a run) and channels whose budget is
// spent at now, and the channels whose provider rests (see outages), so
// that a claim leaves their messages for later.
func (d *Dispatcher) exhausted(now time.Time) []store.Skip {
	var out []store.Skip
	for _, ch := range d.restingChannels(now) {
		out = append(out, store.Skip{Channel: ch})
	}
	d.pacer.mu.Lock()
	defer d.pacer.mu.Unlock()
	for key, b := range d.pacer.buckets {
		if b.available(now) == 0 {
			out = append(out, store.Skip{Channel: key.provider, Run: key.run, Activity: key.activity})
		}
	}
	return out
}

// rules returns the pacing of a run's activity, read from its campaign
// version as the renderer reads its content. A message whose run or
// activity cannot be found is not paced: rendering fails it with the reason.
func (d *Dispatcher) rules(ctx context.Context, run int64, activity string) (pacing, error) {
	key := activityKey(run, activity)
	d.pacer.mu.Lock()
	p, ok := d.pacer.rules[key]
	d.pacer.mu.Unlock()
	if ok {
		return p, nil
	}
	c, err := d.docs.get(ctx, d.cfg.Store, run)
	var unread documentError
	switch {
	case errors.Is(err, store.ErrNotFound), errors.As(err, &unread):
	case err != nil:
		return pacing{}, fmt.Errorf("read the settings of run %d: %w", run, err)
	default:
		if a := c.doc.Activity(activity); a != nil {
			p = pacingOf(a.Settings)
			p.transactional = campaign.Transactional(a)
		}
	}
	d.pacer.mu.Lock()
	if d.pacer.rules == nil {
		d.pacer.rules = map[string]pacing{}
	}
	d.pacer.rules[key] = p
	d.pacer.mu.Unlock()
	return p, nil
}

// pacingOf reads rate and window from a channel activity's settings;
// validation has refused invalid ones, so what does not read is ignored.
func pacingOf(s map[string]any) pacing {
	var p pacing
	switch r := s[campaign.OptRate].(type) {
	case float64:
		p.rate = r
	case int:
		p.rate = float64(r)
	case int64:
		p.rate = float64(r)
	case interface{ Float64() (float64, error) }:
		p.rate, _ = r.Float64()
	}
	if p.rate < 0 {
		p.rate = 0
	}
	w, _ := s[campaign.OptWindow].(map[string]any)
	if w == nil {
		return p
	}
	fs, _ := w["from"].(string)
	ts, _ := w["to"].(string)
	from, err1 := campaign.ParseClock(fs)
	to, err2 := campaign.ParseClock(ts)
	if err1 != nil || err2 != nil || from == to {
		return p
	}
	sw := &sendWindow{from: from, to: to, loc: time.UTC}
	if tz, _ := w["timezone"].(string); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			sw.loc = loc
		}
	}
	sw.attr, _ = w["timezone_attribute"].(string)
	p.window = sw
	return p
}

// pace applies send windows and rates to one channel's rows that passed
// the checks: rows outside their window are deferred to its next opening,
// rows beyond the activity's or the provider's budget go back to the queue;
// it returns the rows to send now.
func (d *Dispatcher) pace(ctx context.Context, ch string, rows []Row) ([]Row, error) {
	now := d.cfg.Now().UTC()
	type group struct {
		run  int64
		act  string
		rows []Row
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, r := range rows {
		k := activityKey(r.RunID, r.Activity)
		g := byKey[k]
		if g == nil {
			g = &group{run: r.RunID, act: r.Activity}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	deferred := map[time.Time][]Row{}
	var putBack []Row
	var send []Row
	for _, g := range groups {
		p, err := d.rules(ctx, g.run, g.act)
		if err != nil {
			return nil, err
		}
		inWindow := g.rows
		if p.window != nil {
			zones, err := d.zones(ctx, p.window, g.rows)
			if err != nil {
				return nil, err
			}
			inWindow = nil
			for i, r := range g.rows {
				if p.window.open(now.In(zones[i])) {
					inWindow = append(inWindow, r)
					continue
				}
				at := p.window.next(now, zones[i]).UTC()
				deferred[at] = append(deferred[at], r)
			}
		}
		d.pacer.mu.Lock()
		n := len(inWindow)
		var ab, pb *bucket
		if p.rate > 0 {
			ab = d.pacer.bucket(bucketKey{run: g.run, activity: g.act}, p.rate, now)
			n = min(n, ab.available(now))
		}
		if r := d.cfg.ProviderRate[ch]; r > 0 {
			pb = d.pacer.bucket(bucketKey{provider: ch}, r, now)
			n = min(n, pb.available(now))
		}
		if ab != nil {
			ab.take(n)
		}
		if pb != nil {
			pb.take(n)
		}
		d.pacer.mu.Unlock()
		send = append(send, inWindow[:n]...)
		putBack = append(putBack, inWindow[n:]...)
	}
	for at, list := range deferred {
		if err := d.requeue(ctx, list, store.MessageRetry, ReasonOutsideWindow, at, now); err != nil {
			return nil, err
		}
	}
	if err := d.requeue(ctx, putBack, store.MessagePending, "", time.Time{}, now); err != nil {
		return nil, err
	}
	return send, nil
}

// requeue gives claimed messages back without counting the claim as an
// attempt: to pending (over budget) or to retry at a time (outside the
// send window, a resting provider; see store.Sender.Requeue).
func (d *Dispatcher) requeue(ctx context.Context, rows []Row, status store.MessageStatus, reason string, at, now time.Time) error {
	return d.send.Requeue(ctx, rows, status, reason, at, now)
}

// zones returns each row's time zone for a window: the recipient's
// attribute when the window names one and it holds a valid zone, else the
// window's timezone.
func (d *Dispatcher) zones(ctx context.Context, w *sendWindow, rows []Row) ([]*time.Location, error) {
	out := make([]*time.Location, len(rows))
	for i := range out {
		out[i] = w.loc
	}
	if w.attr == "" || len(rows) == 0 {
		return out, nil
	}
	m, _, err := schema.Current(ctx, d.cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("read the data model for send windows: %w", err)
	}
	dim := m.Entity(rows[0].Dimension)
	if dim == nil {
		return out, nil
	}
	keys := make([][]any, 0, len(rows))
	idx := make([]int, 0, len(rows))
	for i, r := range rows {
		k, err := recipientKey(dim, r.Recipient)
		if err != nil {
			continue
		}
		keys = append(keys, k)
		idx = append(idx, i)
	}
	ctxs, err := message.NewLoader(d.cfg.Store, m, dim.Name, message.Needs{}).Load(ctx, keys, nil)
	if err != nil {
		return nil, fmt.Errorf("read the recipients' time zones: %w", err)
	}
	for j, k := range keys {
		profile, _ := ctxs[message.KeyString(k)]["profile"].(map[string]any)
		name, _ := profile[w.attr].(string)
		if name == "" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			out[idx[j]] = loc
		}
	}
	return out, nil
}
