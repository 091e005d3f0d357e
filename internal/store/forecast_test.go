package store_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestForecasts(t *testing.T) {
	// Synthetic rows: the probabilities and factors are made up for the
	// test.
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	nan := math.NaN()
	f := func(target, country, admin1, cutoff, period string, h int, p float64) store.Forecast {
		return store.Forecast{Target: target, Unit: "country-month", Country: country, Admin1: admin1, Period: day(period), Horizon: h,
			Cutoff: day(cutoff), Model: "ensemble", ModelVersion: "monthly-1", Probability: p, Mean: nan, Lo80: nan, Hi80: nan,
			Factors: json.RawMessage(`[{"feature":"fat.t","text":"deaths in the month: 212 (raises risk)"}]`), CreatedAt: at}
	}
	nov := []store.Forecast{
		f("onset", "CAF", "", "2020-11-30", "2020-12-01", 1, 0.2),
		f("onset", "MLI", "", "2020-11-30", "2020-12-01", 1, 0.05),
	}
	dec := []store.Forecast{
		f("onset", "CAF", "", "2020-12-31", "2021-01-01", 1, 0.4),
		f("onset", "CAF", "", "2020-12-31", "2021-03-01", 3, 0.3),
		f("active", "CAF", "", "2020-12-31", "2021-01-01", 1, 0.9),
	}
	deaths := f("fatalities", "CAF", "", "2020-12-31", "2021-01-01", 1, nan)
	deaths.Model, deaths.Mean, deaths.Lo80, deaths.Hi80 = "lognormal", 40.5, 3, 120
	area := f("onset", "CAF", "Ouaka", "2020-12-31", "2021-01-01", 1, 0.6)
	area.Unit = "admin1-month"
	dec = append(dec, deaths, area)

	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if err := db.SaveForecasts(ctx, nov); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveForecasts(ctx, dec); err != nil {
			t.Fatal(err)
		}
		// A re-run on the same cut-off replaces its rows.
		again := dec[0]
		again.Probability = 0.45
		if err := db.SaveForecasts(ctx, []store.Forecast{again}); err != nil {
			t.Fatal(err)
		}
		all, err := db.Forecasts(ctx, store.ForecastQuery{})
		if err != nil || len(all) != len(nov)+len(dec) {
			t.Fatalf("Forecasts() = %d rows, %v; want %d", len(all), err, len(nov)+len(dec))
		}
		got, err := db.Forecasts(ctx, store.ForecastQuery{Target: "fatalities"})
		if err != nil || len(got) != 1 || got[0].Mean != 40.5 || got[0].Lo80 != 3 || got[0].Hi80 != 120 || !math.IsNaN(got[0].Probability) {
			t.Fatalf("fatalities = %+v, %v", got, err)
		}
		if !strings.Contains(string(got[0].Factors), "raises risk") || !got[0].CreatedAt.Equal(at) || !got[0].Cutoff.Equal(day("2020-12-31")) {
			t.Errorf("fatalities row = %+v", got[0])
		}

		// Ordered by unit (admin1-month first), country, area, month.
		type rf struct {
			country, admin1, window string
			p                       float64
		}
		tests := []struct {
			name      string
			target    string
			countries []string
			asOf      string
			want      []rf
		}{
			{name: "latest cut-off of each place", target: "onset", asOf: "2021-01-15", want: []rf{
				{"CAF", "Ouaka", "2021-01-01", 0.6}, {"CAF", "", "2021-01-01", 0.45}, {"CAF", "", "2021-03-01", 0.3}, {"MLI", "", "2020-12-01", 0.05}}},
			{name: "as of a day before the later cut-off", target: "onset", asOf: "2020-12-15", want: []rf{
				{"CAF", "", "2020-12-01", 0.2}, {"MLI", "", "2020-12-01", 0.05}}},
			{name: "countries filter", target: "onset", countries: []string{"MLI"}, asOf: "2021-01-15", want: []rf{
				{"MLI", "", "2020-12-01", 0.05}}},
			{name: "no country", target: "onset", countries: []string{}, asOf: "2021-01-15"},
			{name: "before any cut-off", target: "onset", asOf: "2020-11-01"},
			{name: "fatalities carry no probability", target: "fatalities", asOf: "2021-01-15"},
			{name: "active", target: "active", asOf: "2021-01-15", want: []rf{{"CAF", "", "2021-01-01", 0.9}}},
		}
		for _, tt := range tests {
			fs, err := db.RuleForecasts(ctx, tt.target, tt.countries, day(tt.asOf))
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []rf
			for _, f := range fs {
				if f.Target != tt.target || f.Window[1] != f.Window[0].AddDate(0, 1, -1) || f.Issued.After(day(tt.asOf)) {
					t.Errorf("%s: forecast %+v", tt.name, f)
				}
				got = append(got, rf{f.Country, f.Admin1, f.Window[0].Format(time.DateOnly), f.Probability})
			}
			if len(got) != len(tt.want) {
				t.Errorf("%s: RuleForecasts = %v, want %v", tt.name, got, tt.want)
				continue
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s: RuleForecasts = %v, want %v", tt.name, got, tt.want)
					break
				}
			}
		}

		// A forecast rule fires on the stored probabilities.
		f, err := rules.Parse("forecast.yaml", []byte("version: t\nrules:\n"+
			"  - {id: onset-risk, name: Onset risk, severity: warning, forecast: {target: onset, probability: 0.3}}\n"))
		if err != nil {
			t.Fatal(err)
		}
		firings, err := rules.Evaluate(ctx, db, f, rules.Scope{AsOf: day("2021-01-15")})
		if err != nil {
			t.Fatal(err)
		}
		var fired []string
		for _, fr := range firings {
			fired = append(fired, fr.Country+"/"+fr.Admin1+" "+fr.Window.Start.Format("2006-01"))
		}
		// Country-level rule: CAF's 0.45 (January) and 0.3 (March) reach
		// 0.3; MLI's 0.05 does not; the Ouaka area is for admin-1 rules.
		if strings.Join(fired, ", ") != "CAF/ 2021-01, CAF/ 2021-03" {
			t.Errorf("forecast rule fired for %v, want CAF/ 2021-01 and CAF/ 2021-03", fired)
		}
	})
}
