-- What happened to a run and each of its activities, in order, as its
-- monitor shows it (docs/campaigns.md#a-runs-log): an activity started,
-- done with its counts, failed and retried, skipped, held while the run
-- was paused; the run paused, resumed, confirmed or stopped, and by whom.
-- activity is '' for the run itself; event names what happened (the
-- console words it), message says it in English (the CLI), details is a
-- JSON object of its figures. Appended, never updated; kept with the run.
-- PostgreSQL reads a run's lines by an index (0025_run_log.postgres.sql),
-- the embedded store by its zone maps.
CREATE SEQUENCE ff_run_log_seq;
CREATE TABLE ff_run_log (
    seq      BIGINT DEFAULT nextval('ff_run_log_seq'),
    run_id   BIGINT NOT NULL,
    activity TEXT NOT NULL,
    logged_at TIMESTAMPTZ NOT NULL,
    level    TEXT NOT NULL,
    event    TEXT NOT NULL,
    message  TEXT NOT NULL,
    details  TEXT
);
