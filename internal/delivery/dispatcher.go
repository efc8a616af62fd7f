package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Renderer turns claimed outbox rows into messages in two steps: Load
// reads what a batch needs at once (profiles and linked rows, a query per
// batch), and the function it returns renders the batch's i-th row, so
// that only the chunk being sent is held rendered. An error fails that
// row alone.
type Renderer interface {
	Load(ctx context.Context, rows []Row) RenderFunc
}

// RenderFunc renders the i-th row of a loaded batch.
type RenderFunc func(i int) (*channel.Message, error)

// Reconciler is a provider that can tell whether it has a message (the
// sandbox can; SMTP cannot): in-doubt messages are settled with it.
type Reconciler interface {
	Has(ctx context.Context, ids []string) (map[string]bool, error)
}

// Config configures a Dispatcher.
type Config struct {
	Store     *store.Store
	Log       *slog.Logger
	Providers map[string]channel.Provider // by channel
	Renderer  Renderer
	Owner     string
	// Lease is how long a claim lasts; Batch how many messages a claim
	// takes; MaxAttempts how often a transient failure is retried.
	Lease       time.Duration
	Batch       int
	MaxAttempts int
	Now         func() time.Time
	// ProviderRate caps each channel's provider, in messages per second
	// from this process (see pacer); an activity's own rate applies too.
	ProviderRate map[string]float64
	// Loops is how many batches Run works on at once (DefaultLoops):
	// while one waits on the provider, another renders or records.
	Loops int
	// Chunk is the most messages marked sending and handed to the
	// provider at once (see SendChunk); fewer for a provider with fewer
	// connections (see window).
	Chunk int
	// StopGrace is how long hand-overs in progress when ctx ends may take
	// to finish and be recorded (DefaultStopGrace); past it they are cut
	// off, in doubt.
	StopGrace time.Duration
	// Observer is told of the messages settled (nil: no one).
	Observer Observer
}

// DefaultLoops is how many batches a dispatcher works on at once.
const DefaultLoops = 4

// DefaultBatch is how many messages a claim takes: each claim, and each
// batch's loading of profiles, is a statement of its own.
const DefaultBatch = 512

// Dispatcher sends the outbox.
type Dispatcher struct {
	cfg     Config
	send    *store.Sender // its hold on the outbox: claims, marks, outcomes, leases
	pacer   pacer
	outages outages
	docs    *documents // the runs' campaign documents, shared with a CampaignRenderer
	// windows bound the messages marked sending, by channel: set by New,
	// read only after.
	windows map[string]*window
	idle    idle // who waits for the dispatcher to have nothing left (see Idle)
}

// New returns a dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Loops <= 0 {
		cfg.Loops = DefaultLoops
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = SendChunk
		if cfg.Store.Outbox().StatementBound() {
			cfg.Chunk = EmbeddedSendChunk
		}
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = DefaultStopGrace
	}
	windows := make(map[string]*window, len(cfg.Providers))
	for ch, p := range cfg.Providers {
		if p != nil {
			windows[ch] = newWindow(p, cfg.Chunk)
		}
	}
	docs := &documents{}
	if r, ok := cfg.Renderer.(*CampaignRenderer); ok {
		docs = &r.docs
	}
	send := cfg.Store.Outbox().Sender(store.SenderConfig{Owner: cfg.Owner, Lease: cfg.Lease, Batch: cfg.Batch})
	return &Dispatcher{cfg: cfg, send: send, docs: docs, windows: windows}
}

