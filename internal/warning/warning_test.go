package warning_test

import (
	"context"
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
