-- +goose Up
-- Continuous ingest (package feed): one row per file a feed found, in a
-- watched directory or an HTTP listing such as GDELT's lastupdate.txt.
-- A file moves pending -> ingesting -> done, or -> failed (retried at
-- next_attempt). An ingesting file is claimed by one process until
-- lease_until, which the process extends while it works; a process that
-- dies leaves its claim to expire and the file is claimed again.
CREATE TABLE feed_files (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT    NOT NULL,              -- the directory or listing URL it was found in
    name          TEXT    NOT NULL,              -- e.g. 20191024143000.export.CSV.zip; timestamp order
    location      TEXT    NOT NULL,              -- file path or URL to fetch it from
    size          BIGINT  NOT NULL DEFAULT 0,    -- bytes as listed or seen; 0 unknown
    md5           TEXT    NOT NULL DEFAULT '',   -- hex, as listed; '' unknown
    sha256        TEXT    NOT NULL DEFAULT '',   -- hex, of the bytes last attempted
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'ingesting', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '',   -- why the last attempt failed
    claimed_by    TEXT    NOT NULL DEFAULT '',   -- the process that holds or last held it
    lease_until   TIMESTAMPTZ,
    next_attempt  TIMESTAMPTZ,
    discovered_at TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,                   -- of the last attempt
    finished_at   TIMESTAMPTZ,                   -- done or failed
    rows_read     BIGINT  NOT NULL DEFAULT 0,
    inserted      BIGINT  NOT NULL DEFAULT 0,
    updated       BIGINT  NOT NULL DEFAULT 0,
    unchanged     BIGINT  NOT NULL DEFAULT 0,
    rejected      BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (source, name)
);
CREATE INDEX feed_files_state_name ON feed_files (state, name);

-- +goose Down
DROP TABLE feed_files;
