-- The Fanfare servers (nodes) sharing this store, each beating every few
-- seconds: where it answers, its version and process, when it started and
-- was last seen, and its health as it reports it (status, and a JSON
-- object: the providers it rests, the parts of it that fail). A node that
-- stops cleanly removes its row; one not seen for a day is forgotten.
CREATE TABLE ff_nodes (
    node_id    TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    version    TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    status     TEXT NOT NULL,
    health     TEXT NOT NULL
);
