-- Declaration versions of the collection platform (issue 5, SPEC.md §4.3).
-- Same tables, columns and names as migrations/postgres/0001_declarations.sql.
-- Conventions of carnet-store: instants are BIGINT microseconds since the Unix
-- epoch (UTC); calendar dates are TEXT 'YYYY-MM-DD'; JSON is TEXT.
-- Nothing here is ever deleted before `retain_until` (10 years by default).

-- Original files, content-addressed: the same workbook sent twice is kept once.
CREATE TABLE collect_files (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BLOB NOT NULL
);

-- One row per accepted file; a later version for the same project and period
-- supersedes the earlier ones, which stay retrievable.
CREATE TABLE collect_versions (
    id INTEGER PRIMARY KEY,
    galis TEXT NOT NULL,
    siret TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    version BIGINT NOT NULL,
    sent_by TEXT NOT NULL,
    received_at_us BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL REFERENCES collect_files (sha256),
    report_json TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    retain_until TEXT NOT NULL,
    UNIQUE (galis, period_start, period_end, version)
);

-- The figures of each establishment in a version, as declared.
CREATE TABLE collect_rows (
    version_id BIGINT NOT NULL REFERENCES collect_versions (id),
    finess TEXT NOT NULL,
    sheet_row BIGINT NOT NULL,
    name TEXT,
    dmp BIGINT,
    mss BIGINT,
    actifs BIGINT NOT NULL,
    accompanied BIGINT NOT NULL,
    care_plan BIGINT,
    appointment BIGINT,
    PRIMARY KEY (version_id, finess)
);
CREATE INDEX collect_rows_finess ON collect_rows (finess);
