package cli

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
	"threshold/internal/warning"
)

// sample is one real shared data file.
type sharedFile struct {
	dir, file string
	tsv       bool // GDELT: tab-separated lines, no header
	format    string
}

var samples = []sharedFile{
	{dir: "ucdp-ged", file: "GEDEvent_v23_1_central_african_republic.csv", format: "ucdp-ged"},
	{dir: "ucdp-ged", file: "GEDEvent_v23_1_mexico.csv", format: "ucdp-ged"},
	{dir: "ucdp-ged", file: "GEDEvent_syria_652.1601.1911.csv.gz", format: "ucdp-ged"},
	{dir: "ucdp-ged", file: "ged211_precise_location_subset_global.csv.gz", format: "ucdp-ged"},
	{dir: "ucdp-deco", file: "DECO_v1.0_excl_kenya_southsudan.csv", format: "ucdp-deco"},
	{dir: "acled", file: "acled_sample_100.csv", format: "acled"},
	{dir: "gdelt", file: "20191024143000.export.CSV", tsv: true, format: "gdelt"},
	{dir: "gdelt", file: "gdelt1_events_sample_20160728.tsv", tsv: true, format: "gdelt"},
	{dir: "icews", file: "icews_events_sample_2018-06-01_03.csv", format: "icews"},
}

// openSample opens a shared file, decompressing .gz.
func openSample(t *testing.T, path string) io.ReadCloser {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}
}

// rawRecords reads a shared file's data rows independently of the ingest
// package: encoding/csv for CSV files, split lines for GDELT.
func rawRecords(t *testing.T, s sharedFile, path string) [][]string {
	t.Helper()
	rc := openSample(t, path)
	defer rc.Close()
	var recs [][]string
	if s.tsv {
		sc := bufio.NewScanner(rc)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := strings.TrimRight(sc.Text(), "\r"); line != "" {
				recs = append(recs, strings.Split(line, "\t"))
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		return recs
	}
	r := csv.NewReader(rc)
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return all[1:]
}

type summaryJSON struct {
	ingest.Counts
	Seconds  float64              `json:"seconds"`
	Files    []ingest.FileSummary `json:"files"`
	Warnings *warning.Report      `json:"warnings"`
}

// TestIngestSharedSamples ingests every real sample: the counts equal the
// rows in the file minus the quarantined ones, each quarantined row has a
// field and a reason, and a second ingest inserts nothing.
func TestIngestSharedSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			t.Parallel()
			path := testenv.SharedData(t, s.dir, s.file)
			db := t.TempDir() + "/t.db"
			checkSampleIngest(t, db, s, path)
		})
	}
}

func TestIngestSharedSamplesPostgres(t *testing.T) {
	for _, s := range samples {
		if s.file == "ged211_precise_location_subset_global.csv.gz" || s.file == "GEDEvent_v23_1_mexico.csv" {
			continue // the largest two are covered on SQLite; PostgreSQL runs the same code
		}
		t.Run(s.file, func(t *testing.T) {
			path := testenv.SharedData(t, s.dir, s.file)
			_, url := storetest.Postgres(t)
			checkSampleIngest(t, url, s, path)
		})
	}
}

func checkSampleIngest(t *testing.T, db string, s sharedFile, path string) {
	rows := len(rawRecords(t, s, path))
	first := decodeJSON[summaryJSON](t, mustRun(t, "ingest", "--db", db, "--json", path))
	if len(first.Files) != 1 || first.Files[0].Format != s.format {
		t.Fatalf("files = %+v, want one %s file", first.Files, s.format)
	}
	if first.Read != rows {
		t.Errorf("read %d rows, the file has %d", first.Read, rows)
	}
	if first.Inserted != rows-first.Rejected || first.Updated != 0 || first.Unchanged != 0 {
		t.Errorf("first ingest %+v: want inserted = %d rows - %d rejected", first.Counts, rows, first.Rejected)
	}
	// What the ingest changed went through the warning pipeline:
	// indicators recomputed, and the rules evaluated as of the newest
	// day it touched (an empty store has no backfill).
	if w := first.Warnings; first.Inserted > 0 && (w == nil || w.Recomputed == 0 || !w.Evaluated || w.AsOf.IsZero()) {
		t.Errorf("first ingest: warnings %+v; want indicators recomputed and rules evaluated", w)
	}
	rejects := decodeJSON[[]store.Reject](t, mustRun(t, "rejects", "--db", db, "--json"))
	if len(rejects) != first.Rejected {
		t.Errorf("rejects lists %d rows, ingest quarantined %d", len(rejects), first.Rejected)
	}
	for _, r := range rejects {
		if r.Line < 1 || r.Field == "" || r.Reason == "" || len(r.Raw) == 0 {
			t.Errorf("reject without line, field, reason or raw row: %+v", r)
		}
	}
	second := decodeJSON[summaryJSON](t, mustRun(t, "ingest", "--db", db, "--json", path))
	want := ingest.Counts{Read: rows, Unchanged: first.Inserted, Rejected: first.Rejected}
	if second.Counts != want {
		t.Errorf("second ingest %+v, want %+v", second.Counts, want)
	}
	if again := decodeJSON[[]store.Reject](t, mustRun(t, "rejects", "--db", db, "--json")); len(again) != len(rejects) {
		t.Errorf("after a second ingest rejects lists %d rows, want %d", len(again), len(rejects))
	}
}

