package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// rosterFixture is a database with two synthetic organisations, one case
// of the keeper's and two synthetic people it keeps.
type rosterFixture struct {
	keeper, other auth.Org
	caseID        int64
	people        []roster.Person
}

func newRosterFixture(t *testing.T, db *store.DB) rosterFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	var f rosterFixture
	var err error
	if f.keeper, err = db.AddOrg(ctx, "Synthetic Mediation Unit", at); err != nil {
		t.Fatal(err)
	}
	if f.other, err = db.AddOrg(ctx, "Synthetic Partner", at); err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCase(ctx, casework.Case{Title: "synthetic case", Status: casework.Monitoring,
		Confidentiality: casework.Internal, OwnerOrgID: f.keeper.ID, Places: []casework.Place{{Country: "MLI"}},
		Countries: []string{"MLI"}, Staff: []string{"desk@synthetic.example"}}, "test", at)
	if err != nil {
		t.Fatal(err)
	}
	f.caseID = c.ID
	for i, p := range []roster.Person{
		{Name: "Synthetic Expert A", Email: "a@synthetic.example", Kind: roster.MediationExpert, OrgID: f.keeper.ID,
			Clearance: casework.Confidential, Contract: roster.Standby,
			Expertise: []roster.Expertise{{Area: roster.PowerSharing, Level: 3}, {Area: roster.Elections, Level: 1}},
			Languages: []roster.Language{{Code: "en", Level: roster.C2}, {Code: "fr", Level: roster.B2}},
			Countries: []string{"MLI", "NER"}, Regions: []string{"Africa", "Western Africa"}},
		{Name: "Synthetic Envoy B", Kind: roster.Envoy, OrgID: f.keeper.ID, Clearance: casework.StrictlyConfidential,
			Contract: roster.StaffContract, Expertise: []roster.Expertise{}, Languages: []roster.Language{},
			Countries: []string{}, Regions: []string{}},
	} {
		out, err := db.CreatePerson(ctx, p, "test", at)
		if err != nil {
			t.Fatalf("person %d: %v", i, err)
		}
		f.people = append(f.people, out)
	}
	return f
}

func TestRosterPeopleAndAccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		a := f.people[0]
		if a.Org != "Synthetic Mediation Unit" || len(a.Expertise) != 2 || a.Level(roster.PowerSharing) != 3 ||
			len(a.Languages) != 2 || len(a.Countries) != 2 || len(a.Regions) != 2 || a.Version != 1 {
			t.Fatalf("created person = %+v", a)
		}
		tests := []struct {
			name string
			v    casework.Viewer
			want int // people seen
		}{
			{"operator", casework.Everyone("cli:test"), 2},
			{"keeper desk officer", casework.Viewer{OrgID: f.keeper.ID, Role: auth.DeskOfficer, Email: "desk@synthetic.example"}, 2},
			{"keeper analyst", casework.Viewer{OrgID: f.keeper.ID, Role: auth.Analyst}, 2},
			{"other organisation's admin", casework.Viewer{OrgID: f.other.ID, Role: auth.Admin}, 0},
			{"the expert herself", casework.Viewer{OrgID: f.other.ID, Role: auth.MediationExpert, Email: "a@synthetic.example"}, 1},
			{"another expert", casework.Viewer{OrgID: f.keeper.ID, Role: auth.MediationExpert, Email: "z@synthetic.example"}, 0},
			{"partner viewer of the keeper", casework.Viewer{OrgID: f.keeper.ID, Role: auth.PartnerViewer, Email: "a@synthetic.example"}, 0},
			{"no organisation", casework.Viewer{Role: auth.Admin}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ps, err := db.People(ctx, tt.v, roster.Query{})
				if err != nil {
					t.Fatal(err)
				}
				if len(ps) != tt.want {
					t.Fatalf("saw %d people, want %d", len(ps), tt.want)
				}
				_, err = db.Person(ctx, tt.v, a.ID)
				if seesA := err == nil; seesA != (tt.want > 0) {
					t.Fatalf("Person(A) err = %v, want seen=%v", err, tt.want > 0)
				}
				if err != nil && !errors.Is(err, roster.ErrNotFound) {
					t.Fatalf("Person(A) err = %v, want roster.ErrNotFound", err)
				}
			})
		}
		byArea, err := db.People(ctx, casework.Everyone(""), roster.Query{Area: roster.PowerSharing, Q: "expert"})
		if err != nil || len(byArea) != 1 || byArea[0].ID != a.ID {
			t.Fatalf("People(power-sharing, expert) = %v, %v", byArea, err)
		}
		a.Notes, a.Countries = "synthetic note", []string{"MLI"}
		up, err := db.UpdatePerson(ctx, a, time.Now())
		if err != nil || up.Version != 2 || len(up.Countries) != 1 || up.Notes != "synthetic note" {
			t.Fatalf("UpdatePerson = %+v, %v", up, err)
		}
		if _, err := db.UpdatePerson(ctx, a, time.Now()); !errors.Is(err, roster.ErrConflict) {
			t.Fatalf("stale UpdatePerson err = %v, want ErrConflict", err)
		}
	})
}

