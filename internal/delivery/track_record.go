package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Recorder writes tracking events in batches: at most RecordBatch events
// or every RecordEvery, whichever comes first. A pixel or a redirect is
// answered before its batch commits, so a crash loses at most the batch
// being gathered (docs/tracking.md).
type Recorder struct {
	store *store.Store
	log   *slog.Logger
	in    chan store.EventRecord
	done  chan struct{}
	// mu guards closed: Hit sends under the read lock, Close closes the
	// channel under the write lock, so no hit sends on a closed channel.
	mu     sync.RWMutex
	closed bool
	// Machines classifies hits; KeepClient keeps their IP address and
	// user agent (off by default).
	Machines   *Machines
	KeepClient bool
	// Observer is told of the events written (nil: no one); set it
	// before the first hit.
	Observer Observer
}

// Batching of the events.
const (
	RecordBatch = store.MaxEventBatch
	RecordEvery = time.Second
)

// NewRecorder starts a recorder; Close flushes it.
func NewRecorder(s *store.Store, log *slog.Logger) *Recorder {
	r := &Recorder{store: s, log: log, in: make(chan store.EventRecord, 8*RecordBatch), done: make(chan struct{}), Machines: DefaultMachines()}
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
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return
	}
	select {
	case r.in <- ev:
	case <-ctx.Done():
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(RecordEvery)
	defer t.Stop()
	batch := make([]store.EventRecord, 0, RecordBatch)
	flush := func() {
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
		batch = batch[:0]
	}
	for {
		select {
		case ev, ok := <-r.in:
			if !ok {
				flush()
				return
			}
			batch = append(batch, ev)
			if len(batch) >= RecordBatch {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Close writes the events gathered and stops the recorder.
func (r *Recorder) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.in)
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
