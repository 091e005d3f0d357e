package forecast

import (
	"math"
	"testing"
)

func TestRankMetrics(t *testing.T) {
	tests := []struct {
		name        string
		p, y        []float64
		auroc, aupr float64
	}{
		// scikit-learn's documentation examples of roc_auc_score and
		// average_precision_score: 0.75 and 0.8333.
		{"sklearn", []float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, 0.75, 5.0 / 6},
		{"perfect", []float64{0.9, 0.8, 0.1, 0.2}, []float64{1, 1, 0, 0}, 1, 1},
		{"reversed", []float64{0.1, 0.2, 0.9, 0.8}, []float64{1, 1, 0, 0}, 0, 0.5*1.0/3 + 0.5*2.0/4},
		// All tied: half the pairs, precision at the one threshold.
		{"ties", []float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5, 0.5},
	}
	for _, tc := range tests {
		if got := AUROC(tc.p, tc.y); math.Abs(got-tc.auroc) > 1e-12 {
			t.Errorf("%s: AUROC = %g, want %g", tc.name, got, tc.auroc)
		}
		if got := AUPR(tc.p, tc.y); math.Abs(got-tc.aupr) > 1e-12 {
			t.Errorf("%s: AUPR = %g, want %g", tc.name, got, tc.aupr)
		}
	}
	if !math.IsNaN(AUROC([]float64{0.1, 0.2}, []float64{0, 0})) {
		t.Error("AUROC without events is not NaN")
	}
}

func TestScoreModels(t *testing.T) {
	m, _ := FitLogit(column(studyHours), studyPass, nil, 0)
	fitted := make([]float64, len(studyHours))
	over := make([]float64, len(studyHours))
	half := make([]float64, len(studyHours))
	for i, h := range studyHours {
		fitted[i] = m.Predict([]float64{h})
		over[i] = sigmoid(2 * logit(fitted[i]))
		half[i] = 0.5
	}
	probs := map[string][]float64{"fitted": fitted, "over": over, "half": half}
	names := []string{"fitted", "over", "half"}
	opts := ScoreOptions{Replicates: 200, Seed: 7, Pairs: [][2]string{{"fitted", "half"}}}
	scores, diffs, err := ScoreModels(names, probs, studyPass, opts)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Score{}
	for _, s := range scores {
		by[s.Model] = s
		if s.N != 20 || s.Events != 10 {
			t.Errorf("%s: n %d, events %d; want 20, 10", s.Model, s.N, s.Events)
		}
		for _, iv := range []Interval{s.Brier, s.LogLoss, s.AUROC, s.AUPR} {
			if !(iv.Lo <= iv.Value && iv.Value <= iv.Hi) {
				t.Errorf("%s: interval %+v does not hold its value", s.Model, iv)
			}
		}
	}
	// A maximum-likelihood fit's own predictions have calibration slope 1;
	// doubling their log odds halves it. 0.5 for everyone scores Brier 0.25
	// and log loss log 2.
	if s := by["fitted"].CalibrationSlope.Value; math.Abs(s-1) > 1e-6 {
		t.Errorf("fitted: calibration slope %g, want 1", s)
	}
	if s := by["over"].CalibrationSlope.Value; math.Abs(s-0.5) > 1e-6 {
		t.Errorf("over: calibration slope %g, want 0.5", s)
	}
	if h := by["half"]; h.Brier.Value != 0.25 || math.Abs(h.LogLoss.Value-math.Ln2) > 1e-12 || h.AUROC.Value != 0.5 {
		t.Errorf("half: Brier %g, log loss %g, AUROC %g; want 0.25, ln 2, 0.5", h.Brier.Value, h.LogLoss.Value, h.AUROC.Value)
	}
	// The fit beats a coin on every replicate's Brier score.
	if d := diffs[0]; d.Brier.Hi >= 0 || math.Abs(d.Brier.Value-(by["fitted"].Brier.Value-0.25)) > 1e-12 {
		t.Errorf("fitted - half: Brier %+v, want below 0", d.Brier)
	}
	// Every forecast lands in one calibration bin.
	n := 0
	for _, b := range by["fitted"].Calibration {
		n += b.N
	}
	if n != 20 {
		t.Errorf("calibration table holds %d forecasts, want 20", n)
	}
	// The same seed gives the same intervals.
	again, _, _ := ScoreModels(names, probs, studyPass, opts)
	if again[0].AUROC != scores[0].AUROC {
		t.Errorf("AUROC %+v then %+v with the same seed", scores[0].AUROC, again[0].AUROC)
	}
}
