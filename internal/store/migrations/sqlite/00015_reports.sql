-- +goose Up
-- The monthly tracker (package report): the calls drafted for a country
-- and month, kept as they were when a report was generated or reviewed,
-- and analysts' overrides of them, each with its reason. The latest
-- override of a country and month is the call the report prints; earlier
-- ones stay as history.
CREATE TABLE tracker_calls (
    month        TEXT    NOT NULL,                -- YYYY-MM-DD, the month's first day
    country      TEXT    NOT NULL,                -- ISO alpha-3
    trend        TEXT    NOT NULL CHECK (trend IN ('deteriorated', 'improved', 'unchanged')),
    risk_alert   INTEGER NOT NULL DEFAULT 0,
    opportunity  INTEGER NOT NULL DEFAULT 0,
    evidence     TEXT    NOT NULL DEFAULT '[]',   -- JSON array of report.Evidence
    drafted_at   TEXT    NOT NULL,                -- RFC 3339 UTC
    PRIMARY KEY (month, country)
);
CREATE TABLE tracker_overrides (
    id           INTEGER PRIMARY KEY,
    month        TEXT    NOT NULL,
    country      TEXT    NOT NULL,
    draft_trend  TEXT    NOT NULL CHECK (draft_trend IN ('deteriorated', 'improved', 'unchanged')),
    draft_risk   INTEGER NOT NULL,
    draft_opportunity INTEGER NOT NULL,
    trend        TEXT    NOT NULL CHECK (trend IN ('deteriorated', 'improved', 'unchanged')),
    risk_alert   INTEGER NOT NULL,
    opportunity  INTEGER NOT NULL,
    reason       TEXT    NOT NULL CHECK (reason <> ''),
    actor        TEXT    NOT NULL,
    actor_id     INTEGER,                         -- users.id; NULL for the CLI
    at           TEXT    NOT NULL
);
CREATE INDEX tracker_overrides_month ON tracker_overrides (month, country, id);
-- Report subscriptions: a user receives a report by email each month,
-- built as that user may read it (need-to-know).
CREATE TABLE report_subscriptions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('monthly', 'brief')),
    region       TEXT    NOT NULL DEFAULT '',     -- UN M49 region or subregion name; '' is every
    country      TEXT    NOT NULL DEFAULT '',     -- ISO alpha-3; '' is every
    format       TEXT    NOT NULL CHECK (format IN ('pdf', 'html', 'md', 'json', 'csv')),
    last_month   TEXT    NOT NULL DEFAULT '',     -- YYYY-MM of the last report sent
    created_by   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
CREATE INDEX report_subscriptions_user ON report_subscriptions (user_id);

-- +goose Down
DROP TABLE report_subscriptions;
DROP TABLE tracker_overrides;
DROP TABLE tracker_calls;
