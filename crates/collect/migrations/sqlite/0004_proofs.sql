-- Proofs of usage attached per establishment and period (issue 5 §5, SPEC.md
-- §4.2), their automatic checks and the reviewers' decisions. Same tables,
-- columns and names as migrations/postgres/0004_proofs.sql. Instants are BIGINT
-- microseconds (UTC), dates TEXT 'YYYY-MM-DD', JSON TEXT. The PDF itself is
-- kept content-addressed in collect_files, like the workbooks. Nothing here is
-- updated or deleted before `retain_until`: a new check or a new review is
-- appended, the latest one is in force.

-- One row per proof file attached to (project, FINESS, period).
CREATE TABLE collect_proofs (
    id INTEGER PRIMARY KEY,
    galis TEXT NOT NULL,
    finess TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL REFERENCES collect_files (sha256),
    attached_by TEXT NOT NULL,
    attached_at_us BIGINT NOT NULL,
    retain_until TEXT NOT NULL
);
CREATE INDEX collect_proofs_target ON collect_proofs (galis, finess, period_start, period_end);
CREATE INDEX collect_proofs_finess ON collect_proofs (finess);

-- Every automatic check of a proof: at attachment, and again on request
-- (after a new declaration version, with other trust anchors).
CREATE TABLE collect_proof_checks (
    id INTEGER PRIMARY KEY,
    proof_id BIGINT NOT NULL REFERENCES collect_proofs (id),
    -- 'valide', 'invalide' or 'a-verifier-manuellement'
    outcome TEXT NOT NULL,
    -- French sentences: why invalid or why to review by hand
    reasons_json TEXT NOT NULL,
    -- French sentences: figures other than the DUI actifs that differ
    remarks_json TEXT NOT NULL,
    -- the result object embedded in a Carnet proof, as read (NULL: none)
    proof_json TEXT,
    -- subject of the signer's certificate, when found
    signer TEXT,
    -- the declaration version compared with (NULL: none in force)
    version_id BIGINT REFERENCES collect_versions (id),
    checked_by TEXT NOT NULL,
    checked_at_us BIGINT NOT NULL
);
CREATE INDEX collect_proof_checks_proof ON collect_proof_checks (proof_id);

-- Reviewers' decisions on proofs to check by hand; history kept.
CREATE TABLE collect_proof_reviews (
    id INTEGER PRIMARY KEY,
    proof_id BIGINT NOT NULL REFERENCES collect_proofs (id),
    -- 'conforme' or 'non-conforme'
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewed_at_us BIGINT NOT NULL
);
CREATE INDEX collect_proof_reviews_proof ON collect_proof_reviews (proof_id);
