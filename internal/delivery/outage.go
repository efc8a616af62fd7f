package delivery

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// maxRest is the longest a failing provider is left alone.
const maxRest = 5 * time.Minute

// minOutageChunk is the fewest messages a batch's windows in a row must
// hold for their failing whole to say the provider fails: fewer (the last
// few messages of a send) may fail for their recipients alone
// (greylisting, a full mailbox), and must not hold up the channel. Windows
// are counted together because a provider with few connections gets
// windows smaller than this (see window).
const minOutageChunk = 4

// outages tracks the providers that are failing as a whole. Windows (of a
// batch, in a row) of at least minOutageChunk messages that a provider
// failed entirely — nothing
// sent, every message to retry or in doubt: it refuses connections, hangs
// until its timeout, answers garbage, throttles everything — starts a rest
// for its channel: claims leave the channel's messages in the queue, and
// batches already claimed give back the chunks they have not handed over,
// so that the dispatcher's loops send other channels instead of waiting on
// that provider chunk after chunk. The rest is the retry backoff, doubled
// by every chunk that fails after one, up to maxRest; then the next chunk
// tries the provider again, and one with a message sent ends the outage.
// An outage's failures are not counted as attempts of their messages (see
// record). A provider's Retry-After lengthens the rest to what it asked;
// a setup error (Result.Setup: a wrong APNs topic, tokens of the other
// environment) starts a rest whatever the chunk's size. Each process
// keeps its own outages. (Push goes to FCM and APNs
// through one provider: either failing rests the channel.)
type outages struct {
	mu    sync.Mutex
	until map[string]time.Time     // by channel: resting until then
	rest  map[string]time.Duration // by channel: the last rest, while failing
}

// resting tells whether ch's provider is resting at now, and until when.
func (d *Dispatcher) resting(ch string, now time.Time) (time.Time, bool) {
	o := &d.outages
	o.mu.Lock()
	defer o.mu.Unlock()
	until, ok := o.until[ch]
	return until, ok && now.Before(until)
}

// restingChannels lists the channels whose provider rests at now.
func (d *Dispatcher) restingChannels(now time.Time) []string {
	o := &d.outages
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for ch, until := range o.until {
		if now.Before(until) {
			out = append(out, ch)
		}
	}
	return out
}

// noteResults learns from a window's results whether ch's provider is
// failing as a whole (see outages), and tells: the window's failures are
// the provider's, and say nothing of its messages. inARow counts the
// messages of the batch's windows failed entirely in a row, this one's
// included.
func (d *Dispatcher) noteResults(ch, provider string, results []channel.Result, inARow *int, now time.Time) (outage bool) {
	if len(results) == 0 {
		return false
	}
	failing, setup, asked := true, false, time.Duration(0)
	for _, r := range results {
		if r.Outcome == channel.Sent || r.Outcome == channel.Permanent {
			failing = false
			break
		}
		setup = setup || r.Setup
		asked = max(asked, r.RetryAfter)
	}
	// A setup error (a wrong topic) is the provider's whatever the
	// window's size.
	if !failing {
		*inARow = 0
	} else if *inARow += len(results); *inARow < minOutageChunk && !setup {
		return false
	}
	o := &d.outages
	o.mu.Lock()
	defer o.mu.Unlock()
	if !failing {
		if _, ok := o.rest[ch]; ok {
			delete(o.rest, ch)
			delete(o.until, ch)
			d.cfg.Log.Info("provider answering again", "channel", ch, "provider", provider)
		}
		return false
	}
	if until, ok := o.until[ch]; ok && now.Before(until) {
		return true // another loop's chunk, sent before the rest began
	}
	rest := backoff
	if last, ok := o.rest[ch]; ok {
		rest = min(2*last, maxRest)
	}
	rest = max(rest, asked) // the provider's Retry-After
	if o.until == nil {
		o.until, o.rest = map[string]time.Time{}, map[string]time.Duration{}
	}
	o.until[ch], o.rest[ch] = now.Add(rest), rest
	d.cfg.Log.Warn("provider failing: its channel's messages wait", "channel", ch, "provider", provider,
		"for", rest, "messages_failed", *inARow, "error", clip(results[0].Error))
	return true
}

// Outage is a provider resting because it failed (see outages).
type Outage struct {
	Channel string    `json:"channel"`
	Until   time.Time `json:"until"` // the next chunk tries it then
	Rest    string    `json:"rest"`  // how long this rest is ("1m0s")
}

// Outages lists the channels whose provider rests now, by channel name.
func (d *Dispatcher) Outages() []Outage {
	now := d.cfg.Now()
	o := &d.outages
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Outage{}
	for ch, until := range o.until {
		if now.Before(until) {
			out = append(out, Outage{Channel: ch, Until: until.UTC(), Rest: o.rest[ch].String()})
		}
	}
	slices.SortFunc(out, func(a, b Outage) int { return strings.Compare(a.Channel, b.Channel) })
	return out
}
