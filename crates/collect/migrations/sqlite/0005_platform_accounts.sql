-- Accounts of the collection platform (issue 5): which sign-in accounts of
-- carnet-store's `users` table have a role on the platform, and its scope.
-- Passwords, sessions and API tokens stay those of `users`: the platform has
-- no second sign-in system. Same tables, columns and names as
-- migrations/postgres/0005_platform_accounts.sql.

-- The organisation that holds the platform's accounts (and their audit
-- chain): created once, it never holds any person's record. One row.
CREATE TABLE collect_platform (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id)
);

-- One row per platform account: 'porteur' (scoped by the porteur's SIRET),
-- 'ars' (scoped by the INSEE code of its region), 'cnsa' (national) or
-- 'auditeur' (national, read-only).
CREATE TABLE collect_accounts (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('porteur', 'ars', 'cnsa', 'auditeur')),
    siret TEXT,
    region TEXT REFERENCES collect_regions (code),
    CHECK ((role = 'porteur') = (siret IS NOT NULL)),
    CHECK ((role = 'ars') = (region IS NOT NULL))
);
