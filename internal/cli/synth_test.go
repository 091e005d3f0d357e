package cli

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSynthWritesFilesThatIngest writes each format plain, gzipped and to
// standard output, and ingests the files: every event stored, none
// quarantined.
func TestSynthWritesFilesThatIngest(t *testing.T) {
	dir := t.TempDir()
	gdelt := filepath.Join(dir, "synthetic-20191231234500.export.CSV")
	ged := filepath.Join(dir, "GEDEvent_synthetic.csv.gz")
	mustRun(t, "synth", "--format", "gdelt2", "--events", "3000", "--seed", "5", "-o", gdelt)
	mustRun(t, "synth", "--format", "ucdp-ged", "--events", "2e3", "-o", ged)

	f, err := os.Open(ged)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not gzip: %v", ged, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(plain), "\n"); got != 2001 {
		t.Errorf("%s: %d lines, want 2001", ged, got)
	}

	stdout := mustRun(t, "synth", "--format", "ucdp-ged", "--events", "2e3", "-o", "-")
	if stdout != string(plain) {
		t.Error("-o - wrote other bytes than the file of the same seed")
	}

	db := filepath.Join(dir, "t.db")
	out := mustRun(t, "ingest", "--db", db, "--json", "--indicators=false", gdelt, ged)
	sum := decodeJSON[struct {
		Read, Inserted, Updated, Unchanged, Rejected int
		Seconds                                      float64
		Files                                        []map[string]any
	}](t, out)
	if sum.Inserted != 5000 || sum.Rejected != 0 {
		t.Errorf("ingest: inserted %d, rejected %d; want 5000 and 0", sum.Inserted, sum.Rejected)
	}
}

func TestSynthUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.csv")
	for _, args := range [][]string{
		{"synth", "--events", "10", "-o", out},
		{"synth", "--format", "acled", "--events", "10", "-o", out},
		{"synth", "--format", "gdelt2", "-o", out},
		{"synth", "--format", "gdelt2", "--events", "-3", "-o", out},
		{"synth", "--format", "gdelt2", "--events", "1.5", "-o", out},
		{"synth", "--format", "gdelt2", "--events", "10"},
		{"synth", "--format", "gdelt2", "--events", "10", "-o", out, "extra"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := runCLI(t, "synth", "--format", "gdelt2", "--events", "10", "-o", filepath.Join(t.TempDir(), "no", "such", "dir.csv")); code != 1 || !strings.Contains(errs, "dir.csv") {
		t.Errorf("unwritable output: exit %d, %q", code, errs)
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"100000", 100000, true}, {"1e5", 100000, true}, {"5e7", 50_000_000, true},
		{"", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"x", 0, false}, {"1e13", 0, false},
	} {
		got, err := parseCount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseCount(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
