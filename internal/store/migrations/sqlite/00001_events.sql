-- +goose Up
-- Files ingested: one row per distinct file content (and, for archives,
-- entry). Events, previous versions and rejects point here for provenance.
CREATE TABLE ingest_files (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,              -- base name; "archive.zip/entry.csv" for zip entries
    sha256         TEXT NOT NULL,              -- of the file's bytes as stored
    format         TEXT NOT NULL,              -- ingest format name
    header         TEXT NOT NULL,              -- JSON array of column names; [] if headerless
    separator      TEXT NOT NULL,              -- ",", ";", "\t" (CSV with quoting) or "tsv" (no quoting)
    first_ingested TEXT NOT NULL,              -- RFC 3339 UTC
    last_ingested  TEXT NOT NULL,
    completed_at   TEXT,                       -- NULL while no ingest of it has finished
    rows_read      INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sha256, name)
);

-- The bytes of ingested files as they were read (decompressed), in
-- gzip-compressed blocks of consecutive rows: the provenance of every event
-- and every previous version, exactly as published.
CREATE TABLE ingest_blocks (
    file_id      INTEGER NOT NULL REFERENCES ingest_files (id),
    start_offset INTEGER NOT NULL,             -- stream offset of the block's first byte
    length       INTEGER NOT NULL,             -- uncompressed length
    data         BLOB    NOT NULL,             -- gzip
    PRIMARY KEY (file_id, start_offset)
);

-- Events: the current version of every source record.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL,
    source_id       TEXT    NOT NULL,
    source_version  TEXT    NOT NULL DEFAULT '',
    date_start      TEXT    NOT NULL,          -- YYYY-MM-DD
    date_end        TEXT    NOT NULL,
    date_precision  INTEGER NOT NULL,
    country         TEXT    NOT NULL,          -- ISO 3166-1 alpha-3
    admin1          TEXT    NOT NULL DEFAULT '',
    place           TEXT    NOT NULL DEFAULT '',
    latitude        REAL,
    longitude       REAL,
    geo_precision   INTEGER NOT NULL DEFAULT 0,
    category        TEXT    NOT NULL,
    source_type     TEXT    NOT NULL DEFAULT '',
    source_subtype  TEXT    NOT NULL DEFAULT '',
    quad_class      INTEGER NOT NULL DEFAULT 0,
    actor1          TEXT    NOT NULL DEFAULT '',
    actor2          TEXT    NOT NULL DEFAULT '',
    fatalities_best INTEGER,
    fatalities_low  INTEGER,
    fatalities_high INTEGER,
    goldstein       REAL,
    tone            REAL,
    electoral       INTEGER NOT NULL DEFAULT 0,
    source_ref      TEXT    NOT NULL DEFAULT '',
    raw_hash        INTEGER NOT NULL,          -- FNV-1a 64 of the source row's fields
    file_id         INTEGER NOT NULL REFERENCES ingest_files (id),
    line            INTEGER NOT NULL,          -- where the source row starts in the file
    raw_offset      INTEGER NOT NULL,          -- byte range of the source row in the file's stream,
    raw_length      INTEGER NOT NULL,          -- kept in ingest_blocks
    first_ingested  TEXT    NOT NULL,
    last_changed    TEXT    NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX events_country_date ON events (country, date_start);
CREATE INDEX events_date ON events (date_start);

-- Previous versions of events, kept when a newer source record replaces them.
CREATE TABLE event_versions (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source_version TEXT    NOT NULL,
    raw_hash       INTEGER NOT NULL,
    file_id        INTEGER NOT NULL REFERENCES ingest_files (id),
    line           INTEGER NOT NULL,
    raw_offset     INTEGER NOT NULL,
    raw_length     INTEGER NOT NULL,
    stored_at      TEXT    NOT NULL,           -- when this version was stored
    replaced_at    TEXT    NOT NULL            -- when a newer one replaced it
);
CREATE INDEX event_versions_event ON event_versions (event_id);

-- Quarantine: rows that could not be stored, with file, line, field and reason.
CREATE TABLE rejects (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER NOT NULL REFERENCES ingest_files (id),
    line       INTEGER NOT NULL,
    field      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    raw        TEXT    NOT NULL,               -- JSON array of the row's fields as read
    created_at TEXT    NOT NULL,
    UNIQUE (file_id, line)
);

-- +goose Down
DROP TABLE rejects;
DROP TABLE event_versions;
DROP TABLE events;
DROP TABLE ingest_blocks;
DROP TABLE ingest_files;
