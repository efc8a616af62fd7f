-- What happened after a message was sent: one row per event (an open, a
-- click, a delivery, a bounce, a complaint), appended in batches and never
-- updated; details is a JSON object of what the event's source said (a
-- bounce's status and diagnostic). message_id is null when
-- the campaign tracks anonymously; link, url and label are a click's link
-- (its place in the message, its destination as rendered, its label);
-- machine is null for a person and otherwise says which machine (a
-- privacy proxy fetching images, a security scanner following links);
-- ip and user_agent are kept only when the operator turns that on.
-- PostgreSQL finds a run's events by an index (0021_events_index), the
-- embedded store by its zone maps.
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
