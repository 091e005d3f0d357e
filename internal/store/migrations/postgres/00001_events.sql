-- +goose Up
-- Files ingested: one row per distinct file content (and, for archives,
-- entry). Events, previous versions and rejects point here for provenance.
CREATE TABLE ingest_files (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    format         TEXT NOT NULL,
    header         JSONB NOT NULL,
    separator      TEXT NOT NULL,
    first_ingested TIMESTAMPTZ NOT NULL,
    last_ingested  TIMESTAMPTZ NOT NULL,
    completed_at   TIMESTAMPTZ,
    rows_read      BIGINT NOT NULL DEFAULT 0,
    rows_rejected  BIGINT NOT NULL DEFAULT 0,
    UNIQUE (sha256, name)
);

-- The bytes of ingested files as they were read (decompressed), in
-- gzip-compressed blocks of consecutive rows: the provenance of every event
-- and every previous version, exactly as published.
CREATE TABLE ingest_blocks (
    file_id      BIGINT  NOT NULL REFERENCES ingest_files (id),
    start_offset BIGINT  NOT NULL,
    length       INTEGER NOT NULL,
    data         BYTEA   NOT NULL,
    PRIMARY KEY (file_id, start_offset)
);

-- Events: the current version of every source record.
CREATE TABLE events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          TEXT    NOT NULL,
    source_id       TEXT    NOT NULL,
    source_version  TEXT    NOT NULL DEFAULT '',
    date_start      DATE    NOT NULL,
    date_end        DATE    NOT NULL,
    date_precision  INTEGER NOT NULL,
    country         TEXT    NOT NULL,
    admin1          TEXT    NOT NULL DEFAULT '',
    place           TEXT    NOT NULL DEFAULT '',
    latitude        DOUBLE PRECISION,
    longitude       DOUBLE PRECISION,
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
    goldstein       DOUBLE PRECISION,
    tone            DOUBLE PRECISION,
    electoral       BOOLEAN NOT NULL DEFAULT FALSE,
    source_ref      TEXT    NOT NULL DEFAULT '',
    raw_hash        BIGINT  NOT NULL,
    file_id         BIGINT  NOT NULL REFERENCES ingest_files (id),
    line            INTEGER NOT NULL,
    raw_offset      BIGINT  NOT NULL,
    raw_length      INTEGER NOT NULL,
    first_ingested  TIMESTAMPTZ NOT NULL,
    last_changed    TIMESTAMPTZ NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX events_country_date ON events (country, date_start);
CREATE INDEX events_date ON events (date_start);

-- Previous versions of events, kept when a newer source record replaces them.
CREATE TABLE event_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source_version TEXT    NOT NULL,
    raw_hash       BIGINT  NOT NULL,
    file_id        BIGINT  NOT NULL REFERENCES ingest_files (id),
    line           INTEGER NOT NULL,
    raw_offset     BIGINT  NOT NULL,
    raw_length     INTEGER NOT NULL,
    stored_at      TIMESTAMPTZ NOT NULL,
    replaced_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX event_versions_event ON event_versions (event_id);

-- Quarantine: rows that could not be stored, with file, line, field and reason.
CREATE TABLE rejects (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id    BIGINT  NOT NULL REFERENCES ingest_files (id),
    line       INTEGER NOT NULL,
    field      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    raw        JSONB   NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (file_id, line)
);

-- +goose Down
DROP TABLE rejects;
DROP TABLE event_versions;
DROP TABLE events;
DROP TABLE ingest_blocks;
DROP TABLE ingest_files;
