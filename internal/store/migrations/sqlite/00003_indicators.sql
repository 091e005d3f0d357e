-- +goose Up
-- Indicators (package indicator): one value per place, period and name.
-- Values are sparse; see the indicator package doc for names and meaning.
CREATE TABLE indicators (
    country      TEXT    NOT NULL,            -- ISO 3166-1 alpha-3
    admin1       TEXT    NOT NULL DEFAULT '', -- '' for the whole country
    period_kind  TEXT    NOT NULL,            -- day, week (ISO) or month
    period_start TEXT    NOT NULL,            -- YYYY-MM-DD, the period's first day
    name         TEXT    NOT NULL,
    value        REAL    NOT NULL,
    PRIMARY KEY (country, admin1, period_kind, period_start, name)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE indicators;
