package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDemo runs the README's first command: it ingests the bundled real
// samples and prints a country-month summary; run again, it adds nothing.
func TestDemo(t *testing.T) {
	db := t.TempDir() + "/demo.db"
	out := mustRun(t, "demo", "--db", db)
	for _, want := range []string{
		"GEDEvent_v23_1_central_african_republic.csv (ucdp-ged): read 1848, inserted 1848",
		"20191024143000.export.CSV (gdelt): read 2111, inserted 2073, updated 0, unchanged 0, rejected 38",
		"CAF    1848       14948", // UCDP's own check: 3,120 + 3,761 + 8,067 best deaths
		"CAF  2013-12      41        1318",
		"alerts: the Central African Republic 2012-12 to 2014-06 replayed month by month through the rules: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// GDELT rows have no header; their columns are named from the codebook.
	var e eventJSON
	if err := json.Unmarshal([]byte(mustRun(t, "events", "--db", db, "--source", "gdelt", "--limit", "1", "--format", "json")), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.RawColumns) != 61 || len(e.Raw) != 61 {
		t.Fatalf("GDELT event %s: %d column names for %d fields, want 61 and 61", e.SourceID, len(e.RawColumns), len(e.Raw))
	}
	if e.RawColumns[52] != "ActionGeo_FullName" || e.Raw[52] != e.Place {
		t.Errorf("GDELT event %s: column 52 %q = %q, want ActionGeo_FullName = %q", e.SourceID, e.RawColumns[52], e.Raw[52], e.Place)
	}
	// The replay filled the inbox: the Séléka take Bangui in March 2013.
	alerts := mustRun(t, "alerts", "--db", db, "--all")
	if !strings.Contains(alerts, "mass-fatalities-admin1    CAF / Bangui province          2013-03-01") {
		t.Errorf("the demo's inbox lacks Bangui's March 2013 alert:\n%s", alerts)
	}
	again := mustRun(t, "demo", "--db", db)
	if !strings.Contains(again, "total: read 3959, inserted 0, updated 0, unchanged 3921, rejected 38") ||
		!strings.Contains(again, "through the rules: 0 alerts opened") {
		t.Errorf("second demo run is not idempotent:\n%s", again)
	}
}
