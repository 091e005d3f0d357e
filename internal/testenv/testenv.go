// Package testenv finds what tests need outside the repository (the shared
// real data sets, a PostgreSQL server, a browser) and decides what happens
// when it is missing: on a laptop the test is skipped with a message saying
// what to install; with THRESHOLD_TEST_REQUIRE_ALL=1 (as CI sets it) a
// missing dependency fails the test, so CI never passes by skipping.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireAll reports whether THRESHOLD_TEST_REQUIRE_ALL asks that no test
// be skipped for want of a dependency.
func RequireAll() bool { return os.Getenv("THRESHOLD_TEST_REQUIRE_ALL") == "1" }

// Unavailable skips the test, or fails it when RequireAll, saying what is
// missing and how to provide it.
func Unavailable(tb testing.TB, what string) {
	tb.Helper()
	if RequireAll() {
		tb.Fatalf("%s (THRESHOLD_TEST_REQUIRE_ALL=1 forbids skipping)", what)
	}
	tb.Skip(what)
}

// SharedDataDir returns the directory holding the shared real data sets:
// $THRESHOLD_SHARED_DATA if set, else the first "shared/data" found in the
// working directory's parents (the repository is checked out beside
// shared/). It returns "" if there is none.
func SharedDataDir() string {
	if d := os.Getenv("THRESHOLD_SHARED_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// SharedData returns the path of a file in the shared data directory, e.g.
// SharedData(t, "ucdp-ged", "GEDEvent_v23_1_mexico.csv"). The test is
// skipped (or failed, see RequireAll) when the file is not there.
func SharedData(tb testing.TB, elem ...string) string {
	tb.Helper()
	dir := SharedDataDir()
	if dir == "" {
		Unavailable(tb, "shared data directory not found: set THRESHOLD_SHARED_DATA to the shared/data folder")
		return ""
	}
	p := filepath.Join(append([]string{dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		Unavailable(tb, "shared data file missing: "+p)
	}
	return p
}
