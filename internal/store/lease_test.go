package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// A first load holds a lease on the indexes it dropped: until it lapses,
// no other process builds them under the load, neither Migrate (which
// repairs what a killed load left) nor the Finish of another file.

// indexLease is store.indexLease, which tests outside the package cannot
// see.
const indexLease = 2 * time.Minute

func beginFileAt(t *testing.T, db *store.DB, name string, now func() time.Time) ingest.FileWriter {
	t.Helper()
	w, err := db.BeginFile(context.Background(), ingest.FileInfo{Name: name, SHA256: "sha-" + name, Format: "test", Separator: ","},
		ingest.WriteOptions{Now: now})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	return w
}

// indexesBuilt reports whether the events table has its deferred indexes
// (and on PostgreSQL its foreign key to ingest_files): true for all,
// false for none; a mix fails the test.
func indexesBuilt(t *testing.T, db *store.DB, url string) bool {
	t.Helper()
	var got, want []string
	if db.Dialect() == "sqlite" {
		got, want = eventIndexes(t, url), wantIndexes
	} else {
		got, want = postgresEventIndexes(t, url), wantPostgresIndexes
		if key := postgresFileKey(t, url); key != "" {
			got = append(got, key)
		}
		want = append(slices.Clone(want), wantFileKey)
	}
	switch {
	case slices.Equal(got, want):
		return true
	case len(got) == 0:
		return false
	}
	t.Fatalf("events indexes = %q, want all of %q or none", got, want)
	return false
}

// lease returns the file name's lease on the deferred indexes, the zero
// time if it holds none, and whether the file is marked completed.
func lease(t *testing.T, db *store.DB, url, name string) (until time.Time, completed bool) {
	t.Helper()
	driver, arg := "sqlite", "?"
	if db.Dialect() == "postgres" {
		driver, arg = "pgx", "$1"
	}
	raw, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v any
	q := `SELECT indexes_deferred_until, completed_at IS NOT NULL FROM ingest_files WHERE name = ` + arg
	if err := raw.QueryRow(q, name).Scan(&v, &completed); err != nil {
		t.Fatalf("lease of %s: %v", name, err)
	}
	switch v := v.(type) {
	case nil:
	case time.Time:
		until = v.UTC()
	case string:
		if until, err = time.Parse(time.RFC3339Nano, v); err != nil {
			t.Fatalf("lease of %s: %v", name, err)
		}
	default:
		t.Fatalf("lease of %s is a %T", name, v)
	}
	return until, completed
}

func mustWrite(t *testing.T, w ingest.FileWriter, b *ingest.Batch) ingest.Counts {
	t.Helper()
	c, err := w.Write(context.Background(), b)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return c
}

func TestIndexLease(t *testing.T) {
	live := time.Now
	lapsed := func() time.Time { return time.Now().Add(-time.Hour) } // the lease ended 58 minutes ago
	tests := []struct {
		name string
		// clock is the first load's; it writes one batch and stops
		// there, running or killed.
		clock func() time.Time
		// then runs on a second handle to the same store.
		then      func(t *testing.T, db2 *store.DB)
		wantBuilt bool
	}{
		{name: "live lease, another process migrates", clock: live, then: migrate, wantBuilt: false},
		{name: "live lease, another file finishes", clock: live, then: finishOther, wantBuilt: false},
		{name: "live lease, the same file runs again", clock: live, then: finishSame, wantBuilt: true},
		{name: "lapsed lease, another process migrates", clock: lapsed, then: migrate, wantBuilt: true},
		{name: "lapsed lease, another file finishes", clock: lapsed, then: finishOther, wantBuilt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
				ctx := context.Background()
				w := beginFileAt(t, db, "a.csv", tt.clock)
				total := mustWrite(t, w, eventsBatch(0, 10))
				if indexesBuilt(t, db, url) {
					t.Fatal("a first load's first batch left the indexes in place")
				}
				held, _ := lease(t, db, url, "a.csv")
				if d := held.Sub(tt.clock()); d < indexLease-time.Minute || d > indexLease {
					t.Fatalf("the first batch set a lease until %v, %v after the load's clock; want about %v", held, d, indexLease)
				}

				db2, err := store.Open(ctx, url)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer db2.Close()
				if indexesBuilt(t, db, url) {
					t.Fatal("Open built the indexes")
				}
				tt.then(t, db2)
				if got := indexesBuilt(t, db, url); got != tt.wantBuilt {
					t.Fatalf("indexes built after the second handle's work: %v, want %v", got, tt.wantBuilt)
				}
				if tt.wantBuilt {
					return
				}
				if got, done := lease(t, db, url, "a.csv"); !got.Equal(held) || done {
					t.Errorf("the first load's lease is %v (completed %v), want %v as it set it, not completed", got, done, held)
				}

				// The first load goes on and builds them at its end.
				total.Add(mustWrite(t, w, eventsBatch(10, 10)))
				if indexesBuilt(t, db, url) {
					t.Fatal("a first load's second batch built the indexes")
				}
				if err := w.Finish(ctx, total); err != nil {
					t.Fatalf("Finish: %v", err)
				}
				if !indexesBuilt(t, db, url) {
					t.Error("the first load's Finish left the indexes missing")
				}
				if got, done := lease(t, db, url, "a.csv"); !got.IsZero() || !done {
					t.Errorf("after Finish the lease is %v (completed %v), want none, completed", got, done)
				}
			})
		})
	}
}

