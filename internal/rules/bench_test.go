package rules_test

import (
	"context"
	"testing"
	"time"

	"threshold/internal/rules"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// BenchmarkEvaluateGlobal evaluates the default rules for every country as
// of the end of one month over the stored global GED extract (175,322
// events, 119 countries) and the Powell & Thyne coups on SQLite: the cost
// of one month of a replay reading from the database.
func BenchmarkEvaluateGlobal(b *testing.B) {
	db, _ := storetest.SQLite(b)
	files := []string{
		testenv.SharedData(b, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz"),
		testenv.SharedData(b, "coups", "powell_thyne_coups_v2022.11.29.csv"),
	}
	load(b, db, files)
	ctx := context.Background()
	f := rules.Default()
	asOf := monthEnd(2014, time.June)
	var n int
	b.ResetTimer()
	for b.Loop() {
		fs, err := rules.Evaluate(ctx, db, f, rules.Scope{AsOf: asOf})
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(n), "firings")
}
