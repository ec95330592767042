-- Activity index, month summaries (issue 3, bench: every establishment of
-- the large organisation for a 3-month period in 10 ms). For a month that a
-- period covers whole, the figures need only which marks each record carries
-- some day of the month, not on which days: one small row per (establishment,
-- month) says that, so that a period of full months reads a few hundred
-- bytes per establishment and month instead of the day bitmaps of
-- activity_months. Kept with activity_months (same writes, same rebuild).
-- Same tables and columns as migrations/sqlite/0008_activity_summaries.sql;
-- PostgreSQL also gets an index by month and keeps the blobs in its pages.
-- Encoding of `data`: carnet-store src/activity.rs, module `codec`.

CREATE TABLE activity_summaries (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (establishment_id, month)
);

-- A period's months are read for every establishment at once: by month
-- (without it the planner scans every month of every establishment).
CREATE INDEX activity_summaries_month ON activity_summaries (month, establishment_id);

-- The summaries of existing months are built from their day bitmaps by
-- Db::rebuild_activity (or an import); until then the raw rows answer.
INSERT INTO activity_pending (establishment_id)
    SELECT id FROM establishments
    WHERE id NOT IN (SELECT establishment_id FROM activity_pending);

-- Read in full by every indicator query: kept in the table's own pages,
-- uncompressed, up to a page (TOAST would compress them and move the larger
-- ones out of line, a second lookup and a decompression per row).
ALTER TABLE activity_establishments SET (toast_tuple_target = 8160);
ALTER TABLE activity_summaries SET (toast_tuple_target = 8160);
