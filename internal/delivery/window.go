package delivery

import (
	"context"
	"slices"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
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
// to p a window at a time (see window): a message is marked sending, its
// outcome unknown from then until recorded, only once the provider has a
// connection about to take it, so that a dispatcher that dies leaves at
// most two windows in doubt. A window's sent messages are recorded by the
// statement that marks the next one sending (see advance), and by one of
// their own after the last; the next window is rendered while the
// provider takes one, so that rendering does not hold the window's tokens
// up. Outcomes of messages handed to the provider are written even when
// ctx ends (a stop): unwritten, they would be in doubt; and what a stop
// finds not yet handed over goes back to the queue (DispatchOnce).
func (d *Dispatcher) sendWindows(ctx context.Context, ch string, p channel.Provider, keep []Row, render RenderFunc, now time.Time) (err error) {
	send, stopSend := handOverContext(ctx, d.cfg.StopGrace)
	defer stopSend()
	s := &windowSend{d: d, ch: ch, p: p, settle: context.WithoutCancel(ctx), send: send}
	s.held.w = d.windows[ch]
	defer func() {
		if ferr := s.flush(); ferr != nil && err == nil {
			err = ferr
		}
		s.held.set(0)
	}()
	size := s.held.w.size
	pos := 0 // keep[pos:] is not rendered yet
	renderNext := func() ([]*channel.Message, *delivered, error) {
		for pos < len(keep) {
			msgs, win, err := d.renderWindow(ctx, render, p.Name(), keep, pos, size, now)
			pos += size
			if err != nil || len(msgs) > 0 {
				return msgs, win, err
			}
		}
		return nil, nil, nil
	}
	msgs, next, err := renderNext()
	for err == nil && len(msgs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if until, ok := d.resting(ch, d.cfg.Now()); ok {
			// The provider failed a window (this loop's or another's):
			// what is not handed over yet waits for the end of its rest.
			rest := slices.Concat(next.rows, keep[min(pos, len(keep)):])
			return d.requeue(ctx, rest, store.MessageRetry, ReasonProviderResting, until.UTC(), now)
		}
		if err := s.mark(ctx, next); err != nil {
			return err
		}
		handed := s.handOver(next.keep(msgs))
		var following *delivered
		var rerr error
		msgs, following, rerr = renderNext()
		if err := s.record(next, <-handed); err != nil {
			return err
		}
		next, err = following, rerr
	}
	return err
}

// windowSend is the state of one loop's windows of one channel.
type windowSend struct {
	d            *Dispatcher
	ch           string
	p            channel.Provider
	settle, send context.Context // for writes that must be done; for the provider
	held         holding
	done         *delivered // sent, to record
	failedInARow int        // messages of whole windows failed (see noteResults)
}

// flush records the messages sent and not recorded yet.
func (s *windowSend) flush() error {
	err := s.d.advance(s.settle, s.done, nil)
	s.done = nil
	return err
}

// mark marks next sending, once this loop holds its tokens, and records
// done by the same statement.
func (s *windowSend) mark(ctx context.Context, next *delivered) error {
	if err := s.held.reserve(ctx, len(next.rows), s.flush); err != nil {
		return err
	}
	if err := s.d.advance(s.settle, s.done, next); err != nil {
		return err // done is recorded on the way out
	}
	s.done = nil
	s.held.set(len(next.rows))
	return nil
}

// handOver sends msgs in the background; the channel yields the results
// (none for no messages).
func (s *windowSend) handOver(msgs []*channel.Message) <-chan []channel.Result {
	out := make(chan []channel.Result, 1)
	if len(msgs) == 0 {
		out <- nil
		return out
	}
	go func() { out <- s.p.Send(s.send, msgs) }()
	return out
}

// record writes the outcomes of the window handed over, but for its sent
// messages, kept for the next mark (or flush).
func (s *windowSend) record(win *delivered, results []channel.Result) error {
	if len(results) == 0 {
		return nil
	}
	outage := false
	if s.send.Err() == nil { // messages a cut-off left unsent say nothing of the provider
		outage = s.d.noteResults(s.ch, s.p.Name(), results, &s.failedInARow, s.d.cfg.Now())
	}
	done, err := s.d.record(s.settle, s.p.Name(), win.rows, results, outage)
	s.done = done
	if err != nil {
		return err
	}
	s.held.set(len(done.rows))
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
			if err := d.setStatus(ctx, []Row{keep[i]}, store.MessageFailed, ReasonTemplate+": "+clip(err.Error()), now, store.Held); err != nil {
				return nil, nil, err
			}
			continue
		}
		chunk = append(chunk, m)
		rendered = append(rendered, keep[i])
	}
	return chunk, &delivered{provider: provider, rows: rendered}, nil
}
