-- What happened to a run and each of its activities, in order, as its
-- monitor shows it: see 0025_run_log.sql. PostgreSQL reads a run's lines
-- by their index.
CREATE SEQUENCE ff_run_log_seq;
CREATE TABLE ff_run_log (
    seq      BIGINT PRIMARY KEY DEFAULT nextval('ff_run_log_seq'),
    run_id   BIGINT NOT NULL,
    activity TEXT NOT NULL,
    logged_at TIMESTAMPTZ NOT NULL,
    level    TEXT NOT NULL,
    event    TEXT NOT NULL,
    message  TEXT NOT NULL,
    details  TEXT
);
CREATE INDEX ff_run_log_run ON ff_run_log (run_id, seq);
