package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"threshold/internal/ingest"
	"threshold/internal/store"
)

// TestServeRepairsIndexes: a server started without --migrate on a
// database whose events indexes a killed first load left missing (no
// lease live) builds them, as Migrate would.
func TestServeRepairsIndexes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Files(ctx, db, []string{carFile(t)}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func() int {
		t.Helper()
		var n int
		err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('events_country_date', 'events_date')`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, ix := range []string{"events_country_date", "events_date"} {
		if _, err := raw.ExecContext(ctx, `DROP INDEX `+ix); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("%d indexes left after dropping both", n)
	}
	started(t, Options{DB: path})
	if n := count(); n != 2 {
		t.Errorf("after the server started, %d of the 2 events indexes exist; want both rebuilt", n)
	}
}
