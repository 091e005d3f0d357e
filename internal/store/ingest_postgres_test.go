package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"threshold/internal/event"
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
	return queryStrings(t, "pgx", url, `SELECT indexname || substring(indexdef from ' USING .*$') FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'events' AND indexname IN ('events_country_date', 'events_date')
		ORDER BY indexname`)
}

// postgresFileKey returns the definition of the events table's foreign
// key to ingest_files and whether it is validated, or "" if it has none.
func postgresFileKey(t *testing.T, url string) string {
	t.Helper()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var def string
	var valid bool
	err = raw.QueryRow(`SELECT pg_get_constraintdef(oid), convalidated FROM pg_constraint
		WHERE conrelid = to_regclass('events') AND contype = 'f'`).Scan(&def, &valid)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	if !valid {
		def += " NOT VALID"
	}
	return def
}

const wantFileKey = "FOREIGN KEY (file_id) REFERENCES ingest_files(id)"

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
	if got := postgresFileKey(t, url); got != "" {
		t.Errorf("foreign key during a first load = %q, want none", got)
	}
	if err := w.Finish(ctx, total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after Finish = %q, want %q", got, wantPostgresIndexes)
	}
	if got := postgresFileKey(t, url); got != wantFileKey {
		t.Errorf("foreign key after Finish = %q, want %q", got, wantFileKey)
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
	// The load's clock is an hour behind: its lease on the indexes has
	// lapsed by the time the store is opened again (lease_test.go).
	w := beginFileAt(t, db, "a.csv", func() time.Time { return time.Now().Add(-time.Hour) })
	if _, err := w.Write(ctx, eventsBatch(0, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// The process dies here: neither Finish nor Close runs. The next
	// Migrate builds the indexes.
	if got := postgresEventIndexes(t, url); len(got) != 0 {
		t.Fatalf("indexes after a first batch = %q, want none", got)
	}
	if got := postgresFileKey(t, url); got != "" {
		t.Fatalf("foreign key after a first batch = %q, want none", got)
	}
	db2, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db2.Close()
	if _, err := db2.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if got := postgresEventIndexes(t, url); !slices.Equal(got, wantPostgresIndexes) {
		t.Errorf("indexes after Migrate = %q, want %q", got, wantPostgresIndexes)
	}
	if got := postgresFileKey(t, url); got != wantFileKey {
		t.Errorf("foreign key after Migrate = %q, want %q", got, wantFileKey)
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
	if got := postgresFileKey(t, url); got != wantFileKey {
		t.Errorf("foreign key after a rolled-back atomic load = %q, want %q", got, wantFileKey)
	}
	if n, err := db.CountEvents(ctx); err != nil || n != 0 {
		t.Errorf("CountEvents = %d, %v; want 0", n, err)
	}
}

// A writer that found the source empty copies rows it has not seen
// straight into events. When another writer stored some of those keys
// since, the COPY fails on the unique key and the batch goes through the
// staging table instead, which skips them: no error, no duplicate, and the
// other writer's events stay as it stored them.
func TestPostgresCopyFallsBackWhenAnotherWriterStoredTheKeys(t *testing.T) {
	ctx := context.Background()
	db, url := storetest.Postgres(t)
	w1 := beginFile(t, db, "a.csv")
	defer w1.Close()
	if _, err := w1.Write(ctx, eventsBatch(0, 10)); err != nil { // w1 finds the source empty
		t.Fatalf("Write: %v", err)
	}
	w2 := beginFile(t, db, "b.csv")
	defer w2.Close()
	if _, err := w2.Write(ctx, eventsBatch(10, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	b := eventsBatch(10, 20) // keys 10..19 are w2's, 20..29 new
	for i := range b.Records {
		b.Records[i].Hash += 1000 // another version, which w1 does not compare
	}
	c, err := w1.Write(ctx, b)
	if err != nil {
		t.Fatalf("Write of keys another writer stored: %v", err)
	}
	if want := (ingest.Counts{Read: 20, Inserted: 20}); c != want {
		t.Errorf("counts = %+v, want %+v (as ON CONFLICT DO NOTHING reported them)", c, want)
	}
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n, fromB, dup int
	err = raw.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE f.name = 'b.csv' AND e.source_id::int BETWEEN 10 AND 19),
		COUNT(*) - COUNT(DISTINCT (e.source, e.source_id)) FROM events e JOIN ingest_files f ON f.id = e.file_id`).Scan(&n, &fromB, &dup)
	if err != nil {
		t.Fatal(err)
	}
	if n != 30 || fromB != 10 || dup != 0 {
		t.Errorf("events = %d, of b.csv %d, duplicates %d; want 30, 10, 0", n, fromB, dup)
	}
}

// The batch is encoded here in COPY's binary format: every column must
// read back as it was given, NULLs, dates before 2000, negative numbers,
// booleans and non-ASCII text included.
func TestPostgresCopyEncodesEveryColumn(t *testing.T) {
	ctx := context.Background()
	db, url := storetest.Postgres(t)
	f := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	full := event.Event{
		Source: event.UCDPGED, SourceID: "1", Version: "23.1",
		DateStart: time.Date(1989, 1, 2, 0, 0, 0, 0, time.UTC), DateEnd: time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC),
		DatePrecision: event.Day, Country: "CIV", Admin1: "Lagunes", Place: "Abidjan – Yopougon, «Ébrié»",
		Latitude: f(-5.3364), Longitude: f(-4.0267), GeoPrecision: 2, Category: event.Battle,
		SourceType: "1", SourceSubType: "x", QuadClass: 4, Actor1: "A", Actor2: "B",
		Fatalities: event.Fatalities{Best: n(-1), Low: n(0), High: n(2147483647)},
		Goldstein:  f(-10), Tone: f(3.25e-7), Electoral: true, SourceRef: "ref",
	}
	bare := event.Event{Source: event.UCDPGED, SourceID: "2", DateStart: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		DateEnd: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), DatePrecision: event.Day, Country: "MEX", Category: event.Battle}
	b := &ingest.Batch{Block: ingest.Block{Offset: 0, Length: 2, Data: gz([]byte("ab"))}, Records: []ingest.Record{
		{Line: 2, Offset: 0, Length: 1, Hash: -9223372036854775808, Event: full},
		{Line: 3, Offset: 1, Length: 1, Hash: 9223372036854775807, Event: bare},
	}}
	stamp := time.Date(2026, 11, 26, 6, 55, 1, 123456000, time.UTC)
	w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "a.csv", SHA256: "sha", Format: "test", Separator: ","},
		ingest.WriteOptions{Now: func() time.Time { return stamp }})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	defer w.Close()
	if _, err := w.Write(ctx, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := queryStrings(t, "pgx", url, `SELECT concat_ws('|', source, source_id, source_version, date_start, date_end, date_precision,
		country, admin1, place, coalesce(latitude::text, 'NULL'), coalesce(longitude::text, 'NULL'), geo_precision, category,
		source_type, source_subtype, quad_class, actor1, actor2, coalesce(fatalities_best::text, 'NULL'),
		coalesce(fatalities_low::text, 'NULL'), coalesce(fatalities_high::text, 'NULL'), coalesce(goldstein::text, 'NULL'),
		coalesce(tone::text, 'NULL'), electoral, source_ref, raw_hash, line, raw_offset, raw_length,
		first_ingested AT TIME ZONE 'UTC', last_changed AT TIME ZONE 'UTC') FROM events ORDER BY source_id`)
	want := []string{
		fmt.Sprintf("ucdp-ged|1|23.1|1989-01-02|2031-12-31|%d|CIV|Lagunes|Abidjan – Yopougon, «Ébrié»|-5.3364|-4.0267|2|%s|1|x|4|A|B|-1|0|2147483647|-10|3.25e-07|t|ref|-9223372036854775808|2|0|1|2026-11-26 06:55:01.123456|2026-11-26 06:55:01.123456",
			event.Day, event.Battle),
		fmt.Sprintf("ucdp-ged|2||2000-01-01|2000-01-01|%d|MEX|||NULL|NULL|0|%s|||0|||NULL|NULL|NULL|NULL|NULL|f||9223372036854775807|3|1|1|2026-11-26 06:55:01.123456|2026-11-26 06:55:01.123456",
			event.Day, event.Battle),
	}
	if !slices.Equal(got, want) {
		t.Errorf("stored rows:\n%s\nwant:\n%s", got, want)
	}
}

// The blocks of rows come gzip-compressed: PostgreSQL stores them without
// trying to compress them again (migration 00016).
func TestPostgresBlocksStoredWithoutRecompression(t *testing.T) {
	_, url := storetest.Postgres(t)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var storage string
	err = raw.QueryRow(`SELECT attstorage FROM pg_attribute WHERE attrelid = to_regclass('ingest_blocks') AND attname = 'data'`).Scan(&storage)
	if err != nil {
		t.Fatal(err)
	}
	if storage != "e" {
		t.Errorf("ingest_blocks.data storage = %q, want %q (EXTERNAL)", storage, "e")
	}
}
