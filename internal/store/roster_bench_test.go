package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/roster"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// syntheticRoster puts n made-up people on the roster of a new
// organisation, kept by it, with one or two expertise areas, a language,
// two countries (and their regions), a deployment on a third of them and
// an unavailable period on a seventh; it returns the viewer that sees
// them and a case of theirs in CAF.
func syntheticRoster(tb testing.TB, db *store.DB, g *geo.Table, n int) (casework.Viewer, casework.Case) {
	tb.Helper()
	ctx := context.Background()
	at := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	org, err := db.AddOrg(ctx, "Synthetic Mediation Unit", at)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := db.CreateCase(ctx, casework.Case{Title: "synthetic case", Status: casework.Monitoring,
		Confidentiality: casework.Internal, OwnerOrgID: org.ID, Places: []casework.Place{{Country: "CAF"}},
		Countries: []string{"CAF"}}, "test", at)
	if err != nil {
		tb.Fatal(err)
	}
	areas, langs := roster.Areas(), []string{"en", "fr", "ar", "es", "ru", "pt"}
	countries := []string{"CAF", "TCD", "COD", "MLI", "COL", "MMR", "UKR", "YEM"}
	for i := range n {
		p := roster.Person{Name: fmt.Sprintf("Synthetic Person %d", i), OrgID: org.ID,
			Expertise: []roster.Expertise{{Area: areas[i%8], Level: 1 + i%3}, {Area: areas[(i/8)%8], Level: 1 + (i/3)%3}},
			Languages: []roster.Language{{Code: langs[i%6], Level: roster.Levels()[i%7]}},
			Countries: []string{countries[i%8], countries[(i/8)%8]}, Contract: roster.Contracts()[i%5],
			Clearance: casework.Levels()[i%4]}
		if p.Expertise[0].Area == p.Expertise[1].Area {
			p.Expertise = p.Expertise[:1]
		}
		if err := p.Normalize(g); err != nil {
			tb.Fatal(err)
		}
		out, err := db.CreatePerson(ctx, p, "test", at)
		if err != nil {
			tb.Fatal(err)
		}
		if i%3 == 0 {
			d, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: out.ID, CaseID: c.ID,
				Start: at.AddDate(0, 0, i%200), Days: 20, RequestedBy: "test", RequestedAt: at}, "")
			if err != nil {
				tb.Fatal(err)
			}
			if i%2 == 0 { // approved ones count towards fatigue
				if _, err := db.SetDeploymentStatus(ctx, d.ID, roster.Requested, roster.Transition{From: roster.Requested,
					To: roster.Approved, Actor: "test", At: at}); err != nil {
					tb.Fatal(err)
				}
			}
		}
		if i%7 == 0 {
			if _, err := db.AddUnavailable(ctx, out.ID, roster.Period{Start: at.AddDate(0, 1, i%90), End: at.AddDate(0, 1, i%90+9),
				RecordedBy: "test"}, at); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return casework.Viewer{UserID: 1, Email: "desk@synthetic.example", OrgID: org.ID, Role: auth.DeskOfficer}, c
}

// matchRequests are the profiles the equivalence test and the benchmark
// rank for.
func matchRequests(c casework.Case) []roster.Request {
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }
	return []roster.Request{
		{Skills: []roster.Area{roster.PowerSharing, roster.Elections}, Languages: []string{"fr"}, Start: day(3, 1), Days: 30},
		{Skills: []roster.Area{roster.ProcessDesign}, Start: day(1, 20), Days: 10, Limit: 500},
		{Skills: []roster.Area{roster.GenderInclusion, roster.TransitionalJustice}, Languages: []string{"ar", "en"}, Start: day(2, 10),
			Days: 60, Kinds: []roster.Kind{roster.MediationExpert}},
	}
}

func forCase(r roster.Request, c casework.Case) roster.Request {
	r.CaseID, r.Countries, r.Level = c.ID, c.Countries, c.Confidentiality
	return r
}

