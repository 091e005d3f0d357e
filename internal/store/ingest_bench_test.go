package store_test

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// BenchmarkIngestGED ingests the largest event sample, UCDP GED 21.1's
// global subset (175,322 rows), into a fresh SQLite store per iteration
// and reports rows/s. When the sqlite3 shell is on PATH, every iteration
// also imports the same CSV with ".import" into a bare table, untimed, as
// the baseline, and the benchmark reports its rows/s and the ratio of
// Threshold's to it (above 1, Threshold is faster). bench/ingest measures
// the same with a table of runs.
func BenchmarkIngestGED(b *testing.B) {
	csv := gunzipForBench(b, testenv.SharedData(b, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz"))
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Log("sqlite3 not on PATH: no baseline")
	}
	ctx := context.Background()
	dir := b.TempDir()
	var (
		rows     int
		baseline time.Duration
		n        int
	)
	for b.Loop() {
		b.StopTimer()
		n++
		path := filepath.Join(dir, strconv.Itoa(n)+".db")
		if shell != "" {
			start := time.Now()
			out, err := exec.Command(shell, path+".baseline", ".import --csv "+csv+" ev").CombinedOutput()
			if err != nil {
				b.Fatalf("sqlite3 .import: %v\n%s", err, out)
			}
			baseline += time.Since(start)
		}
		db, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		sum, err := ingest.Files(ctx, db, []string{csv}, ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		if sum.Inserted+sum.Rejected != sum.Read || sum.Read == 0 {
			b.Fatalf("ingest of a fresh store: %+v", sum.Counts)
		}
		rows = sum.Read
		for _, p := range []string{path, path + "-wal", path + "-shm", path + ".baseline"} {
			os.Remove(p)
		}
		b.StartTimer()
	}
	perSec := float64(rows*b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "rows/s")
	if shell != "" {
		basePerSec := float64(rows*b.N) / baseline.Seconds()
		b.ReportMetric(basePerSec, "sqlite3-rows/s")
		b.ReportMetric(perSec/basePerSec, "ratio")
	}
}

// gunzipForBench decompresses a gzipped file into the benchmark's temporary
// directory, so that Threshold and the sqlite3 shell read the same bytes.
func gunzipForBench(b *testing.B, gz string) string {
	b.Helper()
	f, err := os.Open(gz)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "ged.csv")
	w, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return out
}
