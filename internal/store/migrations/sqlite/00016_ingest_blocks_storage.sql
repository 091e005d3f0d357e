-- +goose Up
-- PostgreSQL stores ingest_blocks.data without compressing it again
-- (postgres/00016); SQLite never compresses. Kept so that both dialects
-- have the same version list.
SELECT 1;

-- +goose Down
SELECT 1;
