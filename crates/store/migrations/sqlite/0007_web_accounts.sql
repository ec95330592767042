-- Web sign-in, sessions and the rights matrix (issue 4).
-- Same tables and columns in migrations/sqlite and migrations/postgres.

-- Server-side sessions. Only the SHA-256 of the cookie value is kept, so a
-- copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    organisation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    csrf TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    last_seen_us BIGINT NOT NULL,
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, for throttling per account and per address. The key is a
-- SHA-256 (of "login:…" or "addr:…"): no address is stored in clear.
CREATE TABLE sign_in_failures (
    key_hash TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key_hash, at_us);

-- Cells of the rights matrix that differ from nothing: every row is a
-- decision of the organisation (defaults are written when first edited).
CREATE TABLE rights (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    can_read BIGINT NOT NULL,
    can_write BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, role, category)
);

-- Persons assigned to a user whose role only sees assigned persons
-- (intervenant extérieur).
CREATE TABLE user_persons (
    organisation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, person_id),
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id),
    FOREIGN KEY (organisation_id, person_id) REFERENCES persons (organisation_id, id)
);
