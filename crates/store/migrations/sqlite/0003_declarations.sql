-- Declarations history (issue 3 item 8, SPEC.md §4.3): every CNSA workbook
-- and every signed proof Carnet produced, one row per (file, FINESS), so that
-- a director sees month by month what was declared and can find the file by
-- its SHA-256. Append-only: a new declaration never replaces an old one.
-- Same table and columns as migrations/postgres/0003_declarations.sql.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); calendar dates
-- are TEXT 'YYYY-MM-DD'; figures are the engine's JSON (TEXT).

CREATE TABLE declarations (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- 'workbook' or 'proof'
    kind TEXT NOT NULL,
    produced_at_us BIGINT NOT NULL,
    -- Who produced it: the audit actor code (user:<id> or system:<command>).
    produced_by TEXT NOT NULL,
    -- The declarant named in a proof ("Prénom Nom, fonction"); NULL for a workbook.
    declarant TEXT,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    finess TEXT NOT NULL,
    establishment_name TEXT NOT NULL,
    rule_set_id TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    galis_reference TEXT,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL
);
CREATE INDEX declarations_organisation ON declarations (organisation_id, finess, period_from);