// Run sends until ctx ends. While the outbox has nothing due, one loop
// polls it and the others wait for that one to find work: an idle server
// reads the outbox once a poll, not once a poll per loop.
func (d *Dispatcher) Run(ctx context.Context, poll time.Duration) error {
	if _, _, err := d.Recover(ctx); err != nil {
		return err
	}
	wake := make(chan struct{}, d.cfg.Loops)
	var wg sync.WaitGroup
	// Leases are kept until the loops are done, past ctx: a stop's last
	// hand-overs are recorded under them.
	defer d.keepLeases(ctx)()
	for i := range d.cfg.Loops {
		wg.Go(func() {
			for ctx.Err() == nil {
				n, err := d.DispatchOnce(ctx)
				if err != nil && ctx.Err() == nil {
					d.cfg.Log.Error("dispatch", "err", err)
				}
				if n > 0 && err == nil {
					// There may be more: the waiting loops take part.
					for range d.cfg.Loops - 1 {
						select {
						case wake <- struct{}{}:
						default:
						}
					}
					continue
				}
				var next <-chan time.Time
				if i == 0 {
					next = time.After(poll)
				}
				select {
				case <-ctx.Done():
				case <-next:
				case <-wake:
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// DispatchOnce claims one batch and takes it to its outcomes; it returns
// how many messages it claimed.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (n int, err error) {
	now := d.cfg.Now().UTC()
	skip := d.exhausted(now)
	claim, settled := d.idle.begin()
	rows, err := d.send.Claim(ctx, now, skip)
	// Deferred calls run last first: the rows are released, then idle
	// learns what the claim came to.
	defer func() { d.idle.end(claim, settled, claimOutcome(len(rows), len(skip), err)) }()
	defer d.send.Release(rows)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	byChannel := map[string][]Row{}
	for _, r := range rows {
		byChannel[r.Channel] = append(byChannel[r.Channel], r)
	}
	for ch, group := range byChannel {
		if err := d.dispatch(ctx, ch, group); err != nil {
			// A stop or a failure: what is still claimed was never handed
			// over and goes back to the queue now, not when its lease
			// runs out.
			now = d.cfg.Now().UTC()
			if gerr := d.requeue(context.WithoutCancel(ctx), rows, store.MessagePending, "", time.Time{}, now); gerr != nil {
				err = fmt.Errorf("%w; and returning the claimed messages to the queue: %w", err, gerr)
			}
			return len(rows), err
		}
	}
	return len(rows), nil
}

// dispatch applies the checks, renders, sends and records one channel's
// claimed rows.
func (d *Dispatcher) dispatch(ctx context.Context, ch string, rows []Row) (err error) {
	now := d.cfg.Now().UTC()
	p := d.cfg.Providers[ch]
	if p == nil {
		return d.setStatus(ctx, rows, store.MessageFailed, ReasonNoProvider, now, store.Held)
	}
	excluded, err := d.check(ctx, ch, rows)
	if err != nil {
		return err
	}
	out := map[string]bool{}
	for reason, list := range excluded {
		if err := d.setStatus(ctx, list, store.MessageExcluded, reason, now, store.Held); err != nil {
			return err
		}
		for _, r := range list {
			out[r.MessageID] = true
		}
	}
	var keep []Row
	for _, r := range rows {
		if !out[r.MessageID] {
			keep = append(keep, r)
		}
	}
	if keep, err = d.pace(ctx, ch, keep); err != nil {
		return err
	}
	if len(keep) == 0 {
		return nil
	}
	return d.sendWindows(ctx, ch, p, keep, d.cfg.Renderer.Load(ctx, keep), now)
}

// SendChunk is the most messages marked sending and handed to the
// provider at once (a window, see window), by default; a provider with
// fewer connections gets windows of its connections. A loop holds a
// window rendered (~24 KB a message for a typical email). Before windows
// were bounded by connections, twice as many sent 1M emails 8 % faster on
// PostgreSQL, but `fanfare serve` peaked at 99 MB RSS instead of 74. On
// the embedded store, where DuckDB charges a statement ~1.5 ms whatever
// its rows and its own memory dwarfs ~15 MB of Go heap, twice as many
// (EmbeddedSendChunk): 10–15 % more messages per second (measured, 20 000
// emails over SMTP).
const (
	SendChunk         = 64
	EmbeddedSendChunk = 2 * SendChunk
)
