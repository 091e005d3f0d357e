package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// On PostgreSQL too, an ingest into an empty events table drops the
// secondary indexes at its first batch and builds them at its end.

// wantPostgresIndexes are the deferred events indexes as pg_indexes
// states them, without the schema.
var wantPostgresIndexes = []string{
	"events_country_date USING btree (country, date_start)",
	"events_date USING btree (date_start)",
}

func postgresEventIndexes(t *testing.T, url string) []string {
	t.Helper()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT indexname || substring(indexdef from ' USING .*$') FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'events' AND indexname IN ('events_country_date', 'events_date')
		ORDER BY indexname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPostgresFirstLoadDefersIndexes(t *testing.T) {
	ctx := context.Background()
	db, url := storetest.Postgres(t)
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Fatalf("events indexes after Migrate = %q, want %q (a migration that changes them must change deferredIndexes)", got, wantPostgresIndexes)
	}
	w := beginFile(t, db, "a.csv")
	defer w.Close()
	var total ingest.Counts
	for i := range 3 {
		c, err := w.Write(ctx, eventsBatch(i*10, 10))
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		total.Add(c)
	}
	if got := postgresEventIndexes(t, url); len(got) != 0 {
		t.Errorf("indexes during a first load = %q, want none", got)
	}
	if err := w.Finish(ctx, total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after Finish = %q, want %q", got, wantPostgresIndexes)
	}
	if want := (ingest.Counts{Read: 30, Inserted: 30}); total != want {
		t.Errorf("counts = %+v, want %+v", total, want)
	}

	// The table is no longer empty: the next file keeps the indexes, and
	// the same rows again change nothing.
	w = beginFile(t, db, "b.csv")
	defer w.Close()
	c, err := w.Write(ctx, eventsBatch(0, 10))
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if want := (ingest.Counts{Read: 10, Unchanged: 10}); c != want {
		t.Errorf("counts of a repeated batch = %+v, want %+v", c, want)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes while loading into a filled table = %q, want %q", got, wantPostgresIndexes)
	}
}

func TestPostgresKilledFirstLoadIndexesComeBack(t *testing.T) {
	ctx := context.Background()
	db, url := storetest.Postgres(t)
	w := beginFile(t, db, "a.csv")
	if _, err := w.Write(ctx, eventsBatch(0, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// The process dies here: neither Finish nor Close runs. The next
	// Open builds the indexes.
	if got := postgresEventIndexes(t, url); len(got) != 0 {
		t.Fatalf("indexes after a first batch = %q, want none", got)
	}
	db2, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db2.Close()
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after Open = %q, want %q", got, wantPostgresIndexes)
	}
	w2 := beginFile(t, db2, "a.csv")
	defer w2.Close()
	var total ingest.Counts
	for i := range 2 {
		c, err := w2.Write(ctx, eventsBatch(i*10, 10))
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		total.Add(c)
	}
	if err := w2.Finish(ctx, total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if want := (ingest.Counts{Read: 20, Inserted: 10, Unchanged: 10}); total != want {
		t.Errorf("counts of the second run = %+v, want %+v", total, want)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after the second run = %q, want %q", got, wantPostgresIndexes)
	}
	if n, err := db2.CountEvents(ctx); err != nil || n != 20 {
		t.Errorf("CountEvents = %d, %v; want 20", n, err)
	}
}

func TestPostgresAtomicFirstLoadRollsBackTheDrop(t *testing.T) {
	ctx := context.Background()
	db, url := storetest.Postgres(t)
	w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "a.csv", SHA256: "sha", Format: "test", Separator: ","},
		ingest.WriteOptions{Atomic: true})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	for i := range 2 { // two batches in one transaction: the stage is emptied between them
		if _, err := w.Write(ctx, eventsBatch(i*10, 10)); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after a rolled-back atomic load = %q, want %q", got, wantPostgresIndexes)
	}
	if n, err := db.CountEvents(ctx); err != nil || n != 0 {
		t.Errorf("CountEvents = %d, %v; want 0", n, err)
	}
}
