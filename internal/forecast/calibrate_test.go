package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hoursPoints are the hours-studied data as calibration points whose two
// learners both say σ(hours): the combined log odds ū is the hours.
func hoursPoints() []CalPoint {
	pts := make([]CalPoint, len(studyHours))
	for i, h := range studyHours {
		pts[i] = CalPoint{Logit: sigmoid(h), GBT: sigmoid(h), Y: studyPass[i], Period: 2000}
	}
	return pts
}

// Platt and stacking without penalties are logistic regressions: on the
// hours data, log odds = -4.0777 + 1.5046·ū (Wikipedia's fit).
func TestFitEnsembleTextbook(t *testing.T) {
	for _, cfg := range []EnsembleConfig{
		{Method: EnsemblePlatt},
		{Method: EnsembleStack},
		{Method: EnsembleStack, Shrink: 10},
	} {
		e, err := FitEnsemble(hoursPoints(), 2000, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(e.A-(-4.0777)) > 1e-3 || math.Abs(e.B-1.5046) > 1e-3 || math.Abs(e.C) > 1e-6 {
			t.Errorf("%s: fit %.4f + %.4f·ū + %.4f·d, want -4.0777 + 1.5046·ū", cfg, e.A, e.B, e.C)
		}
		if got := e.Apply(sigmoid(2), sigmoid(2)); math.Abs(got-0.26) > 0.005 {
			t.Errorf("%s: P(pass | 2 h) = %.3f, want 0.26", cfg, got)
		}
	}
}

// The first ensemble's Platt scaling of the mean probability is FitPlatt's.
func TestFitEnsembleMeanPlattIsFitPlatt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var pts []CalPoint
	var mean, y []float64
	for range 3000 {
		a, b := sigmoid(rng.NormFloat64()*1.5-3), sigmoid(rng.NormFloat64()*1.5-3)
		o := 0.0
		if rng.Float64() < sigmoid(-0.5+0.8*logit((a+b)/2)) {
			o = 1
		}
		pts = append(pts, CalPoint{Logit: a, GBT: b, Y: o})
		mean, y = append(mean, (a+b)/2), append(y, o)
	}
	e, err := FitEnsemble(pts, 0, EnsembleConfig{Method: EnsembleMeanPlatt})
	if err != nil {
		t.Fatal(err)
	}
	c, err := FitPlatt(mean, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.A-c.A) > 1e-3 || math.Abs(e.B-c.B) > 1e-3 {
		t.Errorf("mean-platt fit (%.4f, %.4f), FitPlatt (%.4f, %.4f)", e.A, e.B, c.A, c.B)
	}
	for _, p := range [][2]float64{{0.01, 0.03}, {0.2, 0.1}} {
		if got, want := e.Apply(p[0], p[1]), c.Apply((p[0]+p[1])/2); math.Abs(got-want) > 1e-4 {
			t.Errorf("Apply%v = %.5f, FitPlatt's %.5f", p, got, want)
		}
	}
}

// Stacking recovers the learners' own weights from enough data; a large
// Shrink makes them equal, and a large SlopeShrink as well makes each 1/2
// (the mean of the log odds).
func TestFitEnsembleStackWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var pts []CalPoint
	for range 40000 {
		l1, l2 := rng.NormFloat64()*1.5-2, rng.NormFloat64()*1.5-2
		o := 0.0
		if rng.Float64() < sigmoid(-1+1.2*l1+0.4*l2) {
			o = 1
		}
		pts = append(pts, CalPoint{Logit: sigmoid(l1), GBT: sigmoid(l2), Y: o})
	}
	tests := []struct {
		cfg          EnsembleConfig
		w1, w2, tol  float64
		equalWeights bool
	}{
		{EnsembleConfig{Method: EnsembleStack}, 1.2, 0.4, 0.05, false},
		{EnsembleConfig{Method: EnsembleStack, Shrink: 1e9}, math.NaN(), math.NaN(), 0, true},
		{EnsembleConfig{Method: EnsembleStack, Shrink: 1e9, SlopeShrink: 1e9}, 0.5, 0.5, 1e-3, true},
	}
	for _, tc := range tests {
		e, err := FitEnsemble(pts, 0, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		// z = A + B·(l1+l2)/2 + C·(l1-l2)/2: weights (B+C)/2 and (B-C)/2.
		w1, w2 := (e.B+e.C)/2, (e.B-e.C)/2
		if !math.IsNaN(tc.w1) && (math.Abs(w1-tc.w1) > tc.tol || math.Abs(w2-tc.w2) > tc.tol) {
			t.Errorf("%s: weights %.3f, %.3f, want %.2f, %.2f", tc.cfg, w1, w2, tc.w1, tc.w2)
		}
		if tc.equalWeights && math.Abs(e.C) > 1e-4 {
			t.Errorf("%s: C = %g, want 0", tc.cfg, e.C)
		}
	}
}

// With SlopeShrink s the fit is where the penalised score vanishes:
// Σ(y−p) = 0 and Σ(y−p)·ū = s·(B−1) (up to the 1e-6 ridge).
func TestFitEnsembleSlopeShrinkStationary(t *testing.T) {
	for _, s := range []float64{1, 10, 100} {
		e, err := FitEnsemble(hoursPoints(), 2000, EnsembleConfig{Method: EnsemblePlatt, SlopeShrink: s})
		if err != nil {
			t.Fatal(err)
		}
		var r0, r1 float64
		for i, h := range studyHours {
			res := studyPass[i] - sigmoid(e.A+e.B*h)
			r0, r1 = r0+res, r1+res*h
		}
		if math.Abs(r0) > 1e-6 || math.Abs(r1-s*(e.B-1)) > 1e-5 {
			t.Errorf("slope-shrink %g: Σ(y−p) = %g, Σ(y−p)ū = %g, want 0 and %g", s, r0, r1, s*(e.B-1))
		}
		if !(e.B > 1 && e.B < 1.5046) {
			t.Errorf("slope-shrink %g: slope %.4f, want between 1 and the free fit's 1.5046", s, e.B)
		}
	}
}

