// Command serve measures the country-statistics endpoint of a Threshold
// server under a fixed open-loop load, on SQLite and PostgreSQL:
//
//	go run ./bench/serve [-db sqlite|postgres|both] [-rate 500] [-duration 20s] [-cache on|off|both] [-json]
//
// For each database it ingests the full sample data (UCDP GED 21.1's
// global subset, then the Central African Republic, Mexico and Syria GED
// files, found in shared/data above the working directory or in
// $THRESHOLD_SHARED_DATA), creates an analyst and an API token through
// the auth service as "threshold token create" does, and starts the
// server in-process on 127.0.0.1:0. It then sends
//
//	GET /api/v1/stats?by=country-month&country=XXX
//
// with the token, cycling through every country in the data in a fixed
// shuffled order, at -rate requests per second for -duration: request i
// is due at start + i/rate whether or not earlier ones have been answered
// (open loop), so a slow server is not given a rest. Before each run, one
// request per country, one at a time, warms the server up; it is not
// measured. Latency is measured
// from when a request was due, so queueing in the client counts against
// the server. The run is bounded: rate × duration requests, and answers
// still missing 10 s after the last one is due are counted as failed.
//
// With -cache on, the server runs as configured by default (statistics
// results reused for 30 s, cleared by ingests through the API); with off,
// every request queries the database. The load generator runs in the
// same process as the server, so on a small machine they share its
// cores; the report says how many.
//
// PostgreSQL is the server at -postgres (default $THRESHOLD_TEST_POSTGRES_URL,
// else postgres://postgres@127.0.0.1:5432/test), in a schema made for the
// run and dropped after it.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver, for the run's schema

	"threshold/internal/app"
	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// files are the full sample data, in ingest order.
var files = [][]string{
	{"ucdp-ged", "ged211_precise_location_subset_global.csv.gz"},
	{"ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"},
	{"ucdp-ged", "GEDEvent_v23_1_mexico.csv"},
	{"ucdp-ged", "GEDEvent_syria_652.1601.1911.csv.gz"},
}

// drainTimeout is how long answers may take after the last request is
// due.
const drainTimeout = 10 * time.Second

// Result is one load run.
type Result struct {
	DB        string  `json:"db"`
	Cache     bool    `json:"cache"`
	Rate      float64 `json:"rate"`     // asked, requests per second
	Duration  float64 `json:"duration"` // seconds of load
	Sent      int     `json:"sent"`
	OK        int     `json:"ok"`     // 200 answers
	Failed    int     `json:"failed"` // other statuses, errors and answers too late
	Achieved  float64 `json:"achieved"`
	P50       float64 `json:"p50_ms"` // latencies in milliseconds, over the 200 answers
	P90       float64 `json:"p90_ms"`
	P99       float64 `json:"p99_ms"`
	Max       float64 `json:"max_ms"`
	Countries int     `json:"countries"`
}

