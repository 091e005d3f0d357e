package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for the threshold command: with
// THRESHOLD_TEST_AS_CLI=1 it runs Main on its arguments and exits, so that
// tests can run and kill a real process without building one.
func TestMain(m *testing.M) {
	if os.Getenv("THRESHOLD_TEST_AS_CLI") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCLI runs the command line in-process and returns its exit code and
// output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:     func(string) string { return "" },
		Log:        slog.New(slog.NewTextHandler(&errb, &slog.HandlerOptions{Level: slog.LevelWarn})),
		IsTerminal: func(io.Writer) bool { return false },
	}
	code = run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("threshold %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", clip(s, 200), err)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value in %q", clip(s, 200))
	}
	return v
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, ""},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"ingest"}, 2, "no files to ingest"},
		{[]string{"ingest", "--bogus", "x"}, 2, "flag provided but not defined"},
		{[]string{"stats", "--by", "year"}, 2, `--by "year"`},
		{[]string{"events", "--country", "Sudan"}, 2, "ISO 3166-1 alpha-3"},
		{[]string{"events", "--from", "June"}, 2, `"June" is not a date`},
		{[]string{"events", "--category", "war"}, 2, `--category "war"`},
		{[]string{"events", "--format", "xml"}, 2, `--format "xml"`},
		{[]string{"help"}, 0, ""},
		{[]string{"ingest", "-h"}, 0, "usage: threshold ingest"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("threshold %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
}

func TestIngestMissingFileFailsNamingIt(t *testing.T) {
	db := t.TempDir() + "/t.db"
	code, _, stderr := runCLI(t, "ingest", "--db", db, "/nonexistent/ged.csv")
	if code != 1 || !strings.Contains(stderr, "/nonexistent/ged.csv") {
		t.Errorf("exit %d, stderr %q; want 1 and the file named", code, stderr)
	}
}

func TestParseAcceptsFlagsAfterArguments(t *testing.T) {
	fs := newFlags("x", "", &Env{Stderr: io.Discard})
	j := fs.Bool("json", false, "")
	db := fs.String("db", "", "")
	if err := parse(fs, []string{"a.csv", "--json", "b.csv", "--db", "x.db"}); err != nil {
		t.Fatal(err)
	}
	if !*j || *db != "x.db" || strings.Join(fs.Args(), ",") != "a.csv,b.csv" {
		t.Errorf("json=%v db=%q args=%v", *j, *db, fs.Args())
	}
}

// TestHelpForEveryCommand asks every command for its help both ways:
// "threshold help NAME" and "threshold NAME -h" print its usage and exit 0.
func TestHelpForEveryCommand(t *testing.T) {
	for name := range commands() {
		for _, args := range [][]string{{"help", name}, {name, "-h"}} {
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 || !strings.Contains(stdout+stderr, "usage: threshold "+name) {
				t.Errorf("threshold %s: exit %d, output %.120q; want exit 0 and its usage", strings.Join(args, " "), code, stdout+stderr)
			}
		}
	}
}
