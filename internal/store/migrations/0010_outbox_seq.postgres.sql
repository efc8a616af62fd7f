-- A number for each outbox row (see 0010_outbox_seq.sql). PostgreSQL
-- addresses rows by message_id through the primary key; seq only keeps
-- the column alike on both stores.
CREATE SEQUENCE ff_outbox_seq;
ALTER TABLE ff_outbox ADD COLUMN seq BIGINT DEFAULT nextval('ff_outbox_seq');
