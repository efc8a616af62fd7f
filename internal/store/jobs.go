package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Jobs is the durable job queue's table, ff_jobs. A claimed job is leased
// to an owner for one attempt; the operations that end or renew a claim are
// fenced by that lease (JobLease) and answer ErrNotFound when the job is no
// longer the lease holder's: another worker took it over.
type Jobs struct {
	area
	// claimMu serialises claims on the embedded store, which has no row
	// locks to skip; one process owns that store.
	claimMu *sync.Mutex
}

// Jobs returns the job queue's area.
func (s *Store) Jobs() Jobs { return Jobs{s.area(), &s.jobClaims} }

// On returns the area bound to q (a transaction).
func (j Jobs) On(q Querier) Jobs { j.area = j.area.on(q); return j }

// Hold holds claims off in this process until release is called, where
// the database has no row locks (rowLocks); a transaction that ends a
// job's claim and records its effects takes it before it begins. DuckDB
// checks an UPDATE's condition against the transaction's snapshot and
// does not report a row another transaction changed since, so a lease
// taken over after that snapshot would go unseen: the stale worker and its
// successor would both complete the job. PostgreSQL checks the condition
// against the row as it is, so the fence holds there without it.
func (j Jobs) Hold() (release func()) {
	if rowLocks(j.d) {
		return func() {}
	}
	j.claimMu.Lock()
	return j.claimMu.Unlock
}

