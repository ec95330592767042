-- Activity index, read layout (issue 3, bench): the engine reads every
-- establishment of an organisation for a period in one query of a few
-- thousand rows instead of one row per (record, month, mark).
-- Same tables and columns as migrations/sqlite/0006_activity_blobs.sql.
-- Encoding of `data`: carnet-store src/activity.rs, module `codec`.

DROP TABLE activity_days;
DROP TABLE activity_messages;

-- One row per (establishment, month): every record's day bitmaps per mark,
-- and the MSSanté messages sent per local day.
CREATE TABLE activity_months (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (establishment_id, month)
);

-- One row per establishment: every record's first day, stays and care-plan
-- status spans.
CREATE TABLE activity_establishments (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL PRIMARY KEY,
    data BYTEA NOT NULL
);

-- Establishments whose blobs are still to be built (rebuild_activity or an
-- import builds them); until then the raw rows answer for them.
CREATE TABLE activity_pending (
    establishment_id BIGINT NOT NULL PRIMARY KEY
);
INSERT INTO activity_pending (establishment_id) SELECT id FROM establishments;

-- The index is rebuilt one establishment at a time: without these, each
-- rebuild would scan every event and document of the organisation.
CREATE INDEX events_establishment ON events (establishment_id);
CREATE INDEX documents_establishment ON documents (establishment_id);
