package resilience

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the sqlite database/sql driver, for the checks' own queries

	"threshold/internal/audit"
	"threshold/internal/cli"
	"threshold/internal/store"
)

// TestMain lets the test binary stand in for the threshold command, as in
// internal/cli: with THRESHOLD_TEST_AS_CLI=1 it runs cli.Main on its
// arguments and exits, so that a test can run and kill a real process
// without building one.
func TestMain(m *testing.M) {
	if os.Getenv("THRESHOLD_TEST_AS_CLI") == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// threshold runs the command line in a child process and returns its exit
// code, standard output and standard error.
func threshold(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := child(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatalf("threshold %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errb.String()
}

// child returns the command that runs threshold with args in a child
// process (this test binary, see TestMain).
func child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "THRESHOLD_TEST_AS_CLI=1", "THRESHOLD_DB=")
	return cmd
}

// ingestSummary is the part of "threshold ingest --json" the tests read.
type ingestSummary struct {
	Read      int `json:"read"`
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// mustIngest ingests paths into db in a child process, which must
// succeed, and returns its summary.
func mustIngest(t *testing.T, db string, paths ...string) ingestSummary {
	t.Helper()
	args := append([]string{"ingest", "--db", db, "--json", "--indicators=false"}, paths...)
	code, out, errs := threshold(t, args...)
	if code != 0 {
		t.Fatalf("threshold ingest exited %d: %s", code, errs)
	}
	var s ingestSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("ingest summary %q: %v", out, err)
	}
	return s
}

// consistent checks the database at url after a fault: exactly
// wantEvents events, no source record twice, the audit chain verifies,
// the fund ledger balances, and a SQLite file passes integrity_check.
func consistent(t *testing.T, url string, wantEvents int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("reopen after the fault: %v", err)
	}
	defer st.Close()
	if n, err := st.CountEvents(ctx); err != nil {
		t.Errorf("count events: %v", err)
	} else if n != wantEvents {
		t.Errorf("the store holds %d events, want exactly %d", n, wantEvents)
	}
	if n, _, err := audit.New(st, nil).Verify(ctx); err != nil {
		t.Errorf("audit verify (%d entries): %v", n, err)
	}
	checkLedger(t, st)

	raw := rawDB(t, url)
	var dups int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT source, source_id FROM events
		GROUP BY source, source_id HAVING COUNT(*) > 1) d`).Scan(&dups); err != nil {
		t.Errorf("count duplicates: %v", err)
	} else if dups != 0 {
		t.Errorf("%d source records are stored more than once", dups)
	}
	if !store.IsPostgres(url) {
		var res string
		if err := raw.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
			t.Errorf("integrity_check: %v", err)
		} else if res != "ok" {
			t.Errorf("integrity_check: %s", res)
		}
	}
}

// checkLedger checks the fund's ledger: the postings sum to zero in each
// currency and every stored balance equals the sum of its postings.
func checkLedger(t *testing.T, st *store.DB) {
	t.Helper()
	ctx := context.Background()
	sums, err := st.FundPostingSums(ctx)
	if err != nil {
		t.Errorf("fund posting sums: %v", err)
		return
	}
	bals, err := st.FundBalances(ctx)
	if err != nil {
		t.Errorf("fund balances: %v", err)
		return
	}
	perCur := map[string]int64{}
	fromPostings := map[string]int64{}
	for _, s := range sums {
		perCur[s.Currency] += s.Minor
		fromPostings[s.Account+" "+s.Currency] = s.Minor
	}
	for cur, v := range perCur {
		if v != 0 {
			t.Errorf("fund postings in %s sum to %d, not zero", cur, v)
		}
	}
	for _, b := range bals {
		k := b.Account + " " + b.Currency
		if fromPostings[k] != b.Minor {
			t.Errorf("fund balance of %s is %d, its postings sum to %d", k, b.Minor, fromPostings[k])
		}
		delete(fromPostings, k)
	}
	for k, v := range fromPostings {
		if v != 0 {
			t.Errorf("fund postings on %s (%d) have no balance row", k, v)
		}
	}
}

// rawDB opens the database at url with database/sql, for the checks'
// own queries; closed when the test ends.
func rawDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", url
	if store.IsPostgres(url) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", store.MaskURL(url), err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