// yearTotals are best-estimate deaths and event counts per country-year.
type yearTotals map[string][2]int // "SDN 2011" -> events, deaths

// TestStatsMatchRawFiles checks that stats totals per country-year equal
// sums computed directly from the published files, row by row, leaving
// out only the rows ingest quarantined (by their line numbers).
func TestStatsMatchRawFiles(t *testing.T) {
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		s       sharedFile
		country func(rec []string, col map[string]int) string
		year    func(rec []string, col map[string]int) string
		deaths  string
	}
	byName := func(rec []string, col map[string]int) string {
		iso, err := g.FromName(rec[col["country"]])
		if err != nil {
			t.Fatalf("country %q: %v", rec[col["country"]], err)
		}
		return iso
	}
	fixed := func(iso string) func([]string, map[string]int) string {
		return func([]string, map[string]int) string { return iso }
	}
	fromDate := func(name string) func([]string, map[string]int) string {
		return func(rec []string, col map[string]int) string {
			d := rec[col[name]]
			if i := strings.LastIndex(d, "/"); i >= 0 { // DECO's M/D/YYYY
				return d[i+1:]
			}
			return d[:4]
		}
	}
	tests := []tc{
		{samples[0], fixed("CAF"), fromDate("date_start"), "best"},
		{samples[1], fixed("MEX"), fromDate("date_start"), "best"},
		{samples[2], fixed("SYR"), fromDate("date_start"), "best"},
		{samples[3], byName, func(rec []string, col map[string]int) string { return rec[col["year"]] }, "best_death"},
		{samples[4], byName, fromDate("date_start"), "best"},
	}
	for _, tt := range tests {
		t.Run(tt.s.file, func(t *testing.T) {
			t.Parallel()
			path := testenv.SharedData(t, tt.s.dir, tt.s.file)
			db := t.TempDir() + "/t.db"
			mustRun(t, "ingest", "--db", db, path)
			rejected := map[int]bool{}
			for _, r := range decodeJSON[[]store.Reject](t, mustRun(t, "rejects", "--db", db, "--json")) {
				rejected[r.Line] = true
			}
			// Raw sums, straight from the CSV.
			rc := openSample(t, path)
			defer rc.Close()
			r := csv.NewReader(rc)
			hdr, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range hdr {
				col[h] = i
			}
			want := yearTotals{}
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if line, _ := r.FieldPos(0); rejected[line] {
					continue
				}
				d, err := strconv.Atoi(rec[col[tt.deaths]])
				if err != nil {
					t.Fatalf("deaths %q: %v", rec[col[tt.deaths]], err)
				}
				k := tt.country(rec, col) + " " + tt.year(rec, col)
				v := want[k]
				want[k] = [2]int{v[0] + 1, v[1] + d}
			}
			// The same from threshold stats, months summed to years.
			periods := decodeJSON[[]event.Period](t, mustRun(t, "stats", "--db", db, "--by", "country-month", "--json"))
			got := yearTotals{}
			for _, p := range periods {
				k := p.Country + " " + p.Period[:4]
				v := got[k]
				got[k] = [2]int{v[0] + p.Events, v[1] + p.Fatalities}
			}
			if len(want) == 0 {
				t.Fatal("no rows summed")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("country-year totals (events, deaths) differ (-raw +stats):\n%s", diff)
			}
		})
	}
}

