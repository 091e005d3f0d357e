-- +goose Up
-- Casework (package casework): cases, the situations under watch, and the
-- actions taken on them, linked to the alerts they answer. Who may see a
-- case is decided by owner_org_id, case_shares, confidentiality and
-- case_staff (see the casework package doc); store.caseAccess turns that
-- rule into the one SQL filter every read applies.
CREATE TABLE cases (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('monitoring', 'active-preventive-engagement', 'crisis', 'follow-through', 'closed')),
    lead_office     TEXT    NOT NULL DEFAULT '',
    confidentiality TEXT    NOT NULL CHECK (confidentiality IN ('public', 'internal', 'confidential', 'strictly-confidential')),
    owner_org_id    BIGINT  NOT NULL REFERENCES organisations (id),
    created_by      TEXT    NOT NULL,          -- email, or "cli:<OS user>"
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         BIGINT  NOT NULL           -- counts writes (optimistic locking)
);
CREATE INDEX cases_owner ON cases (owner_org_id, id);

-- Places: countries (ISO alpha-3), each optionally narrowed to admin-1
-- areas ('' is the whole country). Several countries: a cross-border issue.
CREATE TABLE case_places (
    case_id BIGINT  NOT NULL REFERENCES cases (id),
    country TEXT    NOT NULL,
    admin1  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, country, admin1)
);
CREATE INDEX case_places_country ON case_places (country, case_id);

-- Responsible staff, by email: they see the case at any confidentiality.
CREATE TABLE case_staff (
    case_id BIGINT  NOT NULL REFERENCES cases (id),
    email   TEXT    NOT NULL,
    PRIMARY KEY (case_id, email)
);
CREATE INDEX case_staff_email ON case_staff (email, case_id);

-- The organisations a case is shared with, beside its owner.
CREATE TABLE case_shares (
    case_id   BIGINT  NOT NULL REFERENCES cases (id),
    org_id    BIGINT  NOT NULL REFERENCES organisations (id),
    shared_by TEXT    NOT NULL,
    shared_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, org_id)
);
CREATE INDEX case_shares_org ON case_shares (org_id, case_id);

-- Every status a case went through; the first row is its opening status.
CREATE TABLE case_status_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    from_status TEXT    NOT NULL DEFAULT '',   -- '' when the case opened
    to_status   TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_status_history_case ON case_status_history (case_id, id);

-- Actions: what was done, when (taken_at), by whom, with which partners.
CREATE TABLE case_actions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    type        TEXT    NOT NULL,
    taken_at    TIMESTAMPTZ NOT NULL,
    actors      TEXT    NOT NULL,              -- JSON array of names
    partners    TEXT    NOT NULL,              -- JSON array of organisation names
    outcome     TEXT    NOT NULL DEFAULT '',
    recorded_by TEXT    NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_actions_case ON case_actions (case_id, taken_at);

-- The alerts an action answers.
CREATE TABLE case_action_alerts (
    action_id BIGINT  NOT NULL REFERENCES case_actions (id),
    alert_id  BIGINT  NOT NULL REFERENCES alerts (id),
    PRIMARY KEY (action_id, alert_id)
);
CREATE INDEX case_action_alerts_alert ON case_action_alerts (alert_id);

-- +goose Down
DROP TABLE case_action_alerts;
DROP TABLE case_actions;
DROP TABLE case_status_history;
DROP TABLE case_shares;
DROP TABLE case_staff;
DROP TABLE case_places;
DROP TABLE cases;
