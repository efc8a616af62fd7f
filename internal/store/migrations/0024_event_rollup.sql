-- The reports' tallies of ff_events (docs/tracking.md#reports), folded in
-- as events are appended so that a report reads small tables instead of
-- counting a run's millions of events, and distinct messages among them,
-- every time. ff_event_rollup is where the folding stands: every event
-- numbered up to seq is counted (gap_since: since when the next number
-- has been missing). A message's first event of a type, people's apart
-- from machines', is a row of ff_event_firsts (its first people's click
-- on a link, of ff_event_link_firsts; batch: the seq up to which the fold
-- that wrote it went), so that a second open or a retried webhook is not
-- counted twice. The tallies count events and first events (uniques) by
-- run, activity, type, people or machines and hour; people's clicks by
-- link; and the messages people opened and clicked, that bounced or were
-- complained about, by recipient domain.
-- The embedded store (PostgreSQL: 0024_event_rollup.postgres.sql) finds
-- first events by a scan, which its join filters prune to the runs
-- folded; indexes there would only slow the fold.
CREATE TABLE ff_event_rollup (
    id        INTEGER PRIMARY KEY,
    seq       BIGINT NOT NULL,
    gap_since TIMESTAMPTZ
);
INSERT INTO ff_event_rollup (id, seq) VALUES (1, 0);

CREATE TABLE ff_event_firsts (
    run_id     BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    machine    BOOLEAN NOT NULL,
    activity   TEXT NOT NULL,
    hour       BIGINT NOT NULL,
    batch      BIGINT NOT NULL
);

CREATE TABLE ff_event_link_firsts (
    run_id     BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    link       INTEGER NOT NULL,
    link_key   TEXT NOT NULL,
    activity   TEXT NOT NULL,
    hour       BIGINT NOT NULL,
    batch      BIGINT NOT NULL
);

CREATE TABLE ff_event_tallies (
    run_id   BIGINT NOT NULL,
    activity TEXT NOT NULL,
    type     TEXT NOT NULL,
    machine  BOOLEAN NOT NULL,
    hour     BIGINT NOT NULL,
    events   BIGINT NOT NULL,
    uniques  BIGINT NOT NULL,
    PRIMARY KEY (run_id, activity, type, machine, hour)
);

CREATE TABLE ff_event_link_tallies (
    run_id   BIGINT NOT NULL,
    activity TEXT NOT NULL,
    link     INTEGER NOT NULL,
    link_key TEXT NOT NULL,
    url      TEXT NOT NULL,
    label    TEXT NOT NULL,
    events   BIGINT NOT NULL,
    uniques  BIGINT NOT NULL,
    PRIMARY KEY (run_id, activity, link, link_key)
);

CREATE TABLE ff_event_domain_tallies (
    run_id     BIGINT NOT NULL,
    activity   TEXT NOT NULL,
    domain     TEXT NOT NULL,
    opened     BIGINT NOT NULL,
    clicked    BIGINT NOT NULL,
    bounced    BIGINT NOT NULL,
    complained BIGINT NOT NULL,
    PRIMARY KEY (run_id, activity, domain)
);
