-- +goose Up
-- Alerts: one row per episode of one rule's condition holding for one
-- place (package alert). fingerprint is rule|country|admin1. The partial
-- unique index allows at most one alert per fingerprint that is not
-- resolved, so two evaluations racing to open the same episode cannot
-- both succeed: the second gets a conflict and processes again. version
-- counts writes; updates name the version they read (optimistic
-- locking).
CREATE TABLE alerts (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint        TEXT    NOT NULL,
    rule               TEXT    NOT NULL,
    rule_version       TEXT    NOT NULL DEFAULT '',
    severity           TEXT    NOT NULL,        -- info, warning, critical
    labels             TEXT    NOT NULL,        -- JSON object
    country            TEXT    NOT NULL,        -- ISO alpha-3
    admin1             TEXT    NOT NULL DEFAULT '',
    group_key          TEXT    NOT NULL,        -- the country
    window_start       DATE    NOT NULL,
    window_end         DATE    NOT NULL,
    first_window_start DATE    NOT NULL,
    first_window_end   DATE    NOT NULL,
    score              DOUBLE PRECISION NOT NULL,
    title              TEXT    NOT NULL,
    explanation        TEXT    NOT NULL,
    indicator          TEXT    NOT NULL DEFAULT '',
    evidence           TEXT    NOT NULL,        -- JSON array of points
    events             TEXT    NOT NULL,        -- JSON array of event keys
    receivers          TEXT    NOT NULL,        -- JSON array of receiver names
    state              TEXT    NOT NULL CHECK (state IN ('firing', 'acknowledged', 'actioned', 'dismissed', 'resolved')),
    silenced_by        BIGINT,                  -- silences.id; NULL: not muted
    assignee           TEXT    NOT NULL DEFAULT '',
    fired_at           TIMESTAMPTZ NOT NULL,
    last_seen_at       TIMESTAMPTZ NOT NULL,
    cleared_at         TIMESTAMPTZ,
    acknowledged_at    TIMESTAMPTZ,
    acknowledged_by    TEXT    NOT NULL DEFAULT '',
    actioned_at        TIMESTAMPTZ,
    actioned_by        TEXT    NOT NULL DEFAULT '',
    action_note        TEXT    NOT NULL DEFAULT '',
    dismissed_at       TIMESTAMPTZ,
    dismissed_by       TEXT    NOT NULL DEFAULT '',
    dismiss_reason     TEXT    NOT NULL DEFAULT '',
    resolved_at        TIMESTAMPTZ,
    resolved_by        TEXT    NOT NULL DEFAULT '',
    notified_at        TIMESTAMPTZ,                    -- handed to the notifier; NULL: pending
    notified_severity  TEXT    NOT NULL DEFAULT '', -- the severity last notified; a rise notifies again
    updated_at         TIMESTAMPTZ NOT NULL,
    version            BIGINT  NOT NULL
);
CREATE UNIQUE INDEX alerts_open_fingerprint ON alerts (fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, window_end);
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_country ON alerts (country, id);
CREATE INDEX alerts_notifiable ON alerts (id) WHERE silenced_by IS NULL AND state <> 'resolved';

-- Every change of every alert: its state changes and the other things
-- that happened to it (assigned, cleared, fired again, escalated).
CREATE TABLE alert_history (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id   BIGINT  NOT NULL REFERENCES alerts (id),
    action     TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',     -- '' when the alert opened
    to_state   TEXT    NOT NULL,
    actor      TEXT    NOT NULL,                -- email, "cli:<OS user>" or "system"
    note       TEXT    NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, id);

-- Silences mute new alerts that match all their non-empty matchers while
-- starts_at <= now < ends_at. Expiring one early sets ends_at.
CREATE TABLE silences (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    match_rule       TEXT    NOT NULL DEFAULT '',
    match_country    TEXT    NOT NULL DEFAULT '',
    match_admin1     TEXT    NOT NULL DEFAULT '',
    match_severity   TEXT    NOT NULL DEFAULT '',
    match_labels     TEXT    NOT NULL,          -- JSON object
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ NOT NULL,
    created_by       TEXT    NOT NULL,
    comment          TEXT    NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expired_by       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends ON silences (ends_at);

-- +goose Down
DROP TABLE silences;
DROP TABLE alert_history;
DROP TABLE alerts;
