package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// A SQLite ingest into an empty events table drops the secondary indexes
// and builds them at its end. These tests check that they exist again
// however the ingest ends: finished, closed early, or killed.

// wantIndexes are the events indexes the migrations create, as SQLite
// stores them.
var wantIndexes = []string{
	"CREATE INDEX events_country_date ON events (country, date_start)",
	"CREATE INDEX events_date ON events (date_start)",
}

func eventIndexes(t *testing.T, path string) []string {
	t.Helper()
	return queryStrings(t, "sqlite", path, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name`)
}

func eventsBatch(start, n int) *ingest.Batch {
	b := &ingest.Batch{Block: ingest.Block{Offset: int64(start), Length: n, Data: gz(make([]byte, n))}}
	for i := range n {
		d := time.Date(2020, 1, 1+i%28, 0, 0, 0, 0, time.UTC)
		b.Records = append(b.Records, ingest.Record{
			Line: start + i + 2, Offset: int64(start + i), Length: 1, Hash: int64(start + i),
			Event: event.Event{
				Source: event.UCDPGED, SourceID: strconv.Itoa(start + i),
				DateStart: d, DateEnd: d, DatePrecision: event.Day,
				Country: "MEX", Category: event.Battle,
			},
		})
	}
	return b
}

func beginFile(t *testing.T, db *store.DB, name string) ingest.FileWriter {
	t.Helper()
	w, err := db.BeginFile(context.Background(), ingest.FileInfo{Name: name, SHA256: "sha-" + name, Format: "test", Separator: ","},
		ingest.WriteOptions{})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	return w
}

func TestMigrationsCreateTheDeferredIndexes(t *testing.T) {
	_, path := storetest.SQLite(t)
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("events indexes after Migrate = %q, want %q (a migration that changes them must change deferredIndexes)", got, wantIndexes)
	}
}

func TestFirstLoadBuildsIndexesAtFinish(t *testing.T) {
	ctx := context.Background()
	db, path := storetest.SQLite(t)
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
	if got := eventIndexes(t, path); len(got) != 0 {
		t.Errorf("indexes during a first load = %q, want none", got)
	}
	if err := w.Finish(ctx, total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("indexes after Finish = %q, want %q", got, wantIndexes)
	}

	// The table is no longer empty: the next file keeps the indexes.
	w = beginFile(t, db, "b.csv")
	defer w.Close()
	if _, err := w.Write(ctx, eventsBatch(100, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("indexes while loading into a filled table = %q, want %q", got, wantIndexes)
	}
}

func TestFirstLoadClosedEarlyBuildsIndexes(t *testing.T) {
	ctx := context.Background()
	db, path := storetest.SQLite(t)
	w := beginFile(t, db, "a.csv")
	if _, err := w.Write(ctx, eventsBatch(0, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("indexes after Close without Finish = %q, want %q", got, wantIndexes)
	}
	if n, err := db.CountEvents(ctx); err != nil || n != 10 {
		t.Errorf("CountEvents = %d, %v; want the 10 committed", n, err)
	}
}

func TestMigrateRepairsIndexesOfAKilledLoad(t *testing.T) {
	ctx := context.Background()
	db, path := storetest.SQLite(t)
	// The load's clock is an hour behind: its lease on the indexes has
	// lapsed by the time the store is opened again (lease_test.go).
	w := beginFileAt(t, db, "a.csv", func() time.Time { return time.Now().Add(-time.Hour) })
	if _, err := w.Write(ctx, eventsBatch(0, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// The process dies here: neither Finish nor Close runs.
	if got := eventIndexes(t, path); len(got) != 0 {
		t.Fatalf("indexes after a first batch = %q, want none", got)
	}
	db2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db2.Close()
	if _, err := db2.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("indexes after Migrate = %q, want %q", got, wantIndexes)
	}

	// Running the ingest again completes it.
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
}

func TestAtomicFirstLoadRollsBackTheDrop(t *testing.T) {
	ctx := context.Background()
	db, path := storetest.SQLite(t)
	w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "a.csv", SHA256: "sha", Format: "test", Separator: ","},
		ingest.WriteOptions{Atomic: true})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	if _, err := w.Write(ctx, eventsBatch(0, 10)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := eventIndexes(t, path); !slices.Equal(got, wantIndexes) {
		t.Errorf("indexes after a rolled-back atomic load = %q, want %q", got, wantIndexes)
	}
}

// TestFirstLoadRepeatedKeys: a first load looks nothing up on SQLite, so a
// key repeated in a later batch is found by its insert, which leaves the
// stored row alone; the writer then counts and updates it as a lookup
// would have, and counts the other rows of the same statement as inserted.
// Each case runs with and without the batches prepared on the decoding
// goroutines.
func TestFirstLoadRepeatedKeys(t *testing.T) {
	many := func(line int, from, n int) []row {
		var rs []row
		for i := range n {
			rs = append(rs, row{line: line + i, id: strconv.Itoa(from + i), deaths: "x", country: "MLI", date: day("2012-01-01")})
		}
		return rs
	}
	tests := []struct {
		name     string
		second   []row
		want     ingest.Counts // of both batches
		wantLine int           // where event 7 is stored from
		wantBest int
	}{
		{
			name:   "same row again",
			second: append(many(200, 100, 70), row{line: 300, id: "7", deaths: "xxx", country: "MLI", date: day("2012-01-01")}),
			want:   ingest.Counts{Read: 141, Inserted: 140, Unchanged: 1}, wantLine: 8, wantBest: 3,
		},
		{
			name:   "changed row",
			second: append(many(200, 100, 70), row{line: 300, id: "7", deaths: "xxx", salt: 1, country: "MLI", date: day("2012-01-01")}),
			want:   ingest.Counts{Read: 141, Inserted: 140, Updated: 1}, wantLine: 300, wantBest: 3,
		},
		{
			name:   "older release",
			second: []row{{line: 300, id: "7", deaths: "x", salt: 1, version: "19.1", country: "MLI", date: day("2012-01-01")}},
			want:   ingest.Counts{Read: 71, Inserted: 70, Unchanged: 1}, wantLine: 8, wantBest: 3,
		},
	}
	for _, tt := range tests {
		for _, prepare := range []bool{false, true} {
			t.Run(tt.name+"/prepared="+strconv.FormatBool(prepare), func(t *testing.T) {
				storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
					ctx := context.Background()
					first := many(2, 1, 70)
					first[6] = row{line: 8, id: "7", deaths: "xxx", version: "21.1", country: "MLI", date: day("2012-01-01")}
					w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "f.csv", SHA256: "f", Format: "test", Separator: ","},
						ingest.WriteOptions{})
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					var total ingest.Counts
					for _, b := range []*ingest.Batch{batch(0, first...), batch(10000, tt.second...)} {
						if p, ok := w.(ingest.Preparer); ok && prepare {
							p.Prepare(b)
						}
						c, err := w.Write(ctx, b)
						if err != nil {
							t.Fatal(err)
						}
						total.Add(c)
					}
					if err := w.Finish(ctx, total); err != nil {
						t.Fatal(err)
					}
					if total != tt.want {
						t.Errorf("counts = %+v, want %+v", total, tt.want)
					}
					n, err := db.CountEvents(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if n != tt.want.Inserted {
						t.Errorf("%d events stored, want %d", n, tt.want.Inserted)
					}
					e, err := db.Event(ctx, event.Key{Source: event.UCDPGED, SourceID: "7"})
					if err != nil {
						t.Fatal(err)
					}
					if e.Line != tt.wantLine || *e.Fatalities.Best != tt.wantBest {
						t.Errorf("event 7 from line %d with %d deaths, want line %d with %d", e.Line, *e.Fatalities.Best, tt.wantLine, tt.wantBest)
					}
				})
			})
		}
	}
}
