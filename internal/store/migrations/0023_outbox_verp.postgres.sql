-- A bounce comes back to the VERP address of its message, which carries
-- the message's run and seq (docs/tracking.md): this index finds the
-- message from them. seq grows as rows are written, so the index only
-- ever appends at its end.
CREATE INDEX ff_outbox_seq_email ON ff_outbox (seq) WHERE channel = 'email';