// Report is the whole benchmark.
type Report struct {
	Go         string   `json:"go"`
	CPUs       int      `json:"cpus"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	Load       string   `json:"load"` // /proc/loadavg before the first run
	Events     int      `json:"events"`
	Ingest     []string `json:"ingest"` // per database: seconds to ingest the sample
	Results    []Result `json:"results"`
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	dbs := flag.String("db", "both", "database: sqlite, postgres or both")
	rate := flag.Float64("rate", 500, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "length of each load run")
	cache := flag.String("cache", "both", "statistics cache: on, off or both")
	pgURL := flag.String("postgres", defaultPostgres(), "PostgreSQL server for -db postgres")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.Parse()
	if *rate <= 0 || *duration <= 0 {
		return errors.New("-rate and -duration must be positive")
	}
	var dialects []string
	switch *dbs {
	case "sqlite", "postgres":
		dialects = []string{*dbs}
	case "both":
		dialects = []string{"sqlite", "postgres"}
	default:
		return fmt.Errorf("-db %q: want sqlite, postgres or both", *dbs)
	}
	var caches []bool
	switch *cache {
	case "on":
		caches = []bool{true}
	case "off":
		caches = []bool{false}
	case "both":
		caches = []bool{true, false}
	default:
		return fmt.Errorf("-cache %q: want on, off or both", *cache)
	}
	var paths []string
	dataDir := testenv.SharedDataDir()
	if dataDir == "" {
		return errors.New("shared data not found: set THRESHOLD_SHARED_DATA to the shared/data folder")
	}
	for _, f := range files {
		paths = append(paths, filepath.Join(append([]string{dataDir}, f...)...))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	rep := Report{Go: runtime.Version(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Load: strings.TrimSpace(string(load))}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	for _, d := range dialects {
		dbURL, cleanup, err := database(ctx, d, *pgURL)
		if err != nil {
			return err
		}
		err = func() error {
			defer cleanup()
			fmt.Fprintf(os.Stderr, "%s: ingesting %d files\n", d, len(paths))
			secs, n, countries, token, err := prepare(ctx, dbURL, paths)
			if err != nil {
				return fmt.Errorf("%s: %w", d, err)
			}
			rep.Events = n
			rep.Ingest = append(rep.Ingest, fmt.Sprintf("%s %.1f s", d, secs))
			for _, c := range caches {
				ttl := time.Duration(0) // the default
				if !c {
					ttl = -1
				}
				a, err := app.New(ctx, app.Options{DB: dbURL, Addr: "127.0.0.1:0", Log: log, StatsCacheTTL: ttl})
				if err != nil {
					return err
				}
				if err := a.Start(); err != nil {
					a.Stop(ctx)
					return err
				}
				fmt.Fprintf(os.Stderr, "%s, cache %v: %.0f req/s for %s against %s\n", d, onOff(c), *rate, *duration, a.Addr())
				if err := warmUp(ctx, a.Addr(), token, countries); err != nil {
					a.Stop(ctx)
					return err
				}
				res := loadRun(ctx, a.Addr(), token, countries, *rate, *duration)
				res.DB, res.Cache = d, c
				stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err = a.Stop(stopCtx)
				cancel()
				if err != nil {
					return err
				}
				rep.Results = append(rep.Results, res)
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(os.Stdout, rep)
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func defaultPostgres() string {
	if u := os.Getenv("THRESHOLD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test"
}

// database returns the URL of an empty database for the run, and a
// function that removes it.
func database(ctx context.Context, dialect, pgURL string) (string, func(), error) {
	if dialect == "sqlite" {
		dir, err := os.MkdirTemp("", "threshold-bench-serve-")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "bench_serve_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("postgres %s: %w", store.MaskURL(pgURL), err)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		if _, err := admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "bench/serve: drop schema:", err)
		}
		admin.Close()
	}, nil
}

// prepare migrates and fills the database, and makes an analyst's API
// token the way the CLI does. It returns the ingest's seconds, the number
// of events, the countries in the data and the token.
func prepare(ctx context.Context, dbURL string, paths []string) (float64, int, []string, string, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return 0, 0, nil, "", err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return 0, 0, nil, "", err
	}
	start := time.Now()
	if _, err := ingest.Files(ctx, db, paths, ingest.Options{}); err != nil {
		return 0, 0, nil, "", err
	}
	secs := time.Since(start).Seconds()
	n, err := db.CountEvents(ctx)
	if err != nil {
		return 0, 0, nil, "", err
	}
	months, err := db.Stats(ctx, store.CountryMonth, event.Filter{})
	if err != nil {
		return 0, 0, nil, "", err
	}
	var countries []string
	for _, m := range months {
		if len(countries) == 0 || countries[len(countries)-1] != m.Country {
			countries = append(countries, m.Country)
		}
	}
	// A fixed shuffle: big and small countries interleave, the same in
	// every run.
	r := mathrand.New(mathrand.NewPCG(1, 2))
	r.Shuffle(len(countries), func(i, j int) { countries[i], countries[j] = countries[j], countries[i] })

	svc := auth.NewService(db, auth.Options{})
	by := auth.Actor{Name: "bench/serve"}
	if _, err := svc.AddOrg(ctx, by, "Benchmark"); err != nil {
		return 0, 0, nil, "", err
	}
	if _, err := svc.AddUser(ctx, by, auth.NewUser{Org: "Benchmark", Role: auth.Analyst,
		Email: "bench@example.org", Password: "a long benchmark password"}); err != nil {
		return 0, 0, nil, "", err
	}
	token, _, err := svc.CreateToken(ctx, by, auth.NewToken{Email: "bench@example.org", Name: "bench/serve", Scope: auth.ScopeRead})
	if err != nil {
		return 0, 0, nil, "", err
	}
	return secs, n, countries, token, nil
}

// warmUp asks once for each country, one request at a time, before the
// measured run: the database's pages, the server's connections and, with
// the cache on, its entries are as in a server that has been running.
func warmUp(ctx context.Context, addr, token string, countries []string) error {
	for _, c := range countries {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			"http://"+addr+"/api/v1/stats?by=country-month&country="+c, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("warm-up: GET stats for %s: %s", c, resp.Status)
		}
	}
	return nil
}

// loadRun sends rate × d requests on an open-loop schedule and measures
// them.
func loadRun(ctx context.Context, addr, token string, countries []string, rate float64, d time.Duration) Result {
	total := int(rate * d.Seconds())
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute},
		Timeout:   d + drainTimeout,
	}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, total)
	ok := make([]bool, total)
	var wg sync.WaitGroup
	interval := float64(time.Second) / rate
	start := time.Now()
	deadline := start.Add(d + drainTimeout)
	for i := range total {
		due := start.Add(time.Duration(float64(i) * interval))
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithDeadline(ctx, deadline)
			defer cancel()
			q := "http://" + addr + "/api/v1/stats?by=country-month&country=" + countries[i%len(countries)]
			req, err := http.NewRequestWithContext(rctx, http.MethodGet, q, nil)
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat[i] = time.Since(due)
			ok[i] = err == nil && resp.StatusCode == http.StatusOK
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{Rate: rate, Duration: d.Seconds(), Sent: total, Countries: len(countries)}
	var good []time.Duration
	for i := range total {
		if ok[i] {
			good = append(good, lat[i])
		}
	}
	res.OK, res.Failed = len(good), total-len(good)
	// Achieved: good answers per second, from the first request until
	// the last answer.
	res.Achieved = float64(res.OK) / elapsed.Seconds()
	slices.Sort(good)
	ms := func(q float64) float64 {
		if len(good) == 0 {
			return 0
		}
		return float64(good[min(len(good)-1, int(q*float64(len(good))))]) / float64(time.Millisecond)
	}
	res.P50, res.P90, res.P99 = ms(0.50), ms(0.90), ms(0.99)
	if len(good) > 0 {
		res.Max = float64(good[len(good)-1]) / float64(time.Millisecond)
	}
	return res
}

func printReport(w io.Writer, rep Report) {
	fmt.Fprintf(w, "GET /api/v1/stats?by=country-month&country=XXX, %d events, %d countries cycled\n",
		rep.Events, firstCountries(rep))
	fmt.Fprintf(w, "%s, %d CPUs, GOMAXPROCS %d, load %s; ingest: %s\n\n", rep.Go, rep.CPUs, rep.GOMAXPROCS, rep.Load,
		strings.Join(rep.Ingest, ", "))
	fmt.Fprintf(w, "%-9s %-6s %8s %8s %8s %8s %9s %8s %8s %8s %8s\n",
		"db", "cache", "rate", "sent", "ok", "failed", "achieved", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, r := range rep.Results {
		fmt.Fprintf(w, "%-9s %-6s %8.0f %8d %8d %8d %9.1f %8.2f %8.2f %8.2f %8.1f\n",
			r.DB, onOff(r.Cache), r.Rate, r.Sent, r.OK, r.Failed, r.Achieved, r.P50, r.P90, r.P99, r.Max)
	}
}

func firstCountries(rep Report) int {
	if len(rep.Results) == 0 {
		return 0
	}
	return rep.Results[0].Countries
}
