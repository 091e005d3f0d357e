-- +goose Up
-- The lease of an ingest that dropped the events table's deferred indexes
-- and its foreign key for a first load: until this instant other
-- processes leave them missing rather than build them under the running
-- load. NULL when the file's writer holds no such lease. See
-- store.indexLease.
ALTER TABLE ingest_files ADD COLUMN indexes_deferred_until TIMESTAMPTZ;

-- +goose Down
ALTER TABLE ingest_files DROP COLUMN indexes_deferred_until;
