-- Outbound (docs/outbound.md): every event gets a number, seq, in the
-- order it is appended, so that exporters read ff_events with a durable
-- cursor; each destination's cursor and lease is a row of
-- ff_outbound_cursors; a webhook's batch that failed every attempt is
-- kept in ff_outbound_dead_letters until an operator redelivers it; a
-- saved audience may name a destination it is published to on every
-- refresh (ff_audience_publish).
-- PostgreSQL (DuckDB: 0022_outbound.sql): the column's default numbers
-- the events already there; exporters find events after their cursor by
-- an index on seq (the embedded store by its zone maps, seq growing as
-- events are appended).
CREATE SEQUENCE ff_event_seq;
ALTER TABLE ff_events ADD COLUMN seq BIGINT DEFAULT nextval('ff_event_seq');
CREATE INDEX ff_events_seq ON ff_events (seq);

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
