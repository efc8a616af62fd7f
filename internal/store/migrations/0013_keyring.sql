-- Secrets every node sharing the store uses. ff_keys is the keyring that
-- signs and encrypts links (unsubscribe now; sessions and tracking links
-- later): a key is used until retired; the newest active key issues new
-- links. ff_api_tokens holds API tokens by their SHA-256, never in clear.
CREATE TABLE ff_keys (
    id          TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    retired_at  TIMESTAMPTZ
);

CREATE TABLE ff_api_tokens (
    hash        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
