package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/store"
)

// Job statuses.
const (
	StatusReady   = "ready"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
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
	// claimMu serialises claims on the embedded store, which has no row
	// locks to skip; one process owns that store.
	claimMu sync.Mutex
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

// Enqueue adds a job inside the caller's transaction (or on the database
// when q is the store's DB). It returns the job id, or 0 when a job with the
// same dedupe key already exists.
func (q *Queue) Enqueue(ctx context.Context, db store.Querier, kind string, payload any, opts EnqueueOptions) (int64, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("encode %s job: %w", kind, err)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	now := q.Now().UTC()
	if opts.RunAfter.IsZero() {
		opts.RunAfter = now
	}
	var key any
	if opts.DedupeKey != "" {
		key = opts.DedupeKey
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ff_jobs WHERE dedupe_key = $1`, opts.DedupeKey).Scan(&n); err != nil {
			return 0, fmt.Errorf("look up job %s: %w", opts.DedupeKey, err)
		}
		if n > 0 {
			return 0, nil
		}
	}
	var id int64
	err = db.QueryRowContext(ctx, `INSERT INTO ff_jobs (kind, dedupe_key, payload, status, run_after, attempts, max_attempts, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id`,
		kind, key, string(body), StatusReady, opts.RunAfter.UTC(), opts.MaxAttempts, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	return id, nil
}

// Claim leases up to limit jobs of the given kinds that are due: ready ones
// and running ones whose lease expired (their worker died).
func (q *Queue) Claim(ctx context.Context, kinds []string, limit int) ([]*Job, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	now := q.Now().UTC()
	args := []any{q.Owner, now.Add(q.Lease), now, StatusRunning, StatusReady}
	var ph []string
	for _, k := range kinds {
		args = append(args, k)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	args = append(args, limit)
	pick := fmt.Sprintf(`SELECT id FROM ff_jobs
		WHERE kind IN (%s) AND ((status = $5 AND run_after <= $3) OR (status = $4 AND lease_until < $3))
		ORDER BY run_after, id LIMIT $%d`, strings.Join(ph, ", "), len(args))
	if q.store.Dialect.Name() == "postgres" {
		pick += " FOR UPDATE SKIP LOCKED"
	} else {
		q.claimMu.Lock()
		defer q.claimMu.Unlock()
	}
	rows, err := q.store.DB.QueryContext(ctx, fmt.Sprintf(`UPDATE ff_jobs SET status = $4, lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id IN (%s) RETURNING id, kind, payload, attempts, max_attempts`, pick), args...)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j := &Job{Owner: q.Owner}
		var payload string
		if err := rows.Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.MaxAttempts); err != nil {
			return nil, err
		}
		j.Payload = json.RawMessage(payload)
		out = append(out, j)
	}
	return out, rows.Err()
}

// fence is the condition that the job is still ours.
const fence = `id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'`

// Complete marks the job done inside tx, the transaction holding its
// effects. ErrLeaseLost means another worker took the job over: roll back.
func (q *Queue) Complete(ctx context.Context, tx store.Querier, j *Job) error {
	res, err := tx.ExecContext(ctx, `UPDATE ff_jobs SET status = 'done', finished_at = $4, lease_until = NULL WHERE `+fence,
		j.ID, j.Owner, j.Attempts, q.Now().UTC())
	if err != nil {
		return fmt.Errorf("complete job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Fail records a failed attempt. The job is retried after backoff while
// attempts remain, else it is marked failed for good (and final is true).
func (q *Queue) Fail(ctx context.Context, j *Job, cause error, backoff time.Duration) (final bool, err error) {
	final = j.Attempts >= j.MaxAttempts
	status := StatusReady
	if final {
		status = StatusFailed
	}
	msg := cause.Error()
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	now := q.Now().UTC()
	res, err := q.store.DB.ExecContext(ctx, `UPDATE ff_jobs SET status = $4, run_after = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,
		finished_at = CASE WHEN $4 = 'failed' THEN CAST($7 AS TIMESTAMPTZ) ELSE NULL END WHERE `+fence,
		j.ID, j.Owner, j.Attempts, status, now.Add(backoff), msg, now)
	if err != nil {
		return final, fmt.Errorf("record failure of job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return final, ErrLeaseLost
	}
	return final, nil
}

// Extend renews the job's lease while long work goes on.
func (q *Queue) Extend(ctx context.Context, j *Job) error {
	res, err := q.store.DB.ExecContext(ctx, `UPDATE ff_jobs SET lease_until = $4 WHERE `+fence, j.ID, j.Owner, j.Attempts, q.Now().UTC().Add(q.Lease))
	if err != nil {
		return fmt.Errorf("extend job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Retry puts a failed job back in the queue with fresh attempts (an
// operator's retry).
func (q *Queue) Retry(ctx context.Context, db store.Querier, id int64) error {
	res, err := db.ExecContext(ctx, `UPDATE ff_jobs SET status = 'ready', attempts = 0, run_after = $2, last_error = NULL, finished_at = NULL WHERE id = $1 AND status = 'failed'`,
		id, q.Now().UTC())
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("job %d: %w (or not failed)", id, store.ErrNotFound)
	}
	return nil
}

// Cancel removes pending work of a kind whose payload matches (used to stop
// a run): ready and running jobs become failed with the reason.
func (q *Queue) Cancel(ctx context.Context, db store.Querier, dedupePrefix, reason string) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE ff_jobs SET status = 'failed', last_error = $2, lease_owner = NULL, lease_until = NULL, finished_at = $3
		WHERE dedupe_key LIKE $1 ESCAPE '!' AND status IN ('ready', 'running')`, escapeLike(dedupePrefix)+"%", reason, q.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("cancel jobs: %w", err)
	}
	return res.RowsAffected()
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(s)
}

// Status returns a job's status and last error.
func (q *Queue) Status(ctx context.Context, id int64) (status string, attempts int, lastErr string, err error) {
	var le sql.NullString
	err = q.store.DB.QueryRowContext(ctx, `SELECT status, attempts, last_error FROM ff_jobs WHERE id = $1`, id).Scan(&status, &attempts, &le)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, "", store.ErrNotFound
	}
	return status, attempts, le.String, err
}

// IsConflict reports a transaction conflict (DuckDB raises one when two
// transactions update the same row; PostgreSQL a serialization failure):
// the caller should retry.
func IsConflict(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "Conflict") || strings.Contains(msg, "conflict") || strings.Contains(msg, "40001") || strings.Contains(msg, "40P01")
}

// Release gives a claimed job back without counting the attempt, due again
// at runAfter (used to park the work of a paused run).
func (q *Queue) Release(ctx context.Context, tx store.Querier, j *Job, runAfter time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE ff_jobs SET status = 'ready', attempts = attempts - 1, run_after = $4, lease_owner = NULL, lease_until = NULL WHERE `+fence,
		j.ID, j.Owner, j.Attempts, runAfter.UTC())
	if err != nil {
		return fmt.Errorf("release job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// Reschedule makes the ready jobs whose dedupe key starts with prefix and
// that are due at from due at to instead (used to resume a paused run).
func (q *Queue) Reschedule(ctx context.Context, db store.Querier, prefix string, from, to time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE ff_jobs SET run_after = $3 WHERE dedupe_key LIKE $1 ESCAPE '!' AND status = 'ready' AND run_after = $2`,
		escapeLike(prefix)+"%", from.UTC(), to.UTC())
	if err != nil {
		return 0, fmt.Errorf("reschedule jobs: %w", err)
	}
	return res.RowsAffected()
}

// JobID returns the id of the job with a dedupe key.
func (q *Queue) JobID(ctx context.Context, db store.Querier, key string) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, `SELECT id FROM ff_jobs WHERE dedupe_key = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	return id, err
}
