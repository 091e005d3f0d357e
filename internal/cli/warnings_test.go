package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// TestWarningsBacktestJSON backtests a one-rule file and the default rules
// on the real CAR GED events and checks the JSON object the issue asks
// for.
func TestWarningsBacktestJSON(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	mustRun(t, "ingest", "--db", db, car)
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(`version: "test-1"
rules:
  - id: mass-fatalities-admin1
    name: 100 or more deaths in an area in a month
    severity: critical
    labels: {stage: escalation}
    level: admin1
    indicator: {name: fatalities_best, op: ">=", value: 100}
  - id: unlabelled
    name: Any death
    severity: info
    indicator: {name: fatalities_best, op: ">", value: 0}
`), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		args     []string
		version  string
		step     string
		firstDay string // the earliest step in the run
	}{
		{"rules file", []string{"--rules", rulesFile, "--label", "stage=escalation"}, "test-1", "month", "2012-01-31"},
		{"default rules", nil, "default-", "month", "2012-01-31"},
		{"default rules every week", []string{"--step", "week"}, "default-", "week", "2012-01-01"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"warnings", "backtest", "--db", db, "--from", "2012-01", "--to", "2016-12-31",
				"--country", "caf", "--json", "--alerts"}, tt.args...)
			r := decodeJSON[map[string]any](t, mustRun(t, args...))
			for _, k := range []string{"episodes", "alerts", "recall", "precision", "median_lead_days"} {
				if _, ok := r[k].(float64); !ok {
					t.Errorf("%q: %v, want a number", k, r[k])
				}
			}
			if v, _ := r["rules_version"].(string); !strings.HasPrefix(v, tt.version) {
				t.Errorf("rules_version %q, want %q", v, tt.version)
			}
			if r["step"] != tt.step {
				t.Errorf("step %v, want %s", r["step"], tt.step)
			}
			if r["from"] != "2012-01" || r["to"] != "2016-12" || r["countries"] != 1.0 {
				t.Errorf("from %v to %v, %v countries; want 2012-01..2016-12, 1", r["from"], r["to"], r["countries"])
			}
			base, _ := r["baseline"].(map[string]any)
			if base["name"] != "any-fatality-last-month" {
				t.Errorf("baseline %v", base)
			}
			for _, k := range []string{"alerts", "recall", "precision", "median_lead_days"} {
				if _, ok := base[k].(float64); !ok {
					t.Errorf("baseline %q: %v, want a number", k, base[k])
				}
			}
			for _, m := range []map[string]any{r, base} {
				if rc, p := m["recall"].(float64), m["precision"].(float64); rc < 0 || rc > 1 || p < 0 || p > 1 {
					t.Errorf("recall %g, precision %g", rc, p)
				}
				if m["warned"].(float64) > m["episodes"].(float64) || m["followed"].(float64) > m["alerts"].(float64) {
					t.Errorf("warned %v of %v episodes, followed %v of %v alerts", m["warned"], m["episodes"], m["followed"], m["alerts"])
				}
			}
			list, _ := r["alert_list"].([]any)
			if r["alerts"].(float64) == 0 || float64(len(list)) != r["alerts"] {
				t.Fatalf("%d alerts listed, %v counted", len(list), r["alerts"])
			}
			for _, x := range list {
				a := x.(map[string]any)
				if day := a["as_of"].(string)[:10]; a["country"] != "CAF" || day < tt.firstDay || day > "2016-12-31" {
					t.Errorf("alert %v outside the run", a)
				}
				if tt.version == "test-1" && (a["rule"] != "mass-fatalities-admin1" || a["admin1"] == nil) {
					t.Errorf("alert %v: want the file's one admin-1 rule", a)
				}
			}
			if tt.version == "test-1" {
				stages, _ := r["by_stage"].([]any)
				rulesRun, _ := r["by_rule"].([]any)
				if len(stages) != 1 || len(rulesRun) != 1 || r["label"] != "stage=escalation" {
					t.Errorf("--label stage=escalation: by_stage %v, by_rule %v, label %v; want the one escalation rule", stages, rulesRun, r["label"])
				} else if st := stages[0].(map[string]any); st["name"] != "escalation" || st["alerts"] != r["alerts"] || st["recall"] != r["recall"] {
					t.Errorf("by_stage %v, want the run's own scores", st)
				}
			}
			if eps, _ := r["episode_details"].([]any); float64(len(eps)) != r["episodes"] || len(eps) == 0 {
				t.Errorf("%d episodes listed, %v counted", len(eps), r["episodes"])
			}
		})
	}

	whole := decodeJSON[map[string]any](t, mustRun(t, "warnings", "backtest", "--db", db, "--from", "2012", "--to", "2016",
		"--episodes", "country", "--rules", rulesFile, "--json"))
	if er, _ := whole["episode_rule"].(map[string]any); er["country_only"] != true || er["threshold"] != 25.0 || er["quiet_months"] != 6.0 {
		t.Errorf("--episodes country: episode_rule %v", whole["episode_rule"])
	}
	for _, x := range whole["episode_details"].([]any) {
		if e := x.(map[string]any); len(e["places"].([]any)) != 1 || e["places"].([]any)[0] != "" {
			t.Errorf("--episodes country: episode %v is not the whole country's", e)
		}
	}

	// Without --rules, the active rules saved in the database.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SaveRules(context.Background(), strings.Replace(string(body), "test-1", "saved-2", 1), "test", time.Now())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	saved := decodeJSON[map[string]any](t, mustRun(t, "warnings", "backtest", "--db", db, "--from", "2012", "--to", "2016", "--json"))
	if saved["rules_version"] != "saved-2" {
		t.Errorf("rules_version %v, want the saved rules' saved-2", saved["rules_version"])
	}

	out := mustRun(t, "warnings", "backtest", "--db", db, "--from", "2012-01", "--to", "2016-12", "--rules", rulesFile)
	for _, want := range []string{"BASELINE", "recall", "precision", "median lead (days)", "false alarms per country-year", "mass-fatalities-admin1"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: x\nrules:\n  - id: r\n    name: r\n    severity: loud\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"warnings"}, 2, "want a subcommand"},
		{[]string{"warnings", "replay"}, 2, `unknown subcommand "replay"`},
		{[]string{"warnings", "backtest", "--db", db, "--to", "2016-12"}, 2, "--from and --to are required"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016-12", "--to", "2012-01"}, 2, "--to is before --from"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--country", "Sudan"}, 2, "alpha-3"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--rules", bad}, 1, "bad.yaml"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--episodes", "admin2"}, 2, "--episodes"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--step", "day"}, 2, "--step"},
		{[]string{"warnings", "backtest", "--db", filepath.Join(dir, "empty.db"), "--from", "2016", "--to", "2016"}, 1, "indicators --recompute"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--country", "NOR"}, 1, "no monthly indicators stored for [NOR]"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--rules", rulesFile, "--label", "stage"}, 1, "want key=value"},
		{[]string{"warnings", "backtest", "--db", db, "--from", "2016", "--to", "2016", "--rules", rulesFile, "--label", "stage=precursor"}, 1, "no rule of \"test-1\" is labelled stage=precursor"},
		{[]string{"warnings", "backtest", "-h"}, 0, "usage: threshold warnings backtest"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("threshold %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
	}
}
