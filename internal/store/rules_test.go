package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

func TestRuleIndicators(t *testing.T) {
	// Synthetic values: two countries, one area, two names, three months.
	var vs []indicator.Value
	for _, c := range []indicator.Place{{Country: "CAF"}, {Country: "CAF", Admin1: "Ouham"}, {Country: "TCD"}} {
		for i, m := range []string{"2013-01-01", "2013-02-01", "2013-03-01"} {
			vs = append(vs,
				indicator.Value{Place: c, Kind: indicator.Month, Start: day(m), Name: indicator.FatalitiesBest, Value: float64(10 * (i + 1))},
				indicator.Value{Place: c, Kind: indicator.Month, Start: day(m), Name: indicator.Events, Value: float64(i + 1)},
				indicator.Value{Place: c, Kind: indicator.Day, Start: day(m), Name: indicator.Events, Value: 1})
		}
	}
	tests := []struct {
		name string
		q    rules.IndicatorQuery
		want int
	}{
		{"all months, one name", rules.IndicatorQuery{Kind: indicator.Month, Names: []string{indicator.FatalitiesBest}}, 9},
		{"one country", rules.IndicatorQuery{Countries: []string{"caf"}, Kind: indicator.Month, Names: []string{indicator.FatalitiesBest}}, 6},
		{"two names, bounded", rules.IndicatorQuery{Countries: []string{"TCD"}, Kind: indicator.Month,
			Names: []string{indicator.FatalitiesBest, indicator.Events}, From: day("2013-02-01"), To: day("2013-02-28")}, 2},
		{"days", rules.IndicatorQuery{Kind: indicator.Day, Names: []string{indicator.Events}}, 9},
		{"no countries", rules.IndicatorQuery{Countries: []string{}, Kind: indicator.Month}, 0},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if err := db.ReplaceIndicators(ctx, nil, time.Time{}, time.Time{}, vs); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			got, err := db.RuleIndicators(ctx, tc.q)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(got) != tc.want {
				t.Errorf("%s: %d values, want %d", tc.name, len(got), tc.want)
			}
			for _, v := range got {
				if v.Kind != tc.q.Kind || (tc.q.From.After(v.Start)) || (!tc.q.To.IsZero() && v.Start.After(tc.q.To)) {
					t.Errorf("%s: value %+v outside the query", tc.name, v)
				}
			}
		}
	})
}

func TestRuleEvents(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	coups := testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv")
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, []string{car, coups}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		q := rules.EventQuery{Countries: []string{"CAF"}, From: day("2013-12-01"), To: day("2013-12-31"), MinFatalities: 10, Limit: 5}
		got, err := db.RuleEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("%d events, want the limit 5 (December 2013 in CAR had many deadly events)", len(got))
		}
		for i, e := range got {
			if e.DateStart.Before(q.From) || e.DateStart.After(q.To) || *e.Fatalities.Best < 10 {
				t.Errorf("event %s (%s, %d deaths) outside the query", e.Key(), e.DateStart.Format(time.DateOnly), *e.Fatalities.Best)
			}
			if i > 0 && *e.Fatalities.Best > *got[i-1].Fatalities.Best {
				t.Errorf("event %d has more deaths (%d) than the one before (%d): want the deadliest first", i, *e.Fatalities.Best, *got[i-1].Fatalities.Best)
			}
		}
		// Bangui, 5 December 2013: the anti-balaka attack, GED's deadliest
		// event of that month in CAR.
		if got[0].DateStart.Month() != time.December || *got[0].Fatalities.Best < 100 {
			t.Errorf("deadliest event %s on %s with %d deaths; want the Bangui attack of early December (>= 100)", got[0].Key(), got[0].DateStart.Format(time.DateOnly), *got[0].Fatalities.Best)
		}
		// Coups have no death figures: ordered by date.
		got, err = db.RuleEvents(ctx, rules.EventQuery{Countries: []string{"CAF"}, Categories: []event.Category{event.Coup}})
		if err != nil {
			t.Fatal(err)
		}
		var dates []string
		for _, e := range got {
			dates = append(dates, e.DateStart.Format(time.DateOnly)+" "+e.SourceType)
		}
		want := "1966-01-01 successful,1976-02-05 attempt,1981-09-01 successful,2001-05-28 attempt,2003-03-15 successful"
		if strings.Join(dates, ",") != want {
			t.Errorf("CAR coups %v, want %s", dates, want)
		}
		if got, err := db.RuleEvents(ctx, rules.EventQuery{Categories: []event.Category{}}); err != nil || len(got) != 0 {
			t.Errorf("no categories: %d events, %v", len(got), err)
		}
	})
}

func TestRulesVersions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := db.ActiveRules(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ActiveRules on an empty table: %v, want ErrNotFound", err)
		}
		body := string(rules.DefaultYAML())
		at := time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)
		v1, err := db.SaveRules(ctx, body, "desk@example.org", at)
		if err != nil {
			t.Fatal(err)
		}
		body2 := strings.Replace(body, rules.Default().Version, "edited-1", 1)
		v2, err := db.SaveRules(ctx, body2, "cli", at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveRules(ctx, "version: x\nrules: [{id: a}]\n", "cli", at); err == nil {
			t.Error("SaveRules accepted an invalid rules file")
		}
		act, err := db.ActiveRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if act.ID != v2.ID || act.Version != "edited-1" || act.Body != body2 || act.Author != "cli" || !act.CreatedAt.Equal(at.Add(time.Hour)) {
			t.Errorf("active rules = %d %q by %q at %s, want version %d edited-1 by cli", act.ID, act.Version, act.Author, act.CreatedAt, v2.ID)
		}
		f, err := act.File()
		if err != nil || f.Version != "edited-1" {
			t.Errorf("File() = %v, %v", f, err)
		}
		h, err := db.RulesHistory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].ID != v2.ID || h[1].ID != v1.ID || h[1].Version != rules.Default().Version {
			t.Errorf("history = %+v, want versions %d then %d", h, v2.ID, v1.ID)
		}
	})
}
