-- +goose Up
-- The roster (package roster): envoys, standby mediation experts and
-- support staff, their expertise, languages, places known, unavailable
-- periods and deployments to cases. People's records are seen only by
-- the keeping organisation's writers and by the person (by email); see
-- the roster package doc and store.rosterAccess.
CREATE TABLE roster_people (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '',   -- lower-case; ties the record to a user account
    kind        TEXT    NOT NULL CHECK (kind IN ('envoy', 'mediation-expert', 'support-staff')),
    org_id      INTEGER  NOT NULL REFERENCES organisations (id),
    clearance   TEXT    NOT NULL CHECK (clearance IN ('public', 'internal', 'confidential', 'strictly-confidential')),
    contract    TEXT    NOT NULL CHECK (contract IN ('staff', 'standby', 'consultant', 'secondment', 'pro-bono')),
    notes       TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER  NOT NULL
);
CREATE INDEX roster_people_org ON roster_people (org_id, name);
CREATE INDEX roster_people_email ON roster_people (email) WHERE email <> '';

CREATE TABLE roster_expertise (
    person_id INTEGER NOT NULL REFERENCES roster_people (id),
    area      TEXT   NOT NULL,
    level     INTEGER    NOT NULL CHECK (level BETWEEN 1 AND 3),
    PRIMARY KEY (person_id, area)
);
CREATE INDEX roster_expertise_area ON roster_expertise (area, person_id);

CREATE TABLE roster_languages (
    person_id INTEGER NOT NULL REFERENCES roster_people (id),
    code      TEXT   NOT NULL,                 -- ISO 639
    level     TEXT   NOT NULL CHECK (level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'native')),
    PRIMARY KEY (person_id, code)
);

-- Places known: countries (ISO alpha-3) and UN M49 regions or sub-regions.
CREATE TABLE roster_places (
    person_id INTEGER NOT NULL REFERENCES roster_people (id),
    kind      TEXT   NOT NULL CHECK (kind IN ('country', 'region')),
    name      TEXT   NOT NULL,
    PRIMARY KEY (person_id, kind, name)
);

-- Unavailable periods, first and last day included.
CREATE TABLE roster_unavailable (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES roster_people (id),
    start_date  TEXT   NOT NULL,
    end_date    TEXT   NOT NULL CHECK (end_date >= start_date),
    note        TEXT   NOT NULL DEFAULT '',
    recorded_by TEXT   NOT NULL,
    recorded_at TEXT    NOT NULL
);
CREATE INDEX roster_unavailable_person ON roster_unavailable (person_id, start_date);

-- Deployments of a person to a case, first and last day included. A
-- deployment holds its person unless rejected or cancelled; the
-- triggers make two holding deployments of one person in overlapping
-- windows impossible, whatever the writer (SQLite's single writer
-- serialises the store's check-then-insert; the triggers are the
-- backstop). Dates are YYYY-MM-DD text, which compares as dates.
CREATE TABLE roster_deployments (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES roster_people (id),
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    role         TEXT   NOT NULL DEFAULT '',
    start_date   TEXT   NOT NULL,
    end_date     TEXT   NOT NULL CHECK (end_date >= start_date),
    status       TEXT   NOT NULL CHECK (status IN ('requested', 'approved', 'active', 'completed', 'rejected', 'cancelled')),
    requested_by TEXT   NOT NULL,
    requested_at TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    -- whether approving it named the person (by email) among the case's
    -- responsible staff, so that they may read the case; undone if the
    -- deployment is cancelled.
    named_on_case INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX roster_deployments_person ON roster_deployments (person_id, start_date);
CREATE INDEX roster_deployments_case ON roster_deployments (case_id, start_date);

-- +goose StatementBegin
CREATE TRIGGER roster_deployments_no_double_booking_insert BEFORE INSERT ON roster_deployments
WHEN NEW.status IN ('requested', 'approved', 'active', 'completed') AND EXISTS (
    SELECT 1 FROM roster_deployments d WHERE d.person_id = NEW.person_id
    AND d.status IN ('requested', 'approved', 'active', 'completed')
    AND d.start_date <= NEW.end_date AND NEW.start_date <= d.end_date)
BEGIN
    SELECT RAISE(ABORT, 'roster_deployments_no_double_booking');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER roster_deployments_no_double_booking_update BEFORE UPDATE OF person_id, start_date, end_date, status ON roster_deployments
WHEN NEW.status IN ('requested', 'approved', 'active', 'completed') AND EXISTS (
    SELECT 1 FROM roster_deployments d WHERE d.person_id = NEW.person_id AND d.id <> NEW.id
    AND d.status IN ('requested', 'approved', 'active', 'completed')
    AND d.start_date <= NEW.end_date AND NEW.start_date <= d.end_date)
BEGIN
    SELECT RAISE(ABORT, 'roster_deployments_no_double_booking');
END;
-- +goose StatementEnd

CREATE TABLE roster_deployment_history (
    id            INTEGER PRIMARY KEY,
    deployment_id INTEGER NOT NULL REFERENCES roster_deployments (id),
    from_status   TEXT   NOT NULL DEFAULT '',
    to_status     TEXT   NOT NULL,
    actor         TEXT   NOT NULL,
    note          TEXT   NOT NULL DEFAULT '',
    at            TEXT    NOT NULL
);
CREATE INDEX roster_deployment_history_deployment ON roster_deployment_history (deployment_id, id);

-- +goose Down
DROP TABLE roster_deployment_history;
DROP TABLE roster_deployments;
DROP TABLE roster_unavailable;
DROP TABLE roster_places;
DROP TABLE roster_languages;
DROP TABLE roster_expertise;
DROP TABLE roster_people;
