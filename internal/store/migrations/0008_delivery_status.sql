-- What a provider later reports about a sent message (an SMS status
-- callback: delivered, undelivered, failed), with its error code.
ALTER TABLE ff_outbox ADD COLUMN delivery_status TEXT;
ALTER TABLE ff_outbox ADD COLUMN delivery_error TEXT;