// A half-life weighs a forecast one half-life old by 1/2: the same fit as
// equal weights with the newer forecasts counted twice.
func TestFitEnsembleHalfLife(t *testing.T) {
	var aged, doubled []CalPoint
	for i, p := range hoursPoints() {
		if i%2 == 0 {
			p.Period = 1990 // 5 years before now: weight 1/2
			aged, doubled = append(aged, p), append(doubled, p)
			continue
		}
		p.Period = 1995 // now: weight 1
		aged, doubled = append(aged, p), append(doubled, p, p)
	}
	for _, m := range []string{EnsemblePlatt, EnsembleStack} {
		a, err := FitEnsemble(aged, 1995, EnsembleConfig{Method: m, HalfLife: 5})
		if err != nil {
			t.Fatal(err)
		}
		d, err := FitEnsemble(doubled, 1995, EnsembleConfig{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(a.A-d.A) > 1e-4 || math.Abs(a.B-d.B) > 1e-4 {
			t.Errorf("%s: half-life fit (%.5f, %.5f), doubled rows (%.5f, %.5f)", m, a.A, a.B, d.A, d.B)
		}
	}
}

// Without both outcomes among the points, or with method none, the
// ensemble is the mean of the learners' log odds.
func TestFitEnsembleUncalibrated(t *testing.T) {
	pts := []CalPoint{{Logit: 0.1, GBT: 0.2}, {Logit: 0.3, GBT: 0.1}}
	want := sigmoid((logit(0.05) + logit(0.2)) / 2)
	for _, tc := range []struct {
		pts []CalPoint
		cfg EnsembleConfig
	}{
		{nil, DefaultEnsemble},
		{pts, DefaultEnsemble},
		{hoursPoints(), EnsembleConfig{Method: EnsembleNone}},
	} {
		e, err := FitEnsemble(tc.pts, 0, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Apply(0.05, 0.2); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s on %d points: %.6f, want %.6f", tc.cfg, len(tc.pts), got, want)
		}
	}
}

// Pool-adjacent-violators against known results (scikit-learn's
// IsotonicRegression gives the same), and the smoothing.
func TestFitIsotonic(t *testing.T) {
	tests := []struct {
		name    string
		x, y, w []float64
		prior   float64
		at      []float64
		want    []float64
	}{
		{"pooled pairs", []float64{1, 2, 3, 4, 5, 6}, []float64{1, 3, 2, 4, 3, 5}, nil, 0,
			[]float64{1, 2.5, 4.5, 6}, []float64{1, 2.5, 3.5, 5}},
		{"unsorted input", []float64{6, 2, 4, 1, 5, 3}, []float64{5, 3, 4, 1, 3, 2}, nil, 0,
			[]float64{1, 2.5, 4.5, 6}, []float64{1, 2.5, 3.5, 5}},
		// Weights: (3·1 + 1·0)/4 = 0.75 pooled at mean x (3·2 + 3)/4 = 2.25.
		{"weighted", []float64{2, 3}, []float64{1, 0}, []float64{3, 1}, 0,
			[]float64{0, 2.25, 9}, []float64{0.75, 0.75, 0.75}},
		{"decreasing pools to the mean", []float64{1, 2, 3}, []float64{3, 2, 1}, nil, 0,
			[]float64{1, 3}, []float64{2, 2}},
		// Binary outcomes with one pseudo-observation at the rate 0.5:
		// blocks {0,0} -> (0+0.5)/3, {1,1} -> (2+0.5)/3; linear between
		// their mean x 1.5 and 3.5.
		{"smoothed", []float64{1, 2, 3, 4}, []float64{0, 0, 1, 1}, nil, 1,
			[]float64{0, 1.5, 2.5, 3.5, 9}, []float64{1.0 / 6, 1.0 / 6, 0.5, 2.5 / 3, 2.5 / 3}},
	}
	for _, tc := range tests {
		m := FitIsotonic(tc.x, tc.y, tc.w, tc.prior)
		for i, x := range tc.at {
			if got := m.Predict(x); math.Abs(got-tc.want[i]) > 1e-12 {
				t.Errorf("%s: f(%g) = %g, want %g (knots %v %v)", tc.name, x, got, tc.want[i], m.X, m.P)
			}
		}
		for i := 1; i < len(m.P); i++ {
			if m.P[i] < m.P[i-1] || m.X[i] <= m.X[i-1] {
				t.Errorf("%s: knots not increasing: %v %v", tc.name, m.X, m.P)
			}
		}
	}
}

func TestParseEnsemble(t *testing.T) {
	for _, s := range []string{"mean-platt", "none", "platt,half-life=5", "stack,shrink=10,slope-shrink=100", "isotonic,half-life=2.5"} {
		c, err := ParseEnsemble(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if c.String() != s {
			t.Errorf("ParseEnsemble(%q).String() = %q", s, c.String())
		}
	}
	if DefaultEnsemble.String() != "stack,shrink=10,slope-shrink=100" {
		t.Errorf("DefaultEnsemble = %s", DefaultEnsemble)
	}
	for _, s := range []string{"", "average", "platt,half-life", "platt,half-life=-1", "stack,depth=3"} {
		if _, err := ParseEnsemble(s); err == nil {
			t.Errorf("ParseEnsemble(%q): no error", s)
		}
	}
}
