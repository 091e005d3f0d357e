-- +goose Up
-- Forecasts (package forecast, 'threshold forecast run'): one row per
-- place, target, month forecast and horizon, from one model version on the
-- data up to cutoff. A re-run on the same data and version replaces its
-- rows; a new cut-off or version adds rows, so past forecasts stay beside
-- what happened.
CREATE TABLE forecasts (
    id            INTEGER PRIMARY KEY,
    target        TEXT    NOT NULL CHECK (target IN ('active', 'onset', 'fatalities')),
    unit          TEXT    NOT NULL CHECK (unit IN ('country-month', 'admin1-month')),
    country       TEXT    NOT NULL,
    admin1        TEXT    NOT NULL DEFAULT '',   -- '' for the whole country
    period_start  TEXT    NOT NULL,              -- YYYY-MM-DD, the month forecast
    period_end    TEXT    NOT NULL,
    horizon       INTEGER NOT NULL,              -- months after the cut-off's month
    cutoff        TEXT    NOT NULL,              -- YYYY-MM-DD, the last day of data used
    model         TEXT    NOT NULL,
    model_version TEXT    NOT NULL,
    probability   REAL,                          -- active and onset; NULL for fatalities
    mean          REAL,                          -- fatalities: the predictive mean
    lo80          REAL,                          -- fatalities: the 80% interval
    hi80          REAL,
    factors       TEXT    NOT NULL DEFAULT '[]', -- JSON array of forecast.Factor
    created_at    TEXT    NOT NULL               -- RFC 3339 UTC
);
CREATE UNIQUE INDEX forecasts_key ON forecasts (target, unit, country, admin1, period_start, horizon, cutoff, model_version);
CREATE INDEX forecasts_latest ON forecasts (target, cutoff, country);

-- +goose Down
DROP TABLE forecasts;
