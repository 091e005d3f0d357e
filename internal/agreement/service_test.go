package agreement_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// byPAID finds an imported UCDP agreement by its paid.
func byPAID(t *testing.T, svc *agreement.Service, paid string) agreement.Agreement {
	t.Helper()
	as, err := svc.List(context.Background(), casework.Everyone("test"), agreement.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Source == agreement.SourceUCDP && a.SourceID == paid {
			full, err := svc.Get(context.Background(), casework.Everyone("test"), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return full
		}
	}
	t.Fatalf("no agreement with paid %s", paid)
	return agreement.Agreement{}
}

func provision(t *testing.T, a agreement.Agreement, category string) agreement.Provision {
	t.Helper()
	for _, p := range a.Provisions {
		if p.Category == category {
			return p
		}
	}
	t.Fatalf("agreement %s has no %s provision", a.Name, category)
	return agreement.Provision{}
}

func openAlerts(t *testing.T, m *alert.Manager, rule string) []alert.Alert {
	t.Helper()
	as, err := m.List(context.Background(), alert.Query{Rule: rule, Open: true})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(as, func(a alert.Alert) bool { return !a.ClearedAt.IsZero() })
}

// TestFollowThrough imports the real UCDP file, links real CAR agreements
// to synthetic cases, records synthetic implementation statuses and checks
// the alerts a real alert Manager opens and clears, on both databases.
func TestFollowThrough(t *testing.T) {
	storetest.ForEach(t, testFollowThrough)
}

func testFollowThrough(t *testing.T, db *store.DB, _ string) {
	ctx := context.Background()
	as := readUCDP(t)
	now := day("2019-09-01").Add(10 * time.Hour)
	clock := func() time.Time { return now }
	log := audit.New(db, clock)
	m, err := alert.NewManager(alert.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := agreement.New(agreement.Options{Store: db, Alerts: m, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := casework.New(casework.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	op := casework.Everyone("cli:test")

	// Import, twice: the second changes nothing.
	sum, err := svc.Import(ctx, op, as)
	if err != nil {
		t.Fatal(err)
	}
	if want := (agreement.ImportSummary{Read: 374, Inserted: 374, Provisions: 1879}); sum != want {
		t.Errorf("first import %+v, want %+v", sum, want)
	}
	sum, err = svc.Import(ctx, op, as)
	if err != nil {
		t.Fatal(err)
	}
	if want := (agreement.ImportSummary{Read: 374, Unchanged: 374}); sum != want {
		t.Errorf("re-import %+v, want %+v", sum, want)
	}
	caf, err := svc.List(ctx, op, agreement.Query{Country: "caf"})
	if err != nil {
		t.Fatal(err)
	}
	if len(caf) != 12 || caf[0].SourceID != "1641" || caf[len(caf)-1].SourceID != "1355" {
		t.Errorf("CAR agreements: %d, newest %s, oldest %s; want 12, 1641, 1355", len(caf), caf[0].SourceID, caf[len(caf)-1].SourceID)
	}
	if got, err := svc.List(ctx, op, agreement.Query{Q: "birao"}); err != nil || len(got) != 1 || got[0].SourceID != "1355" {
		t.Errorf("q=birao: %v, %v", got, err)
	}

	pact := byPAID(t, svc, "1498") // Political Agreement for Peace in the CAR, 2017-06-19, not ended
	if len(pact.Provisions) != pact.ProvisionCount || len(pact.Provisions) != 9 {
		t.Fatalf("agreement 1498: %d provisions (count %d), want 9", len(pact.Provisions), pact.ProvisionCount)
	}
	ddr := provision(t, pact, "ddr")
	if len(ddr.History) != 1 || !ddr.History[0].On.Equal(day("2017-06-19")) || ddr.History[0].To != agreement.NotStarted ||
		ddr.History[0].Actor != "cli:test" {
		t.Errorf("imported DDR history %+v, want one not-started line on 2017-06-19 by cli:test", ddr.History)
	}

	// Nothing is followed yet: no alert.
	res, err := svc.Check(ctx, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Opened) != 0 {
		t.Errorf("check before any link opened %d alerts", len(res.Opened))
	}

	// A public case on the CAR; linking opens a stalled alert (no progress
	// since 2017-06-19, over 180 days before 2019-09-01).
	owner, err := db.AddOrg(ctx, "Synthetic UNOCA", now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.AddOrg(ctx, "Synthetic partner", now)
	if err != nil {
		t.Fatal(err)
	}
	desk := casework.Viewer{UserID: 1, Email: "desk@synthetic.example", OrgID: owner.ID, OrgName: owner.Name, Role: auth.DeskOfficer}
	outsider := casework.Viewer{UserID: 2, Email: "analyst@partner.example", OrgID: other.ID, OrgName: other.Name, Role: auth.Analyst}
	reader := casework.Viewer{UserID: 3, Email: "viewer@synthetic.example", OrgID: owner.ID, OrgName: owner.Name, Role: auth.PartnerViewer}
	public, err := cases.Create(ctx, desk, casework.Case{Title: "synthetic case: CAR peace process",
		Places: casework.PlacesOf([]string{"CAF"}), Confidentiality: casework.Public})
	if err != nil {
		t.Fatal(err)
	}
	sugg, err := svc.Suggest(ctx, desk, 0, public.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sugg) != 12 || sugg[0].Ended || sugg[0].CaseID != public.ID || !slices.Equal(sugg[0].Countries, []string{"CAF"}) {
		t.Errorf("suggestions for the CAR case: %d, first %+v; want 12, not ended first", len(sugg), sugg[0])
	}
	linked, err := svc.Link(ctx, desk, pact.ID, public.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(linked.Cases, []int64{public.ID}) || linked.Restricted {
		t.Errorf("linked agreement cases %v restricted %v", linked.Cases, linked.Restricted)
	}
	if got, err := svc.List(ctx, desk, agreement.Query{CaseID: public.ID}); err != nil || len(got) != 1 || got[0].ID != pact.ID {
		t.Errorf("the case's agreements: %v, %v", got, err)
	}
	if got, err := svc.List(ctx, outsider, agreement.Query{CaseID: public.ID}); err != nil || len(got) != 0 {
		t.Errorf("the agreements of a case the outsider cannot see: %v, %v", got, err)
	}
	if sugg, _ := svc.Suggest(ctx, desk, 0, public.ID, 0); len(sugg) != 11 {
		t.Errorf("after linking, %d suggestions, want 11", len(sugg))
	}
	stalled := openAlerts(t, m, agreement.RuleStalled)
	if len(stalled) != 1 || stalled[0].Country != "CAF" || stalled[0].Score != 9 ||
		!strings.Contains(stalled[0].Explanation, "Political Agreement for Peace in the Central African Republic") {
		t.Fatalf("stalled alerts after linking: %+v", stalled)
	}

	// Progress on DDR: one provision fewer is stalled.
	p, err := svc.SetStatus(ctx, desk, ddr.ID, agreement.StatusChange{To: agreement.Minimal, On: day("2019-08-01"),
		Source: "synthetic monitoring report", Note: "synthetic: cantonment began"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.History) != 2 || p.History[1].From != agreement.NotStarted || p.History[1].To != agreement.Minimal ||
		p.History[1].Actor != desk.Email || p.History[1].Source != "synthetic monitoring report" || p.Status != agreement.Minimal ||
		!p.StatusOn.Equal(day("2019-08-01")) {
		t.Errorf("DDR after the change: %+v", p)
	}
	if got := openAlerts(t, m, agreement.RuleStalled); len(got) != 1 || got[0].ID != stalled[0].ID || got[0].Score != 8 {
		t.Errorf("stalled alert after progress: %+v, want alert %d with score 8", got, stalled[0].ID)
	}

	// A provision with a deadline that has passed: overdue.
	np, err := svc.AddProvision(ctx, desk, pact.ID, agreement.Provision{Category: "other",
		Text: "synthetic: establish the executive monitoring committee", Responsible: "Government of Central African Republic",
		Deadline: day("2019-06-30")})
	if err != nil {
		t.Fatal(err)
	}
	overdue := openAlerts(t, m, agreement.RuleOverdue)
	if len(overdue) != 1 || overdue[0].Severity != alert.Warning || !strings.Contains(overdue[0].Explanation, "deadline 2019-06-30") ||
		!strings.Contains(overdue[0].Explanation, "responsible: Government of Central African Republic") {
		t.Fatalf("overdue alerts: %+v", overdue)
	}
	if _, err := svc.SetStatus(ctx, desk, np.ID, agreement.StatusChange{To: agreement.Full}); err != nil {
		t.Fatal(err)
	}
	if got := openAlerts(t, m, agreement.RuleOverdue); len(got) != 0 {
		t.Errorf("overdue alerts after full implementation: %+v", got)
	}

	// The CLI's check as of a later day finds the same and changes nothing.
	res, err = svc.Check(ctx, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Opened) != 0 || len(res.Updated) != 1 {
		t.Errorf("re-check: opened %d updated %d, want 0 and 1", len(res.Opened), len(res.Updated))
	}

	// Access: a confidential case's agreement is absent for an outsider;
	// readers may not write.
	conf, err := cases.Create(ctx, desk, casework.Case{Title: "synthetic case: confidential mediation track",
		Places: casework.PlacesOf([]string{"CAF"}), Confidentiality: casework.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	republican := byPAID(t, svc, "1486") // Republican Pact, 2015-05-11, not ended
	if _, err := svc.Link(ctx, outsider, republican.ID, conf.ID); !errors.Is(err, agreement.ErrNotFound) {
		t.Errorf("outsider linking to a case it cannot see: %v, want ErrNotFound", err)
	}
	if _, err := svc.Link(ctx, desk, republican.ID, conf.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, outsider, republican.ID); !errors.Is(err, agreement.ErrNotFound) {
		t.Errorf("outsider reading a restricted agreement: %v, want ErrNotFound", err)
	}
	if got, _ := svc.List(ctx, outsider, agreement.Query{Country: "CAF"}); len(got) != 11 {
		t.Errorf("outsider lists %d CAR agreements, want 11", len(got))
	}
	if got, err := svc.Get(ctx, outsider, pact.ID); err != nil || len(got.Cases) != 0 {
		t.Errorf("outsider reading a public agreement: cases %v, %v; want no case shown", got.Cases, err)
	}
	if got, err := svc.Get(ctx, desk, republican.ID); err != nil || !got.Restricted || !slices.Equal(got.Cases, []int64{conf.ID}) {
		t.Errorf("desk reading the restricted agreement: %+v, %v", got.Cases, err)
	}
	if _, err := svc.SetStatus(ctx, reader, ddr.ID, agreement.StatusChange{To: agreement.Full}); !errors.Is(err, agreement.ErrForbidden) {
		t.Errorf("partner viewer changing a status: %v, want ErrForbidden", err)
	}
	if _, err := svc.SetStatus(ctx, desk, ddr.ID, agreement.StatusChange{To: agreement.Full, On: day("2019-09-02")}); !errors.Is(err, agreement.ErrInvalid) {
		t.Errorf("status in the future: %v, want ErrInvalid", err)
	}
	stalled = openAlerts(t, m, agreement.RuleStalled)
	if len(stalled) != 1 || strings.Contains(stalled[0].Explanation, "Republican Pact") ||
		!strings.Contains(stalled[0].Explanation, "of agreements linked to restricted cases, not named here") {
		t.Errorf("stalled alert with a restricted agreement: %+v", stalled)
	}

	// A water-sharing arrangement entered by hand is followed at once.
	water, err := svc.Create(ctx, desk, agreement.Agreement{Name: "synthetic water-sharing arrangement", Kind: agreement.WaterSharing,
		Parties: []string{"Synthetic basin authority A", "Synthetic basin authority B"}, Signed: day("2019-01-15"),
		Countries: []string{"egy", "SDN"}, Provisions: []agreement.Provision{{Text: "synthetic: joint flow monitoring",
			Responsible: "Synthetic basin authority A", Deadline: day("2019-07-01")}}})
	if err != nil {
		t.Fatal(err)
	}
	if water.Source != agreement.SourceManual || !slices.Equal(water.Countries, []string{"EGY", "SDN"}) || len(water.Provisions) != 1 {
		t.Errorf("manual agreement %+v", water)
	}
	if got := openAlerts(t, m, agreement.RuleOverdue); len(got) != 2 {
		t.Errorf("overdue alerts with the water arrangement: %d, want 2 (EGY, SDN)", len(got))
	}

	// Every change is audited.
	seen := map[string]int{}
	if err := db.AuditRecords(ctx, func(r audit.Record) error {
		if strings.HasPrefix(r.Action, "agreement.") {
			seen[r.Action]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"agreement.import": 2, "agreement.link": 2, "agreement.provision.status": 2,
		"agreement.provision.add": 1, "agreement.create": 1}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", k, seen[k], n, seen)
		}
	}
}
