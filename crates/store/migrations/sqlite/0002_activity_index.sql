-- Incremental activity index (DESIGN.md §4.3). Kept in the same transaction
-- as each write; `carnet` can rebuild and verify it from the raw rows.
-- Same tables and columns as migrations/postgres/0002_activity_index.sql.

-- One row per (record, month, mark): bit d-1 of `days` = local day d carries
-- the mark (carnet_core::indicators::Mark).
CREATE TABLE activity_days (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    mark TEXT NOT NULL,
    days BIGINT NOT NULL,
    PRIMARY KEY (establishment_id, month, person_id, mark)
);

-- First local day a record (person x establishment) exists.
CREATE TABLE activity_records (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    exists_from TEXT NOT NULL,
    PRIMARY KEY (establishment_id, person_id)
);

-- Status spans of projets personnalisés, in local days.
CREATE TABLE activity_care_plans (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    care_plan_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    from_day TEXT NOT NULL,
    until_day TEXT
);
CREATE INDEX activity_care_plans_establishment ON activity_care_plans (establishment_id, person_id);

-- MSSanté messages sent per establishment and local day.
CREATE TABLE activity_messages (
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (establishment_id, day)
);
