package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory per dialect, with identical version
// lists (a test checks this): migrations/sqlite/00001_events.sql and
// migrations/postgres/00001_events.sql are the same change.
//
//go:embed migrations
var migrations embed.FS

// migrationLockID is the PostgreSQL advisory lock that serialises
// migrations when several servers start at once.
const migrationLockID = 0x7468726573686f6c // "threshol"

// provider returns goose's provider over the dialect's migrations. With
// locked it takes PostgreSQL's migration lock (a session advisory lock shared
// by every process on the server) around each call: Migrate needs it;
// reading the schema version does not, and must not wait for another
// process's migration (a readiness check would time out).
func (db *DB) provider(locked bool) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+db.d.name)
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.d.name == "postgres" {
		dialect = goose.DialectPostgres
	}
	if db.d.name == "postgres" && locked {
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.write, sub, opts...)
}

// Migrate brings the schema up to date, each migration in its own
// transaction. It is safe to run from several processes at once. Then it
// builds the events indexes a first load killed before its end left
// missing (repairIndexes), unless a running load holds them off: Open
// does not, so that opening a store never builds indexes under another
// process's load, and so that the repair reads a schema it knows.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := db.provider(true)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []string
	for _, r := range res {
		applied = append(applied, r.Source.Path)
	}
	if err := db.RepairIndexes(ctx); err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// RepairIndexes builds the events indexes that a first load killed
// before its end left missing, unless another load's lease on them is
// live (see indexLease); it does nothing when none is missing. Migrate
// calls it; a server that does not migrate calls it at start. The schema
// must be current. On a full disk the indexes wait for the next call:
// without them queries are slower, not wrong, and the data stays
// readable.
func (db *DB) RepairIndexes(ctx context.Context) error {
	if err := db.repairIndexes(ctx, time.Now()); err != nil && !db.d.diskFull(err) {
		return err
	}
	return nil
}

// SchemaVersion returns the applied and the latest known schema versions.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider(false)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}
