package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrNoOnlineBackup: the database is PostgreSQL, which is backed up with
// its own tools (pg_dump), not by Backup.
var ErrNoOnlineBackup = errors.New("PostgreSQL is backed up with pg_dump")

// Backup writes a consistent copy of a SQLite database to path, which
// must not exist, while other connections and processes go on reading and
// writing: VACUUM INTO copies the database as of one read transaction
// into a new, compact file. It runs on the read pool, so it never holds
// the write lock. A PostgreSQL database gives ErrNoOnlineBackup.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.d.name != "sqlite" {
		return ErrNoOnlineBackup
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup to %s: the file exists", path)
	}
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, db.mapErr(err))
	}
	return nil
}
