package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas are set on every connection. busy_timeout must come first
// so that WAL setup waits for a lock instead of failing.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(NORMAL)"

// sqliteWritePragmas are set on the write connection in addition. A page
// cache of 16 MiB (against SQLite's 2 MiB default) holds the indexes an
// ingest inserts into at random, so that it does not read their pages
// back from the file again and again. A larger one costs more than it
// saves with the pure-Go driver: every cached page is an allocation that
// is freed one by one (with an madvise) when the connection closes, and
// an ingest fills the cache with table pages it never reads again.
// Ingesting GED's 175,322 rows took 4.1-5.0 s of CPU and 0.7-1.1 s more
// to close with 64 MiB, 3.6-3.7 s and 0.26 s with 16 MiB.
const sqliteWritePragmas = "&_pragma=cache_size(-16384)"

func openSQLite(ctx context.Context, dsn string) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	path = strings.TrimPrefix(path, "//")
	if path == "" {
		return nil, errors.New("empty database path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
	}
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	// One connection writes; SQLite allows a single writer, and
	// _txlock=immediate takes the write lock at BEGIN so that two writers
	// queue instead of failing on upgrade.
	w, err := sql.Open("sqlite", u+sqliteWritePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", u)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4) // database/sql keeps 2 by default: under load the others would be reopened per query
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	return &DB{d: sqliteDialect(), write: w, read: r, url: dsn}, nil
}

func sqliteDialect() dialect {
	return dialect{
		name:      "sqlite",
		rebind:    func(q string) string { return q },
		monthExpr: func(col string) string { return fmt.Sprintf("substr(%s, 1, 7)", col) },
		weekExpr:  func(col string) string { return fmt.Sprintf("strftime('%%G-W%%V', %s)", col) },
		conflict: func(err error) bool {
			var se *sqlite.Error
			if errors.As(err, &se) {
				switch se.Code() {
				case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
					return true
				}
			}
			return false
		},
		diskFull: func(err error) bool {
			var se *sqlite.Error
			return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
		},
	}
}

// deferredIndexes are the secondary indexes on events that an ingest into
// an empty events table drops at its first batch and builds at its end:
// building an index from one sorted scan costs much less than inserting
// every row into it at random, and committing the pages that touches, batch
// after batch. Their definitions are exactly those of the migrations: one
// whose stored definition differs is never dropped, and a migration that
// changes or drops one must change this list (a test checks it), since
// Migrate builds any that are missing (repairIndexes).
var deferredIndexes = []struct{ name, on string }{
	{"events_country_date", "events (country, date_start)"},
	{"events_date", "events (date_start)"},
}

// dropDeferredIndexes drops deferredIndexes if the events table is empty
// and reports whether it did.
func dropDeferredIndexes(ctx context.Context, tx *sql.Tx) (bool, error) {
	var empty bool
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM events)`).Scan(&empty); err != nil {
		return false, fmt.Errorf("check events: %w", err)
	}
	if !empty {
		return false, nil
	}
	for _, ix := range deferredIndexes {
		var def string
		err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?`, ix.name).Scan(&def)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("read index %s: %w", ix.name, err)
		}
		if def != "CREATE INDEX "+ix.name+" ON "+ix.on {
			return false, nil
		}
	}
	for _, ix := range deferredIndexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS `+ix.name); err != nil {
			return false, fmt.Errorf("drop index %s: %w", ix.name, err)
		}
	}
	return true, nil
}

// buildDeferredIndexes builds those of deferredIndexes that are missing.
// SQLite's sorter may use helper threads meanwhile (PRAGMA threads, off by
// default), up to one per other processor, so that an ingest's last step
// uses the second core too: building the two indexes over 10^6 synthetic
// GDELT events took 0.87-1.30 s of the writing thread's CPU with one
// helper, 1.32-1.45 s without (about 1.9 s and 1.4 s of the process's in
// all; loaded machine). The setting is the connection's, so it is put back.
func buildDeferredIndexes(ctx context.Context, tx *sql.Tx) (err error) {
	if n := min(runtime.GOMAXPROCS(0)-1, 4); n > 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA threads = %d", n)); err != nil {
			return fmt.Errorf("build indexes: %w", err)
		}
		defer func() {
			if _, e := tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA threads = 0"); e != nil && err == nil {
				err = fmt.Errorf("build indexes: %w", e)
			}
		}()
	}
	for _, ix := range deferredIndexes {
		if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS `+ix.name+` ON `+ix.on); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
	}
	return nil
}

// missingDeferredIndexes reports whether one of deferredIndexes is
// missing.
func missingDeferredIndexes(ctx context.Context, q querier) (bool, error) {
	args := []any{}
	for _, ix := range deferredIndexes {
		args = append(args, ix.name)
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name IN (`+
		placeholders(len(args))+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check indexes: %w", err)
	}
	return n < len(deferredIndexes), nil
}
