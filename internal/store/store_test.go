package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestMigrationVersionListsMatch(t *testing.T) {
	list := func(dir string) []string {
		var names []string
		err := filepath.WalkDir(filepath.Join("migrations", dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				names = append(names, d.Name())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(names)
		return names
	}
	sqlite, postgres := list("sqlite"), list("postgres")
	if len(sqlite) == 0 {
		t.Fatal("no migrations found")
	}
	if diff := cmp.Diff(sqlite, postgres); diff != "" {
		t.Errorf("migration lists differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v, want nothing", applied)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur != latest || cur == 0 {
			t.Errorf("SchemaVersion = %d of %d, want equal and > 0", cur, latest)
		}
	})
}

// batch builds an ingest batch of events whose raw rows are "id,deaths\n"
// lines, so that the block holds exactly what the records point to.
func batch(start int64, rows ...row) *ingest.Batch {
	b := &ingest.Batch{Block: ingest.Block{Offset: start}}
	var raw []byte
	off := start
	for _, r := range rows {
		line := []byte(r.id + "," + r.deaths + "\n")
		rec := ingest.Record{Line: r.line, Offset: off, Length: len(line), Hash: int64(len(r.id)*1000) + int64(len(r.deaths)) + r.salt}
		if r.reject != "" {
			rec.Reject = &ingest.Reject{Field: "deaths", Reason: r.reject, Fields: []string{r.id, r.deaths}}
		} else {
			best := len(r.deaths)
			rec.Event = event.Event{
				Source: event.UCDPGED, SourceID: r.id, Version: r.version,
				DateStart: r.date, DateEnd: r.date, DatePrecision: event.Day,
				Country: r.country, Admin1: r.admin1, Category: event.Battle,
				Fatalities: event.Fatalities{Best: &best},
			}
		}
		b.Records = append(b.Records, rec)
		raw = append(raw, line...)
		off += int64(len(line))
	}
	b.Block.Length = len(raw)
	b.Block.Data = gz(raw)
	return b
}

type row struct {
	line            int
	id, deaths      string
	salt            int64 // changes the hash: a new version of the row
	version         string
	country, admin1 string
	date            time.Time
	reject          string
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func writeFile(t *testing.T, db *store.DB, name string, atomic bool, batches ...*ingest.Batch) ingest.Counts {
	t.Helper()
	ctx := context.Background()
	w, err := db.BeginFile(ctx, ingest.FileInfo{Name: name, SHA256: "sha-" + name, Format: "test", Header: []string{"id", "deaths"}, Separator: ","},
		ingest.WriteOptions{Atomic: atomic, Now: func() time.Time { return day("2024-01-02") }})
	if err != nil {
		t.Fatalf("BeginFile: %v", err)
	}
	defer w.Close()
	var total ingest.Counts
	for _, b := range batches {
		c, err := w.Write(ctx, b)
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		total.Add(c)
	}
	if err := w.Finish(ctx, total); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return total
}

func TestFileWriterInsertsUpdatesAndKeepsVersions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		first := batch(10,
			row{line: 2, id: "1", deaths: "xx", country: "SDN", admin1: "Darfur", date: day("2011-06-01"), version: "21.1"},
			row{line: 3, id: "2", deaths: "xxx", country: "SSD", date: day("2011-07-10"), version: "21.1"},
			row{line: 4, id: "3", deaths: "?", reject: "not an integer"},
		)
		got := writeFile(t, db, "a.csv", false, first)
		if want := (ingest.Counts{Read: 3, Inserted: 2, Rejected: 1}); got != want {
			t.Errorf("first ingest counts = %+v, want %+v", got, want)
		}
		// The same file again adds nothing, and quarantines nothing twice.
		got = writeFile(t, db, "a.csv", false, batch(10,
			row{line: 2, id: "1", deaths: "xx", country: "SDN", admin1: "Darfur", date: day("2011-06-01"), version: "21.1"},
			row{line: 3, id: "2", deaths: "xxx", country: "SSD", date: day("2011-07-10"), version: "21.1"},
			row{line: 4, id: "3", deaths: "?", reject: "not an integer"},
		))
		if want := (ingest.Counts{Read: 3, Unchanged: 2, Rejected: 1}); got != want {
			t.Errorf("re-ingest counts = %+v, want %+v", got, want)
		}
		rej, err := db.Rejects(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rej) != 1 || rej[0].Line != 4 || rej[0].Field != "deaths" || rej[0].File != "a.csv" {
			t.Errorf("Rejects = %+v, want one reject of a.csv line 4 field deaths", rej)
		}
		// A newer release changes event 1; an older one must not win over
		// it.
		got = writeFile(t, db, "b.csv", false, batch(0,
			row{line: 2, id: "1", deaths: "xxxx", salt: 7, country: "SDN", admin1: "Darfur", date: day("2011-06-01"), version: "23.1"},
			row{line: 3, id: "2", deaths: "xxxxx", salt: 7, country: "SSD", date: day("2011-07-10"), version: "19.1"},
		))
		if want := (ingest.Counts{Read: 2, Updated: 1, Unchanged: 1}); got != want {
			t.Errorf("newer release counts = %+v, want %+v", got, want)
		}
		e1, err := db.Event(ctx, event.Key{Source: event.UCDPGED, SourceID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if *e1.Fatalities.Best != 4 || e1.Version != "23.1" || e1.File != "b.csv" {
			t.Errorf("event 1 = best %d version %q file %q, want 4, 23.1, b.csv", *e1.Fatalities.Best, e1.Version, e1.File)
		}
		if diff := cmp.Diff([]string{"1", "xxxx"}, e1.Raw); diff != "" {
			t.Errorf("event 1 raw row (-want +got):\n%s", diff)
		}
		vs, err := db.Versions(ctx, e1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 || vs[0].File != "a.csv" || vs[0].Line != 2 || vs[0].SourceVersion != "21.1" {
			t.Fatalf("Versions = %+v, want the a.csv line 2 release 21.1 version", vs)
		}
		if diff := cmp.Diff([]string{"1", "xx"}, vs[0].Raw); diff != "" {
			t.Errorf("previous version raw row (-want +got):\n%s", diff)
		}
		e2, err := db.Event(ctx, event.Key{Source: event.UCDPGED, SourceID: "2"})
		if err != nil {
			t.Fatal(err)
		}
		if e2.Version != "21.1" || *e2.Fatalities.Best != 3 {
			t.Errorf("event 2 = version %q best %d, want the stored 21.1 with 3 kept over an older release", e2.Version, *e2.Fatalities.Best)
		}
		if _, err := db.Event(ctx, event.Key{Source: event.UCDPGED, SourceID: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Event(missing) error = %v, want ErrNotFound", err)
		}
	})
}

func TestFileWriterRepeatedIDInOneFile(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		got := writeFile(t, db, "dup.csv", false,
			batch(0,
				row{line: 2, id: "7", deaths: "x", country: "MLI", date: day("2012-01-01")},
				row{line: 3, id: "7", deaths: "xx", country: "MLI", date: day("2012-01-01")},
			),
			batch(100, row{line: 4, id: "7", deaths: "xxx", country: "MLI", date: day("2012-01-01")}),
		)
		if want := (ingest.Counts{Read: 3, Inserted: 1, Updated: 2}); got != want {
			t.Errorf("counts = %+v, want %+v", got, want)
		}
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e, err := db.Event(ctx, event.Key{Source: event.UCDPGED, SourceID: "7"})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || e.Line != 4 || *e.Fatalities.Best != 3 {
			t.Errorf("got %d events, event 7 from line %d best %d; want 1 event from line 4 with 3", n, e.Line, *e.Fatalities.Best)
		}
	})
}

func TestAtomicWriterRollsBackOnClose(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "s.csv", SHA256: "x", Format: "test", Separator: ","},
			ingest.WriteOptions{Atomic: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(ctx, batch(0, row{line: 2, id: "1", deaths: "x", country: "NER", date: day("2023-07-26")})); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("after Close without Finish: %d events, want 0", n)
		}
	})
}

