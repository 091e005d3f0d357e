package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/storetest"
)

func TestRosterCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC)
	org, err := db.AddOrg(ctx, "Synthetic MSU", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		email string
		role  auth.Role
	}{{"desk@msu.example", auth.DeskOfficer}, {"expert@msu.example", auth.MediationExpert}, {"partner@msu.example", auth.PartnerViewer}} {
		if _, err := db.AddUser(ctx, auth.User{Email: u.email, Name: "synthetic", OrgID: org.ID, Role: u.role,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	desk := "desk@msu.example"
	c := decodeJSON[casework.Case](t, mustRun(t, "cases", "add", "--db", url, "--as", desk, "--json",
		"--title", "Synthetic Sahel watch", "--countries", "MLI", "--confidentiality", "internal"))
	caseID := strconv.FormatInt(c.ID, 10)

	expert := decodeJSON[roster.Person](t, mustRun(t, "roster", "add", "--db", url, "--as", desk, "--json",
		"--name", "Synthetic Expert", "--email", "expert@msu.example", "--expertise", "power-sharing:3,elections:1",
		"--languages", "fr:C2,en:native", "--countries", "MLI", "--contract", "standby", "--clearance", "confidential"))
	if expert.ID == 0 || expert.Org != "Synthetic MSU" || expert.Level(roster.PowerSharing) != 3 ||
		!strings.Contains(strings.Join(expert.Regions, ","), "Western Africa") {
		t.Fatalf("roster add = %+v", expert)
	}
	mustRun(t, "roster", "add", "--db", url, "--org", "Synthetic MSU", "--name", "Synthetic Generalist",
		"--expertise", "power-sharing:1", "--languages", "en:C1", "--countries", "COL")
	eid := strconv.FormatInt(expert.ID, 10)

	out := mustRun(t, "roster", "match", "--db", url, "--as", desk, "--case", caseID, "--skills", "power-sharing",
		"--languages", "fr", "--start", "2025-04-01", "--days", "30")
	lines := strings.Split(out, "\n")
	if !strings.Contains(out, "2 candidates of 2 considered") || len(lines) < 5 || !strings.Contains(lines[3], "Synthetic Expert") ||
		!strings.Contains(lines[3], "knows MLI") || !strings.Contains(lines[4], "Synthetic Generalist") {
		t.Fatalf("match:\n%s", out)
	}
	d := decodeJSON[roster.Deployment](t, mustRun(t, "roster", "deploy", "--db", url, "--as", desk, "--json", "--person", eid,
		"--case", caseID, "--start", "2025-04-01", "--days", "30", "--role", "senior adviser"))
	if d.Status != roster.Requested || d.Person != "Synthetic Expert" {
		t.Fatalf("deploy = %+v", d)
	}
	code, _, errs := runCLI(t, "roster", "deploy", "--db", url, "--as", desk, "--person", eid, "--case", caseID,
		"--start", "2025-04-15", "--days", "5")
	if code == 0 || !strings.Contains(errs, "double-booked") {
		t.Errorf("second deploy in the window: exit %d, %s", code, errs)
	}
	did := strconv.FormatInt(d.ID, 10)
	for _, verb := range []string{"approve", "start", "complete"} {
		if out := mustRun(t, "roster", verb, did, "--db", url, "--as", desk, "--note", "synthetic"); !strings.Contains(out, string(moveTo[verb])) {
			t.Errorf("%s: %s", verb, out)
		}
	}
	if code, _, errs := runCLI(t, "roster", "approve", did, "--db", url, "--as", desk); code == 0 || !strings.Contains(errs, "cannot become") {
		t.Errorf("approving a completed deployment: exit %d, %s", code, errs)
	}
	mustRun(t, "roster", "unavailable", eid, "--db", url, "--as", desk, "--from", "2025-06-01", "--to", "2025-06-10", "--note", "leave")
	out = mustRun(t, "roster", "availability", eid, "--db", url, "--as", desk, "--from", "2025-03-30", "--to", "2025-06-11")
	for _, want := range []string{"2025-04-01  2025-04-30  on-deployment", "2025-06-01  2025-06-10  unavailable", "2025-06-11  2025-06-11  available"} {
		if !strings.Contains(out, want) {
			t.Errorf("availability lacks %q:\n%s", want, out)
		}
	}
	// Fatigue: the 30 days deployed count against a later request.
	res := decodeJSON[roster.Result](t, mustRun(t, "roster", "match", "--db", url, "--as", desk, "--json", "--case", caseID,
		"--skills", "power-sharing", "--start", "2025-07-01", "--days", "10"))
	if len(res.Candidates) != 2 || res.Candidates[0].FatigueDays != 30 {
		t.Errorf("match after deployment = %+v", res.Candidates)
	}
	// The expert sees only their own record; a partner viewer none.
	if out := mustRun(t, "roster", "list", "--db", url, "--as", "expert@msu.example"); !strings.Contains(out, "Synthetic Expert") ||
		strings.Contains(out, "Generalist") {
		t.Errorf("expert's list:\n%s", out)
	}
	if out := mustRun(t, "roster", "list", "--db", url, "--as", "partner@msu.example"); strings.TrimSpace(out) != "no people" {
		t.Errorf("partner's list:\n%s", out)
	}
	if code, _, errs := runCLI(t, "roster", "show", eid, "--db", url, "--as", "partner@msu.example"); code == 0 || !strings.Contains(errs, "no person") {
		t.Errorf("partner's show: exit %d, %s", code, errs)
	}
	if out := mustRun(t, "roster", "show", eid, "--db", url); !strings.Contains(out, "completed") || !strings.Contains(out, "leave") {
		t.Errorf("show:\n%s", out)
	}
	if code, _, errs := runCLI(t, "roster", "add", "--db", url, "--as", desk, "--name", "X", "--expertise", "cooking:2"); code == 0 ||
		!strings.Contains(errs, "unknown expertise area") {
		t.Errorf("bad expertise: exit %d, %s", code, errs)
	}
}
