package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/testenv"
)

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("version: v1\nrules:\n  - {id: coup, name: Coup, severity: critical, coup: {}}\n"), 0o644)
	os.WriteFile(bad, []byte("version: v1\nrules:\n  - {id: a, name: A, severity: urgent, coup: {}}\n  - {id: a, name: B, severity: info}\n"), 0o644)

	out := mustRun(t, "rules", "check", good)
	if !strings.Contains(out, `good.yaml: version "v1", 1 rule OK`) || !strings.Contains(strings.Join(strings.Fields(out), " "), "coup coup critical country month all Coup") {
		t.Errorf("check good.yaml:\n%s", out)
	}
	code, out, errs := runCLI(t, "rules", "check", bad)
	want := []string{
		`bad.yaml:3:32: rules[0].severity: unknown severity "urgent" (want info, warning or critical)`,
		`bad.yaml:4:5: rules[1]: no condition`,
		`bad.yaml:4:10: rules[1].id: duplicate id "a" (first used on line 3)`,
		"threshold rules: " + bad + ": 3 problems",
	}
	if code != 1 || out != "" {
		t.Errorf("check bad.yaml: exit %d, stdout %q; want 1 and nothing", code, out)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("check bad.yaml: stderr lacks %q:\n%s", w, errs)
		}
	}
	if code, _, errs := runCLI(t, "rules", "check"); code != 2 || !strings.Contains(errs, "want one FILE") {
		t.Errorf("check without FILE: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, "rules", "check", filepath.Join(dir, "none.yaml")); code != 1 || !strings.Contains(errs, "none.yaml") {
		t.Errorf("check of a missing file: exit %d, %q", code, errs)
	}
}

func TestRulesShowSaveHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	def := mustRun(t, "rules", "show", "--default")
	if !strings.Contains(def, "# Threshold's default alert rules.") {
		t.Errorf("show --default does not print default.yaml with its comments:\n%.200s", def)
	}
	if got := mustRun(t, "rules", "show", "--db", db); got != def {
		t.Errorf("show with nothing saved differs from the defaults")
	}
	f := filepath.Join(t.TempDir(), "mine.yaml")
	mine := "version: mine-1\nrules:\n  - {id: coup, name: Coup, severity: critical, coup: {}}\n"
	os.WriteFile(f, []byte(mine), 0o644)
	if out := mustRun(t, "rules", "save", "--db", db, "--author", "desk@example.org", f); !strings.Contains(out, `saved rules version 1 ("mine-1", 1 rules) by desk@example.org`) {
		t.Errorf("save: %q", out)
	}
	if got := mustRun(t, "rules", "show", "--db", db); got != mine {
		t.Errorf("show after save = %q, want the saved file", got)
	}
	type version struct {
		ID                    int64
		Version, Body, Author string
		CreatedAt             time.Time `json:"created_at"`
	}
	h := decodeJSON[[]version](t, mustRun(t, "rules", "history", "--db", db, "--json"))
	if len(h) != 1 || h[0].Version != "mine-1" || h[0].Author != "desk@example.org" {
		t.Errorf("history = %+v", h)
	}
	os.WriteFile(f, []byte("version: x\nrules: [{id: a}]\n"), 0o644)
	if code, _, _ := runCLI(t, "rules", "save", "--db", db, f); code != 1 {
		t.Errorf("save of a bad file: exit %d, want 1", code)
	}
	if h := decodeJSON[[]version](t, mustRun(t, "rules", "history", "--db", db, "--json")); len(h) != 1 {
		t.Errorf("a bad file was saved: %+v", h)
	}
}

func TestRulesEval(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	coups := testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv")
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "ingest", "--db", db, car, coups)
	mustRun(t, "elections", "import", "--db", db, "--builtin")
	mustRun(t, "indicators", "--db", db, "--recompute", "--country", "CAF")
	fired := decodeJSON[[]alert.Firing](t, mustRun(t, "rules", "eval", "--db", db, "--as-of", "2013-03", "--country", "CAF", "--json"))
	found := false
	for _, f := range fired {
		if f.Rule == "fatalities-surge-country" && f.Country == "CAF" && strings.Contains(f.Explanation, "2013-03: 164") {
			found = true
		}
	}
	if !found {
		t.Errorf("rules eval as of 2013-03: no fatalities surge in CAF: %+v", fired)
	}
	if out := mustRun(t, "rules", "eval", "--db", db, "--as-of", "2003-03", "--country", "CAF"); !strings.Contains(out, "successful coup on 2003-03-15") {
		t.Errorf("rules eval as of 2003-03:\n%s", out)
	}
	if code, _, errs := runCLI(t, "rules", "eval", "--db", db, "--as-of", "soon"); code != 2 || !strings.Contains(errs, "--as-of") {
		t.Errorf("--as-of soon: exit %d, %q", code, errs)
	}
}
