-- +goose Up
-- Versions of the alert rules file (package rules), as edited in the UI or
-- loaded from the CLI: append-only; the latest row is the active rules. An
-- empty table means the embedded default rules are active.
CREATE TABLE rules_versions (
    id         INTEGER PRIMARY KEY,
    version    TEXT    NOT NULL,  -- the file's own version field
    body       TEXT    NOT NULL,  -- the rules file as written (YAML or JSON), validated by rules.Parse
    author     TEXT    NOT NULL,  -- who saved it: a user's email, or "cli"
    created_at TEXT    NOT NULL   -- RFC 3339 UTC, fixed width
);

-- The elections calendar (package election): one row per election round.
CREATE TABLE elections (
    country TEXT    NOT NULL,             -- ISO 3166-1 alpha-3
    date    TEXT    NOT NULL,             -- YYYY-MM-DD, polling day
    kind    TEXT    NOT NULL,             -- presidential, legislative, general, referendum, local
    round   INTEGER NOT NULL DEFAULT 1,
    source  TEXT    NOT NULL,             -- public URL or citation
    note    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (country, date, kind, round)
) WITHOUT ROWID;
CREATE INDEX elections_date ON elections (date);

-- +goose Down
DROP TABLE elections;
DROP TABLE rules_versions;
