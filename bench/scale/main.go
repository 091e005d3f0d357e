// Command scale measures how Threshold's ingest and indicator recompute
// grow with volume, on SQLite and PostgreSQL, against each database's own
// bulk loader as a baseline measured in the same run:
//
//	go run ./bench/scale [-sizes 1e4,1e5] [-formats gdelt2,ucdp-ged]
//	    [-dbs sqlite,postgres] [-pg URL] [-seed S] [-dir DIR] [-json]
//	    [-threshold BINARY]
//
// For each format and size it writes a SYNTHETIC file once with the
// generator of internal/synth (not timed; see that package for what is and
// is not realistic in it), then, on each database, one after the other:
//
//   - baseline: the same rows into a bare all-TEXT table. SQLite: the
//     sqlite3 shell's ".import" (".mode tabs" for the headerless GDELT
//     file, "--csv" for GED, one transaction, the shell's default rollback
//     journal). PostgreSQL: psql's "\copy ev FROM FILE" (FORMAT text for
//     GDELT, csv with HEADER for GED), into a fresh database. Timed around
//     the shell or psql process.
//   - ingest: "threshold ingest --indicators=false --json FILE" into a
//     fresh database migrated beforehand (not timed), timed around the
//     process. Threshold parses, validates and normalises every row,
//     keeps the source bytes in compressed blocks and writes the events
//     with their indexes, 5,000 rows a transaction.
//   - recompute: "threshold indicators --recompute" (every indicator of
//     every country, day, week and month, as after a bulk load), timed
//     around the process.
//
// Every measured side is a child process, so its peak memory and CPU time
// are its own (max RSS, user plus system time from getrusage; for the
// PostgreSQL baseline they are psql's: the server's memory and CPU are not
// counted, nor are the server's for Threshold on PostgreSQL). On a shared
// machine the CPU seconds say what a side cost better than the wall time
// does. Disk is the database's size after the side: the SQLite file
// with its WAL, or pg_database_size. The report gives events per second,
// the ratio of Threshold's ingest rate to the baseline's (above 1 Threshold
// is faster), seconds, MiB of RSS and of disk, and how each grows from one
// size to the next (time ×10 for ×10 events is linear).
//
// The default sizes finish in about two minutes. Larger runs, with the
// disk they need (the file, the baseline's and Threshold's databases):
//
//	go run ./bench/scale -sizes 1e7 -dbs sqlite               # ~3.5 GB file, ~15 min
//	go run ./bench/scale -sizes 1e7,5e7 -formats gdelt2       # hours; ~100 GB free
//
// The threshold binary is built once from this module into the work
// directory (-dir, default a temporary directory, removed at the end),
// unless -threshold names one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"threshold/internal/synth"
)

// Measure is one side's measurements at one size.
type Measure struct {
	Format   string  `json:"format"`
	DB       string  `json:"db"`   // sqlite or postgres
	Side     string  `json:"side"` // baseline, ingest or recompute
	Tool     string  `json:"tool"` // what ran
	Events   int64   `json:"events"`
	Seconds  float64 `json:"seconds"`
	CPUSecs  float64 `json:"cpu_seconds"` // user plus system time of the measured process
	PerSec   float64 `json:"events_per_second"`
	Ratio    float64 `json:"ratio,omitempty"` // ingest events/s ÷ baseline events/s
	RSSMiB   float64 `json:"max_rss_mib"`
	DiskMiB  float64 `json:"disk_mib"`
	Detail   string  `json:"detail,omitempty"`
	FileMiB  float64 `json:"file_mib"`
	GenSecs  float64 `json:"generate_seconds"`
	LoadAvg  string  `json:"load_avg"`
	Started  string  `json:"started"`
	FileName string  `json:"file"`
}

// Report is the outcome.
type Report struct {
	Date     string    `json:"date"`
	Machine  string    `json:"machine"`
	Seed     uint64    `json:"seed"`
	Measures []Measure `json:"measures"`
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "bench/scale:", err)
		os.Exit(1)
	}
}

type config struct {
	sizes   []int64
	formats []synth.Format
	sqlite  bool
	pg      string
	seed    uint64
	dir     string
	bin     string
	sqlite3 string
	psql    string
	log     io.Writer
}

