-- +goose Up
-- Agreements (package agreement): peace agreements, political accords and
-- water-sharing arrangements, their provisions, and each provision's
-- implementation status over time (Peace Accords Matrix scale). An
-- agreement linked to a non-public case is read under that case's
-- need-to-know rule (store.agreementAccess).
CREATE TABLE agreements (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,              -- 'ucdp-pa' or 'manual'
    source_id     TEXT    NOT NULL DEFAULT '',   -- UCDP paid; '' for manual entries
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('peace-agreement', 'political-accord', 'water-sharing', 'other')),
    parties       TEXT    NOT NULL,              -- JSON array of names
    third_parties TEXT    NOT NULL DEFAULT '',
    signed        TEXT    NOT NULL,              -- YYYY-MM-DD
    conflict_name TEXT    NOT NULL DEFAULT '',
    ended         INTEGER NOT NULL DEFAULT 0,
    ended_on      TEXT,                          -- YYYY-MM-DD, NULL if unknown
    url           TEXT    NOT NULL DEFAULT '',
    notes         TEXT    NOT NULL DEFAULT '',
    fingerprint   TEXT    NOT NULL DEFAULT '',   -- agreement.Fingerprint of the imported content
    created_by    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,              -- RFC 3339 UTC
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX agreements_source ON agreements (source, source_id) WHERE source_id <> '';
CREATE INDEX agreements_signed ON agreements (signed, id);

CREATE TABLE agreement_countries (
    agreement_id INTEGER NOT NULL REFERENCES agreements (id),
    country      TEXT    NOT NULL,               -- ISO alpha-3
    PRIMARY KEY (agreement_id, country)
);
CREATE INDEX agreement_countries_country ON agreement_countries (country, agreement_id);

CREATE TABLE agreement_conflicts (
    agreement_id INTEGER NOT NULL REFERENCES agreements (id),
    conflict_id  INTEGER NOT NULL,               -- UCDP conflict id
    PRIMARY KEY (agreement_id, conflict_id)
);

CREATE TABLE agreement_provisions (
    id           INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES agreements (id),
    category     TEXT    NOT NULL,               -- UCDP provision code, or 'other'
    text         TEXT    NOT NULL,
    responsible  TEXT    NOT NULL DEFAULT '',
    deadline     TEXT,                           -- YYYY-MM-DD, NULL for none
    status       TEXT    NOT NULL CHECK (status IN ('not-started', 'minimal', 'intermediate', 'full')),
    status_on    TEXT    NOT NULL,               -- the day the status describes
    created_at   TEXT    NOT NULL
);
CREATE INDEX agreement_provisions_agreement ON agreement_provisions (agreement_id, id);

-- Every status a provision had; the first line is its status when recorded.
CREATE TABLE agreement_provision_history (
    id           INTEGER PRIMARY KEY,
    provision_id INTEGER NOT NULL REFERENCES agreement_provisions (id),
    from_status  TEXT    NOT NULL DEFAULT '',
    to_status    TEXT    NOT NULL,
    on_day       TEXT    NOT NULL,               -- YYYY-MM-DD the status describes
    actor        TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    note         TEXT    NOT NULL DEFAULT '',
    recorded_at  TEXT    NOT NULL
);
CREATE INDEX agreement_provision_history_provision ON agreement_provision_history (provision_id, id);

CREATE TABLE agreement_cases (
    agreement_id INTEGER NOT NULL REFERENCES agreements (id),
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    linked_by    TEXT    NOT NULL,
    linked_at    TEXT    NOT NULL,
    PRIMARY KEY (agreement_id, case_id)
);
CREATE INDEX agreement_cases_case ON agreement_cases (case_id);

-- +goose Down
DROP TABLE agreement_cases;
DROP TABLE agreement_provision_history;
DROP TABLE agreement_provisions;
DROP TABLE agreement_conflicts;
DROP TABLE agreement_countries;
DROP TABLE agreements;
