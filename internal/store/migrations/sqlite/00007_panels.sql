-- +goose Up
-- Country-year panels (package panel): published datasets such as the
-- Early Warning Project base data, UCDP/PRIO ACD and the covariate tables,
-- stored as one long table of values.

-- Files imported: one row per file content and name, written in the same
-- transaction as its values, so a row here means the file was imported
-- completely and importing it again is skipped.
CREATE TABLE panel_files (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,            -- base name
    sha256        TEXT    NOT NULL,
    format        TEXT    NOT NULL,            -- panel format name
    dataset       TEXT    NOT NULL,
    header        TEXT    NOT NULL,            -- JSON array of the column names as read
    rows_read     INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    inserted      INTEGER NOT NULL,            -- values new to the store
    updated       INTEGER NOT NULL,            -- values whose content it changed
    unchanged     INTEGER NOT NULL,
    imported_at   TEXT    NOT NULL,            -- RFC 3339 UTC
    UNIQUE (sha256, name)
);

-- Datasets: "ewp-base", "ucdp-acd-25.1", ...; scheme is the numbering of
-- panel_values.code (gw, cow or ewp).
CREATE TABLE panel_datasets (
    name       TEXT    PRIMARY KEY,
    format     TEXT    NOT NULL,
    scheme     TEXT    NOT NULL,
    first_year INTEGER NOT NULL,               -- the years its files cover
    last_year  INTEGER NOT NULL
);

-- Variables, with their role: input, outcome (of the row's own year),
-- future-outcome and forecast (never features).
CREATE TABLE panel_variables (
    dataset     TEXT    NOT NULL REFERENCES panel_datasets (name),
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('input', 'outcome', 'future-outcome', 'forecast')),
    is_text     INTEGER NOT NULL DEFAULT 0,    -- values in text, not value
    description TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (dataset, name)
);

-- Values: one per dataset, variable, country and year. code is the
-- source's state number (0 if its row had none) beside the ISO code it
-- resolved to. value (or text, for text variables) NULL: missing in the
-- source.
CREATE TABLE panel_values (
    dataset  TEXT    NOT NULL,
    variable TEXT    NOT NULL,
    iso3     TEXT    NOT NULL,
    code     INTEGER NOT NULL,
    year     INTEGER NOT NULL,
    value    REAL,
    text     TEXT,
    file_id  INTEGER NOT NULL REFERENCES panel_files (id),
    line     INTEGER NOT NULL,                 -- source row; the first contributing one for aggregates
    PRIMARY KEY (dataset, variable, iso3, code, year),
    FOREIGN KEY (dataset, variable) REFERENCES panel_variables (dataset, name)
) WITHOUT ROWID; -- stored in key order: no second copy of the key in an index
CREATE INDEX panel_values_country ON panel_values (iso3, year);

-- Values a later file replaced, with where they came from.
CREATE TABLE panel_value_versions (
    id          INTEGER PRIMARY KEY,
    dataset     TEXT    NOT NULL,
    variable    TEXT    NOT NULL,
    iso3        TEXT    NOT NULL,
    code        INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    value       REAL,
    text        TEXT,
    file_id     INTEGER NOT NULL REFERENCES panel_files (id),
    line        INTEGER NOT NULL,
    replaced_by INTEGER NOT NULL REFERENCES panel_files (id)
);
CREATE INDEX panel_value_versions_key ON panel_value_versions (dataset, variable, iso3, code, year);

-- Rows not stored, or stored in part (partial: a country of a list the
-- code table does not know was left out).
CREATE TABLE panel_rejects (
    id      INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES panel_files (id),
    line    INTEGER NOT NULL,
    field   TEXT    NOT NULL,                  -- column as the header spells it; '' for the whole row
    value   TEXT    NOT NULL,
    reason  TEXT    NOT NULL,
    partial INTEGER NOT NULL DEFAULT 0,
    raw     TEXT    NOT NULL                   -- JSON array of the row's fields
);
CREATE INDEX panel_rejects_file ON panel_rejects (file_id, line);

-- +goose Down
DROP TABLE panel_rejects;
DROP TABLE panel_value_versions;
DROP TABLE panel_values;
DROP TABLE panel_variables;
DROP TABLE panel_datasets;
DROP TABLE panel_files;