func TestRosterDeploymentLifecycle(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		pid := f.people[0].ID
		at := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
		req := func(start string, days int) (roster.Deployment, error) {
			return db.RequestDeployment(ctx, roster.Deployment{PersonID: pid, CaseID: f.caseID, Start: day(start), Days: days,
				RequestedBy: "test", RequestedAt: at}, "synthetic request")
		}
		d, err := req("2025-03-01", 30)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != roster.Requested || d.Days != 30 || !d.End().Equal(day("2025-03-30")) || len(d.History) != 1 ||
			d.Person != "Synthetic Expert A" {
			t.Fatalf("requested = %+v", d)
		}
		cases := []struct {
			start string
			days  int
			want  error
		}{
			{"2025-03-30", 5, roster.ErrDoubleBooked},  // shares the last day
			{"2025-02-20", 10, roster.ErrDoubleBooked}, // ends on the first day
			{"2025-03-10", 2, roster.ErrDoubleBooked},  // inside
			{"2025-02-20", 60, roster.ErrDoubleBooked}, // around
			{"2025-03-31", 5, nil},                     // the day after
			{"2025-02-20", 9, nil},                     // ends the day before
		}
		for _, c := range cases {
			_, err := req(c.start, c.days)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("request %s for %d days: err = %v, want %v", c.start, c.days, err, c.want)
			}
		}
		if _, err := db.AddUnavailable(ctx, pid, roster.Period{Start: day("2025-06-01"), End: day("2025-06-10"),
			RecordedBy: "test"}, at); err != nil {
			t.Fatal(err)
		}
		if _, err := req("2025-06-10", 3); !errors.Is(err, roster.ErrUnavailable) {
			t.Errorf("request in an unavailable period: err = %v, want ErrUnavailable", err)
		}
		for _, to := range []roster.Status{roster.Approved, roster.Active, roster.Completed} {
			from := d.Status
			if d, err = db.SetDeploymentStatus(ctx, d.ID, from, roster.Transition{From: from, To: to, Actor: "test", At: at}); err != nil {
				t.Fatalf("%s -> %s: %v", from, to, err)
			}
		}
		if d.Status != roster.Completed || len(d.History) != 4 || d.History[3].From != roster.Active {
			t.Fatalf("completed = %+v", d)
		}
		if _, err := db.SetDeploymentStatus(ctx, d.ID, roster.Active, roster.Transition{To: roster.Completed, At: at}); !errors.Is(err, roster.ErrConflict) {
			t.Fatalf("stale transition err = %v, want ErrConflict", err)
		}
		// A cancelled request frees its window.
		x, err := req("2025-09-01", 10)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetDeploymentStatus(ctx, x.ID, roster.Requested, roster.Transition{From: roster.Requested,
			To: roster.Cancelled, Actor: "test", At: at}); err != nil {
			t.Fatal(err)
		}
		if _, err := req("2025-09-05", 10); err != nil {
			t.Fatalf("request after cancellation: %v", err)
		}
		p, err := db.Person(ctx, casework.Everyone(""), pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Deployments) != 5 || len(p.Unavailable) != 1 {
			t.Fatalf("person has %d deployments and %d unavailable periods, want 5 and 1", len(p.Deployments), len(p.Unavailable))
		}
		ds, err := db.Deployments(ctx, casework.Viewer{OrgID: f.other.ID, Role: auth.Admin}, roster.DeploymentQuery{CaseID: f.caseID})
		if err != nil || len(ds) != 0 {
			t.Fatalf("another organisation sees %d deployments (%v), want none", len(ds), err)
		}
		ds, err = db.Deployments(ctx, casework.Everyone(""), roster.DeploymentQuery{CaseID: f.caseID, Status: []roster.Status{roster.Requested}})
		if err != nil || len(ds) != 3 {
			t.Fatalf("requested deployments = %d (%v), want 3", len(ds), err)
		}
	})
}

