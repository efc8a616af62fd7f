package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/ingest"
	"github.com/fanfare-dev/fanfare/internal/jobs"
	"github.com/fanfare-dev/fanfare/internal/message"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// Job kinds the engine runs.
const (
	KindActivity = "campaign.activity"
)

// Engine runs campaigns on a store.
type Engine struct {
	store *store.Store
	queue *jobs.Queue
	log   *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Workers is how many activities run at once in this process.
	Workers int
	// Poll is how often idle workers look for work.
	Poll time.Duration
	// OutboxSlice is how many recipients a channel activity writes per
	// statement on the embedded store (0: DefaultOutboxSlice).
	OutboxSlice int
	// FilesDir is the only directory load_file reads from; empty refuses
	// every load_file.
	FilesDir string
	// RenderBudget bounds a message's render; validation refuses content
	// that exceeds it over the sample profile.
	RenderBudget message.Budget
	// FileLimits bound what load_file reads: a longer line is rejected,
	// a gzip file inflating past them fails the activity.
	FileLimits ingest.Limits
	// observer is told how long each activity took (never nil).
	observer Observer
	// saved is told of each audience version the engine saved (nil: no
	// one).
	saved func(ctx context.Context, a *audience.Audience)

	wake chan struct{}
}

// Observer is told what the engine's workers did: each activity
// execution (its type, its outcome — done, error, lease_lost — and how
// long it ran) and, through the job queue, each job. Internal/metrics
// implements it; the engine knows nothing of how it is counted.
type Observer interface {
	jobs.Observer
	ActivityDone(activityType, outcome string, took time.Duration)
}

// Activity outcomes an Observer is told.
const (
	ActivityOutcomeDone      = "done"
	ActivityOutcomeError     = "error"
	ActivityOutcomeLeaseLost = "lease_lost"
)

// noObserver is the Observer of an engine given none.
type noObserver struct{}

func (noObserver) JobDone(string, string, time.Duration)      {}
func (noObserver) ActivityDone(string, string, time.Duration) {}

// Config configures an Engine.
type Config struct {
	Store   *store.Store
	Log     *slog.Logger
	Workers int
	// Lease is how long a claimed activity stays ours without a heartbeat.
	Lease time.Duration
	Now   func() time.Time
	// FilesDir is the directory load_file reads from (paths are relative
	// to it); empty refuses every load_file.
	FilesDir string
	// RenderBudget bounds a message's render (zero: message's defaults).
	RenderBudget message.Budget
	// FileLimits bound what load_file reads (zero: the defaults).
	FileLimits ingest.Limits
	// Observer is told of each activity and job (nil: no one).
	Observer Observer
	// AudienceSaved is told of each version of a saved audience the
	// engine makes (save_audience, a run's rows saved): the service
	// publishes it (docs/outbound.md) without the engine knowing how.
	AudienceSaved func(ctx context.Context, a *audience.Audience)
}

// New returns an engine; Start runs its workers.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	q := jobs.New(cfg.Store, nodeName(), cfg.Lease)
	q.Now, q.Observer = cfg.Now, cfg.Observer
	return &Engine{store: cfg.Store, queue: q, log: cfg.Log, Now: cfg.Now, Workers: cfg.Workers, Poll: 250 * time.Millisecond, FilesDir: cfg.FilesDir, RenderBudget: cfg.RenderBudget, FileLimits: cfg.FileLimits, observer: cfg.Observer, saved: cfg.AudienceSaved, wake: make(chan struct{}, 1)}
}

// audienceSaved tells whom the configuration names of a version saved.
func (e *Engine) audienceSaved(ctx context.Context, a *audience.Audience) {
	if e.saved != nil {
		e.saved(ctx, a)
	}
}

// nodeName identifies this process in job leases.
func nodeName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Queue exposes the engine's job queue (for tests and operators).
func (e *Engine) Queue() *jobs.Queue { return e.queue }

// notify wakes an idle worker after work was enqueued in this process.
func (e *Engine) notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Recover makes the work of a dead process claimable at once. On the
// embedded store no other process can hold the file, so every running job
// was this data directory's previous process's; on PostgreSQL leases expire
// by themselves.
func (e *Engine) Recover(ctx context.Context) error {
	n, err := e.queue.Recover(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		e.log.Warn("resuming work left by a previous process", "jobs", n)
	}
	return nil
}

// Run works until ctx ends: it claims due activities and executes them.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.Recover(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for range e.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.work(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (e *Engine) work(ctx context.Context) {
	for ctx.Err() == nil {
		js, err := e.queue.Claim(ctx, []string{KindActivity}, 1)
		if err != nil {
			if ctx.Err() == nil && !jobs.IsConflict(err) {
				e.log.Error("claim work", "err", err)
			}
			e.sleep(ctx)
			continue
		}
		if len(js) == 0 {
			e.sleep(ctx)
			continue
		}
		for _, j := range js {
			// An activity that finishes may hand the worker the next.
			for t := e.execute(ctx, j); t != nil && ctx.Err() == nil; {
				t = e.run1(ctx, t)
			}
		}
	}
}

func (e *Engine) sleep(ctx context.Context) {
	t := time.NewTimer(e.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-e.wake:
	case <-t.C:
	}
}
