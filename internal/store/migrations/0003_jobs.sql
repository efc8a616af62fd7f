-- Durable jobs: campaign activity executions, schedules, dispatch batches.
-- A worker claims a job with a lease; the job's effects and its completion
-- commit in one transaction, fenced by (lease_owner, attempts).
CREATE SEQUENCE ff_job_seq;
CREATE TABLE ff_jobs (
    id           BIGINT PRIMARY KEY DEFAULT nextval('ff_job_seq'),
    kind         TEXT NOT NULL,
    dedupe_key   TEXT UNIQUE,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    run_after    TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
