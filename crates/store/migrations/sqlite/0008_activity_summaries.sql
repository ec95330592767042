-- Activity index, month summaries (issue 3, bench: every establishment of
-- the large organisation for a 3-month period in 10 ms). For a month that a
-- period covers whole, the figures need only which marks each record carries
-- some day of the month, not on which days: one small row per (establishment,
-- month) says that, so that a period of full months reads a few hundred
-- bytes per establishment and month instead of the day bitmaps of
-- activity_months. Kept with activity_months (same writes, same rebuild).
-- Same tables and columns as migrations/postgres/0008_activity_summaries.sql
-- (which adds an index by month: SQLite reads each (establishment, month)
-- through the primary key).
-- Encoding of `data`: carnet-store src/activity.rs, module `codec`.

CREATE TABLE activity_summaries (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (establishment_id, month)
);

-- The summaries of existing months are built from their day bitmaps by
-- Db::rebuild_activity (or an import); until then the raw rows answer.
INSERT INTO activity_pending (establishment_id)
    SELECT id FROM establishments
    WHERE id NOT IN (SELECT establishment_id FROM activity_pending);
