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