func run(ctx context.Context) error {
	sizes := flag.String("sizes", "1e4,1e5", "comma-separated event counts, e.g. 1e5,1e6,1e7")
	formats := flag.String("formats", "gdelt2,ucdp-ged", "comma-separated synthetic formats")
	dbs := flag.String("dbs", "sqlite,postgres", "comma-separated databases to measure")
	pg := flag.String("pg", "", "PostgreSQL server URL; fresh databases are created on it and dropped (default $THRESHOLD_BENCH_POSTGRES_URL, else $THRESHOLD_TEST_POSTGRES_URL)")
	seed := flag.Uint64("seed", 1, "generator seed")
	dir := flag.String("dir", "", "work directory for files and databases (default: a temporary one, removed)")
	asJSON := flag.Bool("json", false, "print the report as one JSON object")
	bin := flag.String("threshold", "", "a threshold binary to measure (default: build this module's)")
	flag.Parse()

	c := config{seed: *seed, log: os.Stderr}
	for s := range strings.SplitSeq(*sizes, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 1 || v != float64(int64(v)) {
			return fmt.Errorf("-sizes: %q is not a count of events", s)
		}
		c.sizes = append(c.sizes, int64(v))
	}
	for s := range strings.SplitSeq(*formats, ",") {
		f, err := synth.ParseFormat(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-formats: %w", err)
		}
		c.formats = append(c.formats, f)
	}
	for s := range strings.SplitSeq(*dbs, ",") {
		switch strings.TrimSpace(s) {
		case "sqlite":
			c.sqlite = true
		case "postgres":
			c.pg = *pg
			if c.pg == "" {
				c.pg = os.Getenv("THRESHOLD_BENCH_POSTGRES_URL")
			}
			if c.pg == "" {
				c.pg = os.Getenv("THRESHOLD_TEST_POSTGRES_URL")
			}
			if c.pg == "" {
				if explicit("dbs") {
					return errors.New("-dbs postgres needs -pg URL or $THRESHOLD_BENCH_POSTGRES_URL")
				}
				fmt.Fprintln(os.Stderr, "bench/scale: PostgreSQL skipped: no -pg URL, $THRESHOLD_BENCH_POSTGRES_URL or $THRESHOLD_TEST_POSTGRES_URL")
			}
		default:
			return fmt.Errorf("-dbs: unknown database %q (want sqlite, postgres)", s)
		}
	}
	var err error
	if c.sqlite {
		if c.sqlite3, err = exec.LookPath("sqlite3"); err != nil {
			return fmt.Errorf("the SQLite baseline needs the sqlite3 shell (apt-get install sqlite3): %w", err)
		}
	}
	if c.pg != "" {
		if c.psql, err = exec.LookPath("psql"); err != nil {
			return fmt.Errorf("the PostgreSQL baseline needs psql (apt-get install postgresql-client): %w", err)
		}
	}

	c.dir = *dir
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "threshold-scale-"); err != nil {
			return err
		}
		defer os.RemoveAll(c.dir)
	} else if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	if c.bin = *bin; c.bin == "" {
		if c.bin, err = buildThreshold(ctx, c.dir); err != nil {
			return err
		}
	}

	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Seed: c.seed}
	for _, f := range c.formats {
		for _, n := range c.sizes {
			ms, err := c.measure(ctx, f, n)
			if err != nil {
				return fmt.Errorf("%s, %d events: %w", f, n, err)
			}
			rep.Measures = append(rep.Measures, ms...)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(os.Stdout)
	return nil
}

// measure generates one file and measures every side on it.
func (c *config) measure(ctx context.Context, f synth.Format, n int64) ([]Measure, error) {
	dir := filepath.Join(c.dir, fmt.Sprintf("%s-%d", f, n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o := synth.Options{Format: f, Events: n, Seed: c.seed}
	file := filepath.Join(dir, synth.FileName(o))
	fmt.Fprintf(c.log, "== %s, %d events: generating %s\n", f, n, filepath.Base(file))
	start := time.Now()
	if err := writeFile(ctx, file, o); err != nil {
		return nil, err
	}
	gen := time.Since(start).Seconds()
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	common := Measure{Format: string(f), Events: n, FileMiB: mib(st.Size()), GenSecs: gen, FileName: filepath.Base(file)}

	var out []Measure
	add := func(m Measure, err error, db, side string) error {
		if err != nil {
			return fmt.Errorf("%s %s: %w", db, side, err)
		}
		m.Format, m.Events, m.FileMiB, m.GenSecs, m.FileName = common.Format, common.Events, common.FileMiB, common.GenSecs, common.FileName
		m.DB, m.Side = db, side
		if m.Seconds > 0 && side != "recompute" {
			m.PerSec = float64(n) / m.Seconds
		}
		fmt.Fprintf(c.log, "   %-8s %-9s %8.2f s  %8.2f cpu s  %8.1f MiB RSS  %8.1f MiB disk  %s\n", db, side, m.Seconds, m.CPUSecs, m.RSSMiB, m.DiskMiB, m.Detail)
		out = append(out, m)
		return nil
	}
	if c.sqlite {
		m, err := c.sqliteBaseline(ctx, f, file, filepath.Join(dir, "baseline.db"))
		if err := add(m, err, "sqlite", "baseline"); err != nil {
			return nil, err
		}
		os.Remove(filepath.Join(dir, "baseline.db"))
		db := filepath.Join(dir, "threshold.db")
		ing, rec, err := c.threshold(ctx, db, file, n, func() (int64, error) { return sqliteSize(db) })
		if err := add(ing, err, "sqlite", "ingest"); err != nil {
			return nil, err
		}
		if err := add(rec, nil, "sqlite", "recompute"); err != nil {
			return nil, err
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
	}
	if c.pg != "" {
		m, err := c.pgBaseline(ctx, f, file)
		if err := add(m, err, "postgres", "baseline"); err != nil {
			return nil, err
		}
		u, drop, err := createDB(ctx, c.pg, "threshold")
		if err != nil {
			return nil, err
		}
		ing, rec, err := c.threshold(ctx, u, file, n, func() (int64, error) { return pgSize(ctx, u) })
		err = errors.Join(err, drop())
		if err := add(ing, err, "postgres", "ingest"); err != nil {
			return nil, err
		}
		if err := add(rec, nil, "postgres", "recompute"); err != nil {
			return nil, err
		}
	}
	// Ratios against the baseline of the same database.
	for i := range out {
		if out[i].Side != "ingest" {
			continue
		}
		for _, b := range out {
			if b.Side == "baseline" && b.DB == out[i].DB && b.PerSec > 0 {
				out[i].Ratio = out[i].PerSec / b.PerSec
			}
		}
	}
	for i := range out {
		out[i].LoadAvg = loadAverage()
	}
	return out, nil
}

// explicit reports whether the named flag was given.
func explicit(name string) bool {
	found := false
	flag.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// writeFile writes a synthetic file.
func writeFile(ctx context.Context, path string, o synth.Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := synth.Generate(ctx, f, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// threshold migrates the database at db (not timed), ingests file and
// recomputes every indicator, each timed as a child process.
func (c *config) threshold(ctx context.Context, db, file string, n int64, size func() (int64, error)) (ing, rec Measure, err error) {
	if _, err := c.child(ctx, nil, c.bin, "migrate", "--db", db); err != nil {
		return ing, rec, err
	}
	p, err := c.child(ctx, nil, c.bin, "ingest", "--db", db, "--indicators=false", "--json", file)
	if err != nil {
		return ing, rec, err
	}
	var sum struct{ Read, Inserted, Updated, Unchanged, Rejected int64 }
	if err := json.Unmarshal(p.stdout, &sum); err != nil {
		return ing, rec, fmt.Errorf("threshold ingest --json: %w: %q", err, p.stdout)
	}
	if sum.Inserted != n || sum.Rejected != 0 {
		return ing, rec, fmt.Errorf("threshold ingest stored %d events and quarantined %d of %d rows", sum.Inserted, sum.Rejected, n)
	}
	ing = Measure{Tool: "threshold ingest", Seconds: p.secs, CPUSecs: p.cpu, RSSMiB: p.rssMiB,
		Detail: fmt.Sprintf("%d inserted, %d rejected", sum.Inserted, sum.Rejected)}
	d, err := size()
	if err != nil {
		return ing, rec, err
	}
	ing.DiskMiB = mib(d)

	// --name matches no indicator, so that nothing but the recompute runs.
	p, err = c.child(ctx, nil, c.bin, "indicators", "--db", db, "--recompute", "--name", "bench-scale-lists-nothing")
	if err != nil {
		return ing, rec, err
	}
	rec = Measure{Tool: "threshold indicators --recompute", Seconds: p.secs, CPUSecs: p.cpu, RSSMiB: p.rssMiB,
		Detail: strings.TrimSpace(string(p.stderr))}
	if d, err = size(); err != nil {
		return ing, rec, err
	}
	rec.DiskMiB = mib(d)
	return ing, rec, nil
}

// sqliteBaseline imports file into a bare table with the sqlite3 shell.
func (c *config) sqliteBaseline(ctx context.Context, f synth.Format, file, db string) (Measure, error) {
	var script string
	if f == synth.GDELT2 {
		script = createTable(61) + ";\n.mode tabs\n.import " + quote(file) + " ev\n"
	} else {
		script = ".import --csv " + quote(file) + " ev\n"
	}
	p, err := c.child(ctx, strings.NewReader(script), c.sqlite3, db)
	if err != nil {
		return Measure{}, err
	}
	rows, err := c.child(ctx, nil, c.sqlite3, db, "SELECT COUNT(*) FROM ev")
	if err != nil {
		return Measure{}, err
	}
	size, err := sqliteSize(db)
	if err != nil {
		return Measure{}, err
	}
	return Measure{Tool: "sqlite3 .import", Seconds: p.secs, CPUSecs: p.cpu, RSSMiB: p.rssMiB, DiskMiB: mib(size),
		Detail: strings.TrimSpace(string(rows.stdout)) + " rows"}, nil
}

// pgBaseline copies file into a bare table of a fresh database with psql.
func (c *config) pgBaseline(ctx context.Context, f synth.Format, file string) (Measure, error) {
	u, drop, err := createDB(ctx, c.pg, "baseline")
	if err != nil {
		return Measure{}, err
	}
	defer drop()
	cols, opts := 61, "(FORMAT text)"
	if f == synth.UCDPGED {
		cols, opts = 49, "(FORMAT csv, HEADER true)"
	}
	if _, err := c.child(ctx, nil, c.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", u, "-c", createTable(cols)); err != nil {
		return Measure{}, err
	}
	p, err := c.child(ctx, nil, c.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", u, "-c", `\copy ev FROM `+pgQuote(file)+" "+opts)
	if err != nil {
		return Measure{}, err
	}
	size, err := pgSize(ctx, u)
	if err != nil {
		return Measure{}, err
	}
	rows, err := c.child(ctx, nil, c.psql, "-X", "-At", u, "-c", "SELECT COUNT(*) FROM ev")
	if err != nil {
		return Measure{}, err
	}
	return Measure{Tool: `psql \copy (COPY)`, Seconds: p.secs, CPUSecs: p.cpu, RSSMiB: p.rssMiB, DiskMiB: mib(size),
		Detail: strings.TrimSpace(string(rows.stdout)) + " rows; RSS is psql's, not the server's"}, nil
}

// createTable is a bare table of n TEXT columns.
func createTable(n int) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ev (")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "c%d TEXT", i+1)
	}
	b.WriteString(")")
	return b.String()
}

// quote quotes a file name for a sqlite3 dot-command.
func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

// pgQuote quotes a file name for psql's \copy.
func pgQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqliteSize(db string) (int64, error) {
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		st, err := os.Stat(db + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// loadAverage returns the 1, 5 and 15-minute load averages, or "".
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

// machine describes the machine: cores, memory, CPU model.
func machine() string {
	var parts []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		model := ""
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, "processor") {
				n++
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" && model == "" {
				model = strings.TrimSpace(v)
			}
		}
		parts = append(parts, fmt.Sprintf("%d cores", n), model)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				parts = append(parts, fmt.Sprintf("%.0f GiB", kb/(1<<20)))
			}
		}
	}
	return strings.Join(parts, ", ")
}
