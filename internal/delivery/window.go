package delivery

import (
	"context"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// DefaultStopGrace is how long, once a dispatcher is told to stop, the
// hand-overs in progress may take to finish (see Config.StopGrace): they
// take milliseconds unless the provider hangs, and a stop must end before
// the usual 30 s after which a supervisor (Kubernetes, systemd) kills.
const DefaultStopGrace = 20 * time.Second

// window bounds the messages of one channel this dispatcher holds marked
// sending: from the update that marks them to the one that records their
// outcome, a crash would leave them in doubt. A loop marks a window of at
// most size messages (the provider's connections) once it holds that many
// of the 2×size tokens, so that while one window is handed over the next
// is marked and ready, and no more: a crash leaves at most 2×size messages
// in doubt, whatever the loops and the batches they claimed.
type window struct {
	size   int
	tokens *semaphore.Weighted
}

// newWindow sizes a channel's window: the provider's connections, at most
// chunk (how many messages a loop holds rendered); a provider that does not
// tell its connections gets chunk.
func newWindow(p channel.Provider, chunk int) *window {
	size := chunk
	if c, ok := p.(channel.Concurrent); ok && c.Concurrency() > 0 {
		size = min(size, c.Concurrency())
	}
	return &window{size: size, tokens: semaphore.NewWeighted(int64(2 * size))}
}

// handOverContext is the context a provider sends with: a stop (ctx ends)
// lets the hand-overs in progress finish and be recorded rather than cut
// them off in doubt, for up to grace; after that they are cut.
func handOverContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(hctx, func() { t.Stop() })
	})
	return hctx, func() {
		stop()
		cancel()
	}
}

// holding is the tokens of a window one loop holds: as many as its rows
// marked sending and not yet recorded.
type holding struct {
	w *window
	n int
}

// reserve makes the holding n tokens before n rows are marked sending. The
// rows of done, which the same update records (see advance), hand their
// tokens over; when more are needed and not free at once, done is recorded
// on its own first (flush) and its tokens given back, so that a loop never
// waits for tokens while holding some: loops cannot deadlock on them.
func (h *holding) reserve(ctx context.Context, n int, flush func() error) error {
	if n <= h.n || h.w.tokens.TryAcquire(int64(n-h.n)) {
		h.n = max(h.n, n)
		return nil
	}
	if err := flush(); err != nil {
		return err
	}
	h.set(0)
	if err := h.w.tokens.Acquire(ctx, int64(n)); err != nil {
		return err
	}
	h.n = n
	return nil
}

// set gives back the tokens beyond n, once rows left the sending status.
func (h *holding) set(n int) {
	if h.n > n {
		h.w.tokens.Release(int64(h.n - n))
		h.n = n
	}
}

// sendWindows renders the rows of keep, loaded by render, and hands them
// to p a window at a time.
func (d *Dispatcher) sendWindows(ctx context.Context, ch string, p channel.Provider, keep []Row, render RenderFunc, now time.Time) (err error) {
	// Render, then hand over, a window at a time (see window): a message
	// is marked sending, its outcome unknown from then until recorded,
	// only once the provider has a connection about to take it, so that a
	// dispatcher that dies leaves at most two windows in doubt. A window's
	// sent messages are recorded by the statement that marks the next one
	// sending (see advance), and by one of their own after the last.
	// Outcomes of messages handed to the provider are written even when
	// ctx ends (a stop): unwritten, they would be in doubt; and what a stop
	// finds not yet handed over goes back to the queue (DispatchOnce).
	settle := context.WithoutCancel(ctx)
	send, stopSend := handOverContext(ctx, d.cfg.StopGrace)
	defer stopSend()
	w := d.windows[ch]
	held := &holding{w: w}
	var done *delivered
	failedInARow := 0 // messages of whole windows failed (see noteResults)
	flush := func() error {
		err := d.advance(settle, done, nil)
		done = nil
		return err
	}
	defer func() {
		if ferr := flush(); ferr != nil && err == nil {
			err = ferr
		}
		held.set(0)
	}()
	for start := 0; start < len(keep); start += w.size {
		if err := ctx.Err(); err != nil {
			return err
		}
		if until, ok := d.resting(ch, d.cfg.Now()); ok {
			// The provider failed a window (this loop's or another's):
			// what is not handed over yet waits for the end of its rest.
			return d.requeue(ctx, keep[start:], StatusRetry, ReasonProviderResting, until.UTC(), now)
		}
		chunk, next, err := d.renderWindow(ctx, render, p.Name(), keep, start, w.size, now)
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			continue
		}
		if err := held.reserve(ctx, len(next.rows), flush); err != nil {
			return err
		}
		if err := d.advance(settle, done, next); err != nil {
			return err // done is recorded on the way out
		}
		done = nil
		held.set(len(next.rows))
		chunk = next.keep(chunk)
		if len(chunk) == 0 {
			continue
		}
		results := p.Send(send, chunk)
		outage := false
		if send.Err() == nil { // messages a cut-off left unsent say nothing of the provider
			outage = d.noteResults(ch, p.Name(), results, &failedInARow, d.cfg.Now())
		}
		if done, err = d.record(settle, p.Name(), next.rows, results, outage); err != nil {
			return err
		}
		held.set(len(done.rows))
	}
	return nil
}

// renderWindow renders the rows of keep from start, up to size of them
// that render (the others fail with their template error), and returns
// their messages and the window to mark sending; no messages when the rows
// ran out first.
func (d *Dispatcher) renderWindow(ctx context.Context, render RenderFunc, provider string, keep []Row, start, size int, now time.Time) ([]*channel.Message, *delivered, error) {
	var (
		chunk    []*channel.Message
		rendered []Row
	)
	for i := start; i < min(start+size, len(keep)); i++ {
		m, err := render(i)
		if err != nil {
			if err := d.setStatus(ctx, []Row{keep[i]}, StatusFailed, ReasonTemplate+": "+clip(err.Error()), now, d.held()); err != nil {
				return nil, nil, err
			}
			continue
		}
		chunk = append(chunk, m)
		rendered = append(rendered, keep[i])
	}
	return chunk, &delivered{provider: provider, rows: rendered}, nil
}
