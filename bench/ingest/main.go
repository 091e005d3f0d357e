// Command ingest measures how fast Threshold ingests a real event file into
// SQLite, against the sqlite3 shell's .import of the same CSV into a bare
// table, and into PostgreSQL, against COPY of the same CSV into a bare
// table, each measured in the same run:
//
//	go run ./bench/ingest [-runs N] [-file PATH] [-json] [-cpuprofile FILE]
//	    [-postgres URL] [-sqlite=false]
//
// The default input is the largest event sample, UCDP GED 21.1's global
// subset (175,322 rows), found in shared/data above the working directory
// or in $THRESHOLD_SHARED_DATA. A .gz input is decompressed once to a
// temporary CSV before any timing, and both sides read that same plain
// file, so neither pays for decompression.
//
// Each run imports into fresh temporary databases:
//
//   - baseline: "sqlite3 DB '.import --csv FILE ev'", timed around the
//     sqlite3 process (its start-up, a few milliseconds, included). The
//     shell creates an all-TEXT table from the header and inserts every
//     row as it is, in one transaction, with its default rollback journal.
//     A headerless tab-separated file (GDELT) gets a table of as many TEXT
//     columns as its first line has fields, and ".mode tabs".
//   - threshold: store.Open and Migrate (not timed), then ingest.Files and
//     the store's Close (timed, so that a final WAL checkpoint is counted).
//     Threshold parses, validates and normalises every row, keeps the
//     source bytes in compressed blocks, and writes events with their
//     indexes, in transactions of 5,000 rows.
//
// With -postgres URL (default $THRESHOLD_TEST_POSTGRES_URL), each run also
// creates two fresh schemas in that database and times:
//
//   - baseline: "COPY ev FROM STDIN (FORMAT csv, HEADER)" of the plain CSV
//     into an all-TEXT table made from the header, as psql's \copy does,
//     timed around the COPY alone.
//   - threshold: store.Open and Migrate on the other schema (not timed),
//     then ingest.Files and Close (timed).
//
// The server's CPU is not this process's, so the PostgreSQL sides report
// the client's CPU only.
//
// The sides alternate, so that load from other processes falls on all.
// The report gives medians over the runs and the ratio of Threshold's rows
// per second to the baseline's: above 1 Threshold is faster. It fails if
// two sides stored different numbers of rows.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// defaultFile is the largest event sample in shared/data.
var defaultFile = []string{"ucdp-ged", "ged211_precise_location_subset_global.csv.gz"}

// Side is one importer's measurements.
type Side struct {
	Seconds       []float64 `json:"seconds"`        // wall time of each run
	CPUSeconds    []float64 `json:"cpu_seconds"`    // user plus system time of each run
	MedianSeconds float64   `json:"median_seconds"` // of Seconds
	MedianCPU     float64   `json:"median_cpu_seconds"`
	RowsPerSecond float64   `json:"rows_per_second"` // rows ÷ MedianSeconds
}

