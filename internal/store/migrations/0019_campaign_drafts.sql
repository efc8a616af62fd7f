-- The working draft of each campaign, as the console autosaves it: the
-- document's text as typed, stored even when it does not parse; the
-- revision each save raises (a save must name the revision it started
-- from, so two people editing one draft are warned, not overwritten);
-- the version it started from, and who saved it last. Keyed by name: a
-- new campaign has a draft before its first version. Making a version
-- from the draft removes it.
CREATE TABLE ff_campaign_drafts (
    name         TEXT PRIMARY KEY,
    document     TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    base_version BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    updated_by   TEXT NOT NULL
);
