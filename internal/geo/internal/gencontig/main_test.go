package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"threshold/internal/testenv"
)

// TestCommittedTableIsFresh fails when ../../contiguity.csv differs from a
// fresh build: run go generate ./internal/geo.
func TestCommittedTableIsFresh(t *testing.T) {
	in := testenv.SharedData(t, "contiguity", "cow_direct_contiguity_v3.2.csv")
	out := filepath.Join(t.TempDir(), "contiguity.csv")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../contiguity.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("contiguity.csv differs from a fresh build; run go generate ./internal/geo")
	}
}