// Report is the outcome of a benchmark.
type Report struct {
	File      string  `json:"file"`
	Rows      int     `json:"rows"`
	Bytes     int64   `json:"bytes"` // of the plain CSV
	Runs      int     `json:"runs"`
	Load      string  `json:"load"`      // /proc/loadavg before the first run
	Baseline  Side    `json:"baseline"`  // sqlite3 .import
	Threshold Side    `json:"threshold"` // Threshold on SQLite
	Ratio     float64 `json:"ratio"`     // threshold rows/s ÷ baseline rows/s
	// CPURatio is the baseline's median CPU seconds ÷ Threshold's: the
	// steadier figure on a loaded machine, where wall times swing.
	CPURatio float64 `json:"cpu_ratio"`

	// PostgreSQL, when measured: COPY against Threshold's ingest.
	PGBaseline  *Side   `json:"postgres_baseline,omitempty"`
	PGThreshold *Side   `json:"postgres_threshold,omitempty"`
	PGRatio     float64 `json:"postgres_ratio,omitempty"`
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ingest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	runs := flag.Int("runs", 5, "number of runs of each side")
	file := flag.String("file", "", "CSV file to ingest, plain or .gz (default: shared/data/"+strings.Join(defaultFile, "/")+")")
	asJSON := flag.Bool("json", false, "print the report as one JSON object")
	sqlite3 := flag.String("sqlite3", "sqlite3", "the sqlite3 command-line shell")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	pgURL := flag.String("postgres", os.Getenv("THRESHOLD_TEST_POSTGRES_URL"), "PostgreSQL URL to measure too (default $THRESHOLD_TEST_POSTGRES_URL; empty: SQLite only)")
	withSQLite := flag.Bool("sqlite", true, "measure SQLite (false: PostgreSQL only)")
	flag.Parse()
	if !*withSQLite && *pgURL == "" {
		return errors.New("-sqlite=false needs -postgres URL")
	}
	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	var shell string
	if *withSQLite {
		var err error
		if shell, err = exec.LookPath(*sqlite3); err != nil {
			return fmt.Errorf("the baseline needs the sqlite3 command-line shell (apt-get install sqlite3, or -sqlite3 PATH): %w", err)
		}
	}
	if *file == "" {
		dir := testenv.SharedDataDir()
		if dir == "" {
			return errors.New("shared data directory not found: set THRESHOLD_SHARED_DATA or give -file")
		}
		*file = filepath.Join(append([]string{dir}, defaultFile...)...)
	}

	tmp, err := os.MkdirTemp("", "threshold-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	csv, err := plainCSV(*file, tmp)
	if err != nil {
		return err
	}
	st, err := os.Stat(csv)
	if err != nil {
		return err
	}
	rep := Report{File: filepath.Base(*file), Bytes: st.Size(), Runs: *runs, Load: loadAverage()}
	if *pgURL != "" {
		rep.PGBaseline, rep.PGThreshold = &Side{}, &Side{}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		// The sqlite3 shell runs in its own process, so the profile
		// shows Threshold: its ingests, and the opening and checking of
		// the stores around them.
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for i := range *runs {
		dir := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		// Alternate which side goes first, so that neither always runs
		// on a warmer page cache or a quieter machine.
		var sides []func() error
		if *withSQLite {
			sides = append(sides, func() error {
				secs, cpu, rows, err := baseline(ctx, shell, csv, filepath.Join(dir, "baseline.db"))
				if err != nil {
					return fmt.Errorf("baseline: %w", err)
				}
				rep.Baseline.add(secs, cpu)
				return rep.setRows(rows, "sqlite3 .import")
			}, func() error {
				secs, cpu, rows, err := threshold(ctx, csv, filepath.Join(dir, "threshold.db"))
				if err != nil {
					return fmt.Errorf("threshold: %w", err)
				}
				rep.Threshold.add(secs, cpu)
				return rep.setRows(rows, "threshold")
			})
		}
		if *pgURL != "" {
			sides = append(sides, func() error {
				secs, cpu, rows, err := pgBaseline(ctx, *pgURL, csv)
				if err != nil {
					return fmt.Errorf("postgres baseline: %w", err)
				}
				rep.PGBaseline.add(secs, cpu)
				return rep.setRows(rows, "postgres COPY")
			}, func() error {
				secs, cpu, rows, err := pgThreshold(ctx, *pgURL, csv)
				if err != nil {
					return fmt.Errorf("postgres threshold: %w", err)
				}
				rep.PGThreshold.add(secs, cpu)
				return rep.setRows(rows, "threshold on postgres")
			})
		}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if *withSQLite {
		rep.Baseline.summarise(rep.Rows)
		rep.Threshold.summarise(rep.Rows)
		rep.Ratio = rep.Threshold.RowsPerSecond / rep.Baseline.RowsPerSecond
		if rep.Threshold.MedianCPU > 0 {
			rep.CPURatio = rep.Baseline.MedianCPU / rep.Threshold.MedianCPU
		}
	}
	if rep.PGBaseline != nil {
		rep.PGBaseline.summarise(rep.Rows)
		rep.PGThreshold.summarise(rep.Rows)
		rep.PGRatio = rep.PGThreshold.RowsPerSecond / rep.PGBaseline.RowsPerSecond
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(os.Stdout)
	return nil
}

// setRows records the rows a side stored and fails if the other side
// stored a different number.
func (r *Report) setRows(n int, side string) error {
	if r.Rows != 0 && n != r.Rows {
		return fmt.Errorf("%s stored %d rows, the other side %d", side, n, r.Rows)
	}
	r.Rows = n
	return nil
}

func (s *Side) add(secs, cpu float64) {
	s.Seconds = append(s.Seconds, secs)
	s.CPUSeconds = append(s.CPUSeconds, cpu)
}

func (s *Side) summarise(rows int) {
	s.MedianSeconds = median(s.Seconds)
	s.MedianCPU = median(s.CPUSeconds)
	s.RowsPerSecond = float64(rows) / s.MedianSeconds
}

func median(xs []float64) float64 {
	sorted := slices.Sorted(slices.Values(xs))
	n := len(sorted)
	if n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[n/2]
}

func (r *Report) print(w io.Writer) {
	fmt.Fprintf(w, "file       %s (%d rows, %.1f MB as CSV)\n", r.File, r.Rows, float64(r.Bytes)/1e6)
	fmt.Fprintf(w, "runs       %d (medians below)\n", r.Runs)
	if r.Load != "" {
		fmt.Fprintf(w, "load avg   %s\n", r.Load)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-22s %8s %10s %8s   %s\n", "", "seconds", "rows/s", "cpu s", "all runs (s)")
	type row struct {
		name string
		s    Side
	}
	var rows []row
	if r.Baseline.Seconds != nil {
		rows = append(rows, row{"sqlite3 .import", r.Baseline}, row{"threshold sqlite", r.Threshold})
	}
	if r.PGBaseline != nil {
		rows = append(rows, row{"postgres COPY", *r.PGBaseline}, row{"threshold postgres", *r.PGThreshold})
	}
	for _, x := range rows {
		var all []string
		for _, v := range x.s.Seconds {
			all = append(all, fmt.Sprintf("%.3f", v))
		}
		fmt.Fprintf(w, "%-22s %8.3f %10.0f %8.3f   %s\n", x.name, x.s.MedianSeconds, x.s.RowsPerSecond, x.s.MedianCPU, strings.Join(all, " "))
	}
	fmt.Fprintln(w)
	if r.Baseline.Seconds != nil {
		fmt.Fprintf(w, "ratio      %.2f sqlite (threshold rows/s ÷ sqlite3 .import rows/s)\n", r.Ratio)
		fmt.Fprintf(w, "cpu ratio  %.2f sqlite (sqlite3 .import cpu s ÷ threshold cpu s; steadier on a loaded machine)\n", r.CPURatio)
	}
	if r.PGBaseline != nil {
		fmt.Fprintf(w, "ratio      %.2f postgres (threshold rows/s ÷ COPY rows/s; cpu s is the client's only)\n", r.PGRatio)
	}
}

// plainCSV returns path if it is not gzipped, or else decompresses it into
// dir and returns the copy's path.
func plainCSV(path, dir string) (string, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".gz") {
		return path, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	w, err := os.Create(out)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(w, zr); err != nil {
		w.Close()
		return "", fmt.Errorf("decompress %s: %w", path, err)
	}
	return out, w.Close()
}

// baseline imports csv into a new database with the sqlite3 shell and
// returns the wall and CPU time and the number of rows stored.
func baseline(ctx context.Context, shell, csv, db string) (secs, cpu float64, rows int, err error) {
	script := ".import --csv " + quote(csv) + " ev\n"
	if n, err := tabColumns(csv); err != nil {
		return 0, 0, 0, err
	} else if n > 0 {
		// A headerless tab-separated file (GDELT): a bare table of n
		// TEXT columns, and the shell's tab mode.
		script = createTable(n) + ";\n.mode tabs\n.import " + quote(csv) + " ev\n"
	}
	cmd := exec.CommandContext(ctx, shell, db)
	cmd.Stdin = strings.NewReader(script)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, fmt.Errorf("sqlite3 .import: %w", err)
	}
	secs = time.Since(start).Seconds()
	cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	out, err := exec.CommandContext(ctx, shell, db, "SELECT COUNT(*) FROM ev").Output()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count rows: %w", err)
	}
	rows, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count rows: %w", err)
	}
	return secs, cpu, rows, nil
}

// tabColumns returns the number of tab-separated fields on the first line
// of path, or 0 if that line has no tab (a CSV with a header).
func tabColumns(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if !strings.Contains(line, "\t") {
		return 0, nil
	}
	return strings.Count(line, "\t") + 1, nil
}

// createTable is a table ev of n TEXT columns c1..cn.
func createTable(n int) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d TEXT", i+1)
	}
	return "CREATE TABLE ev (" + strings.Join(cols, ", ") + ")"
}

