package main

import (
	"strings"
	"testing"
)

func TestPrintShowsRatiosAndGrowth(t *testing.T) {
	r := Report{Date: "2026-11-26", Machine: "test", Seed: 1, Measures: []Measure{
		{Format: "gdelt2", DB: "sqlite", Side: "baseline", Events: 1000, Seconds: 1, PerSec: 1000, RSSMiB: 10, DiskMiB: 1},
		{Format: "gdelt2", DB: "sqlite", Side: "ingest", Events: 1000, Seconds: 2, PerSec: 500, Ratio: 0.5, RSSMiB: 50, DiskMiB: 2},
		{Format: "gdelt2", DB: "sqlite", Side: "baseline", Events: 10000, Seconds: 10, PerSec: 1000, RSSMiB: 10, DiskMiB: 10},
		{Format: "gdelt2", DB: "sqlite", Side: "ingest", Events: 10000, Seconds: 30, PerSec: 333, Ratio: 0.33, RSSMiB: 55, DiskMiB: 20},
	}}
	var b strings.Builder
	r.print(&b)
	out := b.String()
	for _, want := range []string{"0.50", "0.33", "1000 → 10000", "×15.0", "×1.10", "×10.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestCreateTable(t *testing.T) {
	got := createTable(3)
	if got != "CREATE TABLE ev (c1 TEXT, c2 TEXT, c3 TEXT)" {
		t.Errorf("createTable(3) = %q", got)
	}
	if q := pgQuote("/tmp/it's.csv"); q != "'/tmp/it''s.csv'" {
		t.Errorf("pgQuote = %s", q)
	}
}
