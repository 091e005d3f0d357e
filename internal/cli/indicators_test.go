package cli

import (
	"path/filepath"
	"testing"

	"threshold/internal/testenv"
)

// TestIndicatorsMatchStats recomputes the indicators of the Central
// African Republic in January 2014 and finds the events and fatalities
// that stats reports for the same month.
func TestIndicatorsMatchStats(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "ingest", "--db", db, car)

	type row struct {
		Country, Admin1, Period, Start, Name string
		Value                                float64
	}
	got := decodeJSON[[]row](t, mustRun(t, "indicators", "--db", db, "--recompute", "--country", "CAF",
		"--from", "2014-01", "--to", "2014-01", "--json"))
	values := map[string]float64{}
	for _, r := range got {
		if r.Country != "CAF" || r.Period != "month" || r.Start != "2014-01-01" {
			t.Errorf("unexpected row %+v", r)
		}
		values[r.Name] = r.Value
	}
	type stat struct {
		Country, Period    string
		Events, Fatalities int
	}
	stats := decodeJSON[[]stat](t, mustRun(t, "stats", "--db", db, "--country", "CAF", "--from", "2014-01", "--to", "2014-01", "--json"))
	if len(stats) != 1 {
		t.Fatalf("stats: %+v, want one month", stats)
	}
	if values["events"] != float64(stats[0].Events) || values["fatalities_best"] != float64(stats[0].Fatalities) {
		t.Errorf("indicators events %g, fatalities_best %g; stats %+v", values["events"], values["fatalities_best"], stats[0])
	}

	if code, _, errs := runCLI(t, "indicators", "--db", db, "--period", "year"); code != 2 {
		t.Errorf("--period year: exit %d, want 2 (usage)\n%s", code, errs)
	}
}
