-- An import's progress while it runs (issue 15: imports as jobs): the rows
-- and bytes of its file read so far, written by its process every half
-- second, and the file's size when known (an upload, spooled before the
-- import starts). Nullable, as DuckDB adds no column with a constraint;
-- read with COALESCE.
-- NOTE: this is migration 0016 of the h22 merge (0015 is the sessions');
-- named 0015 on its branch because the loader refuses a gap.
ALTER TABLE ff_imports ADD COLUMN progress_rows BIGINT DEFAULT 0;
ALTER TABLE ff_imports ADD COLUMN progress_bytes BIGINT DEFAULT 0;
ALTER TABLE ff_imports ADD COLUMN size_bytes BIGINT DEFAULT 0;
