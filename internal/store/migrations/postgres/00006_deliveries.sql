-- +goose Up
-- The delivery log: one row per step of delivering one alert message to
-- one webhook or mailbox (queued, then one row per attempt: delivered,
-- retrying or failed). delivery_id is the stable id of the delivery (a
-- hash of alert, message event, receiver, channel and target), the same
-- in every row of one delivery and sent to webhooks as
-- X-Threshold-Delivery. The queue itself is River's (river_* tables,
-- migrated by the notify package).
CREATE TABLE deliveries (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    BIGINT      NOT NULL,
    delivery_id TEXT        NOT NULL,
    event       TEXT        NOT NULL,
    receiver    TEXT        NOT NULL,
    channel     TEXT        NOT NULL CHECK (channel IN ('webhook', 'email')),
    target      TEXT        NOT NULL,
    attempt     INTEGER     NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('queued', 'delivered', 'retrying', 'failed')),
    http_status INTEGER     NOT NULL DEFAULT 0,
    error       TEXT        NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX deliveries_alert ON deliveries (alert_id, id);
CREATE INDEX deliveries_delivery ON deliveries (delivery_id, status);

-- +goose Down
DROP TABLE deliveries;
