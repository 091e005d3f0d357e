package cli

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/fund"
	"threshold/internal/storetest"
)

func TestFundCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	org, err := db.AddOrg(ctx, "Synthetic UN", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []auth.Role{auth.Analyst, auth.DeskOfficer, auth.PartnerViewer} {
		if _, err := db.AddUser(ctx, auth.User{Email: string(r) + "@un.example", Name: "synthetic", OrgID: org.ID, Role: r,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	analyst := "analyst@un.example"
	mustRun(t, "cases", "add", "--db", url, "--as", analyst, "--title", "Synthetic watch", "--countries", "MLI",
		"--confidentiality", "internal")

	e := decodeJSON[fund.Entry](t, mustRun(t, "fund", "contribute", "--db", url, "--as", analyst, "--key", "c1", "--json",
		"--donor", "Synthetic Donor", "--amount", "1000.50", "--currency", "USD"))
	if e.ID == 0 || e.Amount != "1000.50" || len(e.Postings) != 2 {
		t.Fatalf("contribute = %+v", e)
	}
	// The same key again: the first answer, said to be a retry.
	if out := mustRun(t, "fund", "contribute", "--db", url, "--as", analyst, "--key", "c1",
		"--donor", "Synthetic Donor", "--amount", "1000.50", "--currency", "USD"); !strings.Contains(out, "a retry") {
		t.Errorf("retry: %s", out)
	}
	// The same key, another request: refused.
	if code, _, errs := runCLI(t, "fund", "contribute", "--db", url, "--as", analyst, "--key", "c1",
		"--donor", "Synthetic Donor", "--amount", "1000.51"); code == 0 || !strings.Contains(errs, "--key: already used") {
		t.Errorf("reused key: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "fund", "contribute", "--db", url, "--donor", "D", "--amount", "1,000"); code == 0 || !strings.Contains(errs, "amount") {
		t.Errorf("bad amount: exit %d %s", code, errs)
	}
	a := decodeJSON[fund.Alloc](t, mustRun(t, "fund", "allocate", "--db", url, "--as", analyst, "--json",
		"--case", "1", "--amount", "600", "--purpose", "synthetic envoy travel"))
	if a.Status != fund.Posted || a.Amount != "600.00" {
		t.Fatalf("allocate = %+v", a)
	}
	if code, _, errs := runCLI(t, "fund", "allocate", "--db", url, "--as", analyst, "--case", "1", "--amount", "400.51",
		"--purpose", "x"); code == 0 || !strings.Contains(errs, "insufficient funds") {
		t.Errorf("over-allocation: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "fund", "allocate", "--db", url, "--as", analyst, "--case", "99", "--amount", "1",
		"--purpose", "x"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("allocation to no case: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "fund", "allocate", "--db", url, "--deployment", "5", "--amount", "1",
		"--purpose", "x"); code == 0 || !strings.Contains(errs, "deployment 5") {
		t.Errorf("allocation to no deployment: exit %d %s", code, errs)
	}
	if out := mustRun(t, "fund", "disburse", "--db", url, "--as", analyst, "--allocation", "1", "--amount", "250",
		"--payee", "Synthetic Airline"); !strings.Contains(out, "disbursement 250.00 USD") || !strings.Contains(out, "spent:case:1") {
		t.Errorf("disburse: %s", out)
	}
	mustRun(t, "fund", "return", "--db", url, "--allocation", "1", "--amount", "50")
	if out := mustRun(t, "fund", "balance", "--db", url, "--as", "desk-officer@un.example"); !strings.Contains(out, "cash       USD       450.50") {
		t.Errorf("balance:\n%s", out)
	}
	if code, _, _ := runCLI(t, "fund", "balance", "--db", url, "--as", "partner-viewer@un.example"); code == 0 {
		t.Error("a partner viewer read the balance")
	}
	js := decodeJSON[[]fund.Entry](t, mustRun(t, "fund", "journal", "--db", url, "--json", "--allocation", "1"))
	if len(js) != 3 || js[0].Kind != fund.Return {
		t.Errorf("journal = %+v", js)
	}
	if out := mustRun(t, "fund", "report", "by-case", "--db", url); !strings.Contains(out, "case:1  USD       600.00     250.00     50.00     300.00") {
		t.Errorf("by case:\n%s", out)
	}
	if out := mustRun(t, "fund", "report", "request-to-disbursement", "--db", url); !strings.Contains(out, "1 allocations disbursed") {
		t.Errorf("timing:\n%s", out)
	}
	out := mustRun(t, "fund", "statement", "Synthetic Donor", "--db", url)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 4 || recs[1][4] != "1000.50" || recs[2][2] != "total received" || recs[3][7] != "1000.50" {
		t.Errorf("statement (%v):\n%s", err, out)
	}
	if out := mustRun(t, "fund", "statement", "--format", "pdf", "Synthetic Donor", "--db", url); !strings.HasPrefix(out, "%PDF-") {
		t.Errorf("PDF statement starts %q", out[:min(len(out), 20)])
	}
}
