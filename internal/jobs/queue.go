package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Job statuses.
const (
	StatusReady   = store.JobReady
	StatusRunning = store.JobRunning
	StatusDone    = store.JobDone
	StatusFailed  = store.JobFailed
)

// ErrLeaseLost is returned when a job's lease passed to another worker
// before the job completed; the work must be rolled back.
var ErrLeaseLost = errors.New("job lease lost to another worker")

// Job is a claimed unit of work.
type Job struct {
	ID          int64
	Kind        string
	Payload     json.RawMessage
	Attempts    int
	MaxAttempts int
	Owner       string
	// claimed is when this worker claimed it (its duration's start).
	claimed time.Time
}

// Decode reads the payload.
func (j *Job) Decode(v any) error { return json.Unmarshal(j.Payload, v) }

// Queue enqueues, claims and completes jobs.
type Queue struct {
	store *store.Store
	// Owner names this worker in leases (host:pid:random).
	Owner string
	// Lease is how long a claim lasts without being extended.
	Lease time.Duration
	// Now is the clock (tests replace it).
	Now func() time.Time
	// Observer is told how long each claimed job took, once this worker
	// completes, fails or releases it; nil for no one.
	Observer Observer
}

// Observer is told of each job this queue's worker finished with: its
// kind, its outcome (done, retry, failed, released) and how long it
// was held since its claim. Internal/metrics implements it.
type Observer interface {
	JobDone(kind, outcome string, took time.Duration)
}

// Job outcomes an Observer is told.
const (
	OutcomeDone     = "done"
	OutcomeRetry    = "retry"
	OutcomeFailed   = "failed"
	OutcomeReleased = "released"
)

// observe tells the observer, if any, that j ended with outcome.
func (q *Queue) observe(j *Job, outcome string) {
	if q.Observer != nil && !j.claimed.IsZero() {
		q.Observer.JobDone(j.Kind, outcome, q.Now().Sub(j.claimed))
	}
}

// New returns a queue on the store.
func New(s *store.Store, owner string, lease time.Duration) *Queue {
	return &Queue{store: s, Owner: owner, Lease: lease, Now: time.Now}
}

// EnqueueOptions tune a new job.
type EnqueueOptions struct {
	// DedupeKey makes Enqueue a no-op when a job with that key exists.
	DedupeKey string
	// RunAfter delays the job (zero: now).
	RunAfter time.Time
	// MaxAttempts bounds retries (default 5).
	MaxAttempts int
}

// lease is the fence of j's attempt.
func (j *Job) lease() store.JobLease {
	return store.JobLease{ID: j.ID, Owner: j.Owner, Attempt: j.Attempts}
}

// fenced translates the error of an operation fenced by a job's lease:
// not found means the lease was lost; others say what was being done.
func fenced(err error, what string, id int64) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return ErrLeaseLost
	}
	return fmt.Errorf("%s job %d: %w", what, id, err)
}

// Enqueue adds a job inside the caller's transaction (or on the database
// when q is the store's DB). It returns the job id, or 0 when a job with the
// same dedupe key already exists.
func (q *Queue) Enqueue(ctx context.Context, db store.Querier, kind string, payload any, opts EnqueueOptions) (int64, error) {
	j, err := q.add(ctx, db, kind, payload, opts, false)
	if err != nil || j == nil {
		return 0, err
	}
	return j.ID, nil
}

// Take adds a job inside the caller's transaction already claimed by this
// queue's worker, for its first attempt, and returns it (nil when a job
// with the same dedupe key already exists): the worker runs it once the
// transaction commits, without a claim of its own. Should the worker die
// first, the lease passes the job on as any claimed job's.
func (q *Queue) Take(ctx context.Context, db store.Querier, kind string, payload any, opts EnqueueOptions) (*Job, error) {
	return q.add(ctx, db, kind, payload, opts, true)
}

