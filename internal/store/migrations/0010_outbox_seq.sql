-- A number for each outbox row, in the order rows are written (DuckDB; see
-- 0010_outbox_seq.postgres.sql). Dispatchers address rows by it: a range
-- of seq lets a scan skip every row group outside it, where an update of
-- 64 rows by message_id scans the whole outbox (6 ms at 1M rows), and
-- claims walk it as a cursor. Channel activities write it themselves, one
-- at a time per process, as max(seq) + the row's place in key order: a
-- sequence's nextval, evaluated in parallel, would scatter consecutive
-- numbers over every row group.
ALTER TABLE ff_outbox ADD COLUMN seq BIGINT;
UPDATE ff_outbox SET seq = rowid + 1;
