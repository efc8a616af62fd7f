package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Recorder writes tracking events as a group commit: a writer takes every
// event waiting, as one statement, RecordLinger after the first (or at
// once when half of RecordBatch wait), and the next batch gathers in the
// other half while it writes. A pixel or a redirect is answered before
// its event commits, but no more than RecordBatch events are ever waiting
// or being written: a hit that would make one more waits for room (or for
// its request to end). So a crash loses at most RecordBatch events, the
// batch being written and the one gathering behind it (docs/tracking.md).
// (Writing only once RecordBatch waited left no room to gather in: under
// load every hit waited on each write.)
type Recorder struct {
	store *store.Store
	log   *slog.Logger
	// room holds a token for each event not yet committed.
	room chan struct{}
	// wake says a batch has begun, full that it is full; stop ends run.
	wake, full, stop chan struct{}
	done             chan struct{}
	// mu guards pending and closed.
	mu      sync.Mutex
	pending []store.EventRecord
	closed  bool
	// Machines classifies hits; KeepClient keeps their IP address and
	// user agent (off by default).
	Machines   *Machines
	KeepClient bool
	// Observer is told of the events written (nil: no one); set it
	// before the first hit.
	Observer Observer
}

// Batching of the events: at most RecordBatch uncommitted, a batch
// written RecordLinger after its first event (or at once when it holds
// half of RecordBatch).
const (
	RecordBatch  = store.MaxEventBatch
	RecordLinger = 100 * time.Millisecond
)

// NewRecorder starts a recorder; Close flushes it.
func NewRecorder(s *store.Store, log *slog.Logger) *Recorder {
	r := &Recorder{store: s, log: log, room: make(chan struct{}, RecordBatch), wake: make(chan struct{}, 1), full: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), Machines: DefaultMachines()}
	go r.run()
	return r
}

// Hit records the fetch of a tracking link or pixel.
func (r *Recorder) Hit(ctx context.Context, t Track, h Hit) {
	ev := store.EventRecord{At: h.At, Type: EventOpen, RunID: t.RunID, Activity: t.Activity, MessageID: t.MessageID,
		Machine: r.Machines.Classify(h, t.SentAt())}
	if t.Kind == "c" {
		ev.Type, ev.Link, ev.URL, ev.Label = EventClick, t.Link, t.URL, t.Label
	}
	if r.KeepClient && t.MessageID != "" {
		if h.IP.IsValid() {
			ev.IP = h.IP.String()
		}
		ev.UserAgent = clip(h.UserAgent)
	}
	// Room at once, the common case, without asking the request's
	// context for its channel (made on first use).
	select {
	case r.room <- struct{}{}:
	default:
		select {
		case r.room <- struct{}{}:
		case <-ctx.Done():
			return
		case <-r.done:
			return
		}
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.room
		return
	}
	r.pending = append(r.pending, ev)
	n := len(r.pending)
	r.mu.Unlock()
	switch {
	case n >= RecordBatch/2:
		signal(r.full)
	case n == 1:
		signal(r.wake)
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// run writes each batch as it begins and lingers or fills, until Close.
func (r *Recorder) run() {
	defer close(r.done)
	for {
		select {
		case <-r.wake:
		case <-r.stop:
			r.write(r.take())
			return
		}
		t := time.NewTimer(RecordLinger)
		select {
		case <-t.C:
		case <-r.full:
		case <-r.stop:
		}
		t.Stop()
		r.write(r.take())
	}
}

// take takes the events waiting.
func (r *Recorder) take() []store.EventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	batch := r.pending
	r.pending = nil
	return batch
}

// write commits a batch and gives its room back, whatever came of it.
func (r *Recorder) write(batch []store.EventRecord) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.store.Events().Append(ctx, batch); err != nil {
		r.log.Error("record tracking events", "events", len(batch), "err", err)
	} else {
		r.recorded(batch)
	}
	for range batch {
		<-r.room
	}
}

// Close writes the events gathered and stops the recorder.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	<-r.done
}

// recorded tells the observer of events written, by type.
func (r *Recorder) recorded(evs []store.EventRecord) {
	if r.Observer == nil {
		return
	}
	by := map[string]int{}
	for _, ev := range evs {
		by[ev.Type]++
	}
	for typ, n := range by {
		r.Observer.Recorded(typ, n)
	}
}

// Feedback records reports about sent emails (RecordFeedback), telling
// the observer of the events written.
func (r *Recorder) Feedback(ctx context.Context, reports []Feedback, soft SoftBouncePolicy) (recorded, unknown int, err error) {
	return recordFeedback(ctx, r.store, reports, soft, r.recorded)
}

// Receipt records what a report says of a sent message of a channel
// (RecordReceipt), telling the observer of the event written.
func (r *Recorder) Receipt(ctx context.Context, ch string, m store.SentMessage, f Feedback, soft SoftBouncePolicy) error {
	ev, err := RecordReceipt(ctx, r.store, ch, m, f, soft)
	if err == nil {
		r.recorded([]store.EventRecord{ev})
	}
	return err
}

// Unsubscribe records an unsubscribe link's opt-out (RecordUnsubscribe),
// telling the observer of the event written.
func (r *Recorder) Unsubscribe(ctx context.Context, u Unsubscribe, at time.Time) (bool, error) {
	return recordUnsubscribe(ctx, r.store, u, at, r.recorded)
}
