// Package store is the only package that speaks SQL. A *DB keeps
// Threshold's data in SQLite (embedded, the default: one file, no server)
// or PostgreSQL (for several users and servers), with the same schema in
// both, kept by versioned migrations, and implements the storage interfaces
// the domain packages declare.
//
// SQL is written once with ? placeholders; the PostgreSQL dialect rebinds
// them to $n. Times are stored in UTC; dates as YYYY-MM-DD text in SQLite
// and DATE in PostgreSQL, read back through one scanning helper. Driver
// errors never leave the package: callers see ErrNotFound and ErrConflict.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrDiskFull: the disk holding the database is full; nothing of the
	// failed write was committed.
	ErrDiskFull = errors.New("disk full")
)

// DB is a Threshold database. It is safe for concurrent use.
type DB struct {
	d     dialect
	write *sql.DB // all writes; one connection for SQLite, which has one writer
	read  *sql.DB // reads; may be the same pool as write
	url   string  // as given, for messages; passwords masked
}

// Open opens the database named by url: a postgres:// or postgresql:// URL,
// or else a SQLite file path (optionally prefixed sqlite: or file:). It does
// not migrate; call Migrate, or check with SchemaUpToDate.
func Open(ctx context.Context, url string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	if IsPostgres(url) {
		db, err = openPostgres(ctx, url)
	} else {
		db, err = openSQLite(ctx, url)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", MaskURL(url), err)
	}
	return db, nil
}

// IsPostgres reports whether url names a PostgreSQL database.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// Close closes the database.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// MaskURL hides the password in a database URL.
func MaskURL(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":xxxxx" + url[at:]
	}
	return url
}

// dialect holds what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// rebind rewrites ? placeholders for the driver.
	rebind func(query string) string
	// monthExpr, weekExpr format a date column as "2011-06" and "2011-W23".
	monthExpr, weekExpr func(col string) string
	// errorKind maps a driver error to ErrConflict or nil.
	conflict func(err error) bool
	// diskFull reports whether err says the database's disk is full.
	diskFull func(err error) bool
	// xactLock, run first in a write transaction with a lock key as its
	// one argument, makes other transactions that run it with the same
	// key wait until this one ends (PostgreSQL: an advisory transaction
	// lock). Empty where write transactions already exclude each other:
	// SQLite's one write connection with BEGIN IMMEDIATE.
	xactLock string
}

// rebindDollar turns ? placeholders into $1, $2, ... outside quoted
// strings.
func rebindDollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mapErr normalises driver errors.
func (db *DB) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case db.d.conflict(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case db.d.diskFull(err):
		return fmt.Errorf("%w: the disk holding the database %s is full (free space, then run again): %v", ErrDiskFull, MaskURL(db.url), err)
	}
	return err
}