func TestStatsAndFilters(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		writeFile(t, db, "s.csv", false, batch(0,
			row{line: 2, id: "1", deaths: "xx", country: "SDN", admin1: "Darfur", date: day("2011-06-01")},
			row{line: 3, id: "2", deaths: "xxx", country: "SDN", admin1: "Darfur", date: day("2011-06-30")},
			row{line: 4, id: "3", deaths: "x", country: "SDN", admin1: "Blue Nile", date: day("2011-07-01")},
			row{line: 5, id: "4", deaths: "xxxx", country: "SSD", admin1: "Jonglei", date: day("2011-07-10")},
			row{line: 6, id: "5", deaths: "xxxxx", country: "SSD", admin1: "Jonglei", date: day("2012-01-02")},
		))
		tests := []struct {
			name string
			by   store.Grouping
			f    event.Filter
			want []event.Period
		}{
			{"country-month", store.CountryMonth, event.Filter{}, []event.Period{
				{Country: "SDN", Period: "2011-06", Events: 2, Fatalities: 5},
				{Country: "SDN", Period: "2011-07", Events: 1, Fatalities: 1},
				{Country: "SSD", Period: "2011-07", Events: 1, Fatalities: 4},
				{Country: "SSD", Period: "2012-01", Events: 1, Fatalities: 5},
			}},
			{"admin1-month in SDN", store.Admin1Month, event.Filter{Country: "sdn"}, []event.Period{
				{Country: "SDN", Admin1: "Blue Nile", Period: "2011-07", Events: 1, Fatalities: 1},
				{Country: "SDN", Admin1: "Darfur", Period: "2011-06", Events: 2, Fatalities: 5},
			}},
			{"ISO weeks, dates inclusive", store.CountryWeek, event.Filter{From: day("2011-06-30"), To: day("2012-01-02")}, []event.Period{
				{Country: "SDN", Period: "2011-W26", Events: 2, Fatalities: 4}, // Thursday 30 June and Friday 1 July
				{Country: "SSD", Period: "2011-W27", Events: 1, Fatalities: 4}, // Sunday 10 July
				{Country: "SSD", Period: "2012-W01", Events: 1, Fatalities: 5}, // Monday 2 January
			}},
		}
		for _, tt := range tests {
			got, err := db.Stats(ctx, tt.by, tt.f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Stats %s (-want +got):\n%s", tt.name, diff)
			}
		}
		var ids []string
		err := db.Events(ctx, event.Filter{Country: "SSD", Admin1: "Jonglei", From: day("2011-01-01"), To: day("2011-12-31")},
			store.Page{}, func(s event.Stored) error {
				ids = append(ids, s.SourceID)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"4"}, ids); diff != "" {
			t.Errorf("Events filter (-want +got):\n%s", diff)
		}
		for _, noRaw := range []bool{false, true} {
			err := db.Events(ctx, event.Filter{Country: "SSD"}, store.Page{NoRaw: noRaw}, func(s event.Stored) error {
				if got := len(s.Raw) > 0 && len(s.Columns) > 0; got == noRaw {
					t.Errorf("Events(NoRaw: %v): event %s has raw %v columns %v", noRaw, s.SourceID, s.Raw, s.Columns)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Keyset pages cover everything once.
		var all []string
		var after int64
		for {
			var page []event.Stored
			err := db.Events(ctx, event.Filter{}, store.Page{AfterID: after, Limit: 2}, func(s event.Stored) error {
				page = append(page, s)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, s := range page {
				all = append(all, s.SourceID)
			}
			after = page[len(page)-1].ID
		}
		if diff := cmp.Diff([]string{"1", "2", "3", "4", "5"}, all); diff != "" {
			t.Errorf("paged Events (-want +got):\n%s", diff)
		}
	})
}

func TestOpenErrorsMaskPassword(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://alice:s3cret@127.0.0.1:1/none?connect_timeout=1")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Errorf("error %q shows the password", got)
	}
}

func TestSQLiteCreatesParentDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	db, err := store.Open(context.Background(), filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("directory not created: %v", err)
	}
}

// TestFileWriterTouched: a writer reports the countries and days its
// committed writes changed, the replaced version's included, so derived
// indicators can be recomputed there and nowhere else.
func TestFileWriterTouched(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		write := func(name string, atomic bool, b *ingest.Batch) ingest.Touched {
			w, err := db.BeginFile(ctx, ingest.FileInfo{Name: name, SHA256: name, Format: "test", Separator: ","},
				ingest.WriteOptions{Atomic: atomic})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			c, err := w.Write(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if atomic && len(w.Touched()) != 0 {
				t.Errorf("atomic writer reports %v touched before Finish", w.Touched())
			}
			if err := w.Finish(ctx, c); err != nil {
				t.Fatal(err)
			}
			return w.Touched()
		}
		got := write("a.csv", false, batch(0,
			row{line: 2, id: "1", deaths: "x", country: "SDN", date: day("2011-06-01")},
			row{line: 3, id: "2", deaths: "x", country: "SSD", date: day("2011-07-10")},
		))
		want := ingest.Touched{"SDN": {From: day("2011-06-01"), To: day("2011-06-01")}, "SSD": {From: day("2011-07-10"), To: day("2011-07-10")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("first file touched (-want +got):\n%s", diff)
		}
		// Event 1 is recoded to South Sudan a year later; event 2 is
		// unchanged and touches nothing.
		got = write("b.csv", true, batch(0,
			row{line: 2, id: "1", deaths: "x", salt: 1, country: "SSD", date: day("2012-01-01")},
			row{line: 3, id: "2", deaths: "x", country: "SSD", date: day("2011-07-10")},
		))
		want = ingest.Touched{"SDN": {From: day("2011-06-01"), To: day("2011-06-01")}, "SSD": {From: day("2012-01-01"), To: day("2012-01-01")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("update touched (-want +got):\n%s", diff)
		}
	})
}
