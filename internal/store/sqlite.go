package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas are set on every connection. busy_timeout must come first
// so that WAL setup waits for a lock instead of failing.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(NORMAL)"

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
	w, err := sql.Open("sqlite", u+"&_txlock=immediate")
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
	}
}
