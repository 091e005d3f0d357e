// Package storetest opens migrated databases for tests: a SQLite file in
// t.TempDir, always, and a PostgreSQL schema of its own per test when
// THRESHOLD_TEST_POSTGRES_URL names a server. Store tests run one body
// against both with ForEach.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// PostgresURLEnv names the environment variable holding the PostgreSQL
// server URL tests use, e.g. postgres://postgres@127.0.0.1:5432/test.
const PostgresURLEnv = "THRESHOLD_TEST_POSTGRES_URL"

// SQLite returns a migrated SQLite database in a fresh temporary file, and
// its URL.
func SQLite(t testing.TB) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "threshold.db")
	return open(t, path), path
}

// Postgres returns a migrated database in a new, empty PostgreSQL schema
// that is dropped when the test ends, and a URL that opens it. Without
// THRESHOLD_TEST_POSTGRES_URL the test is skipped (or failed, see
// testenv.RequireAll).
func Postgres(t testing.TB) (*store.DB, string) {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		testenv.Unavailable(t, PostgresURLEnv+" is not set: PostgreSQL store tests need a server, e.g. "+
			PostgresURLEnv+"=postgres://postgres@127.0.0.1:5432/test")
		return nil, ""
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", store.MaskURL(base), err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(t, u.String()), u.String()
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// ForEach runs fn as a subtest against each database: "sqlite" and
// "postgres".
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		db, u := SQLite(t)
		fn(t, db, u)
	})
	t.Run("postgres", func(t *testing.T) {
		db, u := Postgres(t)
		fn(t, db, u)
	})
}