// TestMatchPeopleRanksAsPeople checks that the narrow projection
// matching reads (MatchPeople) ranks exactly as the full records with
// their calendars (People with Calendar) on a synthetic roster: same
// candidates, scores, reasons and exclusions; and that it applies the
// roster's need-to-know rule.
func TestMatchPeopleRanksAsPeople(t *testing.T) {
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		v, c := syntheticRoster(t, db, g, 300)
		full, err := db.People(ctx, v, roster.Query{Calendar: true})
		if err != nil {
			t.Fatal(err)
		}
		narrow, err := db.MatchPeople(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(narrow) != len(full) || len(full) != 300 {
			t.Fatalf("MatchPeople: %d people, People: %d, want 300", len(narrow), len(full))
		}
		for _, r := range matchRequests(c) {
			r = forCase(r, c)
			want, got := roster.NewIndex(full, g).Match(r), roster.NewIndex(narrow, g).Match(r)
			if len(want.Candidates) == 0 {
				t.Fatalf("%+v: no candidates", r)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%v: the narrow projection ranks differently:\n got %+v\nwant %+v", r.Skills, got, want)
			}
		}
		for _, other := range []casework.Viewer{
			{UserID: 9, Email: "desk@other.example", OrgID: v.OrgID + 100, Role: auth.DeskOfficer},
			{UserID: 9, Email: "viewer@synthetic.example", OrgID: v.OrgID, Role: auth.PartnerViewer},
		} {
			if ps, err := db.MatchPeople(ctx, other); err != nil || len(ps) != 0 {
				t.Errorf("%s of org %d sees %d people for matching (%v), want none", other.Role, other.OrgID, len(ps), err)
			}
		}
	})
}

// TestMatchIndexFollowsChanges checks that the service's index, which
// after a change reads again only the people who changed
// (MatchVersions), ranks exactly as a fresh service that reads everyone:
// after a deployment is requested and approved, a period marked
// unavailable and a person added.
func TestMatchIndexFollowsChanges(t *testing.T) {
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		v, c := syntheticRoster(t, db, g, 200)
		cases, err := casework.New(casework.Options{Store: db, Geo: g})
		if err != nil {
			t.Fatal(err)
		}
		newService := func() *roster.Service {
			svc, err := roster.New(roster.Options{Store: db, Cases: cases, Geo: g})
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}
		svc := newService()
		reqs := matchRequests(c)
		r := forCase(reqs[0], c)
		check := func(step string) roster.Result {
			t.Helper()
			got, err := svc.Match(ctx, v, r)
			if err != nil {
				t.Fatal(err)
			}
			want, err := newService().Match(ctx, v, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after %s the cached index ranks differently:\n got %+v\nwant %+v", step, got, want)
			}
			return got
		}
		first := check("the first match")
		top := first.Candidates[0].PersonID
		d, err := svc.RequestDeployment(ctx, v, roster.Deployment{PersonID: top, CaseID: c.ID, Role: "mediator", Start: r.Start, Days: r.Days}, "")
		if err != nil {
			t.Fatal(err)
		}
		after := check("a deployment request")
		if len(after.Candidates) > 0 && after.Candidates[0].PersonID == top {
			t.Errorf("person %d, requested for the window, still ranks first", top)
		}
		if _, err := svc.Move(ctx, v, d.ID, roster.Approved, ""); err != nil {
			t.Fatal(err)
		}
		check("an approval")
		second := after.Candidates[0].PersonID
		if _, err := svc.MarkUnavailable(ctx, v, second, r.Start, r.Start.AddDate(0, 0, 3), "leave"); err != nil {
			t.Fatal(err)
		}
		check("an unavailable period")
		if _, err := db.CreatePerson(ctx, roster.Person{Name: "Synthetic Newcomer", Kind: roster.MediationExpert, OrgID: v.OrgID,
			Clearance: casework.StrictlyConfidential, Contract: roster.Standby,
			Expertise: []roster.Expertise{{Area: r.Skills[0], Level: 3}, {Area: r.Skills[1], Level: 3}},
			Languages: []roster.Language{{Code: "fr", Level: roster.C2}}, Countries: []string{"CAF"}}, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
		check("a new person")
	})
}

