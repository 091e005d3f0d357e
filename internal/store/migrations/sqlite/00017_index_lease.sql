-- +goose Up
-- The lease of an ingest that dropped the events table's deferred indexes
-- for a first load: until this instant (sortable RFC 3339 text, as every
-- SQLite timestamp here) other processes leave the indexes missing rather
-- than build them under the running load. NULL when the file's writer
-- holds no such lease. See store.indexLease.
ALTER TABLE ingest_files ADD COLUMN indexes_deferred_until TEXT;

-- +goose Down
ALTER TABLE ingest_files DROP COLUMN indexes_deferred_until;
