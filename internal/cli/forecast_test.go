package cli

import (
	"encoding/csv"
	"encoding/json"
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
		{"forecast", "walk"},
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

func TestForecastMonthly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "ingest", "--db", db, testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"),
		testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_mexico.csv"))
	html := filepath.Join(t.TempDir(), "r.html")
	preds := filepath.Join(t.TempDir(), "p.csv")
	out := mustRun(t, "forecast", "backtest", "--db", db, "--target", "onset", "--unit", "admin1-month", "--horizon", "1",
		"--from", "2016-01", "--to", "2016-12", "--warmup-months", "12", "--trees", "20", "--replicates", "20", "--json", "--html", html,
		"--predictions", preds)
	rep := decodeJSON[forecast.MonthlyReport](t, out)
	pf, err := os.Open(preds)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	prows, err := csv.NewReader(pf).ReadAll()
	if err != nil || len(prows) != 1+6*rep.Scored || !strings.HasPrefix(prows[1][3], "2016-") || !strings.Contains(prows[1][0], "/") {
		t.Errorf("predictions: %d rows (want 1+6x%d), first %v, %v", len(prows), rep.Scored, prows[min(1, len(prows)-1)], err)
	}
	if rep.Unit != forecast.Admin1Month || rep.From != "2016-01" || rep.To != "2016-12" || len(rep.Models) != 6 || rep.Events == 0 {
		t.Errorf("report %+v", rep)
	}
	page, err := os.ReadFile(html)
	if err != nil || strings.Count(string(page), "<svg") != 3 {
		t.Errorf("HTML report: %d SVG plots, %v; want 3", strings.Count(string(page), "<svg"), err)
	}
	text := mustRun(t, "forecast", "backtest", "--db", db, "--target", "fatalities", "--horizon", "3",
		"--from", "2016-01", "--to", "2016-12", "--warmup-months", "12", "--replicates", "0")
	for _, want := range []string{"fatalities, country-month, horizon 3", "lognormal", "nb-glm - persistence"} {
		if !strings.Contains(text, want) {
			t.Errorf("fatalities report lacks %q:\n%s", want, text)
		}
	}

	out = mustRun(t, "forecast", "run", "--db", db, "--unit", "country-month", "--horizons", "1,3", "--json")
	var stored []struct {
		Target      string            `json:"target"`
		Country     string            `json:"country"`
		Period      string            `json:"period"`
		Horizon     int               `json:"horizon"`
		Cutoff      string            `json:"cutoff"`
		Probability *float64          `json:"probability"`
		Mean        *float64          `json:"mean"`
		Factors     []forecast.Factor `json:"factors"`
	}
	if err := json.Unmarshal([]byte(out), &stored); err != nil {
		t.Fatal(err)
	}
	// CAF and MEX, three targets, two horizons; onset only where at risk.
	// The Mexico file's last event starts on 2023-12-31: the cut-off.
	counts := map[string]int{}
	for _, f := range stored {
		counts[f.Target]++
		if f.Cutoff[:10] != "2023-12-31" || (f.Target != "fatalities") != (f.Probability != nil) || (f.Target == "fatalities") != (f.Mean != nil) || len(f.Factors) == 0 {
			t.Errorf("forecast %+v", f)
		}
		if f.Target == "active" && f.Horizon == 1 && !strings.HasPrefix(f.Period, "2024-01") {
			t.Errorf("horizon 1 forecasts %s, want 2024-01", f.Period)
		}
	}
	if counts["active"] != 4 || counts["fatalities"] != 4 || counts["onset"] > 4 {
		t.Errorf("forecasts by target %v, want 4 active, 4 fatalities, at most 4 onsets", counts)
	}
	for _, args := range [][]string{
		{"forecast", "backtest", "--db", db, "--target", "onset", "--unit", "district-month", "--from", "2016-01", "--to", "2016-12"},
		{"forecast", "backtest", "--db", db, "--target", "onset", "--from", "2016", "--to", "2016-12"},
		{"forecast", "backtest", "--db", db, "--target", "active", "--horizon", "7", "--from", "2016-01", "--to", "2016-12"},
		{"forecast", "run", "--db", db, "--target", "peace"},
		{"forecast", "run", "--db", db, "--horizons", "0"},
	} {
		if code, _, _ := runCLI(t, args...); code == 0 {
			t.Errorf("%v: exit 0, want an error", args)
		}
	}
}
