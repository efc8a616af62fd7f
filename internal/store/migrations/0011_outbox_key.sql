-- DuckDB: the outbox keeps no primary key (PostgreSQL keeps it, see
-- 0011_outbox_key.postgres.sql). DuckDB holds a key's index in memory and
-- pins it to commit every insert: with it, a channel activity writing 1M
-- messages failed under a 64 MB memory limit, and the index grows with
-- every campaign ever sent. Nothing looks a message up by its id there:
-- dispatchers address rows by seq, and a channel activity writes each id
-- once itself (one row per id, a second run of the activity told by its
-- rows being there, appends serialised in the one process that owns the
-- file). The table is rebuilt without the key, in seq order.
CREATE TABLE ff_outbox_rebuilt AS SELECT * FROM ff_outbox ORDER BY seq;
DROP TABLE ff_outbox;
ALTER TABLE ff_outbox_rebuilt RENAME TO ff_outbox;
