-- Fanfare's own tables. Customer tables are created from the data model.
CREATE SEQUENCE ff_model_version_seq;
CREATE TABLE ff_model_versions (
    version     BIGINT PRIMARY KEY DEFAULT nextval('ff_model_version_seq'),
    document    TEXT NOT NULL,
    format      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE ff_import_seq;
CREATE TABLE ff_imports (
    id          BIGINT PRIMARY KEY DEFAULT nextval('ff_import_seq'),
    entity      TEXT NOT NULL,
    source      TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    summary     TEXT
);

CREATE TABLE ff_import_rejects (
    import_id   BIGINT NOT NULL,
    line        BIGINT NOT NULL,
    col         TEXT NOT NULL,
    value       TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX ff_import_rejects_import ON ff_import_rejects (import_id, line);
