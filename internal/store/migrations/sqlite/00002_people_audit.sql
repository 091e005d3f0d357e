-- +goose Up
-- Organisations users belong to: a UN department, a regional office, the
-- African Union, ECOWAS, an NGO.
CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL                   -- RFC 3339 UTC
);

-- Users. Emails are stored lower-cased; the index on lower(email) keeps
-- them unique case-insensitively even if a row is written by hand.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL DEFAULT '',
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    role          TEXT    NOT NULL,            -- auth.Role
    password_hash TEXT    NOT NULL,            -- argon2id, PHC string format
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_org ON users (org_id);

-- Browser sessions. The cookie value itself is never stored: id is the hex
-- SHA-256 of it.
CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,               -- for the idle timeout
    expires_at TEXT    NOT NULL                -- absolute end of the session
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- API tokens for scripts, stored as the hex SHA-256 of the token.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    token_hash   TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL,             -- read or write
    created_at   TEXT    NOT NULL,
    expires_at   TEXT,                         -- NULL: never
    revoked_at   TEXT,                         -- NULL: not revoked
    last_used_at TEXT                          -- NULL: never used
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Login attempts, for throttling that holds across several servers
-- sharing the database.
CREATE TABLE login_attempts (
    email  TEXT    NOT NULL,                   -- as typed, lower-cased
    remote TEXT    NOT NULL,                   -- client address
    at     TEXT    NOT NULL,
    ok     INTEGER NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_remote ON login_attempts (remote, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- The audit log: append-only and hash-chained. Each entry's hash is the
-- SHA-256 of its fields and the previous entry's hash (package audit), and
-- seq has no gaps, so an edited, inserted or deleted entry breaks the
-- chain. The triggers refuse updates and deletes; they keep honest code
-- honest, while the chain catches whoever drops them.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,             -- 1, 2, 3, ... without gaps
    at        TEXT    NOT NULL,
    actor_id  INTEGER,                         -- users.id; NULL for the CLI and the system
    actor     TEXT    NOT NULL,                -- email, or "cli:<OS user>"
    action    TEXT    NOT NULL,                -- "user.add", "session.login", ...
    object    TEXT    NOT NULL DEFAULT '',     -- what the action was on
    remote    TEXT    NOT NULL DEFAULT '',     -- client address
    details   TEXT    NOT NULL,                -- JSON, exactly as hashed
    prev_hash TEXT    NOT NULL,                -- hex; '' for the first entry
    hash      TEXT    NOT NULL                 -- hex SHA-256
);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
DROP TABLE login_attempts;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE organisations;