// migrate migrates db, as every command does after Open.
func migrate(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// finishOther ingests another file, which finds events stored and drops
// nothing.
func finishOther(t *testing.T, db *store.DB) {
	t.Helper()
	migrate(t, db)
	w := beginFile(t, db, "b.csv")
	defer w.Close()
	c := mustWrite(t, w, eventsBatch(100, 10))
	if c.Inserted != 10 {
		t.Fatalf("another file inserted %d events, want 10", c.Inserted)
	}
	if err := w.Finish(context.Background(), c); err != nil {
		t.Fatalf("Finish: %v", err)
	}
}

// finishSame ingests the first file again, as after a kill: its own
// lease does not hold it off.
func finishSame(t *testing.T, db *store.DB) {
	t.Helper()
	migrate(t, db)
	w := beginFile(t, db, "a.csv")
	defer w.Close()
	total := mustWrite(t, w, eventsBatch(0, 10))
	total.Add(mustWrite(t, w, eventsBatch(10, 10)))
	if want := (ingest.Counts{Read: 20, Inserted: 10, Unchanged: 10}); total != want {
		t.Fatalf("counts of the second run = %+v, want %+v", total, want)
	}
	if err := w.Finish(context.Background(), total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
}

// TestLapsedLeaseMigrateChangesOnlyIndexes: the repair builds what a
// killed load left missing and touches nothing else: the file stays
// incomplete, with its lapsed lease, and its events stay as they are.
func TestLapsedLeaseMigrateChangesOnlyIndexes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		w := beginFileAt(t, db, "a.csv", func() time.Time { return time.Now().Add(-time.Hour) })
		mustWrite(t, w, eventsBatch(0, 10))
		// Killed here: neither Finish nor Close runs.
		held, _ := lease(t, db, url, "a.csv")
		if held.IsZero() {
			t.Fatal("no lease after a first load's first batch")
		}
		db2, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db2.Close()
		if indexesBuilt(t, db, url) {
			t.Fatal("Open built the indexes; only Migrate may")
		}
		migrate(t, db2)
		if !indexesBuilt(t, db, url) {
			t.Fatal("Migrate left the indexes of a load whose lease lapsed missing")
		}
		if got, done := lease(t, db, url, "a.csv"); !got.Equal(held) || done {
			t.Errorf("after Migrate the killed load's lease is %v (completed %v), want %v, not completed", got, done, held)
		}
		if n, err := db2.CountEvents(ctx); err != nil || n != 10 {
			t.Errorf("CountEvents = %d, %v; want the 10 committed", n, err)
		}
		migrate(t, db2) // nothing missing: nothing to do
		if !indexesBuilt(t, db, url) {
			t.Error("a second Migrate lost the indexes")
		}
	})
}

// TestIndexLeaseRenewal: a first load renews its lease once it has aged a
// quarter of its length, not at every batch, and gives it up when Close
// builds the indexes of a load that did not finish.
func TestIndexLeaseRenewal(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		start := time.Now().UTC().Truncate(time.Second)
		clock := start
		w := beginFileAt(t, db, "a.csv", func() time.Time { return clock })
		steps := []struct {
			after     time.Duration // of start, when the batch is written
			wantLease time.Duration // of start
		}{
			{0, indexLease},
			{10 * time.Second, indexLease},
			{29 * time.Second, indexLease},
			{31 * time.Second, 31*time.Second + indexLease},
			{50 * time.Second, 31*time.Second + indexLease},
			{62 * time.Second, 62*time.Second + indexLease},
		}
		for i, s := range steps {
			clock = start.Add(s.after)
			mustWrite(t, w, eventsBatch(i*10, 10))
			if got, _ := lease(t, db, url, "a.csv"); !got.Equal(start.Add(s.wantLease)) {
				t.Errorf("after a batch at +%v the lease ends at +%v, want +%v", s.after, got.Sub(start), s.wantLease)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if !indexesBuilt(t, db, url) {
			t.Error("Close of an unfinished first load left the indexes missing")
		}
		if got, done := lease(t, db, url, "a.csv"); !got.IsZero() || done {
			t.Errorf("after Close the lease is %v (completed %v), want none, not completed", got, done)
		}
	})
}
