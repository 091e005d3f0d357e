package roster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// recorder keeps the audit entries.
type recorder struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (r *recorder) Record(_ context.Context, e audit.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func (r *recorder) actions() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for _, e := range r.entries {
		m[e.Action]++
	}
	return m
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestService runs the roster's rules end to end on both databases with
// synthetic organisations, people and a case.
func TestService(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		keeper, err := db.AddOrg(ctx, "Synthetic MSU", now)
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.AddOrg(ctx, "Synthetic Other", now)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		cases, err := casework.New(casework.Options{Store: db, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := roster.New(roster.Options{Store: db, Cases: cases, Audit: rec, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		desk := casework.Viewer{UserID: 1, Email: "desk@msu.example", OrgID: keeper.ID, OrgName: keeper.Name, Role: auth.DeskOfficer}
		outsider := casework.Viewer{UserID: 2, Email: "admin@other.example", OrgID: other.ID, OrgName: other.Name, Role: auth.Admin}
		expertV := casework.Viewer{UserID: 3, Email: "expert@msu.example", OrgID: keeper.ID, Role: auth.MediationExpert}
		partner := casework.Viewer{UserID: 4, Email: "partner@msu.example", OrgID: keeper.ID, Role: auth.PartnerViewer}

		c, err := cases.Create(ctx, desk, casework.Case{Title: "synthetic watch", Places: casework.PlacesOf([]string{"SSD"}),
			Confidentiality: casework.Confidential})
		if err != nil {
			t.Fatal(err)
		}
		add := func(p roster.Person) roster.Person {
			t.Helper()
			out, err := svc.Add(ctx, desk, p)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		expert := add(roster.Person{Name: "Synthetic Expert", Email: "expert@msu.example", Clearance: casework.Confidential,
			Expertise: []roster.Expertise{{Area: roster.SecurityArrangements, Level: 3}}, Countries: []string{"SDN"},
			Languages: []roster.Language{{Code: "ar", Level: roster.C1}}})
		low := add(roster.Person{Name: "Synthetic Uncleared", Clearance: casework.Internal,
			Expertise: []roster.Expertise{{Area: roster.SecurityArrangements, Level: 3}}, Countries: []string{"SSD"}})
		if !strings.Contains(strings.Join(expert.Regions, ","), "Northern Africa") {
			t.Errorf("regions = %v, want Sudan's", expert.Regions)
		}

		if _, err := svc.Add(ctx, partner, roster.Person{Name: "X"}); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("partner adds: %v, want ErrForbidden", err)
		}
		if _, err := svc.Get(ctx, outsider, expert.ID); !errors.Is(err, roster.ErrNotFound) {
			t.Errorf("outsider reads: %v, want ErrNotFound", err)
		}
		name := "Renamed"
		if _, err := svc.Update(ctx, outsider, expert.ID, roster.Patch{Name: &name}); !errors.Is(err, roster.ErrNotFound) {
			t.Errorf("outsider updates: %v, want ErrNotFound", err)
		}
		if _, err := svc.Update(ctx, expertV, expert.ID, roster.Patch{Name: &name}); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("the expert updates their own record: %v, want ErrForbidden", err)
		}
		if p, err := svc.Get(ctx, expertV, expert.ID); err != nil || p.Name != "Synthetic Expert" {
			t.Errorf("the expert reads their own record: %+v, %v", p, err)
		}
		if _, err := svc.Match(ctx, expertV, roster.Request{CaseID: c.ID}); !errors.Is(err, roster.ErrForbidden) {
			t.Errorf("the expert matches: %v, want ErrForbidden", err)
		}

		req := roster.Request{CaseID: c.ID, Skills: []roster.Area{roster.SecurityArrangements}, Languages: []string{"AR"},
			Start: date("2025-04-01"), Days: 14}
		res, err := svc.Match(ctx, desk, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Candidates) != 1 || res.Candidates[0].PersonID != expert.ID || res.Excluded["clearance"] != 1 {
			t.Fatalf("match = %+v", res)
		}
		if _, err := svc.Match(ctx, outsider, req); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider matches for a case it cannot see: %v", err)
		}
		if _, err := svc.RequestDeployment(ctx, desk, roster.Deployment{PersonID: low.ID, CaseID: c.ID, Start: date("2025-04-01"),
			Days: 14}, ""); !errors.Is(err, roster.ErrInvalid) {
			t.Errorf("deploying an uncleared person to a confidential case: %v, want ErrInvalid", err)
		}
		d, err := svc.RequestDeployment(ctx, desk, roster.Deployment{PersonID: expert.ID, CaseID: c.ID, Start: date("2025-04-01"),
			Days: 14, Role: "ceasefire adviser"}, "synthetic")
		if err != nil {
			t.Fatal(err)
		}
		// The index is cached; the deployment must show at once.
		if res, err := svc.Match(ctx, desk, req); err != nil || len(res.Candidates) != 0 || res.Excluded["busy"] != 1 {
			t.Errorf("match after the request = %+v, %v", res, err)
		}
		if _, err := svc.Move(ctx, desk, d.ID, roster.Completed, ""); !errors.Is(err, roster.ErrInvalidTransition) {
			t.Errorf("requested -> completed: %v, want ErrInvalidTransition", err)
		}
		if _, err := svc.Move(ctx, desk, d.ID, roster.Cancelled, "synthetic"); err != nil {
			t.Fatal(err)
		}
		if res, err := svc.Match(ctx, desk, req); err != nil || len(res.Candidates) != 1 {
			t.Errorf("match after cancellation = %+v, %v", res, err)
		}
		if _, err := svc.MarkUnavailable(ctx, desk, expert.ID, date("2025-04-10"), date("2025-04-01"), ""); !errors.Is(err, roster.ErrInvalid) {
			t.Errorf("period ending before it starts: %v", err)
		}
		if _, err := svc.MarkUnavailable(ctx, desk, expert.ID, date("2025-04-10"), date("2025-04-12"), "leave"); err != nil {
			t.Fatal(err)
		}
		if res, err := svc.Match(ctx, desk, req); err != nil || res.Excluded["unavailable"] != 1 {
			t.Errorf("match after leave = %+v, %v", res, err)
		}
		if _, err := svc.RequestDeployment(ctx, desk, roster.Deployment{PersonID: expert.ID, CaseID: c.ID, Start: date("2025-04-01"),
			Days: 14}, ""); !errors.Is(err, roster.ErrUnavailable) {
			t.Errorf("deploying into leave: %v, want ErrUnavailable", err)
		}

		if _, err := svc.Deployments(ctx, outsider, roster.DeploymentQuery{CaseID: c.ID}); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider lists a case's deployments: %v, want ErrNotFound", err)
		}
		if ds, err := svc.Deployments(ctx, desk, roster.DeploymentQuery{CaseID: c.ID}); err != nil || len(ds) != 1 {
			t.Errorf("desk lists the case's deployments: %d, %v", len(ds), err)
		}
		// Changing the countries keeps the regions named outright and
		// derives the others again.
		regions := []string{"South America"}
		if _, err := svc.Update(ctx, desk, low.ID, roster.Patch{Regions: &regions}); err != nil {
			t.Fatal(err)
		}
		countries := []string{"MMR"}
		up, err := svc.Update(ctx, desk, low.ID, roster.Patch{Countries: &countries})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(up.Regions, ","); got != "Asia,South America,South-eastern Asia" {
			t.Errorf("regions after changing countries = %s", got)
		}
		acts := rec.actions()
		for _, a := range []string{"roster.add", "read.confidential", "roster.match", "roster.deploy.request", "roster.deploy.cancelled",
			"roster.unavailable"} {
			if acts[a] == 0 {
				t.Errorf("no %s audited: %v", a, acts)
			}
		}
		for _, e := range rec.entries {
			if s := fmt.Sprint(e.Details) + e.Object; strings.Contains(s, "Synthetic Expert") || strings.Contains(s, "Uncleared") {
				t.Errorf("audit entry %s %s names a person: %v", e.Action, e.Object, e.Details)
			}
		}
	})
}
