package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parquet-go/parquet-go"

	"threshold/internal/indicator"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

func TestExportCommand(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		mustRun(t, "ingest", "--db", url, testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"))
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()

		out := filepath.Join(dir, "events.hxl.csv")
		_, _, errs := runCLI(t, "export", "events", "--db", url, "--format", "hxl", "-o", out)
		if want := fmt.Sprintf("wrote %d events to %s", n, out); !strings.Contains(errs, want) {
			t.Errorf("stderr %q, want %q", errs, want)
		}
		rows := readCSVFile(t, out)
		if len(rows) != n+2 || rows[1][0] != "#meta+id" || rows[1][7] != "#country+code" {
			t.Errorf("hxl: %d rows (want %d), hashtags %q", len(rows), n+2, rows[1])
		}

		// Standard output, with a filter.
		stdout := mustRun(t, "export", "events", "--db", url, "--country", "CAF", "--from", "2014-01", "--to", "2014-01")
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			if r[4][:7] != "2014-01" {
				t.Fatalf("event starting %s exported for January 2014", r[4])
			}
		}
		if len(recs) < 10 {
			t.Errorf("only %d CAF events in January 2014", len(recs)-1)
		}

		out = filepath.Join(dir, "events.geojson")
		mustRun(t, "export", "events", "--db", url, "--format", "geojson", "-o", out)
		var fc struct {
			Features []json.RawMessage `json:"features"`
			Omitted  int               `json:"omitted"`
		}
		if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &fc) != nil || len(fc.Features)+fc.Omitted != n {
			t.Errorf("geojson: %d features + %d omitted, want %d (%v)", len(fc.Features), fc.Omitted, n, err)
		}

		mustRun(t, "indicators", "--db", url, "--recompute")
		want, err := db.Indicators(ctx, store.IndicatorQuery{Kind: indicator.Month})
		if err != nil {
			t.Fatal(err)
		}
		out = filepath.Join(dir, "indicators.parquet")
		mustRun(t, "export", "indicators", "--db", url, "--format", "parquet", "-o", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != int64(len(want)) || len(want) == 0 {
			t.Errorf("indicators.parquet: %d rows, want the %d monthly values", f.NumRows(), len(want))
		}
	})
}

// TestExportToFIFO writes an export into a named pipe, which must stay
// a pipe: -o /dev/null must not replace the device with a file.
func TestExportToFIFO(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "ingest", "--db", db, testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"))
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	got := make(chan int, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the export opens it
		if err != nil {
			got <- -1
			return
		}
		defer f.Close()
		rows, _ := csv.NewReader(f).ReadAll()
		got <- len(rows)
	}()
	mustRun(t, "export", "events", "--db", db, "-o", fifo)
	if n := <-got; n != 1848+1 {
		t.Errorf("read %d rows from the pipe, want 1,849", n)
	}
	if fi, err := os.Stat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a named pipe: %v %v", fifo, fi.Mode(), err)
	}
	out := filepath.Join(t.TempDir(), "events.csv")
	mustRun(t, "export", "events", "--db", db, "-o", out)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: mode %v, want 0644 (%v)", out, fi.Mode(), err)
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestExportUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	out := filepath.Join(t.TempDir(), "x.csv")
	for _, tt := range []struct {
		args     []string
		inStderr string
	}{
		{[]string{"export"}, "needs a subcommand"},
		{[]string{"export", "alerts"}, `unknown subcommand "alerts"`},
		{[]string{"export", "events", "--db", db, "--format", "xlsx"}, `unknown export format "xlsx"`},
		{[]string{"export", "events", "--db", db, "--country", "Sudan"}, "ISO 3166-1 alpha-3"},
		{[]string{"export", "indicators", "--db", db, "--format", "geojson"}, "indicators have no coordinates"},
		{[]string{"export", "indicators", "--db", db, "--period", "year"}, `--period "year"`},
		{[]string{"export", "indicators", "--db", db, "--from", "2014", "--to", "2013"}, "before the first"},
		{[]string{"export", "events", "--db", db, "-o", out, "stray"}, "unexpected arguments"},
	} {
		code, _, errs := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(errs, tt.inStderr) {
			t.Errorf("threshold %s: exit %d, stderr %q; want 2 and %q", strings.Join(tt.args, " "), code, clip(errs, 300), tt.inStderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused export left %s behind (%v)", out, err)
	}
}
