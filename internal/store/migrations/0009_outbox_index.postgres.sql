-- Dispatchers claim due messages oldest run first: a partial index holds
-- just those, in that order. Status callbacks find a message by the
-- provider's id.
CREATE INDEX ff_outbox_due ON ff_outbox (run_id, activity_id, message_id) WHERE status IN ('pending', 'retry');
CREATE INDEX ff_outbox_provider_id ON ff_outbox (provider_id) WHERE provider_id IS NOT NULL;
