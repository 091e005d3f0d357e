package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/roster"
	"threshold/internal/storetest"
)

// BenchmarkRosterMatchFromStore is a whole match as the service runs it
// over a synthetic roster of 10,000 made-up people in SQLite: one read
// of the roster with calendars, the index, the ranking.
func BenchmarkRosterMatchFromStore(b *testing.B) {
	db, _ := storetest.SQLite(b)
	ctx := context.Background()
	at := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	org, err := db.AddOrg(ctx, "Synthetic Mediation Unit", at)
	if err != nil {
		b.Fatal(err)
	}
	c, err := db.CreateCase(ctx, casework.Case{Title: "synthetic case", Status: casework.Monitoring,
		Confidentiality: casework.Internal, OwnerOrgID: org.ID, Places: []casework.Place{{Country: "CAF"}},
		Countries: []string{"CAF"}}, "test", at)
	if err != nil {
		b.Fatal(err)
	}
	g, err := geo.Load()
	if err != nil {
		b.Fatal(err)
	}
	areas, langs := roster.Areas(), []string{"en", "fr", "ar", "es", "ru", "pt"}
	countries := []string{"CAF", "TCD", "COD", "MLI", "COL", "MMR", "UKR", "YEM"}
	for i := range 10000 {
		p := roster.Person{Name: fmt.Sprintf("Synthetic Person %d", i), OrgID: org.ID,
			Expertise: []roster.Expertise{{Area: areas[i%8], Level: 1 + i%3}, {Area: areas[(i/8)%8], Level: 1 + (i/3)%3}},
			Languages: []roster.Language{{Code: langs[i%6], Level: roster.Levels()[i%7]}},
			Countries: []string{countries[i%8], countries[(i/8)%8]}}
		if p.Expertise[0].Area == p.Expertise[1].Area {
			p.Expertise = p.Expertise[:1]
		}
		if err := p.Normalize(g); err != nil {
			b.Fatal(err)
		}
		out, err := db.CreatePerson(ctx, p, "test", at)
		if err != nil {
			b.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := db.RequestDeployment(ctx, roster.Deployment{PersonID: out.ID, CaseID: c.ID,
				Start: at.AddDate(0, 0, i%200), Days: 20, RequestedBy: "test", RequestedAt: at}, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	r := roster.Request{Skills: []roster.Area{roster.PowerSharing, roster.Elections}, Languages: []string{"fr"},
		Start: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Days: 30, Countries: []string{"CAF"}, Level: casework.Internal}
	b.Run("read-index-rank", func(b *testing.B) {
		for b.Loop() {
			people, err := db.People(ctx, casework.Everyone(""), roster.Query{Calendar: true})
			if err != nil {
				b.Fatal(err)
			}
			if res := roster.NewIndex(people, g).Match(r); len(res.Candidates) == 0 {
				b.Fatal("no candidates")
			}
		}
	})
	// The service reuses its index while the roster's stamp holds: a
	// match costs the stamp query and the ranking.
	cases, err := casework.New(casework.Options{Store: db, Geo: g})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := roster.New(roster.Options{Store: db, Cases: cases, Geo: g})
	if err != nil {
		b.Fatal(err)
	}
	r.CaseID = c.ID
	b.Run("service-warm", func(b *testing.B) {
		for b.Loop() {
			if res, err := svc.Match(ctx, casework.Everyone("bench"), r); err != nil || len(res.Candidates) == 0 {
				b.Fatal(err, len(res.Candidates))
			}
		}
	})
}
