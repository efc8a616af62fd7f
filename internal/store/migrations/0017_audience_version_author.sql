-- Who made each version of a saved audience: an audit actor written
-- kind:name (token:ci, cli:alice, run:42 for a campaign's save_audience);
-- NULL for versions made before this column, whose author is unknown.
ALTER TABLE ff_audience_versions ADD COLUMN created_by TEXT;
