package store

import "database/sql"

// QueuePool returns what a job queue that keeps its own tables in this
// database (package queue's River client) needs to reach it: on
// SQLite the write pool, whose one connection every writer shares, so that
// the queue and the store never hold two write locks on one file and
// never see SQLITE_BUSY; on PostgreSQL the URL, from which the queue opens
// a pool of its own (River's PostgreSQL driver needs pgx's, not
// database/sql's, and LISTEN/NOTIFY). Exactly one of the two is set.
func (db *DB) QueuePool() (sqlite *sql.DB, postgresURL string) {
	if db.d.name == "postgres" {
		return nil, db.url
	}
	return db.write, ""
}
