// Package jobs is Fanfare's durable job queue, the same on DuckDB and
// PostgreSQL. A worker claims a job with a lease; the job's effects and its
// completion commit in one transaction, fenced by the lease owner and the
// attempt number, so a job whose worker died is taken over when its lease
// expires and its effects are applied exactly once.
package jobs