// BenchmarkRosterMatchFromStore is a whole match over a synthetic roster
// of 10,000 made-up people, on SQLite and on PostgreSQL:
//
//   - people-calendar: the full records with their calendars (People
//     with Calendar, as the roster page reads them, and as matching did
//     before MatchPeople), the index, the ranking;
//   - match-people: the narrow projection matching reads, the index, the
//     ranking: what a match costs after the roster changed;
//   - rank: the ranking alone, on an index built once;
//   - service-warm: the service's match while its index holds (the
//     stamp query, the case, the ranking);
//   - service-after-change: the service's match after one person's
//     calendar changed (the versions query, that person read again, the
//     index rebuilt, the ranking).
func BenchmarkRosterMatchFromStore(b *testing.B) {
	g, err := geo.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, dbn := range []struct {
		name string
		open func(testing.TB) (*store.DB, string)
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(dbn.name, func(b *testing.B) {
			db, _ := dbn.open(b)
			ctx := context.Background()
			v, c := syntheticRoster(b, db, g, 10000)
			r := forCase(matchRequests(c)[0], c)
			b.Run("people-calendar", func(b *testing.B) {
				for b.Loop() {
					people, err := db.People(ctx, v, roster.Query{Calendar: true})
					if err != nil {
						b.Fatal(err)
					}
					if res := roster.NewIndex(people, g).Match(r); len(res.Candidates) == 0 {
						b.Fatal("no candidates")
					}
				}
			})
			b.Run("match-people", func(b *testing.B) {
				for b.Loop() {
					people, err := db.MatchPeople(ctx, v)
					if err != nil {
						b.Fatal(err)
					}
					if res := roster.NewIndex(people, g).Match(r); len(res.Candidates) == 0 {
						b.Fatal("no candidates")
					}
				}
			})
			people, err := db.MatchPeople(ctx, v)
			if err != nil {
				b.Fatal(err)
			}
			ix := roster.NewIndex(people, g)
			b.Run("rank", func(b *testing.B) {
				for b.Loop() {
					if res := ix.Match(r); len(res.Candidates) == 0 {
						b.Fatal("no candidates")
					}
				}
			})
			cases, err := casework.New(casework.Options{Store: db, Geo: g})
			if err != nil {
				b.Fatal(err)
			}
			svc, err := roster.New(roster.Options{Store: db, Cases: cases, Geo: g})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("service-warm", func(b *testing.B) {
				for b.Loop() {
					if res, err := svc.Match(ctx, v, r); err != nil || len(res.Candidates) == 0 {
						b.Fatal(err, len(res.Candidates))
					}
				}
			})
			// service-after-change: before each match (untimed) one
			// person's calendar changes, so the index reads that person
			// again (MatchVersions, MatchPeople of one id) and is rebuilt.
			b.Run("service-after-change", func(b *testing.B) {
				res, err := svc.Match(ctx, v, r)
				if err != nil || len(res.Candidates) == 0 {
					b.Fatal(err)
				}
				who := res.Candidates[len(res.Candidates)-1].PersonID
				var period int64
				for b.Loop() {
					b.StopTimer()
					if period == 0 {
						u, err := svc.MarkUnavailable(ctx, v, who, r.Start.AddDate(1, 0, 0), r.Start.AddDate(1, 0, 2), "synthetic")
						if err != nil {
							b.Fatal(err)
						}
						period = u.ID
					} else {
						if err := svc.ClearUnavailable(ctx, v, who, period); err != nil {
							b.Fatal(err)
						}
						period = 0
					}
					b.StartTimer()
					if res, err := svc.Match(ctx, v, r); err != nil || len(res.Candidates) == 0 {
						b.Fatal(err, len(res.Candidates))
					}
				}
			})
		})
	}
}
