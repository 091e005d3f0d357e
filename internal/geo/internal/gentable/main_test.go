package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"threshold/internal/testenv"
)

// TestCommittedTableIsCurrent regenerates the table from shared data and
// compares it with the files committed in internal/geo.
func TestCommittedTableIsCurrent(t *testing.T) {
	dir := filepath.Dir(testenv.SharedData(t, "country-codes", "countrycode_codelist.csv"))
	out := t.TempDir()
	if err := run(dir, out, io.Discard); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, name := range []string{"countries.csv", "states.csv", "names.csv", "aliases.csv"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("internal/geo/%s differs from a fresh build; run go generate ./internal/geo and commit the result", name)
		}
	}
}
