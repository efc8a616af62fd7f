-- Campaigns, their versions, runs and run state. Working tables of runs are
-- named ff_w_<run>_<activity seq>_<port>_a<attempt> and listed in
-- ff_run_outputs.
CREATE SEQUENCE ff_campaign_seq;
CREATE TABLE ff_campaigns (
    id                BIGINT PRIMARY KEY DEFAULT nextval('ff_campaign_seq'),
    name              TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL,
    latest_version    BIGINT NOT NULL,
    published_version BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE ff_campaign_versions (
    campaign_id  BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    document     TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, version)
);

CREATE SEQUENCE ff_run_seq;
CREATE TABLE ff_runs (
    id          BIGINT PRIMARY KEY DEFAULT nextval('ff_run_seq'),
    campaign_id BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    mode        TEXT NOT NULL,
    status      TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    params      TEXT NOT NULL,
    occurrence  TIMESTAMPTZ,
    error       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    cleaned_at  TIMESTAMPTZ,
    UNIQUE (campaign_id, occurrence)
);

CREATE TABLE ff_run_activities (
    run_id      BIGINT NOT NULL,
    activity_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    inputs      INTEGER NOT NULL,
    inputs_done INTEGER NOT NULL,
    live_inputs INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    rows_in     BIGINT,
    rows_out    BIGINT,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    error       TEXT,
    PRIMARY KEY (run_id, activity_id)
);

CREATE TABLE ff_run_outputs (
    run_id      BIGINT NOT NULL,
    activity_id TEXT NOT NULL,
    port        TEXT NOT NULL,
    table_name  TEXT,
    dimension   TEXT NOT NULL,
    columns     TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (run_id, activity_id, port)
);

CREATE TABLE ff_campaign_state (
    campaign_id BIGINT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, key)
);

CREATE TABLE ff_schedules (
    campaign_id BIGINT PRIMARY KEY,
    version     BIGINT NOT NULL,
    next_at     TIMESTAMPTZ,
    last_at     TIMESTAMPTZ
);

-- Until delivery lands, channel activities hand their population here: one
-- row per recipient and message, with a deterministic id.
CREATE TABLE ff_outbox (
    message_id  TEXT PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    activity_id TEXT NOT NULL,
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
