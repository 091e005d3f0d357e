-- +goose Up
-- Field reports (package fieldreport): incidents reported by field
-- monitors and partners, their verification history, cleaned attachments,
-- fusion links to events and other reports, and the monitor network.
-- Contact details are stored only sealed (AES-256-GCM, sealed before they
-- reach the database); contact_purged_at marks those retention deleted.
CREATE TABLE field_reports (
    id                INTEGER PRIMARY KEY,
    status            TEXT    NOT NULL CHECK (status IN ('unverified', 'under-review', 'verified', 'rejected', 'duplicate')),
    what              TEXT    NOT NULL,
    country           TEXT    NOT NULL,          -- ISO 3166-1 alpha-3
    admin1            TEXT    NOT NULL DEFAULT '',
    place             TEXT    NOT NULL DEFAULT '',
    latitude          REAL,
    longitude         REAL,
    date              TEXT    NOT NULL,          -- YYYY-MM-DD, the day it happened
    involved          TEXT    NOT NULL DEFAULT '',
    casualties        INTEGER,
    category          TEXT    NOT NULL,
    confidence        TEXT    NOT NULL,
    flash             INTEGER NOT NULL DEFAULT 0,
    reporter_kind     TEXT    NOT NULL CHECK (reporter_kind IN ('anonymous', 'pseudonym', 'contact')),
    pseudonym         TEXT    NOT NULL DEFAULT '',
    contact_sealed    TEXT    NOT NULL DEFAULT '', -- "v1:" + base64(nonce || AES-GCM ciphertext)
    contact_purged_at TEXT,
    org_id            INTEGER NOT NULL DEFAULT 0, -- the receiving organisation; 0 none
    channel           TEXT    NOT NULL,          -- api, gateway:<name>, cli
    external_id       TEXT    NOT NULL DEFAULT '',
    monitor_id        INTEGER NOT NULL DEFAULT 0,
    received_at       TEXT    NOT NULL,          -- RFC 3339 UTC
    duplicate_of      INTEGER NOT NULL DEFAULT 0,
    event_id          TEXT    NOT NULL DEFAULT '', -- source:id of the event it became
    version           INTEGER NOT NULL
);
CREATE UNIQUE INDEX field_reports_external ON field_reports (channel, external_id) WHERE external_id <> '';
CREATE INDEX field_reports_place ON field_reports (country, date);
CREATE INDEX field_reports_received ON field_reports (received_at);
CREATE INDEX field_reports_monitor ON field_reports (monitor_id, received_at);

CREATE TABLE field_report_history (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES field_reports (id),
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    evidence    TEXT    NOT NULL DEFAULT '',
    at          TEXT    NOT NULL
);
CREATE INDEX field_report_history_report ON field_report_history (report_id, id);

CREATE TABLE field_report_attachments (
    id        INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES field_reports (id),
    name      TEXT    NOT NULL,
    type      TEXT    NOT NULL,                  -- sniffed media type
    size      INTEGER NOT NULL,
    sha256    TEXT    NOT NULL,
    note      TEXT    NOT NULL DEFAULT '',
    data      BLOB    NOT NULL                   -- cleaned bytes
);
CREATE INDEX field_report_attachments_report ON field_report_attachments (report_id, id);

CREATE TABLE field_report_links (
    report_id     INTEGER NOT NULL REFERENCES field_reports (id),
    event_key     TEXT    NOT NULL DEFAULT '',   -- source:id, or '' for a report link
    linked_report INTEGER NOT NULL DEFAULT 0,
    score         REAL    NOT NULL,
    reason        TEXT    NOT NULL,
    PRIMARY KEY (report_id, event_key, linked_report)
);

CREATE TABLE field_monitors (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    org_id        INTEGER NOT NULL DEFAULT 0,
    interval_days INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE field_monitor_areas (
    monitor_id INTEGER NOT NULL REFERENCES field_monitors (id),
    country    TEXT    NOT NULL,
    admin1     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (monitor_id, country, admin1)
);

-- +goose Down
DROP TABLE field_monitor_areas;
DROP TABLE field_monitors;
DROP TABLE field_report_links;
DROP TABLE field_report_attachments;
DROP TABLE field_report_history;
DROP TABLE field_reports;
