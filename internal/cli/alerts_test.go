package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/storetest"
)

func TestAlertsCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	m, err := alert.NewManager(alert.Options{Store: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var fs []alert.Firing
	for _, c := range []string{"CAF", "MEX"} {
		fs = append(fs, alert.Firing{Rule: "fatalities-surge", Country: c, Severity: alert.Warning,
			Window: alert.Window{Start: now.AddDate(0, -1, 0), End: now}, Title: "synthetic surge in " + c})
	}
	res, err := m.Process(ctx, fs, alert.Evaluated{}, now)
	if err != nil {
		t.Fatal(err)
	}
	caf, mex := strconv.FormatInt(res.Opened[0].ID, 10), strconv.FormatInt(res.Opened[1].ID, 10)

	out := mustRun(t, "alerts", "--db", url)
	for _, want := range []string{"ID  STATE", "fatalities-surge", "africa-central-east-desk", "americas-desk", "synthetic surge in MEX"} {
		if !strings.Contains(out, want) {
			t.Errorf("alerts output lacks %q:\n%s", want, out)
		}
	}
	got := decodeJSON[[]alert.Alert](t, mustRun(t, "alerts", "--db", url, "--json", "--country", "mex"))
	if len(got) != 1 || got[0].Country != "MEX" {
		t.Errorf("alerts --country mex = %+v", got)
	}

	if out := mustRun(t, "alerts", "ack", caf, "--db", url); !strings.Contains(out, "acknowledged") {
		t.Errorf("ack: %s", out)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"alerts", "ack", caf}, 1, "cannot acknowledge an alert that is acknowledged"},
		{[]string{"alerts", "dismiss", caf}, 2, "needs --reason"},
		{[]string{"alerts", "resolve", caf}, 1, "record a decision first"},
		{[]string{"alerts", "ack", "999"}, 1, "no alert 999"},
		{[]string{"alerts", "ack", "x"}, 2, `"x" is not an alert ID`},
		{[]string{"alerts", "--state", "open"}, 2, `unknown alert state "open"`},
	} {
		code, _, errs := runCLI(t, append(tt.args, "--db", url)...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("threshold %s: exit %d, %q; want %d with %q", strings.Join(tt.args, " "), code, errs, tt.code, tt.want)
		}
	}
	mustRun(t, "alerts", "dismiss", caf, "--reason", "synthetic: followed by the desk", "--db", url)
	if out := mustRun(t, "alerts", "resolve", caf, "--db", url); !strings.Contains(out, "resolved") {
		t.Errorf("resolve: %s", out)
	}
	mustRun(t, "alerts", "assign", mex, "--to", "desk@example.org", "--db", url)

	// Open alerts by default; --all and --state show resolved ones.
	if out := mustRun(t, "alerts", "--db", url); strings.Contains(out, "CAF") || !strings.Contains(out, "desk@example.org") {
		t.Errorf("open alerts:\n%s", out)
	}
	if out := mustRun(t, "alerts", "--db", url, "--all"); !strings.Contains(out, "resolved") {
		t.Errorf("--all:\n%s", out)
	}
	if got := decodeJSON[[]alert.Alert](t, mustRun(t, "alerts", "--db", url, "--json", "--state", "resolved,dismissed")); len(got) != 1 || got[0].Country != "CAF" {
		t.Errorf("--state resolved,dismissed = %+v", got)
	}
	out = mustRun(t, "alerts", "show", caf, "--db", url)
	for _, want := range []string{"acknowledge", "dismiss", "synthetic: followed by the desk", "resolve", "cli:"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	// The changes are audited as the CLI user.
	recs, err := audit.New(db, nil).Latest(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, r := range recs {
		if strings.HasPrefix(r.Actor, "cli:") && strings.HasPrefix(r.Action, "alert.") {
			acts = append(acts, r.Action)
		}
	}
	if strings.Join(acts, " ") != "alert.assign alert.resolve alert.dismiss alert.acknowledge" {
		t.Errorf("audited %v", acts)
	}
}

func TestAlertsRoutesCommand(t *testing.T) {
	out := mustRun(t, "alerts", "routes", "--country", "caf", "--severity", "critical")
	if !strings.Contains(out, "CAF") || !strings.Contains(out, "crisis-centre, africa-central-east-desk") || strings.Contains(out, "MEX") {
		t.Errorf("routes --country caf:\n%s", out)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(mustRun(t, "alerts", "routes"), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	if len(lines) < 250 || !strings.HasSuffix(lines["MEX"], "americas-desk") || !strings.HasSuffix(lines["NGA"], "africa-west-desk") {
		t.Errorf("routes: %d lines, MEX %q, NGA %q", len(lines), lines["MEX"], lines["NGA"])
	}
	bad := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(bad, []byte("receivers: [{name: a}]\nroute:\n  receiver: a\n  routes: [{receiver: b, region: Afrika}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "alerts", "routes", bad)
	if code != 1 || !strings.Contains(errs, "routes.yaml:4: route.routes[0].receiver: unknown receiver \"b\"") ||
		!strings.Contains(errs, "route.routes[0].region[0]: unknown region \"Afrika\"") {
		t.Errorf("routes on a bad file: exit %d\n%s", code, errs)
	}
}