// TestRosterNoDoubleBookingUnderConcurrency sends many simultaneous
// requests for one expert, in overlapping windows, on both databases:
// exactly one wins per overlapping group, the rest are ErrDoubleBooked.
func TestRosterNoDoubleBookingUnderConcurrency(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		pid := f.people[0].ID
		// Two groups far apart: requests inside a group all overlap
		// one another (each covers the group's middle day), groups never.
		const perGroup = 16
		starts := map[string]time.Time{"march": day("2025-03-01"), "july": day("2025-07-01")}
		type outcome struct {
			group string
			err   error
		}
		out := make(chan outcome, 2*perGroup)
		var wg sync.WaitGroup
		release := make(chan struct{})
		for group, s := range starts {
			for i := range perGroup {
				wg.Go(func() {
					<-release
					_, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: pid, CaseID: f.caseID,
						Start: s.AddDate(0, 0, i%8), Days: 10 + i%5, RequestedBy: fmt.Sprintf("requester %d", i),
						RequestedAt: time.Now().UTC()}, "")
					out <- outcome{group, err}
				})
			}
		}
		close(release)
		wg.Wait()
		close(out)
		won := map[string]int{}
		for o := range out {
			switch {
			case o.err == nil:
				won[o.group]++
			case !errors.Is(o.err, roster.ErrDoubleBooked):
				t.Errorf("%s: unexpected error %v", o.group, o.err)
			}
		}
		for group := range starts {
			if won[group] != 1 {
				t.Errorf("%s: %d requests won, want exactly 1", group, won[group])
			}
		}
		ds, err := db.Deployments(ctx, casework.Everyone(""), roster.DeploymentQuery{PersonID: pid})
		if err != nil || len(ds) != 2 {
			t.Fatalf("stored %d deployments (%v), want 2", len(ds), err)
		}
	})
}

// TestRosterDoubleBookingRefusedByTheDatabase writes an overlapping
// deployment straight into the table, past the store's check: the
// exclusion constraint (PostgreSQL) or trigger (SQLite) refuses it, and
// refuses reviving a cancelled deployment into a held window.
func TestRosterDoubleBookingRefusedByTheDatabase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		pid := f.people[0].ID
		at := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
		held, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: pid, CaseID: f.caseID, Start: day("2025-03-01"),
			Days: 10, RequestedBy: "test", RequestedAt: at}, "")
		if err != nil {
			t.Fatal(err)
		}
		driver, dsn, bind := "sqlite", url, func(q string) string { return q }
		if store.IsPostgres(url) {
			driver, bind = "pgx", func(q string) string {
				for i := 1; strings.Contains(q, "?"); i++ {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
				}
				return q
			}
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		insert := bind(`INSERT INTO roster_deployments (person_id, case_id, role, start_date, end_date, status, requested_by,
			requested_at, version) VALUES (?, ?, '', ?, ?, ?, 'raw', ?, 1)`)
		stamp := any(at.Format(time.RFC3339))
		if store.IsPostgres(url) {
			stamp = at
		}
		_, err = raw.ExecContext(ctx, insert, pid, f.caseID, "2025-03-05", "2025-03-20", "approved", stamp)
		if err == nil || !strings.Contains(err.Error(), "roster_deployments_no_double_booking") {
			t.Fatalf("overlapping insert err = %v, want the no-double-booking refusal", err)
		}
		if _, err := raw.ExecContext(ctx, insert, pid, f.caseID, "2025-03-05", "2025-03-20", "cancelled", stamp); err != nil {
			t.Fatalf("a cancelled overlapping row holds nothing and is allowed: %v", err)
		}
		_, err = raw.ExecContext(ctx, bind(`UPDATE roster_deployments SET status = 'requested' WHERE status = 'cancelled'`))
		if err == nil || !strings.Contains(err.Error(), "roster_deployments_no_double_booking") {
			t.Fatalf("reviving into a held window err = %v, want the no-double-booking refusal", err)
		}
		if got, err := db.Deployment(ctx, casework.Everyone(""), held.ID); err != nil || got.Status != roster.Requested {
			t.Fatalf("held deployment = %+v, %v", got, err)
		}
	})
}

