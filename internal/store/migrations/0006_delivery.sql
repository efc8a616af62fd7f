-- Delivery: the outbox gains what dispatchers need; consent and the
-- suppression list apply to every campaign at send time; the sandbox keeps
-- what it "sent".
ALTER TABLE ff_outbox ADD COLUMN dimension TEXT;
ALTER TABLE ff_outbox ADD COLUMN address TEXT;
ALTER TABLE ff_outbox ADD COLUMN platform TEXT;
ALTER TABLE ff_outbox ADD COLUMN reason TEXT;
ALTER TABLE ff_outbox ADD COLUMN attempts INTEGER;
ALTER TABLE ff_outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE ff_outbox ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE ff_outbox ADD COLUMN retry_at TIMESTAMPTZ;
ALTER TABLE ff_outbox ADD COLUMN provider TEXT;
ALTER TABLE ff_outbox ADD COLUMN provider_id TEXT;
ALTER TABLE ff_outbox ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE ff_outbox ADD COLUMN updated_at TIMESTAMPTZ;

CREATE TABLE ff_consent (
    dimension   TEXT NOT NULL,
    profile_key TEXT NOT NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,
    source      TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dimension, profile_key, channel)
);

CREATE TABLE ff_suppressions (
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, address)
);

CREATE TABLE ff_sandbox_messages (
    message_id TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    content    TEXT NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL
);
