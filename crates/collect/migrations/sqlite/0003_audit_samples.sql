-- EU audit samples of the collection platform (issue 5 §7, SPEC.md §5):
-- establishments drawn among those declared for a month, reproducibly from a
-- published seed (the drawing is carnet_core::sampling), and the outcome of
-- each proof check. Same tables, columns and names as
-- migrations/postgres/0003_audit_samples.sql. Instants are BIGINT microseconds
-- (UTC), months TEXT 'YYYY-MM', JSON TEXT. Nothing is updated or deleted: an
-- outcome is appended, the latest one is in force.

-- One row per draw: its inputs, who drew it and when, and the algorithm text
-- as it was printed, so that anyone can redo the draw years later.
CREATE TABLE collect_samples (
    id INTEGER PRIMARY KEY,
    seed TEXT NOT NULL,
    requested BIGINT NOT NULL,
    month TEXT NOT NULL,
    population BIGINT NOT NULL,
    algorithm TEXT NOT NULL,
    -- the strata (region code, label, population, allocated), as drawn
    strata_json TEXT NOT NULL,
    drawn_by TEXT NOT NULL,
    drawn_at_us BIGINT NOT NULL
);

-- The drawn establishments, in the order of the draw, with the declaration
-- they were drawn from (NULL region: Saint-Pierre-et-Miquelon, no ARS).
CREATE TABLE collect_sample_establishments (
    sample_id BIGINT NOT NULL REFERENCES collect_samples (id),
    finess TEXT NOT NULL,
    position BIGINT NOT NULL,
    galis TEXT NOT NULL,
    region TEXT REFERENCES collect_regions (code),
    rank_sha256 TEXT NOT NULL,
    version_id BIGINT NOT NULL REFERENCES collect_versions (id),
    actifs BIGINT NOT NULL,
    PRIMARY KEY (sample_id, finess)
);

-- Every outcome ever recorded for a check of a drawn establishment; the
-- draw itself records 'a-verifier' for each check.
CREATE TABLE collect_sample_checks (
    id INTEGER PRIMARY KEY,
    sample_id BIGINT NOT NULL,
    finess TEXT NOT NULL,
    check_code TEXT NOT NULL,
    -- 'a-verifier', 'conforme', 'non-conforme' or 'sans-objet'
    outcome TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at_us BIGINT NOT NULL,
    FOREIGN KEY (sample_id, finess) REFERENCES collect_sample_establishments (sample_id, finess)
);
CREATE INDEX collect_sample_checks_item ON collect_sample_checks (sample_id, finess, check_code);
