package forecast

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// TestMonthlyBacktest runs short backtests on the Central African
// Republic's and Mexico's admin-1 areas and checks what they scored
// against the panel's own outcomes.
func TestMonthlyBacktest(t *testing.T) {
	values, _ := gedIndicators(t, carMexico)
	mp, err := BuildMonthly(Admin1Month, values, nil, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	month := func(s string) time.Time { m, _ := time.Parse("2006-01", s); return m }
	quick := GBTConfig{Trees: 20, Depth: 2, LearningRate: 0.1, Lambda: 1, MinHessian: 5, Bins: 16, Subsample: 1, Seed: 1}
	for _, tt := range []struct {
		target Target
		h      int
		models string
	}{
		{Onset, 1, "base-rate unit-history persistence logit gbt ensemble"},
		{Active, 3, "base-rate unit-history persistence logit gbt ensemble"},
		{Fatalities, 1, "base-rate unit-history persistence nb-glm lognormal"},
	} {
		t.Run(string(tt.target), func(t *testing.T) {
			res, err := MonthlyBacktest(context.Background(), mp, MonthlyBacktestOptions{
				Target: tt.target, Horizon: tt.h, From: month("2015-01"), To: month("2016-12"), Warmup: 12,
				MaxTrain: 3000, GBT: quick, Replicates: 20, Seed: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			rep := res.Report
			// The rows scored, counted from the panel's outcomes.
			n, events, persistenceAE := 0, 0, 0.0
			for T := mp.MonthOf(month("2015-01")); T <= mp.MonthOf(month("2016-12")); T++ {
				for p := range mp.Places {
					o, ok := mp.Outcome(tt.target, p, T-tt.h, tt.h)
					if !ok || !o.AtRisk {
						continue
					}
					n++
					if o.Value > 0 {
						events++
					}
					persistenceAE += math.Abs(o.Value - mp.Fatalities(p, T-tt.h))
				}
			}
			if rep.Scored != n || rep.Events != events || rep.Fits != 3 {
				t.Errorf("scored %d, events %d, fits %d; want %d, %d, 3 (two years and one of warm-up)", rep.Scored, rep.Events, rep.Fits, n, events)
			}
			if got := strings.Join(res.Models, " "); got != tt.models {
				t.Errorf("models %q, want %q", got, tt.models)
			}
			if rep.SampleRate >= 1 {
				t.Errorf("sample rate %g: want non-events subsampled below 3,000 rows", rep.SampleRate)
			}
			for _, m := range rep.Models {
				if m.N != n || !(m.Brier.Value > 0 && m.Brier.Value < 0.25) || m.Brier.Lo > m.Brier.Value || m.Brier.Hi < m.Brier.Value {
					t.Errorf("%s: n %d, Brier %+v", m.Model, m.N, m.Brier)
				}
			}
			for _, m := range rep.CountModels {
				if m.N != n || !(m.CRPS.Value > 0) || m.Coverage80 < 0 || m.Coverage80 > 1 {
					t.Errorf("%s: n %d, CRPS %+v, coverage %g", m.Model, m.N, m.CRPS, m.Coverage80)
				}
				// A point mass's CRPS is its absolute error.
				if m.Model == ModelPersistence && math.Abs(m.CRPS.Value-persistenceAE/float64(n)) > 1e-9 {
					t.Errorf("persistence CRPS %g, want the mean absolute error %g", m.CRPS.Value, persistenceAE/float64(n))
				}
			}
			var buf bytes.Buffer
			if err := WriteHTML(&buf, res); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			wantSVG := 3
			if tt.target == Fatalities {
				wantSVG = 0
			}
			if got := strings.Count(page, "<svg"); got != wantSVG || !strings.Contains(page, "precisely located") {
				t.Errorf("report has %d SVG plots, want %d, and the GED extract's caveat", got, wantSVG)
			}
			for _, m := range res.Models {
				if !strings.Contains(page, "<td>"+m+"</td>") {
					t.Errorf("report lacks model %s", m)
				}
			}
		})
	}
}

// BenchmarkMonthlyFit times one fit of the binary monthly models and the
// forecasts of its 12 months: admin-1 onset in the Central African
// Republic and Mexico, trained on the outcomes known at the end of 2019.
func BenchmarkMonthlyFit(b *testing.B) {
	values, _ := gedIndicators(b, carMexico)
	mp, err := BuildMonthly(Admin1Month, values, nil, time.Time{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := mp.MonthOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	var rows []mrow
	var train, test []int
	for t := 11; t+1 < start+12; t++ {
		for p := range mp.Places {
			o, ok := mp.Outcome(Onset, p, t, 1)
			if !ok || !o.AtRisk {
				continue
			}
			if t+1 <= start-1 {
				train = append(train, len(rows))
			} else if t+1 >= start {
				test = append(test, len(rows))
			}
			rows = append(rows, mrow{p: p, t: t, y: o.Value, state: mp.sum(p, sFat, t-11, t) > 0, kept: true, x: mp.Row(p, t)})
		}
	}
	opts := MonthlyBacktestOptions{Lambda: DefaultLambda, GBT: DefaultGBT}
	for b.Loop() {
		if _, err := fitMonthlyBinary(rows, train, test, 0, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(train)), "train-rows")
	b.ReportMetric(float64(len(mp.FeatureNames())), "features")
}
