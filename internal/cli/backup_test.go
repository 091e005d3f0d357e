package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

func TestBackup(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	mustRun(t, "ingest", "--db", db, "--indicators=false", path)
	backup := filepath.Join(dir, "copy.db")

	out := mustRun(t, "backup", "--db", db, "-o", backup)
	for _, s := range []string{backup, "schema version", "1848 events", "audit log OK (1 entries)"} {
		if !strings.Contains(out, s) {
			t.Errorf("backup said %q, want it to say %q", out, s)
		}
	}
	if _, err := os.Stat(backup + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the partial file is left behind: %v", err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.CountEvents(ctx)
	st.Close()
	if err != nil || n != 1848 {
		t.Errorf("the copy holds %d events (%v), want 1848", n, err)
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no -o", []string{"backup", "--db", db}, 2, "-o FILE is required"},
		{"the file exists", []string{"backup", "--db", db, "-o", backup}, 1, "the file exists"},
		{"no database", []string{"backup", "--db", filepath.Join(dir, "none.db"), "-o", filepath.Join(dir, "x.db")}, 1, "none.db"},
		{"postgres", []string{"backup", "--db", "postgres://u:secret@db.example.org/threshold", "-o", "x.dump"}, 1, "pg_dump --format=custom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("exit %d, %q; want %d and %q", code, stderr, tt.code, tt.inStderr)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("the password is printed: %q", stderr)
			}
		})
	}
}