func (q *Queue) add(ctx context.Context, db store.Querier, kind string, payload any, opts EnqueueOptions, take bool) (*Job, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s job: %w", kind, err)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	now := q.Now().UTC()
	if opts.RunAfter.IsZero() {
		opts.RunAfter = now
	}
	n := store.NewJob{Kind: kind, DedupeKey: opts.DedupeKey, Payload: string(body), RunAfter: opts.RunAfter, MaxAttempts: opts.MaxAttempts, CreatedAt: now}
	if take {
		n.Lease = &store.NewLease{Owner: q.Owner, Until: now.Add(q.Lease)}
	}
	id, err := q.store.Jobs().On(db).Enqueue(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	if id == 0 {
		return nil, nil
	}
	j := &Job{ID: id, Kind: kind, Payload: body, MaxAttempts: opts.MaxAttempts}
	if take {
		j.Attempts, j.Owner, j.claimed = 1, q.Owner, now
	}
	return j, nil
}

// Claim leases up to limit jobs of the given kinds that are due: ready ones
// and running ones whose lease expired (their worker died).
func (q *Queue) Claim(ctx context.Context, kinds []string, limit int) ([]*Job, error) {
	now := q.Now().UTC()
	got, err := q.store.Jobs().Claim(ctx, q.Owner, kinds, limit, now, now.Add(q.Lease))
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	var out []*Job
	for _, c := range got {
		out = append(out, &Job{ID: c.ID, Kind: c.Kind, Payload: json.RawMessage(c.Payload), Attempts: c.Attempts, MaxAttempts: c.MaxAttempts, Owner: q.Owner, claimed: now})
	}
	return out, nil
}

// Hold holds claims off until release is called, on the embedded store
// (store.Jobs.Hold): a transaction that completes or releases a job takes
// it before it begins, so that a takeover cannot land between the
// transaction's snapshot and the fence and let two workers complete the
// job.
func (q *Queue) Hold() (release func()) { return q.store.Jobs().Hold() }

// Complete marks the job done inside tx, the transaction holding its
// effects, begun under Hold. ErrLeaseLost means another worker took the job
// over: roll back.
func (q *Queue) Complete(ctx context.Context, tx store.Querier, j *Job) error {
	err := fenced(q.store.Jobs().On(tx).Complete(ctx, j.lease(), q.Now()), "complete", j.ID)
	if err == nil {
		q.observe(j, OutcomeDone)
	}
	return err
}

// Fail records a failed attempt. The job is retried after backoff while
// attempts remain, else it is marked failed for good (and final is true).
func (q *Queue) Fail(ctx context.Context, j *Job, cause error, backoff time.Duration) (final bool, err error) {
	final = j.Attempts >= j.MaxAttempts
	msg := cause.Error()
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	now := q.Now().UTC()
	err = fenced(q.store.Jobs().Fail(ctx, j.lease(), final, now.Add(backoff), msg, now), "record failure of", j.ID)
	if err == nil && final {
		q.observe(j, OutcomeFailed)
	} else if err == nil {
		q.observe(j, OutcomeRetry)
	}
	return final, err
}

// Extend renews the job's lease while long work goes on.
func (q *Queue) Extend(ctx context.Context, j *Job) error {
	return fenced(q.store.Jobs().Extend(ctx, j.lease(), q.Now().UTC().Add(q.Lease)), "extend", j.ID)
}

// Retry puts a failed job back in the queue with fresh attempts (an
// operator's retry).
func (q *Queue) Retry(ctx context.Context, db store.Querier, id int64) error {
	err := q.store.Jobs().On(db).Retry(ctx, id, q.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("job %d: %w (or not failed)", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	return nil
}

// Cancel removes pending work of a kind whose payload matches (used to stop
// a run): ready and running jobs become failed with the reason.
func (q *Queue) Cancel(ctx context.Context, db store.Querier, dedupePrefix, reason string) (int64, error) {
	n, err := q.store.Jobs().On(db).Cancel(ctx, dedupePrefix, reason, q.Now())
	if err != nil {
		return 0, fmt.Errorf("cancel jobs: %w", err)
	}
	return n, nil
}

// Status returns a job's status and last error.
func (q *Queue) Status(ctx context.Context, id int64) (status string, attempts int, lastErr string, err error) {
	s, err := q.store.Jobs().State(ctx, id)
	return s.Status, s.Attempts, s.LastError, err
}

// IsConflict reports a transaction conflict (DuckDB raises one when two
// transactions update the same row; PostgreSQL a serialization failure):
// the caller should retry.
func IsConflict(err error) bool { return store.IsConflict(err) }

// Release gives a claimed job back without counting the attempt, due again
// at runAfter (used to park the work of a paused run).
func (q *Queue) Release(ctx context.Context, tx store.Querier, j *Job, runAfter time.Time) error {
	err := fenced(q.store.Jobs().On(tx).Release(ctx, j.lease(), runAfter), "release", j.ID)
	if err == nil {
		q.observe(j, OutcomeReleased)
	}
	return err
}

// Reschedule makes the ready jobs whose dedupe key starts with prefix and
// that are due at from due at to instead (used to resume a paused run).
func (q *Queue) Reschedule(ctx context.Context, db store.Querier, prefix string, from, to time.Time) (int64, error) {
	n, err := q.store.Jobs().On(db).Reschedule(ctx, prefix, from, to)
	if err != nil {
		return 0, fmt.Errorf("reschedule jobs: %w", err)
	}
	return n, nil
}

// JobID returns the id of the job with a dedupe key.
func (q *Queue) JobID(ctx context.Context, db store.Querier, key string) (int64, error) {
	return q.store.Jobs().On(db).ID(ctx, key)
}

// Recover makes the work of a dead process claimable at once (on the
// embedded store, whose every running job was the previous process's; on
// PostgreSQL leases expire by themselves) and returns how many jobs.
func (q *Queue) Recover(ctx context.Context) (int64, error) {
	n, err := q.store.Jobs().Recover(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover jobs: %w", err)
	}
	return n, nil
}
