package app

import (
	"context"
	"testing"
	"time"

	"threshold/internal/forecast"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestStoreForecasts runs the forecast job over the Central African
// Republic's UCDP events (1989 to 2022-12): on a day whose last month has
// no data it stores nothing; in January 2023 it stores the forecasts with
// the cut-off 2022-12-31, and a second run that day stores nothing again.
func TestStoreForecasts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		day := time.Date(2030, 1, 15, 0, 0, 0, 0, time.UTC)
		a, err := New(ctx, Options{DB: url, Now: func() time.Time { return day }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Stop(ctx) })
		stored := func() []store.Forecast {
			t.Helper()
			fs, err := a.db.Forecasts(ctx, store.ForecastQuery{})
			if err != nil {
				t.Fatal(err)
			}
			return fs
		}

		// No events: nothing.
		if err := a.storeForecasts(ctx); err != nil {
			t.Fatal(err)
		}
		sum, err := ingest.Files(ctx, db, []string{carFile(t)}, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sp := sum.Touched.Span()
		if _, err := a.warn.Watcher.Changed(ctx, sum.Touched.Countries(), sp.From, sp.To); err != nil {
			t.Fatal(err)
		}
		// Events up to 2022-12, in 2030: nothing to forecast this month.
		if err := a.storeForecasts(ctx); err != nil {
			t.Fatal(err)
		}
		if fs := stored(); len(fs) != 0 {
			t.Fatalf("%d forecasts stored in 2030 from data ending 2022, want none", len(fs))
		}
		if testing.Short() || db.Dialect() != "sqlite" {
			return // the models take some 20 s; their store is tested in package store
		}

		day = time.Date(2023, 1, 10, 0, 0, 0, 0, time.UTC)
		if err := a.storeForecasts(ctx); err != nil {
			t.Fatal(err)
		}
		first := stored()
		units := map[string]int{}
		cutoff := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
		for _, f := range first {
			if !f.Cutoff.Equal(cutoff) || f.Country != "CAF" {
				t.Fatalf("forecast %s %s %s cut off %s, want CAF's cut off %s", f.Target, f.Unit, f.Country, f.Cutoff, cutoff)
			}
			units[f.Unit+" "+f.Target]++
		}
		for _, k := range []string{"country-month active", "country-month fatalities", "admin1-month active", "admin1-month fatalities"} {
			if units[k] == 0 {
				t.Errorf("no %s forecasts stored; stored: %v", k, units)
			}
		}
		if want := 6; units[string(forecast.CountryMonth)+" "+string(forecast.Fatalities)] != want {
			t.Errorf("%d country-month fatalities forecasts, want %d (six months)", units["country-month fatalities"], want)
		}

		day = day.AddDate(0, 0, 1) // the next day's run: already stored
		if err := a.storeForecasts(ctx); err != nil {
			t.Fatal(err)
		}
		again := stored()
		if len(again) != len(first) {
			t.Fatalf("%d forecasts after the second run, want %d", len(again), len(first))
		}
		for i := range again {
			if !again[i].CreatedAt.Equal(first[i].CreatedAt) {
				t.Fatalf("forecast %s %s %s rewritten by the second run (created %s, then %s)",
					again[i].Target, again[i].Country, again[i].Period, first[i].CreatedAt, again[i].CreatedAt)
			}
		}
	})
}
