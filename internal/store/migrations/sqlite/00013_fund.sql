-- +goose Up
-- The rapid-response fund (package fund): a double-entry ledger. Every
-- entry's postings sum to zero in the entry's currency; fund_balances
-- holds each account's balance (the sum of its postings), updated in the
-- same transaction as the postings, and is what writes check and lock.
-- Amounts are integers in the currency's minor units (ISO 4217
-- exponent); rates are exact decimal strings.
CREATE TABLE fund_allocations (
    id           INTEGER PRIMARY KEY,
    target_kind  TEXT    NOT NULL CHECK (target_kind IN ('case', 'deployment')),
    target_id    INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    rate         TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending-approval', 'posted', 'rejected')),
    requested_by TEXT    NOT NULL,
    requested_at TEXT    NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    decided_at   TEXT,
    entry_id     INTEGER
);
CREATE INDEX fund_allocations_target ON fund_allocations (target_kind, target_id);

CREATE TABLE fund_entries (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT    NOT NULL CHECK (kind IN ('contribution', 'pledge', 'allocation', 'disbursement', 'return')),
    currency           TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    rate               TEXT    NOT NULL,
    reporting_currency TEXT    NOT NULL,
    reporting_minor    INTEGER NOT NULL,
    donor              TEXT    NOT NULL DEFAULT '',
    allocation_id      INTEGER REFERENCES fund_allocations (id),
    memo               TEXT    NOT NULL DEFAULT '',
    actor              TEXT    NOT NULL,
    at                 TEXT    NOT NULL
);
CREATE INDEX fund_entries_donor ON fund_entries (donor, id);
CREATE INDEX fund_entries_allocation ON fund_entries (allocation_id);

CREATE TABLE fund_postings (
    entry_id     INTEGER NOT NULL REFERENCES fund_entries (id),
    line         INTEGER NOT NULL,
    account      TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
    PRIMARY KEY (entry_id, line)
);
CREATE INDEX fund_postings_account ON fund_postings (account, currency);

CREATE TABLE fund_balances (
    account       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    balance_minor INTEGER NOT NULL,
    PRIMARY KEY (account, currency)
);

-- Authorised overdrafts: a guarded account may go down to -limit_minor.
-- Every authorisation is also in the audit log.
CREATE TABLE fund_overdrafts (
    account       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    limit_minor   INTEGER NOT NULL CHECK (limit_minor >= 0),
    reason        TEXT    NOT NULL,
    authorised_by TEXT    NOT NULL,
    authorised_at TEXT    NOT NULL,
    PRIMARY KEY (account, currency)
);

-- Idempotency keys, per actor: the request's hash and the first answer.
CREATE TABLE fund_idempotency (
    actor        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);

-- The journal is append-only.
-- +goose StatementBegin
CREATE TRIGGER fund_entries_no_update BEFORE UPDATE ON fund_entries
BEGIN SELECT RAISE(ABORT, 'fund_entries is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER fund_entries_no_delete BEFORE DELETE ON fund_entries
BEGIN SELECT RAISE(ABORT, 'fund_entries is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER fund_postings_no_update BEFORE UPDATE ON fund_postings
BEGIN SELECT RAISE(ABORT, 'fund_postings is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER fund_postings_no_delete BEFORE DELETE ON fund_postings
BEGIN SELECT RAISE(ABORT, 'fund_postings is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER fund_postings_no_delete;
DROP TRIGGER fund_postings_no_update;
DROP TRIGGER fund_entries_no_delete;
DROP TRIGGER fund_entries_no_update;
DROP TABLE fund_idempotency;
DROP TABLE fund_overdrafts;
DROP TABLE fund_balances;
DROP TABLE fund_postings;
DROP TABLE fund_entries;
DROP TABLE fund_allocations;
