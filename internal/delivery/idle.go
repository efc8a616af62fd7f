package delivery

import "sync"

// idle tells waiters when the dispatcher has settled everything it could
// send: nothing of its own is under way (claims, batches), and a claim
// found nothing due with no batch settled since it started (a batch that
// fails returns its messages to the queue, due again). A claim that left
// messages out (an activity over its rate, a resting provider) is not
// idle: they are still to send.
//
// Waiters count from the claims that start after they ask: a claim that
// started before could have read the outbox before the messages a waiter
// waits for were written.
type idle struct {
	mu       sync.Mutex
	claims   uint64 // claims started
	settled  uint64 // batches settled (or claims failed)
	inFlight int    // claims and batches under way
	// clean is the latest claim (by start) that found nothing due, with
	// no batch settled since it started; 0: none.
	clean   uint64
	waiters []idleWaiter
}

type idleWaiter struct {
	after uint64 // claims started when it asked
	ch    chan struct{}
}

// What a claim came to, for idle.
type claimEnd int

const (
	claimedNothing claimEnd = iota // nothing due, nothing left out
	claimedLeftOut                 // nothing claimed, but messages left out (skipped)
	claimSettled                   // a batch taken to its outcomes, or a failure
)

// claimOutcome says what a claim of n rows, with skip left out, came to.
func claimOutcome(n, skip int, err error) claimEnd {
	switch {
	case n > 0 || err != nil:
		return claimSettled
	case skip > 0:
		return claimedLeftOut
	}
	return claimedNothing
}

// begin notes that a claim starts and returns its marks.
func (w *idle) begin() (claim, settled uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.claims++
	w.inFlight++
	return w.claims, w.settled
}

// end notes that the claim begun with (claim, settled) is done, and what
// it came to. When nothing is under way any more, the waiters that asked
// before the latest clean claim started learn that the dispatcher is idle.
func (w *idle) end(claim, settled uint64, came claimEnd) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inFlight--
	switch {
	case came == claimSettled:
		w.settled++
		w.clean = 0
		return
	case came == claimedLeftOut:
		w.clean = 0
		return
	case settled == w.settled:
		w.clean = max(w.clean, claim)
	}
	if w.inFlight > 0 || w.clean == 0 {
		return
	}
	keep := w.waiters[:0]
	for _, x := range w.waiters {
		if x.after < w.clean {
			close(x.ch)
			continue
		}
		keep = append(keep, x)
	}
	clear(w.waiters[len(keep):])
	w.waiters = keep
}

// wait returns a channel closed when the dispatcher is next idle.
func (w *idle) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	w.waiters = append(w.waiters, idleWaiter{after: w.claims, ch: ch})
	return ch
}

// Idle returns a channel closed the next time the dispatcher, running,
// finds nothing due in the outbox with nothing of its own under way,
// after every message it had claimed is settled: sent, failed, excluded,
// or returned to wait for a retry. A message due when Idle is called has
// been taken to an outcome by then — by this dispatcher; where other
// nodes' dispatchers share the outbox (see Shared), theirs may still be
// on their way. Only messages written before the call count: the claims
// that tell are those that start after it.
func (d *Dispatcher) Idle() <-chan struct{} { return d.idle.wait() }

// Shared reports whether other nodes' dispatchers may send from the same
// outbox (leased claims on PostgreSQL), so that what they settle raises no
// Idle here.
func (d *Dispatcher) Shared() bool { return d.send.Leased() }