// quote quotes a file name for a sqlite3 dot-command.
func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// threshold ingests csv into a new, migrated database and returns the wall
// and CPU time of the ingest and the close, and the number of rows stored
// (events plus rejects).
func threshold(ctx context.Context, csv, path string) (secs, cpu float64, rows int, err error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return 0, 0, 0, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return 0, 0, 0, err
	}
	cpu0 := cpuTime()
	start := time.Now()
	sum, err := ingest.Files(ctx, db, []string{csv}, ingest.Options{})
	err = errors.Join(err, db.Close())
	secs = time.Since(start).Seconds()
	cpu = cpuTime() - cpu0
	if err != nil {
		return 0, 0, 0, err
	}
	if sum.Updated+sum.Unchanged != 0 {
		return 0, 0, 0, fmt.Errorf("a fresh store reported %d updated and %d unchanged rows", sum.Updated, sum.Unchanged)
	}
	if db, err = store.Open(ctx, path); err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	n, err := db.CountEvents(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	if n != sum.Inserted {
		return 0, 0, 0, fmt.Errorf("ingest reported %d events inserted, the store holds %d", sum.Inserted, n)
	}
	return secs, cpu, n + sum.Rejected, nil
}

// loadAverage returns the 1, 5 and 15-minute load averages, or "" where
// the system does not say.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
