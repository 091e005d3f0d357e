-- +goose Up
-- Forecasts (package forecast, 'threshold forecast run'): one row per
-- place, target, month forecast and horizon, from one model version on the
-- data up to cutoff. A re-run on the same data and version replaces its
-- rows; a new cut-off or version adds rows, so past forecasts stay beside
-- what happened.
CREATE TABLE forecasts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target        TEXT    NOT NULL CHECK (target IN ('active', 'onset', 'fatalities')),
    unit          TEXT    NOT NULL CHECK (unit IN ('country-month', 'admin1-month')),
    country       TEXT    NOT NULL,
    admin1        TEXT    NOT NULL DEFAULT '',   -- '' for the whole country
    period_start  DATE    NOT NULL,              -- the month forecast
    period_end    DATE    NOT NULL,
    horizon       INTEGER NOT NULL,              -- months after the cut-off's month
    cutoff        DATE    NOT NULL,              -- the last day of data used
    model         TEXT    NOT NULL,
    model_version TEXT    NOT NULL,
    probability   DOUBLE PRECISION,                          -- active and onset; NULL for fatalities
    mean          DOUBLE PRECISION,                          -- fatalities: the predictive mean
    lo80          DOUBLE PRECISION,                          -- fatalities: the 80% interval
    hi80          DOUBLE PRECISION,
    factors       TEXT    NOT NULL DEFAULT '[]', -- JSON array of forecast.Factor
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX forecasts_key ON forecasts (target, unit, country, admin1, period_start, horizon, cutoff, model_version);
CREATE INDEX forecasts_latest ON forecasts (target, cutoff, country);

-- +goose Down
DROP TABLE forecasts;
