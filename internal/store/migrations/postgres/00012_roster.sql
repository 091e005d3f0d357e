-- +goose Up
-- The roster (package roster): envoys, standby mediation experts and
-- support staff, their expertise, languages, places known, unavailable
-- periods and deployments to cases. People's records are seen only by
-- the keeping organisation's writers and by the person (by email); see
-- the roster package doc and store.rosterAccess.
CREATE TABLE roster_people (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL DEFAULT '',   -- lower-case; ties the record to a user account
    kind        TEXT    NOT NULL CHECK (kind IN ('envoy', 'mediation-expert', 'support-staff')),
    org_id      BIGINT  NOT NULL REFERENCES organisations (id),
    clearance   TEXT    NOT NULL CHECK (clearance IN ('public', 'internal', 'confidential', 'strictly-confidential')),
    contract    TEXT    NOT NULL CHECK (contract IN ('staff', 'standby', 'consultant', 'secondment', 'pro-bono')),
    notes       TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     BIGINT  NOT NULL
);
CREATE INDEX roster_people_org ON roster_people (org_id, name);
CREATE INDEX roster_people_email ON roster_people (email) WHERE email <> '';

CREATE TABLE roster_expertise (
    person_id BIGINT NOT NULL REFERENCES roster_people (id),
    area      TEXT   NOT NULL,
    level     INT    NOT NULL CHECK (level BETWEEN 1 AND 3),
    PRIMARY KEY (person_id, area)
);
CREATE INDEX roster_expertise_area ON roster_expertise (area, person_id);

CREATE TABLE roster_languages (
    person_id BIGINT NOT NULL REFERENCES roster_people (id),
    code      TEXT   NOT NULL,                 -- ISO 639
    level     TEXT   NOT NULL CHECK (level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'native')),
    PRIMARY KEY (person_id, code)
);

-- Places known: countries (ISO alpha-3) and UN M49 regions or sub-regions.
CREATE TABLE roster_places (
    person_id BIGINT NOT NULL REFERENCES roster_people (id),
    kind      TEXT   NOT NULL CHECK (kind IN ('country', 'region')),
    name      TEXT   NOT NULL,
    PRIMARY KEY (person_id, kind, name)
);

-- Unavailable periods, first and last day included.
CREATE TABLE roster_unavailable (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES roster_people (id),
    start_date  DATE   NOT NULL,
    end_date    DATE   NOT NULL CHECK (end_date >= start_date),
    note        TEXT   NOT NULL DEFAULT '',
    recorded_by TEXT   NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX roster_unavailable_person ON roster_unavailable (person_id, start_date);

-- Deployments of a person to a case, first and last day included. A
-- deployment holds its person unless rejected or cancelled; the
-- exclusion constraint makes two holding deployments of one person in
-- overlapping windows impossible, whatever the writer (the store also
-- serialises requests per person with an advisory lock, to answer with
-- a clear error instead of a constraint violation).
CREATE TABLE roster_deployments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    BIGINT NOT NULL REFERENCES roster_people (id),
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    role         TEXT   NOT NULL DEFAULT '',
    start_date   DATE   NOT NULL,
    end_date     DATE   NOT NULL CHECK (end_date >= start_date),
    status       TEXT   NOT NULL CHECK (status IN ('requested', 'approved', 'active', 'completed', 'rejected', 'cancelled')),
    requested_by TEXT   NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    version      BIGINT NOT NULL,
    -- whether approving it named the person (by email) among the case's
    -- responsible staff, so that they may read the case; undone if the
    -- deployment is cancelled.
    named_on_case BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT roster_deployments_no_double_booking EXCLUDE USING gist (
        int8range(person_id, person_id, '[]') WITH &&,
        daterange(start_date, end_date, '[]') WITH &&
    ) WHERE (status IN ('requested', 'approved', 'active', 'completed'))
);
CREATE INDEX roster_deployments_person ON roster_deployments (person_id, start_date);
CREATE INDEX roster_deployments_case ON roster_deployments (case_id, start_date);

CREATE TABLE roster_deployment_history (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id BIGINT NOT NULL REFERENCES roster_deployments (id),
    from_status   TEXT   NOT NULL DEFAULT '',
    to_status     TEXT   NOT NULL,
    actor         TEXT   NOT NULL,
    note          TEXT   NOT NULL DEFAULT '',
    at            TIMESTAMPTZ NOT NULL
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