// Job statuses.
const (
	JobReady   = "ready"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// NewJob is a job to enqueue.
type NewJob struct {
	Kind string
	// DedupeKey, when set, makes Enqueue a no-op if a job with that key
	// exists.
	DedupeKey   string
	Payload     string
	RunAfter    time.Time
	MaxAttempts int
	CreatedAt   time.Time
	// Lease, when set, writes the job claimed by Owner until Until.
	Lease *NewLease
}

// NewLease is the claim a job is enqueued with (NewJob.Lease).
type NewLease struct {
	Owner string
	Until time.Time
}

// ClaimedJob is a job leased by Claim.
type ClaimedJob struct {
	ID          int64
	Kind        string
	Payload     string
	Attempts    int
	MaxAttempts int
}

// JobLease names one attempt of a claimed job: the fence of the operations
// that end or renew it.
type JobLease struct {
	ID      int64
	Owner   string
	Attempt int
}

// JobState is a job's status as an operator sees it.
type JobState struct {
	Status    string
	Attempts  int
	LastError string
}

// Enqueue adds a job and returns its id, or 0 when a job with the same
// dedupe key already exists. With a Lease the job is written claimed, for
// its first attempt: the worker that enqueues it runs it next.
func (j Jobs) Enqueue(ctx context.Context, n NewJob) (int64, error) {
	var key, owner, until any
	if n.DedupeKey != "" {
		key = n.DedupeKey
	}
	status, attempts := JobReady, 0
	if n.Lease != nil {
		status, attempts, owner, until = JobRunning, 1, n.Lease.Owner, n.Lease.Until.UTC()
	}
	// One statement, the dedupe key's check inside: a job without a key
	// (NULL) never matches.
	var id int64
	err := j.row(ctx, []any{&id}, `INSERT INTO ff_jobs (kind, dedupe_key, payload, status, run_after, attempts, max_attempts, created_at, lease_owner, lease_until)
		SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS TIMESTAMPTZ), CAST($6 AS INTEGER), CAST($7 AS INTEGER),
			CAST($8 AS TIMESTAMPTZ), CAST($9 AS TEXT), CAST($10 AS TIMESTAMPTZ)
		WHERE NOT EXISTS (SELECT 1 FROM ff_jobs WHERE dedupe_key = CAST($2 AS TEXT)) RETURNING id`,
		n.Kind, key, n.Payload, status, n.RunAfter.UTC(), attempts, n.MaxAttempts, n.CreatedAt.UTC(), owner, until)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil && n.DedupeKey != "" {
		return 0, fmt.Errorf("enqueue job %s: %w", n.DedupeKey, err)
	}
	return id, err
}

// Claim leases to owner, until until, up to limit jobs of the given kinds
// that are due at now: ready ones, and running ones whose lease expired
// (their worker died). On PostgreSQL workers skip the rows another is
// claiming; the embedded store claims one at a time.
func (j Jobs) Claim(ctx context.Context, owner string, kinds []string, limit int, now, until time.Time) ([]ClaimedJob, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{owner, until.UTC(), now.UTC(), JobRunning, JobReady}
	update := `UPDATE ff_jobs SET status = $4, lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE `
	if rowLocks(j.d) {
		due := dueJobs(&args, kinds, 3, 4, 5)
		args = append(args, limit)
		update += fmt.Sprintf(`id IN (SELECT id FROM ff_jobs WHERE %s ORDER BY run_after, id LIMIT $%d FOR UPDATE SKIP LOCKED)`, due, len(args))
	} else {
		// The embedded store's one process claims one at a time, so the
		// pick and the update need not be one statement: the pick is a
		// read, and most claims (idle workers polling, a worker looking
		// for more after an activity) find nothing; one UPDATE with the
		// pick inside took 3.7 ms on DuckDB, the read alone 1.3 ms. The
		// update checks again that each job is due, so a job cancelled
		// meanwhile (Cancel does not wait for claims) stays cancelled.
		j.claimMu.Lock()
		defer j.claimMu.Unlock()
		ids, err := j.pick(ctx, kinds, limit, now)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		due := dueJobs(&args, kinds, 3, 4, 5)
		var in []string
		for _, id := range ids {
			args = append(args, id)
			in = append(in, fmt.Sprintf("$%d", len(args)))
		}
		update += `id IN (` + strings.Join(in, ", ") + `) AND ` + due
	}
	var out []ClaimedJob
	err := j.each(ctx, func(rows *sql.Rows) error {
		var c ClaimedJob
		if err := rows.Scan(&c.ID, &c.Kind, &c.Payload, &c.Attempts, &c.MaxAttempts); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, update+` RETURNING id, kind, payload, attempts, max_attempts`, args...)
	return out, err
}

// pick returns the ids of up to limit jobs of the kinds due at now, the
// earliest first.
func (j Jobs) pick(ctx context.Context, kinds []string, limit int, now time.Time) ([]int64, error) {
	args := []any{now.UTC(), JobRunning, JobReady}
	due := dueJobs(&args, kinds, 1, 2, 3)
	args = append(args, limit)
	var ids []int64
	err := j.each(ctx, func(rows *sql.Rows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, fmt.Sprintf(`SELECT id FROM ff_jobs WHERE %s ORDER BY run_after, id LIMIT $%d`, due, len(args)), args...)
	return ids, err
}

// dueJobs is the condition that a job of one of the kinds is due: ready
// and due, or running with its lease expired (its worker died). now,
// running and ready are the placeholders' numbers of those arguments; the
// kinds are appended to args.
func dueJobs(args *[]any, kinds []string, now, running, ready int) string {
	var ph []string
	for _, k := range kinds {
		*args = append(*args, k)
		ph = append(ph, fmt.Sprintf("$%d", len(*args)))
	}
	return fmt.Sprintf(`kind IN (%s) AND ((status = $%d AND run_after <= $%d) OR (status = $%d AND lease_until < $%d))`,
		strings.Join(ph, ", "), ready, now, running, now)
}

// fence is the condition that the job is still the lease's ($1–$3).
const fence = `id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'running'`

// fenced runs a statement over the leased job; ErrNotFound means the lease
// was lost.
func (j Jobs) fenced(ctx context.Context, l JobLease, set string, args ...any) error {
	n, err := j.exec(ctx, `UPDATE ff_jobs SET `+set+` WHERE `+fence, append([]any{l.ID, l.Owner, l.Attempt}, args...)...)
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrNotFound
	}
	return nil
}

// Complete marks the leased job done at now.
func (j Jobs) Complete(ctx context.Context, l JobLease, now time.Time) error {
	return j.fenced(ctx, l, `status = 'done', finished_at = $4, lease_until = NULL`, now.UTC())
}

// Fail records a failed attempt of the leased job: due again at runAfter,
// or failed for good when final.
func (j Jobs) Fail(ctx context.Context, l JobLease, final bool, runAfter time.Time, msg string, now time.Time) error {
	status := JobReady
	if final {
		status = JobFailed
	}
	return j.fenced(ctx, l, `status = $4, run_after = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,
		finished_at = CASE WHEN $4 = 'failed' THEN CAST($7 AS TIMESTAMPTZ) ELSE NULL END`,
		status, runAfter.UTC(), msg, now.UTC())
}

// Extend renews the lease until until.
func (j Jobs) Extend(ctx context.Context, l JobLease, until time.Time) error {
	return j.fenced(ctx, l, `lease_until = $4`, until.UTC())
}

// Release gives the leased job back without counting the attempt, due
// again at runAfter.
func (j Jobs) Release(ctx context.Context, l JobLease, runAfter time.Time) error {
	return j.fenced(ctx, l, `status = 'ready', attempts = attempts - 1, run_after = $4, lease_owner = NULL, lease_until = NULL`, runAfter.UTC())
}

// Retry puts a failed job back in the queue with fresh attempts, due at
// now; ErrNotFound when there is no failed job of that id.
func (j Jobs) Retry(ctx context.Context, id int64, now time.Time) error {
	n, err := j.exec(ctx, `UPDATE ff_jobs SET status = 'ready', attempts = 0, run_after = $2, last_error = NULL, finished_at = NULL WHERE id = $1 AND status = 'failed'`,
		id, now.UTC())
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrNotFound
	}
	return nil
}

// Cancel fails, with reason, the ready and running jobs whose dedupe key
// starts with prefix, and returns how many.
func (j Jobs) Cancel(ctx context.Context, prefix, reason string, now time.Time) (int64, error) {
	return j.exec(ctx, `UPDATE ff_jobs SET status = 'failed', last_error = $2, lease_owner = NULL, lease_until = NULL, finished_at = $3
		WHERE dedupe_key LIKE $1 ESCAPE '!' AND status IN ('ready', 'running')`, escapeLike(prefix)+"%", reason, now.UTC())
}

// Reschedule makes the ready jobs whose dedupe key starts with prefix and
// that are due at from due at to instead, and returns how many.
func (j Jobs) Reschedule(ctx context.Context, prefix string, from, to time.Time) (int64, error) {
	return j.exec(ctx, `UPDATE ff_jobs SET run_after = $3 WHERE dedupe_key LIKE $1 ESCAPE '!' AND status = 'ready' AND run_after = $2`,
		escapeLike(prefix)+"%", from.UTC(), to.UTC())
}

// ID returns the id of the job with a dedupe key.
func (j Jobs) ID(ctx context.Context, key string) (int64, error) {
	var id int64
	err := j.row(ctx, []any{&id}, `SELECT id FROM ff_jobs WHERE dedupe_key = $1`, key)
	return id, err
}

// State returns a job's status, attempts and last error.
func (j Jobs) State(ctx context.Context, id int64) (JobState, error) {
	var s JobState
	var le sql.NullString
	err := j.row(ctx, []any{&s.Status, &s.Attempts, &le}, `SELECT status, attempts, last_error FROM ff_jobs WHERE id = $1`, id)
	s.LastError = le.String
	return s, err
}

// Recover makes the running jobs of a dead process claimable at once and
// returns how many. On the embedded store no other process can hold the
// file, so every running job was the previous process's; on PostgreSQL
// other nodes may be alive, and leases expire by themselves: nothing is
// done.
func (j Jobs) Recover(ctx context.Context) (int64, error) {
	if rowLocks(j.d) {
		return 0, nil
	}
	return j.exec(ctx, `UPDATE ff_jobs SET status = 'ready', lease_owner = NULL, lease_until = NULL WHERE status = 'running'`)
}

// rowLocks reports whether the database locks rows for a transaction
// (SELECT … FOR UPDATE [SKIP LOCKED]), so that nodes coordinate through it.
// The embedded store has one process, which serialises its work with
// mutexes instead: DuckDB aborts one of two transactions updating the same
// rows rather than making it wait.
func rowLocks(d Dialect) bool { return d.Name() == "postgres" }

// escapeLike escapes s for a LIKE pattern with ESCAPE '!'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(s)
}
