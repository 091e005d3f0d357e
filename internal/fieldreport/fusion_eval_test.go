package fieldreport_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/ingest"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// fusionCase is one report of the evaluation set and the event it was
// drawn from ("" for an unrelated, synthetic report).
type fusionCase struct {
	r     fieldreport.Report
	truth string
}

// fusionSet builds the evaluation set from the real UCDP GED events of
// the bundled CAR sample: for n of them drawn at random, a report with a
// perturbed place (the name of another GED place in the same admin-1
// area, coordinates jittered 1 to 5 km, or none at all for one in four)
// and date (0 to 5 days either way), and, for one in five, a sibling
// category of the same family; plus unrelated synthetic reports at
// random places in the country's bounding box, random dates of the same
// years and random categories.
func fusionSet(evs []event.Event, n, unrelated int, rng *rand.Rand) []fusionCase {
	byAdmin := map[string][]event.Event{}
	for _, e := range evs {
		byAdmin[e.Admin1] = append(byAdmin[e.Admin1], e)
	}
	siblings := map[event.Category][]event.Category{
		event.Battle:                   {event.ViolenceAgainstCivilians, event.ExplosionRemoteViolence},
		event.ViolenceAgainstCivilians: {event.Battle},
	}
	var out []fusionCase
	for _, i := range rng.Perm(len(evs))[:n] {
		e := evs[i]
		r := fieldreport.Report{ID: int64(len(out) + 1), Country: e.Country, Admin1: e.Admin1, Place: e.Place,
			Category: e.Category, Date: e.DateStart.AddDate(0, 0, rng.IntN(11)-5)}
		if same := byAdmin[e.Admin1]; len(same) > 1 {
			r.Place = same[rng.IntN(len(same))].Place
		}
		if rng.IntN(4) != 0 {
			d, b := 1+4*rng.Float64(), 2*math.Pi*rng.Float64()
			lat := *e.Latitude + d/111.2*math.Cos(b)
			lon := *e.Longitude + d/(111.2*math.Cos(lat*math.Pi/180))*math.Sin(b)
			r.Latitude, r.Longitude = &lat, &lon
		}
		if s := siblings[e.Category]; len(s) > 0 && rng.IntN(5) == 0 {
			r.Category = s[rng.IntN(len(s))]
		}
		out = append(out, fusionCase{r: r, truth: e.Key().String()})
	}
	admins := make([]string, 0, len(byAdmin))
	for a := range byAdmin {
		admins = append(admins, a)
	}
	cats := []event.Category{event.Battle, event.ViolenceAgainstCivilians, event.Riot, event.Protest}
	first, last := evs[0].DateStart, evs[0].DateStart
	for _, e := range evs {
		if e.DateStart.Before(first) {
			first = e.DateStart
		}
		if e.DateStart.After(last) {
			last = e.DateStart
		}
	}
	days := int(last.Sub(first).Hours() / 24)
	for range unrelated {
		lat, lon := 2.3+8.6*rng.Float64(), 14.5+12.9*rng.Float64()
		out = append(out, fusionCase{r: fieldreport.Report{ID: int64(len(out) + 1), Country: "CAF",
			Admin1: admins[rng.IntN(len(admins))], Place: "synthetic unrelated place", Latitude: &lat, Longitude: &lon,
			Date: first.AddDate(0, 0, rng.IntN(days+1)), Category: cats[rng.IntN(len(cats))]}})
	}
	return out
}

// TestFusionOnGED measures fusion on the real CAR sample: reports drawn
// from GED events must find their event, unrelated ones should find none.
func TestFusionOnGED(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the CAR sample")
	}
	ctx := context.Background()
	db, _ := storetest.SQLite(t)
	paths, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ged []string
	for _, p := range paths {
		if strings.Contains(p, "GEDEvent") {
			ged = append(ged, p)
		}
	}
	if _, err := ingest.Files(ctx, db, ged, ingest.Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	if err := db.Events(ctx, event.Filter{Country: "CAF", Source: event.UCDPGED}, store.Page{NoRaw: true}, func(s event.Stored) error {
		if s.Latitude != nil && s.Admin1 != "" {
			evs = append(evs, s.Event)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(evs) < 1000 {
		t.Fatalf("only %d GED events with coordinates and admin-1", len(evs))
	}
	cases := fusionSet(evs, 400, 100, rand.New(rand.NewPCG(2023, 10)))
	f := fieldreport.Fusion{}
	var (
		drawn, found, top, withLinks, topRight, links, trueLinks, unrelated, unrelatedLinked int
		noCoords, noCoordsFound                                                              int
	)
	for _, c := range cases {
		days := 7 * 24 * time.Hour
		cands, err := db.FusionCandidates(ctx, c.r.Country, c.r.Date.Add(-days), c.r.Date.Add(days), 0)
		if err != nil {
			t.Fatal(err)
		}
		var ls []fieldreport.Link
		for _, l := range fieldreport.Match(c.r, cands, f) {
			if l.Event != "" {
				ls = append(ls, l)
			}
		}
		links += len(ls)
		if len(ls) > 0 {
			withLinks++
		}
		if c.truth == "" {
			unrelated++
			if len(ls) > 0 {
				unrelatedLinked++
			}
			continue
		}
		drawn++
		if c.r.Latitude == nil {
			noCoords++
		}
		for i, l := range ls {
			if l.Event == c.truth {
				found++
				trueLinks++
				if c.r.Latitude == nil {
					noCoordsFound++
				}
				if i == 0 {
					top++
				}
			}
		}
		if len(ls) > 0 && ls[0].Event == c.truth {
			topRight++
		}
	}
	recall := float64(found) / float64(drawn)
	top1 := float64(top) / float64(drawn)
	precision := float64(topRight) / float64(withLinks)
	linkPrecision := float64(trueLinks) / float64(links)
	t.Logf("fusion on %d real GED events (CAR sample) + %d synthetic unrelated reports, MaxKm %.0f, Days %d, MinScore %.2f, Max %d:",
		drawn, unrelated, 25.0, 7, 0.5, 5)
	t.Logf("  recall (true event among links)            %.3f (%d/%d); without coordinates %.3f (%d/%d)",
		recall, found, drawn, float64(noCoordsFound)/float64(noCoords), noCoordsFound, noCoords)
	t.Logf("  top-1 recall (true event ranked first)     %.3f", top1)
	t.Logf("  precision of the top link                  %.3f (%d/%d reports with a link)", precision, topRight, withLinks)
	t.Logf("  precision of all links                     %.3f (%d/%d)", linkPrecision, trueLinks, links)
	t.Logf("  unrelated reports with any link            %.3f (%d/%d)", float64(unrelatedLinked)/float64(unrelated), unrelatedLinked, unrelated)
	if recall < 0.85 {
		t.Errorf("recall %.3f, want at least 0.85", recall)
	}
	if top1 < 0.5 {
		t.Errorf("top-1 recall %.3f, want at least 0.5", top1)
	}
}