func TestEventsOutputFormats(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	db := t.TempDir() + "/t.db"
	mustRun(t, "ingest", "--db", db, path)
	filter := []string{"--db", db, "--country", "CAF", "--from", "2013-12", "--to", "2013-12"}

	csvOut := mustRun(t, append([]string{"events", "--format", "csv"}, filter...)...)
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	deaths := 0
	for _, rec := range recs[1:] {
		if rec[3] < "2013-12-01" || rec[3] > "2013-12-31" || rec[6] != "CAF" {
			t.Errorf("row outside the filter: %v", rec)
		}
		n, _ := strconv.Atoi(rec[18])
		deaths += n
	}
	// CAR, December 2013: the month of the Bangui massacres.
	stats := decodeJSON[[]map[string]any](t, mustRun(t, append([]string{"stats", "--by", "country-month", "--json"}, filter...)...))
	if len(stats) != 1 || int(stats[0]["events"].(float64)) != len(recs)-1 || int(stats[0]["fatalities"].(float64)) != deaths {
		t.Errorf("stats %v disagree with %d listed events and %d deaths", stats, len(recs)-1, deaths)
	}

	jsonOut := mustRun(t, append([]string{"events", "--format", "json", "--limit", "3"}, filter...)...)
	lines := strings.Split(strings.TrimSpace(jsonOut), "\n")
	if len(lines) != 3 {
		t.Fatalf("json: %d lines, want 3", len(lines))
	}
	for _, l := range lines {
		var e eventJSON
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if len(e.Raw) != 49 || len(e.RawColumns) != 49 || e.Raw[0] != e.SourceID {
			t.Errorf("event %s: raw row of %d fields, %d columns; want the 49-column source row", e.SourceID, len(e.Raw), len(e.RawColumns))
		}
	}

	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties eventJSON `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"events", "--format", "geojson"}, filter...)...)), &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != len(recs)-1 {
		t.Fatalf("geojson: %s with %d features, want %d", fc.Type, len(fc.Features), len(recs)-1)
	}
	for _, f := range fc.Features {
		lon, lat := f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
		if f.Geometry.Type != "Point" || lon < 14 || lon > 28 || lat < 2 || lat > 12 {
			t.Errorf("feature %s at %v is not a point in the Central African Republic", f.Properties.SourceID, f.Geometry.Coordinates)
		}
	}
	table := mustRun(t, append([]string{"events"}, filter...)...)
	if !strings.HasPrefix(table, "SOURCE") || strings.Count(table, "\n") != len(recs) {
		t.Errorf("table has %d lines, want a header and %d rows", strings.Count(table, "\n"), len(recs)-1)
	}
}

// TestIngestIsAudited: an ingest is a change, so the audit log records it,
// with its summary, and the chain still verifies.
func TestIngestIsAudited(t *testing.T) {
	path := testenv.SharedData(t, "acled", "acled_sample_100.csv")
	db := t.TempDir() + "/t.db"
	mustRun(t, "ingest", "--db", db, path)
	code, _, _ := runCLI(t, "ingest", "--db", db, t.TempDir()+"/missing.csv")
	if code != 1 {
		t.Fatalf("ingest of a missing file: exit %d, want 1", code)
	}
	var entries []struct {
		Actor, Action, Object string
		Details               json.RawMessage
	}
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "list", "--db", db, "--json")), &entries); err != nil {
		t.Fatal(err)
	}
	var ingests []string
	for _, e := range entries {
		if e.Action == "ingest" {
			if !strings.HasPrefix(e.Actor, "cli:") {
				t.Errorf("ingest audited as %q, want the CLI user", e.Actor)
			}
			ingests = append(ingests, e.Object+" "+string(e.Details))
		}
	}
	if len(ingests) != 2 {
		t.Fatalf("audit log has %d ingest entries, want 2 (one failed):\n%v", len(ingests), ingests)
	}
	var ok, failed bool
	for _, s := range ingests {
		ok = ok || (strings.Contains(s, "acled_sample_100.csv") && strings.Contains(s, `"inserted":100`))
		failed = failed || (strings.Contains(s, "missing.csv") && strings.Contains(s, `"error"`))
	}
	if !ok || !failed {
		t.Errorf("ingest entries lack the summary or the failure:\n%v", ingests)
	}
	if out := mustRun(t, "audit", "verify", "--db", db); !strings.Contains(out, fmt.Sprintf("audit log OK: %d entries", len(entries))) {
		t.Errorf("audit verify: %q", out)
	}
}

// TestIngestRecomputesIndicators: indicators follow the events an ingest
// changes, unless --indicators=false leaves them to a later recompute.
func TestIngestRecomputesIndicators(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	query := []string{"indicators", "--country", "CAF", "--period", "month", "--name", "fatalities_best",
		"--from", "2013-12", "--to", "2013-12", "--json"}
	type value struct {
		Country, Period, Start, Name string
		Value                        float64
	}
	db := t.TempDir() + "/t.db"
	out := mustRun(t, "ingest", "--db", db, path)
	if !strings.Contains(out, "indicators: ") || !strings.Contains(out, "CAF") {
		t.Errorf("ingest output does not report the recompute:\n%s", out)
	}
	var got []value
	if err := json.Unmarshal([]byte(mustRun(t, append(query, "--db", db)...)), &got); err != nil {
		t.Fatal(err)
	}
	// UCDP's own figure for CAR, December 2013 (the demo and stats agree).
	if len(got) != 1 || got[0].Value != 1318 || got[0].Start != "2013-12-01" {
		t.Errorf("CAF December 2013 fatalities = %+v, want 1318", got)
	}

	lazy := t.TempDir() + "/lazy.db"
	mustRun(t, "ingest", "--db", lazy, "--indicators=false", path)
	got = nil
	if err := json.Unmarshal([]byte(mustRun(t, append(query, "--db", lazy)...)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("--indicators=false still computed %+v", got)
	}
}
