-- Rule sets (issue 3 item 1, SPEC.md §3: "targets and presets are
-- configuration (they changed between 2021 and 2024)"): the counting rules of
-- each organisation, versioned. A change never edits a row: it appends a new
-- version and makes it the active one, so that every result and proof names
-- rules that can still be read back. Exactly one active version per
-- organisation (partial unique index below).
-- Same table and columns as migrations/sqlite/0005_rule_sets.sql.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); booleans are
-- BIGINT 0/1; the body is the rule set's JSON (TEXT).

CREATE TABLE rule_sets (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    -- 1, 2, 3… per organisation, in the order versions were saved.
    version BIGINT NOT NULL,
    -- The rule set's own identifier (e.g. esms-numerique-2024.1), named by
    -- every result, declaration and proof; one id never names two bodies.
    rule_set_id TEXT NOT NULL,
    label TEXT NOT NULL,
    body_json TEXT NOT NULL,
    -- SHA-256 (hex) of the body, as in results (rule_set_sha256).
    body_sha256 TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    -- Who saved it: the audit actor code (user:<id> or system:<command>).
    created_by TEXT NOT NULL,
    active BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, version)
);
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets (organisation_id) WHERE active = 1;
