-- Outbound (docs/outbound.md): every event gets a number, seq, in the
-- order it is appended, so that exporters read ff_events with a durable
-- cursor; each destination's cursor and lease is a row of
-- ff_outbound_cursors; a webhook's batch that failed every attempt is
-- kept in ff_outbound_dead_letters until an operator redelivers it; a
-- saved audience may name a destination it is published to on every
-- refresh (ff_audience_publish).
-- DuckDB (PostgreSQL: 0022_outbound.postgres.sql): exporters find the
-- events after their cursor by the zone maps, seq growing as events are
-- appended; no index slows the appends.
-- The table is rebuilt with the column and its default rather than
-- altered: DuckDB cannot replay an ALTER … SET DEFAULT nextval(…) from
-- its write-ahead log ("GetDefaultDatabase with no default database
-- set"), so a server killed before its first checkpoint could not open
-- its store again (TestRestartRightAfterKill).
CREATE SEQUENCE ff_event_seq;
CREATE TABLE ff_events_numbered (
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
    details    TEXT,
    seq        BIGINT DEFAULT nextval('ff_event_seq')
);
INSERT INTO ff_events_numbered (created_at, type, run_id, activity, message_id, link, url, label, machine, ip, user_agent, details)
    SELECT created_at, type, run_id, activity, message_id, link, url, label, machine, ip, user_agent, details FROM ff_events ORDER BY created_at;
DROP TABLE ff_events;
ALTER TABLE ff_events_numbered RENAME TO ff_events;

CREATE TABLE ff_outbound_cursors (
    destination TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    gap_since   TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE ff_dead_letter_seq;
CREATE TABLE ff_outbound_dead_letters (
    id             BIGINT PRIMARY KEY DEFAULT nextval('ff_dead_letter_seq'),
    destination    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    first_seq      BIGINT NOT NULL,
    last_seq       BIGINT NOT NULL,
    items          BIGINT NOT NULL,
    body           TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    error          TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    redelivered_at TIMESTAMPTZ
);

CREATE TABLE ff_audience_publish (
    audience    TEXT PRIMARY KEY,
    destination TEXT NOT NULL,
    format      TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
