package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"threshold/internal/backtest"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// BenchmarkBacktest times the full backtest of the default rules and the
// baseline over 1995-2020 on the UCDP GED data the backtest is measured
// on (the 175,322-event global extract and the full CAR and Mexico files),
// in a SQLite store: reading what the rules need, replaying 316 month ends
// twice, scoring. It reports the episodes and alerts of one run.
//
//	go test -run '^$' -bench Backtest -cpu 2 ./internal/store
func BenchmarkBacktest(b *testing.B) {
	files := []string{
		testenv.SharedData(b, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz"),
		testenv.SharedData(b, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"),
		testenv.SharedData(b, "ucdp-ged", "GEDEvent_v23_1_mexico.csv"),
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := ingest.Files(ctx, db, files, ingest.Options{}); err != nil {
		b.Fatal(err)
	}
	if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		b.Fatal(err)
	}
	opts := backtest.Options{
		From: time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC),
		Rules: rules.Default(),
	}
	var r *backtest.Report
	for b.Loop() {
		if r, err = backtest.Run(ctx, db, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Episodes), "episodes")
	b.ReportMetric(float64(r.Alerts), "alerts")
	b.ReportMetric(r.ReplaySeconds, "replay-s")
	b.Logf("run %.1f s, replay %.1f s", r.Seconds, r.ReplaySeconds)
}
