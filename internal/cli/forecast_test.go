package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/forecast"
	"threshold/internal/testenv"
)

func TestForecastBacktest(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	var paths []string
	for _, f := range [][2]string{
		{"ewp-sra", "basedata2025_4august2025.csv"},
		{"ewp-sra", "FOOSforecasts_3Sep2025.csv"},
		{"ucdp-acd", "UcdpPrioConflict_v25_1.csv"},
		{"ucdp-brd", "BattleDeaths_v25_1.csv"},
		{"coups", "ewp_all_coups_country_year.csv"},
	} {
		paths = append(paths, testenv.SharedData(t, f[0], f[1]))
	}
	mustRun(t, append([]string{"import", "--db", db}, paths...)...)

	preds := filepath.Join(t.TempDir(), "p.csv")
	quick := []string{"--db", db, "--horizon", "1", "--from", "2013", "--to", "2014", "--train-from", "1990",
		"--warmup", "3", "--trees", "20", "--replicates", "50"}
	out := mustRun(t, append([]string{"forecast", "backtest", "--target", "mass-killing-onset", "--json", "--predictions", preds}, quick...)...)
	rep := decodeJSON[forecast.Report](t, out)
	var models []string
	for _, m := range rep.Models {
		models = append(models, m.Model)
		if m.N != rep.Scored || m.Brier.Lo > m.Brier.Value || m.Brier.Hi < m.Brier.Value {
			t.Errorf("%s: n %d (want %d), Brier %+v", m.Model, m.N, rep.Scored, m.Brier)
		}
	}
	want := "base-rate unit-history persistence logit gbt ensemble ewp"
	if got := strings.Join(models, " "); got != want || rep.Scored < 300 || rep.Replicates != 50 {
		t.Errorf("models %q, scored %d, replicates %d; want %q, about 160 countries a year", got, rep.Scored, rep.Replicates, want)
	}

	f, err := os.Open(preds)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "unit,ccode,iso3,period,year,model,probability,outcome" || len(rows)-1 != rep.Scored*7 {
		t.Errorf("predictions: header %v, %d rows; want %d (7 models)", rows[0], len(rows)-1, rep.Scored*7)
	}
	// EWP's Burkina Faso 2014 forecast, as its file has it.
	found := false
	for _, r := range rows[1:] {
		if r[2] == "BFA" && r[4] == "2014" && r[5] == "ewp" {
			found = r[1] == "439" && r[3] == "2014" && r[7] == "0"
		}
	}
	if !found {
		t.Error("no ewp row for Burkina Faso (439) 2014 with outcome 0")
	}

	// The text report names every model and the ensemble's calibration.
	text := mustRun(t, append([]string{"forecast", "backtest", "--target", "conflict-onset"}, quick...)...)
	for _, s := range []string{"conflict-onset, horizon 1", "ensemble - base-rate", "ensemble calibration", "unit-history"} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q:\n%s", s, text)
		}
	}
}

func TestForecastUsage(t *testing.T) {
	for _, args := range [][]string{
		{"forecast"},
		{"forecast", "run"},
		{"forecast", "backtest", "--from", "1994", "--to", "2024"},
		{"forecast", "backtest", "--target", "coups", "--from", "1994", "--to", "2024"},
		{"forecast", "backtest", "--target", "conflict-onset", "--from", "2024", "--to", "1994"},
		{"forecast", "backtest", "--target", "conflict-onset", "--from", "1994", "--to", "2024", "--horizon", "0"},
	} {
		if code, _, errs := runCLI(t, args...); code != 2 {
			t.Errorf("threshold %s: exit %d (%s), want 2", strings.Join(args, " "), code, clip(errs, 200))
		}
	}
}
