-- Reference data of the collection platform (issue 5 §1): the ARS regions and
-- the projects of GALIS with their establishments and milestones.
-- Same tables, columns and names as migrations/postgres/0002_projects.sql.
-- Flags are BIGINT 0/1 and dates TEXT 'YYYY-MM-DD' on both backends.

-- The 18 regions with an ARS, by INSEE code (the list of src/regions.rs).
CREATE TABLE collect_regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
INSERT INTO collect_regions (code, name) VALUES
    ('01', 'Guadeloupe'),
    ('02', 'Martinique'),
    ('03', 'Guyane'),
    ('04', 'La Réunion'),
    ('06', 'Mayotte'),
    ('11', 'Île-de-France'),
    ('24', 'Centre-Val de Loire'),
    ('27', 'Bourgogne-Franche-Comté'),
    ('28', 'Normandie'),
    ('32', 'Hauts-de-France'),
    ('44', 'Grand Est'),
    ('52', 'Pays de la Loire'),
    ('53', 'Bretagne'),
    ('75', 'Nouvelle-Aquitaine'),
    ('76', 'Occitanie'),
    ('84', 'Auvergne-Rhône-Alpes'),
    ('93', 'Provence-Alpes-Côte d''Azur'),
    ('94', 'Corse');

-- One row per project (Référence GALIS). A new import of the same GALIS
-- replaces the row, its establishments and its milestones.
CREATE TABLE collect_projects (
    galis TEXT PRIMARY KEY,
    label TEXT,
    siret TEXT NOT NULL,
    call_year BIGINT NOT NULL,
    rule_set TEXT NOT NULL,
    -- 'acquisition' or 'upgrade' (mise à niveau vers une version référencée Ségur)
    kind TEXT NOT NULL,
    small_organisation BIGINT NOT NULL,
    -- a code of collect_regions, or 'national'
    desk TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- The establishments of a project by FINESS géographique, with the region
-- their FINESS tells (NULL for Saint-Pierre-et-Miquelon, which has no ARS).
CREATE TABLE collect_project_establishments (
    galis TEXT NOT NULL REFERENCES collect_projects (galis),
    finess TEXT NOT NULL,
    region TEXT REFERENCES collect_regions (code),
    PRIMARY KEY (galis, finess)
);
CREATE INDEX collect_project_establishments_finess ON collect_project_establishments (finess);

-- Planned and actual dates of each milestone of a project.
CREATE TABLE collect_project_milestones (
    galis TEXT NOT NULL REFERENCES collect_projects (galis),
    milestone TEXT NOT NULL,
    planned TEXT,
    actual TEXT,
    PRIMARY KEY (galis, milestone)
);