// TestRosterStamp checks that every kind of roster write changes the
// stamp the service's index cache relies on.
func TestRosterStamp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		at := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
		seen := map[string]string{}
		check := func(step string) {
			t.Helper()
			s, err := db.RosterStamp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if prev, ok := seen[s]; ok {
				t.Fatalf("after %s the stamp %s is the one after %s", step, s, prev)
			}
			seen[s] = step
		}
		check("fixture")
		p := f.people[1]
		p.Notes = "synthetic"
		if _, err := db.UpdatePerson(ctx, p, at); err != nil {
			t.Fatal(err)
		}
		check("update")
		u, err := db.AddUnavailable(ctx, p.ID, roster.Period{Start: day("2025-05-01"), End: day("2025-05-02"), RecordedBy: "t"}, at)
		if err != nil {
			t.Fatal(err)
		}
		check("unavailable")
		if err := db.RemoveUnavailable(ctx, p.ID, u.ID, at); err != nil {
			t.Fatal(err)
		}
		check("available again")
		d, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: p.ID, CaseID: f.caseID, Start: day("2025-05-01"), Days: 3,
			RequestedBy: "t", RequestedAt: at}, "")
		if err != nil {
			t.Fatal(err)
		}
		check("request")
		if _, err := db.SetDeploymentStatus(ctx, d.ID, roster.Requested, roster.Transition{From: roster.Requested,
			To: roster.Approved, Actor: "t", At: at}); err != nil {
			t.Fatal(err)
		}
		check("approve")
	})
}

// TestRosterApprovalNamesOnCase checks that approving a deployment names
// the person on the case (so a mediation expert may read a confidential
// case they are sent to) and that cancelling it takes the name off.
func TestRosterApprovalNamesOnCase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		f := newRosterFixture(t, db)
		at := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
		c, err := db.CreateCase(ctx, casework.Case{Title: "synthetic confidential case", Status: casework.Monitoring,
			Confidentiality: casework.StrictlyConfidential, OwnerOrgID: f.keeper.ID, Places: []casework.Place{{Country: "NER"}},
			Countries: []string{"NER"}, Staff: []string{"desk@synthetic.example"}}, "test", at)
		if err != nil {
			t.Fatal(err)
		}
		expert := casework.Viewer{OrgID: f.keeper.ID, Role: auth.MediationExpert, Email: "a@synthetic.example"}
		sees := func() bool {
			_, err := db.Case(ctx, expert, c.ID)
			if err != nil && !errors.Is(err, casework.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		if sees() {
			t.Fatal("the expert sees the case before any deployment")
		}
		d, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: f.people[0].ID, CaseID: c.ID, Start: day("2025-03-01"),
			Days: 10, RequestedBy: "test", RequestedAt: at}, "")
		if err != nil {
			t.Fatal(err)
		}
		move := func(from, to roster.Status) roster.Deployment {
			t.Helper()
			d, err := db.SetDeploymentStatus(ctx, d.ID, from, roster.Transition{From: from, To: to, Actor: "test", At: at})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if sees() {
			t.Fatal("a request alone lets the expert see the case")
		}
		if d = move(roster.Requested, roster.Approved); !d.NamedOnCase || !sees() {
			t.Fatalf("after approval: named %v, sees %v; want both", d.NamedOnCase, sees())
		}
		if d = move(roster.Approved, roster.Cancelled); d.NamedOnCase || sees() {
			t.Fatalf("after cancellation: named %v, sees %v; want neither", d.NamedOnCase, sees())
		}
		got, err := db.Case(ctx, casework.Everyone(""), c.ID)
		if err != nil || strings.Join(got.Staff, ",") != "desk@synthetic.example" {
			t.Fatalf("staff after cancellation = %v, %v", got.Staff, err)
		}
	})
}
