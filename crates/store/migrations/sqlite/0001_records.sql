-- Carnet record model (SPEC.md §2). Same tables, columns and names as
-- migrations/postgres/0001_records.sql; a test compares both schemas.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); calendar dates
-- are TEXT 'YYYY-MM-DD'; booleans are BIGINT 0/1; lists are JSON TEXT.
-- Every record row carries its organisation (tenant, DESIGN.md §4.1) and
-- composite foreign keys keep a record inside its organisation.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    siren TEXT NOT NULL,
    siret TEXT NOT NULL,
    finess_ej TEXT,
    demo BIGINT NOT NULL
);

CREATE TABLE establishments (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    finess TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    sector TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE professionals (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    profession TEXT NOT NULL,
    rpps TEXT,
    mss_address TEXT,
    role TEXT NOT NULL,
    establishment_ids TEXT NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    birth_family_name TEXT NOT NULL,
    birth_given_names TEXT NOT NULL,
    used_family_name TEXT,
    used_given_name TEXT,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    birth_place_code TEXT,
    ins_matricule TEXT,
    ins_oid TEXT,
    identity_status TEXT NOT NULL,
    -- accent- and case-folded names, for search
    search_key TEXT NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE identity_changes (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    by_professional BIGINT,
    document TEXT,
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id)
);
CREATE INDEX identity_changes_person ON identity_changes (person_id, at_us);

CREATE TABLE stays (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    end_kind TEXT,
    mode TEXT NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id),
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id)
);
CREATE INDEX stays_establishment ON stays (establishment_id, start_date);
CREATE INDEX stays_person ON stays (person_id);

CREATE TABLE care_plans (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    stay_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    objectives TEXT NOT NULL,
    participants TEXT NOT NULL,
    person_agreement_on TEXT,
    structure_agreement_on TEXT,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id),
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id),
    FOREIGN KEY (organisation_id, stay_id) REFERENCES stays (organisation_id, id)
);
CREATE INDEX care_plans_person ON care_plans (person_id);
CREATE INDEX care_plans_establishment ON care_plans (establishment_id);

CREATE TABLE care_plan_status_changes (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    care_plan_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    by_professional BIGINT,
    FOREIGN KEY (organisation_id, care_plan_id) REFERENCES care_plans (organisation_id, id)
);
CREATE INDEX care_plan_status_changes_plan ON care_plan_status_changes (care_plan_id, at_us);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    author_id BIGINT,
    text TEXT NOT NULL,
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id),
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id)
);
CREATE INDEX events_person ON events (person_id, at_us);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at_us BIGINT NOT NULL,
    ends_at_us BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    professional_id BIGINT,
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id),
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id)
);
CREATE INDEX appointments_person ON appointments (person_id, starts_at_us);
CREATE INDEX appointments_establishment ON appointments (establishment_id, starts_at_us);

CREATE TABLE blobs (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (organisation_id, sha256)
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    type_code TEXT NOT NULL,
    title TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    added_at_us BIGINT NOT NULL,
    added_by BIGINT,
    dmp_status TEXT NOT NULL,
    dmp_status_at_us BIGINT,
    dmp_objection BIGINT NOT NULL,
    UNIQUE (organisation_id, id),
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id),
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id),
    FOREIGN KEY (organisation_id, sha256) REFERENCES blobs (organisation_id, sha256)
);
CREATE INDEX documents_person ON documents (person_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    establishment_id BIGINT NOT NULL,
    person_id BIGINT,
    sender_id BIGINT,
    sent_at_us BIGINT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    document_ids TEXT NOT NULL,
    FOREIGN KEY (organisation_id, establishment_id) REFERENCES establishments (organisation_id, id)
);
CREATE INDEX messages_establishment ON messages (establishment_id, sent_at_us);
CREATE INDEX messages_person ON messages (person_id);

-- Accounts (sign-in comes with the web application) and their API tokens.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    professional_id BIGINT,
    -- JSON list of establishment ids; empty means every establishment of the organisation
    establishment_ids TEXT NOT NULL,
    password_hash TEXT,
    disabled BIGINT NOT NULL,
    UNIQUE (organisation_id, id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    -- SHA-256 of the token: tokens are random 256-bit secrets, never stored
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    revoked BIGINT NOT NULL,
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);

-- Append-only audit log, hash-chained per organisation (DESIGN.md §4.5).
CREATE TABLE audit_entries (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    person_id BIGINT,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (organisation_id, seq)
);
CREATE INDEX audit_entries_person ON audit_entries (organisation_id, person_id, seq);

-- The head of each organisation's chain; updating it first serialises appends.
CREATE TABLE audit_heads (
    organisation_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
