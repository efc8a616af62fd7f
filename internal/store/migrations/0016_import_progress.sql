-- An import's progress while it runs (issue 15: imports as jobs): the rows
-- and bytes of its file read so far, written by its process every half
-- second, and the file's size when known (an upload, received whole
-- before the import starts). A table of its own rather than columns of
-- ff_imports: DuckDB fails to replay from its write-ahead log an ALTER
-- TABLE ADD COLUMN of a table with a nextval() default (a server killed
-- right after migrating could not open its store again).
CREATE TABLE ff_import_progress (
    import_id   BIGINT PRIMARY KEY,
    rows_read   BIGINT NOT NULL,
    bytes_read  BIGINT NOT NULL,
    size_bytes  BIGINT NOT NULL
);
