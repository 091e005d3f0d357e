package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// TestAgreementsCommand imports the real UCDP file twice, links a real
// CAR agreement to a synthetic case, records a synthetic status and checks
// follow-through as of a day.
func TestAgreementsCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	org, err := db.AddOrg(ctx, "Synthetic UN", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []auth.Role{auth.DeskOfficer, auth.PartnerViewer} {
		if _, err := db.AddUser(ctx, auth.User{Email: string(r) + "@un.example", Name: "synthetic", OrgID: org.ID, Role: r,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	file := testenv.SharedData(t, "ucdp-peace", "ucdp-peace-agreements-221.csv")
	sum := decodeJSON[agreement.ImportSummary](t, mustRun(t, "agreements", "import", file, "--db", url, "--json"))
	if sum != (agreement.ImportSummary{Read: 374, Inserted: 374, Provisions: 1879}) {
		t.Errorf("import = %+v", sum)
	}
	if out := mustRun(t, "agreements", "import", file, "--db", url); !strings.Contains(out, "374 agreements read: 0 inserted, 0 updated, 374 unchanged; 0 provisions added") {
		t.Errorf("re-import: %s", out)
	}
	caf := decodeJSON[[]agreement.Agreement](t, mustRun(t, "agreements", "list", "--db", url, "--country", "CAF", "--json"))
	if len(caf) != 12 {
		t.Fatalf("list --country CAF: %d agreements, want 12", len(caf))
	}
	var pact agreement.Agreement
	for _, a := range caf {
		if a.SourceID == "1498" {
			pact = a
		}
	}
	id := strconv.FormatInt(pact.ID, 10)
	desk := "desk-officer@un.example"
	c := decodeJSON[casework.Case](t, mustRun(t, "cases", "add", "--db", url, "--as", desk, "--json",
		"--title", "Synthetic CAR peace process", "--countries", "CAF", "--confidentiality", "public"))
	caseID := strconv.FormatInt(c.ID, 10)
	if out := mustRun(t, "agreements", "suggest", "--db", url, "--as", desk, "--case", caseID); strings.Count(out, "\n") != 13 ||
		!strings.Contains(out, "Political Agreement for Peace") {
		t.Errorf("suggest lists:\n%s", out)
	}
	if out := mustRun(t, "agreements", "link", id, caseID, "--db", url, "--as", desk); !strings.Contains(out, "linked to case "+caseID) {
		t.Errorf("link: %s", out)
	}
	show := decodeJSON[agreement.Agreement](t, mustRun(t, "agreements", "show", id, "--db", url, "--json"))
	var ddr agreement.Provision
	for _, p := range show.Provisions {
		if p.Category == "ddr" {
			ddr = p
		}
	}
	if out := mustRun(t, "agreements", "status", strconv.FormatInt(ddr.ID, 10), "--db", url, "--as", desk, "--status", "minimal",
		"--on", "2019-08-01", "--source", "synthetic report"); !strings.Contains(out, "not-started → minimal on 2019-08-01") {
		t.Errorf("status: %s", out)
	}
	if code, _, errs := runCLI(t, "agreements", "status", strconv.FormatInt(ddr.ID, 10), "--db", url, "--as", "partner-viewer@un.example",
		"--status", "full"); code != 1 || !strings.Contains(errs, "forbidden") {
		t.Errorf("status as a partner viewer: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "agreements", "status", "1", "--db", url, "--status", "half"); code != 2 || !strings.Contains(errs, "--status") {
		t.Errorf("bad status: exit %d %s", code, errs)
	}
	out := mustRun(t, "agreements", "show", id, "--db", url)
	for _, want := range []string{"Political Agreement for Peace in the Central African Republic", "UCDP paid 1498",
		"not-started → minimal", "synthetic report", "cases: [" + caseID + "]"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	// Linking and the status change checked as of today and opened the
	// stalled alert; checking again updates it, and a check as of an
	// earlier day is a replay that changes nothing.
	res := decodeJSON[alert.Result](t, mustRun(t, "agreements", "check", "--db", url, "--json"))
	if len(res.Opened) != 0 || len(res.Updated) != 1 || !strings.Contains(res.Updated[0].Title, "stalled in CAF") {
		t.Errorf("check: %+v", res)
	}
	if out := mustRun(t, "agreements", "check", "--db", url, "--as-of", "2019-09-01"); !strings.Contains(out,
		"as of 2019-09-01: 0 alerts opened, 0 updated, 0 cleared") {
		t.Errorf("check --as-of: %s", out)
	}

	// A bad file names file, line and column.
	bad := filepath.Join(t.TempDir(), "synthetic.csv")
	if err := os.WriteFile(bad, []byte("paid,gwno,conflict_id,actor_name,pa_name,pa_date\n1,482,416,A,Synthetic,2019-02-30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "agreements", "import", bad, "--db", url); code != 1 || !strings.Contains(errs, "synthetic.csv:2: column pa_date") {
		t.Errorf("bad file: exit %d %s", code, errs)
	}
	if err := os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "agreements", "import", bad, "--db", url); code != 1 || !strings.Contains(errs, "unknown agreements format") {
		t.Errorf("other file: exit %d %s", code, errs)
	}
}
