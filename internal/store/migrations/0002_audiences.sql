-- Saved audiences. Each version's members live in their own table
-- ff_aud_<id>_v<version> holding the dimension's key columns; the catalogue
-- below names them.
CREATE SEQUENCE ff_audience_seq;
CREATE TABLE ff_audiences (
    id              BIGINT PRIMARY KEY DEFAULT nextval('ff_audience_seq'),
    name            TEXT NOT NULL UNIQUE,
    dimension       TEXT NOT NULL,
    description     TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE ff_audience_versions (
    audience_id   BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    query         TEXT NOT NULL,
    params        TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    count         BIGINT NOT NULL,
    model_version BIGINT NOT NULL,
    table_name    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (audience_id, version)
);
