package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// caseFixture is a database with three synthetic organisations (the
// owner, a partner the cases are shared with and an outsider) and one
// case per confidentiality level, shared with the partner and naming
// one responsible officer, plus a case of the owner's shared with nobody;
// each case has one action answering one synthetic alert.
type caseFixture struct {
	owner, partner, outsider auth.Org
	cases                    []casework.Case
	alerts                   []alert.Alert
}

func newCaseFixture(t *testing.T, db *store.DB) caseFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var f caseFixture
	for _, o := range []*auth.Org{&f.owner, &f.partner, &f.outsider} {
		var err error
		name := map[*auth.Org]string{&f.owner: "Synthetic Owner", &f.partner: "Synthetic Partner", &f.outsider: "Synthetic Outsider"}[o]
		if *o, err = db.AddOrg(ctx, name, at); err != nil {
			t.Fatal(err)
		}
	}
	specs := []struct {
		title  string
		level  casework.Confidentiality
		shared []string
	}{
		{"synthetic public watch", casework.Public, []string{f.partner.Name}},
		{"synthetic internal watch", casework.Internal, []string{f.partner.Name}},
		{"synthetic confidential watch", casework.Confidential, []string{f.partner.Name}},
		{"synthetic strictly confidential watch", casework.StrictlyConfidential, []string{f.partner.Name}},
		{"synthetic unshared watch", casework.Confidential, nil},
	}
	for i, s := range specs {
		a := syntheticAlert(at)
		a.Fingerprint = fmt.Sprintf("synthetic-rule|CAF|area %d", i)
		a.State, a.SilencedBy = alert.StateFiring, 0
		saved, err := db.SaveAlerts(ctx, []alert.Write{{Alert: a}})
		if err != nil {
			t.Fatal(err)
		}
		f.alerts = append(f.alerts, saved[0])
		c := casework.Case{Title: s.title, Places: []casework.Place{{Country: "CAF"}, {Country: "TCD", Admin1: "Salamat"}},
			Confidentiality: s.level, SharedWith: s.shared, Staff: []string{"named@owner.example"}, LeadOffice: "UNOCA",
			OwnerOrgID: f.owner.ID}
		if err := c.Normalize(); err != nil {
			t.Fatal(err)
		}
		c, err = db.CreateCase(ctx, c, "creator@owner.example", at)
		if err != nil {
			t.Fatal(err)
		}
		f.cases = append(f.cases, c)
		if _, err := db.AddAction(ctx, casework.Action{CaseID: c.ID, Type: casework.Statement, At: at.Add(48 * time.Hour),
			Alerts: []int64{saved[0].ID}, RecordedBy: "creator@owner.example", RecordedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sees is the need-to-know rule of the casework package doc, written out
// independently of the SQL filter it checks.
func sees(v casework.Viewer, c casework.Case) bool {
	if v.All {
		return true
	}
	admitted := v.OrgID == c.OwnerOrgID || slices.Contains(c.SharedWith, v.OrgName)
	var cleared bool
	switch c.Confidentiality {
	case casework.Public, casework.Internal:
		cleared = v.Role != ""
	case casework.Confidential:
		cleared = v.Role == auth.Admin || v.Role == auth.Analyst || v.Role == auth.DeskOfficer
	case casework.StrictlyConfidential:
		cleared = v.Role == auth.Admin
	}
	return admitted && (cleared || slices.Contains(c.Staff, v.Email))
}

func TestCaseAccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newCaseFixture(t, db)
		viewer := func(o auth.Org, r auth.Role, email string) casework.Viewer {
			return casework.Viewer{Email: email, OrgID: o.ID, OrgName: o.Name, Role: r}
		}
		var viewers []casework.Viewer
		for _, o := range []auth.Org{f.owner, f.partner, f.outsider} {
			for _, r := range auth.Roles() {
				viewers = append(viewers, viewer(o, r, string(r)+"@synthetic.example"))
			}
		}
		viewers = append(viewers, viewer(f.owner, auth.PartnerViewer, "named@owner.example"),
			viewer(f.outsider, auth.Admin, "named@owner.example"), casework.Everyone("cli:test"), casework.Viewer{})
		// A few expectations spelled out, so the oracle itself is checked.
		want := map[string][]int{ // viewer -> indexes of the cases it sees
			"Synthetic Outsider/admin":            {},
			"Synthetic Partner/partner-viewer":    {0, 1},
			"Synthetic Partner/desk-officer":      {0, 1, 2},
			"Synthetic Partner/admin":             {0, 1, 2, 3},
			"Synthetic Owner/mediation-expert":    {0, 1},
			"Synthetic Owner/analyst":             {0, 1, 2, 4},
			"Synthetic Owner/admin":               {0, 1, 2, 3, 4},
			"Synthetic Owner/named@owner.example": {0, 1, 2, 3, 4},
		}
		for _, v := range viewers {
			name := v.OrgName + "/" + string(v.Role)
			if v.Email == "named@owner.example" {
				name = v.OrgName + "/" + v.Email
			}
			if v.All {
				name = "everyone"
			}
			t.Run(name, func(t *testing.T) {
				var visible []int64
				for i, c := range f.cases {
					got, err := db.Case(ctx, v, c.ID)
					switch {
					case sees(v, c) && err != nil:
						t.Errorf("Case(%q) = %v, want it", c.Title, err)
					case !sees(v, c) && (!errors.Is(err, casework.ErrNotFound) || !errors.Is(err, store.ErrNotFound)):
						t.Errorf("Case(%q) = %q, %v, want not found", c.Title, got.Title, err)
					}
					if sees(v, c) {
						visible = append(visible, c.ID)
					}
					if w, ok := want[name]; ok && slices.Contains(w, i) != sees(v, c) {
						t.Errorf("oracle says %v for %q", sees(v, c), c.Title)
					}
				}
				slices.Reverse(visible) // newest first
				list, err := db.Cases(ctx, v, casework.Query{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(visible, ids(list, func(c casework.Case) int64 { return c.ID }), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Cases (-want +got):\n%s", diff)
				}
				for _, q := range []casework.Query{{Q: "watch"}, {Q: "STRICTLY"}, {Country: "TCD"}, {Q: "unoca"}} {
					n, err := db.CountCases(ctx, v, q)
					if err != nil {
						t.Fatal(err)
					}
					found, err := db.Cases(ctx, v, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range found {
						if !slices.Contains(visible, c.ID) {
							t.Errorf("Cases(%+v) leaks %q", q, c.Title)
						}
					}
					if n != len(found) {
						t.Errorf("CountCases(%+v) = %d, Cases found %d", q, n, len(found))
					}
				}
				acts, err := db.Actions(ctx, v, casework.ActionQuery{})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(acts, func(a casework.Action) int64 { return a.CaseID })
				slices.Sort(got)
				wantCases := slices.Clone(visible)
				slices.Sort(wantCases)
				if diff := cmp.Diff(wantCases, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Actions' cases (-want +got):\n%s", diff)
				}
				ans, err := db.Answers(ctx, v)
				if err != nil {
					t.Fatal(err)
				}
				got = ids(ans, func(a casework.Answer) int64 { return a.CaseID })
				if diff := cmp.Diff(wantCases, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Answers' cases (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := []int64{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func TestCaseLifecycleStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newCaseFixture(t, db)
		all := casework.Everyone("cli:test")
		c, err := db.Case(ctx, all, f.cases[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		// A list holds what reading each case one by one does, but the
		// history.
		list, err := db.Cases(ctx, all, casework.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range list {
			one, err := db.Case(ctx, all, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			one.History = nil
			if diff := cmp.Diff(one, got); diff != "" {
				t.Errorf("case %d listed (-one +listed):\n%s", got.ID, diff)
			}
		}
		wantPlaces := []casework.Place{{Country: "CAF"}, {Country: "TCD", Admin1: "Salamat"}}
		if diff := cmp.Diff(wantPlaces, c.Places); diff != "" {
			t.Errorf("places (-want +got):\n%s", diff)
		}
		if !slices.Equal(c.Countries, []string{"CAF", "TCD"}) || c.OwnerOrg != "Synthetic Owner" ||
			!slices.Equal(c.SharedWith, []string{"Synthetic Partner"}) || len(c.History) != 1 || c.History[0].To != casework.Monitoring {
			t.Errorf("stored case = %+v", c)
		}
		// Move it on, unshare the partner, share the outsider.
		at := c.UpdatedAt.Add(time.Hour)
		c.Status, c.SharedWith, c.UpdatedAt = casework.Crisis, []string{"Synthetic Outsider"}, at
		up, err := db.UpdateCase(ctx, c, &casework.StatusChange{From: casework.Monitoring, To: casework.Crisis,
			Actor: "desk@owner.example", Note: "synthetic escalation", At: at}, "desk@owner.example", at)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != c.Version+1 || up.Status != casework.Crisis || len(up.History) != 2 ||
			!slices.Equal(up.SharedWith, []string{"Synthetic Outsider"}) {
			t.Errorf("updated case = %+v", up)
		}
		// The old version is refused.
		if _, err := db.UpdateCase(ctx, c, nil, "x", at); !errors.Is(err, casework.ErrConflict) {
			t.Errorf("stale update = %v, want a conflict", err)
		}
		// An unknown organisation is invalid.
		up.SharedWith = []string{"No Such Org"}
		if _, err := db.UpdateCase(ctx, up, nil, "x", at); !errors.Is(err, casework.ErrInvalid) || !strings.Contains(err.Error(), "No Such Org") {
			t.Errorf("sharing with an unknown organisation = %v", err)
		}
		// The partner lost it, the outsider's desk sees it.
		partnerDesk := casework.Viewer{Email: "p@synthetic.example", OrgID: f.partner.ID, OrgName: f.partner.Name, Role: auth.DeskOfficer}
		if _, err := db.Case(ctx, partnerDesk, c.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("unshared partner reads the case: %v", err)
		}
		outsiderDesk := casework.Viewer{Email: "o@synthetic.example", OrgID: f.outsider.ID, OrgName: f.outsider.Name, Role: auth.DeskOfficer}
		if _, err := db.Case(ctx, outsiderDesk, c.ID); err != nil {
			t.Errorf("newly shared organisation cannot read the case: %v", err)
		}
		// Unanswered: a new alert with no action, and one already decided.
		for i, st := range []alert.State{alert.StateFiring, alert.StateDismissed} {
			a := syntheticAlert(at.AddDate(0, 0, -30))
			a.Fingerprint, a.State, a.SilencedBy = fmt.Sprintf("synthetic-rule|MLI|%d", i), st, 0
			if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: a}}); err != nil {
				t.Fatal(err)
			}
		}
		un, err := db.Unanswered(ctx, at.AddDate(0, 0, -7))
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 1 || un[0].Country != "CAF" || un[0].State != "firing" || !strings.HasPrefix(un[0].Title, "synthetic") {
			t.Errorf("Unanswered = %+v, want the one undecided alert without an action", un)
		}
		if un, err := db.Unanswered(ctx, at.AddDate(0, 0, -60)); err != nil || len(un) != 0 {
			t.Errorf("Unanswered 60 days back = %v, %v, want none", un, err)
		}
		// An action linking an alert that does not exist is refused whole.
		if _, err := db.AddAction(ctx, casework.Action{CaseID: c.ID, Type: casework.OtherAction, At: at,
			Alerts: []int64{999999}, RecordedBy: "x", RecordedAt: at}); !errors.Is(err, casework.ErrInvalid) {
			t.Errorf("action linking no alert = %v", err)
		}
		acts, err := db.Actions(ctx, all, casework.ActionQuery{CaseID: c.ID})
		if err != nil || len(acts) != 1 || acts[0].Type != casework.Statement || len(acts[0].Alerts) != 1 {
			t.Errorf("Actions = %+v, %v, want the fixture's one statement", acts, err)
		}
	})
}
