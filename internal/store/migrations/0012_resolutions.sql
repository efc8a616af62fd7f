-- An operator's decisions on a run's in-doubt messages (fanfare campaign
-- resolve): resend them or drop them, one row per activity a decision
-- touched, with how many messages it moved, who decided (an audit actor,
-- kind and name: token/<token name>, cli/<os user>) and when.
CREATE TABLE ff_outbox_resolutions (
    run_id      BIGINT NOT NULL,
    activity_id TEXT NOT NULL,
    decision    TEXT NOT NULL,
    messages    BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    decided_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ff_outbox_resolutions_run ON ff_outbox_resolutions (run_id);
