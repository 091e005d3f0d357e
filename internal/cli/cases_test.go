package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/storetest"
)

func TestCasesCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	for _, o := range []string{"Synthetic UN", "Synthetic AU", "Synthetic NGO"} {
		org, err := db.AddOrg(ctx, o, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []auth.Role{auth.DeskOfficer, auth.PartnerViewer} {
			email := string(r) + "@" + strings.ToLower(o[10:]) + ".example"
			if _, err := db.AddUser(ctx, auth.User{Email: email, Name: "synthetic", OrgID: org.ID, Role: r,
				CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := alert.NewManager(alert.Options{Store: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Process(ctx, []alert.Firing{{Rule: "fatalities-surge", Country: "MLI", Severity: alert.Warning,
		Window: alert.Window{Start: now.AddDate(0, -1, 0), End: now}, Title: "synthetic surge in MLI"}}, alert.Evaluated{}, now)
	if err != nil {
		t.Fatal(err)
	}
	alertID := strconv.FormatInt(res.Opened[0].ID, 10)

	desk := "desk-officer@un.example"
	c := decodeJSON[casework.Case](t, mustRun(t, "cases", "add", "--db", url, "--as", desk, "--json",
		"--title", "Synthetic Mopti watch", "--countries", "MLI", "--places", "BFA/Sahel", "--confidentiality", "confidential",
		"--share", "Synthetic AU", "--lead-office", "Synthetic UNOWAS"))
	if c.ID == 0 || c.OwnerOrg != "Synthetic UN" || len(c.Countries) != 2 || c.Staff[0] != desk {
		t.Fatalf("cases add = %+v", c)
	}
	id := strconv.FormatInt(c.ID, 10)
	if out := mustRun(t, "cases", "update", id, "--db", url, "--as", desk, "--status", "crisis", "--note", "synthetic"); !strings.Contains(out, "crisis") {
		t.Errorf("update: %s", out)
	}
	if out := mustRun(t, "cases", "share", id, "Synthetic NGO", "--db", url, "--as", desk); !strings.Contains(out, "Synthetic AU, Synthetic NGO") {
		t.Errorf("share: %s", out)
	}
	if out := mustRun(t, "cases", "unshare", id, "Synthetic AU", "--db", url, "--as", desk); !strings.Contains(out, "shared with Synthetic NGO") {
		t.Errorf("unshare: %s", out)
	}
	if out := mustRun(t, "cases", "action", id, "--db", url, "--as", "desk-officer@ngo.example", "--type", "dialogue facilitation",
		"--date", "2024-03-06", "--alerts", alertID, "--partners", "Synthetic NGO"); !strings.Contains(out, "1 alerts linked") {
		t.Errorf("action: %s", out)
	}
	a, _, err := m.Get(ctx, res.Opened[0].ID)
	if err != nil || a.State != alert.StateActioned {
		t.Errorf("alert after the action: %s, %v", a.State, err)
	}
	out := mustRun(t, "cases", "show", id, "--db", url, "--as", desk)
	for _, want := range []string{"Synthetic Mopti watch", "BFA/Sahel, MLI", "crisis", "dialogue-facilitation", "2024-03-06"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	rep := decodeJSON[casework.Report](t, mustRun(t, "cases", "report", "--db", url, "--as", desk, "--json"))
	if rep.Overall.Count != 1 || rep.Overall.MedianDays != 1.75 { // fired 2024-03-04 06:00, answered 2024-03-06 00:00
		t.Errorf("report overall = %+v, want one episode of 1.75 days", rep.Overall)
	}
	if out := mustRun(t, "cases", "report", "--db", url, "--csv"); !strings.HasPrefix(out, "group,key,title,count") {
		t.Errorf("report --csv: %s", out)
	}
	// Need-to-know on the command line: the unshared AU, the NGO's
	// partner viewer (below confidential) and a case that does not exist
	// look the same.
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"cases", "show", id, "--as", "desk-officer@au.example"}, 1, "no case " + id},
		{[]string{"cases", "show", id, "--as", "partner-viewer@ngo.example"}, 1, "no case " + id},
		{[]string{"cases", "show", "999", "--as", "desk-officer@au.example"}, 1, "no case 999"},
		{[]string{"cases", "update", id, "--as", "desk-officer@au.example", "--status", "closed"}, 1, "no case " + id},
		{[]string{"cases", "update", id, "--as", "desk-officer@ngo.example", "--status", "closed"}, 1, "only writers of the owner organisation"},
		{[]string{"cases", "show", id, "--as", "nobody@un.example"}, 1, "no user nobody@un.example"},
		{[]string{"cases", "add", "--title", "x", "--countries", "MLI", "--confidentiality", "public"}, 1, "name the organisation"},
		{[]string{"cases", "add", "--title", "x", "--countries", "MLI"}, 2, "needs --confidentiality"},
		{[]string{"cases", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"cases", "action", id, "--type", "statement", "--date", "soon"}, 2, "is not YYYY-MM-DD"},
	} {
		code, _, errs := runCLI(t, append(tt.args, "--db", url)...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tt.args, code, errs, tt.code, tt.want)
		}
	}
	for _, as := range []string{"desk-officer@au.example", "partner-viewer@ngo.example"} {
		if out := mustRun(t, "cases", "list", "--db", url, "--as", as, "--q", "mopti"); strings.Contains(out, "Mopti") || !strings.Contains(out, "no cases") {
			t.Errorf("cases list as %s: %s", as, out)
		}
	}
	// The operator sees every case.
	if out := mustRun(t, "cases", "list", "--db", url, "--csv"); !strings.Contains(out, "Synthetic Mopti watch") {
		t.Errorf("operator's list: %s", out)
	}
}
