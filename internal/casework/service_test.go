package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestCaseLifecycle(t *testing.T) {
	storetest.ForEach(t, testCaseLifecycle)
}

func testCaseLifecycle(t *testing.T, db *store.DB, _ string) {
	ctx := context.Background()
	now := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	var orgs []string
	viewers := map[string]casework.Viewer{}
	for _, name := range []string{"Synthetic UN", "Synthetic AU", "Synthetic NGO"} {
		o, err := db.AddOrg(ctx, name, now)
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, name)
		for _, r := range auth.Roles() {
			viewers[name+"/"+string(r)] = casework.Viewer{UserID: o.ID*10 + int64(len(r)), Email: string(r) + "@" + strings.ToLower(name[10:]) + ".example",
				OrgID: o.ID, OrgName: o.Name, Role: r}
		}
	}
	log := audit.New(db, func() time.Time { return now })
	svc, err := casework.New(casework.Options{Store: db, Audit: log, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	desk := viewers["Synthetic UN/desk-officer"]
	if _, err := svc.Create(ctx, desk, casework.Case{Title: " ", Places: casework.PlacesOf([]string{"Chad"}),
		Confidentiality: "secret"}); !errors.Is(err, casework.ErrInvalid) {
		t.Errorf("a case without title, with a bad country and level = %v", err)
	}
	if _, err := svc.Create(ctx, viewers["Synthetic UN/partner-viewer"], casework.Case{Title: "x",
		Places: casework.PlacesOf([]string{"TCD"}), Confidentiality: casework.Public}); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("a partner viewer opening a case = %v", err)
	}
	c, err := svc.Create(ctx, desk, casework.Case{Title: "synthetic case: water sharing on the Syr Darya",
		Places:          casework.PlacesOf([]string{"uzb", "KGZ", "TJK/Sughd"}),
		Confidentiality: "strictly confidential", SharedWith: []string{"Synthetic AU"}, LeadOffice: "UNRCCA"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Countries, []string{"KGZ", "TJK", "UZB"}) || !slices.Equal(c.Staff, []string{desk.Email}) ||
		c.OwnerOrg != "Synthetic UN" || c.Status != casework.Monitoring || c.Confidentiality != casework.StrictlyConfidential {
		t.Errorf("created %+v: want three countries, its creator as staff, owned by Synthetic UN, monitoring", c)
	}
	// The creator reads it back; an analyst of the same office, not
	// named and not cleared, cannot learn of it.
	if _, err := svc.Get(ctx, desk, c.ID); err != nil {
		t.Errorf("creator reads the case: %v", err)
	}
	if _, err := svc.Get(ctx, viewers["Synthetic UN/analyst"], c.ID); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("uncleared analyst reads a strictly confidential case: %v", err)
	}
	// The AU's admin sees it, but may not change it.
	if _, err := svc.Get(ctx, viewers["Synthetic AU/admin"], c.ID); err != nil {
		t.Errorf("admin of a shared organisation: %v", err)
	}
	crisis := casework.Crisis
	if _, err := svc.Update(ctx, viewers["Synthetic AU/admin"], c.ID, casework.Patch{Status: &crisis}); !errors.Is(err, casework.ErrForbidden) {
		t.Errorf("a shared organisation changing the case = %v, want forbidden", err)
	}
	// Status changes build the history; a closed case only reopens.
	closed, monitoring := casework.Closed, casework.Monitoring
	for _, st := range []*casework.Status{&crisis, &closed} {
		if c, err = svc.Update(ctx, desk, c.ID, casework.Patch{Status: st, StatusNote: "synthetic"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Update(ctx, desk, c.ID, casework.Patch{Status: &crisis}); !errors.Is(err, casework.ErrInvalidTransition) {
		t.Errorf("closed to crisis = %v", err)
	}
	if c, err = svc.Update(ctx, desk, c.ID, casework.Patch{Status: &monitoring}); err != nil {
		t.Fatal(err)
	}
	var path []casework.Status
	for _, h := range c.History {
		path = append(path, h.To)
	}
	if want := []casework.Status{casework.Monitoring, casework.Crisis, casework.Closed, casework.Monitoring}; !slices.Equal(path, want) {
		t.Errorf("status history %v, want %v", path, want)
	}
	if _, err := svc.Update(ctx, desk, c.ID, casework.Patch{Status: &crisis, Version: 1}); !errors.Is(err, casework.ErrConflict) {
		t.Errorf("a change against an old version = %v", err)
	}
	// Sharing with the NGO and unsharing the AU move who sees it.
	if c, err = svc.Share(ctx, desk, c.ID, []string{"Synthetic NGO"}); err != nil {
		t.Fatal(err)
	}
	if c, err = svc.Unshare(ctx, desk, c.ID, []string{"Synthetic AU"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.SharedWith, []string{"Synthetic NGO"}) {
		t.Errorf("shared with %v", c.SharedWith)
	}
	if _, err := svc.Get(ctx, viewers["Synthetic AU/admin"], c.ID); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("unshared organisation still reads the case: %v", err)
	}
	if _, err := svc.Share(ctx, desk, c.ID, []string{"No Such Org"}); !errors.Is(err, casework.ErrInvalid) {
		t.Errorf("sharing with an unknown organisation = %v", err)
	}
	// Actions: a shared organisation's writer may log them; a viewer
	// role may not; an uncleared user cannot find the case.
	if _, err := svc.AddAction(ctx, viewers["Synthetic NGO/admin"], c.ID, casework.Action{Type: "dialogue facilitation",
		At: now, Partners: []string{"Synthetic NGO"}}); err != nil {
		t.Errorf("shared organisation's admin logs an action: %v", err)
	}
	if _, err := svc.AddAction(ctx, viewers["Synthetic UN/analyst"], c.ID, casework.Action{Type: casework.Statement,
		At: now}); !errors.Is(err, casework.ErrNotFound) {
		t.Errorf("uncleared analyst logging an action = %v, want not found", err)
	}
	if _, err := svc.AddAction(ctx, desk, c.ID, casework.Action{Type: "lunch", At: now}); !errors.Is(err, casework.ErrInvalid) {
		t.Errorf("an unknown action type = %v", err)
	}
	// The audit log has the creation, the changes, the sharing and the
	// confidential reads, naming the case by id only.
	recs, err := log.Latest(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Action]++
		if r.Object != "" && r.Object != "case:1" {
			t.Errorf("audit entry %s on %q", r.Action, r.Object)
		}
	}
	for action, n := range map[string]int{"case.create": 1, "case.share": 1, "case.unshare": 1, "case.update": 5,
		"case.action": 1, "read.confidential": 2} {
		if seen[action] != n {
			t.Errorf("audit: %d %s, want %d (all: %v)", seen[action], action, n, seen)
		}
	}
	if _, _, err := log.Verify(ctx); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}
