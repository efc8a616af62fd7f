-- What happened after a message was sent (see 0020_events.sql), with an
-- index to read a run's events.
CREATE TABLE ff_events (
    created_at TIMESTAMPTZ NOT NULL,
    type       TEXT NOT NULL,
    run_id     BIGINT NOT NULL,
    activity   TEXT NOT NULL,
    message_id TEXT,
    link       INTEGER,
    url        TEXT,
    label      TEXT,
    machine    TEXT,
    ip         TEXT,
    user_agent TEXT,
    details    TEXT
);
CREATE INDEX ff_events_run ON ff_events (run_id, activity, type);
