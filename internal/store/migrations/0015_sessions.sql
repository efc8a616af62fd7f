-- Console sessions: a browser signs in once (with an API token today, as
-- a user later) and holds a cookie naming a session here, so every node
-- sharing the store accepts it and a sign-out, on any node, ends it. The
-- cookie carries the session's secret; the store keeps only its SHA-256.
-- subject is who the session acts for, as an actor: token:<name> today,
-- user:<id> once user accounts exist. A session ends at expires_at at the
-- latest, sooner when unused for the idle time (last_seen_at), or when
-- revoked (signed out, its token revoked).
CREATE TABLE ff_sessions (
    id            TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL,
    subject       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
