package warning_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/election"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
	"threshold/internal/warning"
)

// recorder is a Notifier that remembers what it was given.
type recorder struct {
	mu sync.Mutex
	ns []alert.Notification
}

func (r *recorder) Enqueue(_ context.Context, ns []alert.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns = append(r.ns, ns...)
	return nil
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestWatcherCAR drives the pipeline over the real bundled CAR sample and
// the Powell & Thyne coups: backfills are not evaluated, evaluations open
// alerts once and notify them, and the AsOf day never passes today.
func TestWatcherCAR(t *testing.T) {
	files, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv"))
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		sum, err := ingest.Files(ctx, db, files, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		els, err := election.Calendar()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportElections(ctx, els); err != nil {
			t.Fatal(err)
		}
		notes := &recorder{}
		m, err := alert.NewManager(alert.Options{Store: db, Notifier: notes})
		if err != nil {
			t.Fatal(err)
		}
		today := day("2026-11-26")
		w := &warning.Watcher{
			Store:      db,
			Indicators: indicator.NewUpdater(db),
			Rules:      func(context.Context) (*rules.File, error) { return rules.Default(), nil },
			Alerts:     m,
			Now:        func() time.Time { return today.Add(9 * time.Hour) },
		}
		var after []string // AfterChange calls: "countries from..to"
		w.AfterChange = func(_ context.Context, countries []string, from, to time.Time) error {
			after = append(after, fmt.Sprintf("%v %s..%s", countries, from.Format(time.DateOnly), to.Format(time.DateOnly)))
			return nil
		}
		latest, err := db.LatestEventDay(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if latest.IsZero() {
			t.Fatal("LatestEventDay is zero after ingesting the sample")
		}

		// The whole ingest, as the CLI hands it over: it reaches the newest
		// event, so it is evaluated as of the last day it touched.
		sp := sum.Touched.Span()
		rep, err := w.Changed(ctx, sum.Touched.Countries(), sp.From, sp.To)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Recomputed == 0 || !rep.Evaluated || !rep.AsOf.Equal(sp.To) {
			t.Fatalf("whole ingest: recomputed %d, evaluated %v as of %s; want values, evaluated as of %s (%s)",
				rep.Recomputed, rep.Evaluated, rep.AsOf.Format(time.DateOnly), sp.To.Format(time.DateOnly), rep.Skipped)
		}
		if !slices.Contains(rep.Countries, "CAF") || !slices.Contains(rep.Countries, "TCD") {
			t.Errorf("evaluated countries %v, want CAF and its neighbours (TCD among them)", rep.Countries)
		}

		// A correction to 2013 is history being filled in: no evaluation.
		rep, err = w.Changed(ctx, []string{"CAF"}, day("2013-12-01"), day("2013-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Evaluated || rep.Skipped == "" || rep.Recomputed == 0 {
			t.Errorf("backfill: evaluated %v, skipped %q, recomputed %d; want recomputed, not evaluated", rep.Evaluated, rep.Skipped, rep.Recomputed)
		}
		// AfterChange ran for the ingest and for the backfill alike.
		if len(after) != 2 || after[1] != "[CAF] 2013-12-01..2013-12-31" {
			t.Errorf("AfterChange calls %q; want the ingest's and then [CAF] 2013-12-01..2013-12-31", after)
		}

		// An explicit evaluation as of the end of 2013 (Séléka and
		// anti-balaka violence) opens alerts and notifies them; doing it
		// again opens nothing.
		before := len(notes.ns)
		rep, err = w.Evaluate(ctx, []string{"CAF"}, day("2013-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Firings == 0 || len(rep.Alerts.Opened) == 0 {
			t.Fatalf("as of 2013-12-31: %d firings, %d alerts opened; want some", rep.Firings, len(rep.Alerts.Opened))
		}
		var opened []string
		for _, a := range rep.Alerts.Opened {
			opened = append(opened, a.Fingerprint)
		}
		if !slices.Contains(opened, "mass-fatalities-admin1|CAF|Bangui province") {
			t.Errorf("as of 2013-12-31: no mass-fatalities-admin1 alert for Bangui among %v", opened)
		}
		if got := len(notes.ns) - before; got < len(rep.Alerts.Opened) {
			t.Errorf("%d notifications for %d new alerts", got, len(rep.Alerts.Opened))
		}
		again, err := w.Evaluate(ctx, []string{"CAF"}, day("2013-12-31"))
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Alerts.Opened) != 0 || again.Firings != rep.Firings {
			t.Errorf("second evaluation: %d opened, %d firings; want 0 opened, %d firings", len(again.Alerts.Opened), again.Firings, rep.Firings)
		}

		// A change dated in the future is evaluated as of today.
		rep, err = w.Changed(ctx, []string{"CAF"}, day("2027-01-01"), day("2027-01-02"))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.AsOf.Equal(today) {
			t.Errorf("future change evaluated as of %s, want today %s", rep.AsOf.Format(time.DateOnly), today.Format(time.DateOnly))
		}
	})
}

// TestReplayCAR replays the real CAR crisis of 2013-14 month by month
// through the alert Manager: alerts open with the clock at the month end
// of their first firing, and alerts whose condition stopped holding are
// cleared along the way.
func TestReplayCAR(t *testing.T) {
	files, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, files, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		m, err := alert.NewManager(alert.Options{Store: db})
		if err != nil {
			t.Fatal(err)
		}
		w := &warning.Watcher{Store: db, Alerts: m,
			Rules: func(context.Context) (*rules.File, error) { return rules.Default(), nil }}
		reps, err := w.Replay(ctx, []string{"CAF"}, day("2012-12-01"), day("2014-06-30"))
		if err != nil {
			t.Fatal(err)
		}
		if len(reps) != 19 {
			t.Fatalf("%d evaluations, want 19 (2012-12 to 2014-06)", len(reps))
		}
		all, err := m.List(ctx, alert.Query{})
		if err != nil {
			t.Fatal(err)
		}
		byFP := map[string]alert.Alert{}
		cleared := 0
		for _, a := range all {
			if _, ok := byFP[a.Fingerprint]; !ok || a.FiredAt.Before(byFP[a.Fingerprint].FiredAt) {
				byFP[a.Fingerprint] = a
			}
			if !a.ClearedAt.IsZero() {
				cleared++
			}
		}
		// Bangui: 110 deaths in March 2013, when the Séléka took the city.
		bangui, ok := byFP["mass-fatalities-admin1|CAF|Bangui province"]
		if want := time.Date(2013, 3, 31, 23, 59, 0, 0, time.UTC); !ok || !bangui.FiredAt.Equal(want) {
			t.Errorf("Bangui mass-fatalities alert %v fired at %s, want %s", ok, bangui.FiredAt, want)
		}
		if cleared == 0 {
			t.Errorf("none of %d alerts cleared over 19 months of replay", len(all))
		}
	})
}
