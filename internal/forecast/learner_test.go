package forecast

import (
	"math"
	"testing"
)

// The hours-studied example of logistic regression (Wikipedia,
// "Logistic regression", after a textbook exercise): 20 students, the
// maximum-likelihood fit is log odds of passing = -4.0777 + 1.5046·hours.
var (
	studyHours = []float64{0.50, 0.75, 1.00, 1.25, 1.50, 1.75, 1.75, 2.00, 2.25, 2.50,
		2.75, 3.00, 3.25, 3.50, 4.00, 4.25, 4.50, 4.75, 5.00, 5.50}
	studyPass = []float64{0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1}
)

func column(v []float64) [][]float64 {
	x := make([][]float64, len(v))
	for i, a := range v {
		x[i] = []float64{a}
	}
	return x
}

func TestFitLogitTextbook(t *testing.T) {
	m, err := FitLogit(column(studyHours), studyPass, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Intercept-(-4.0777)) > 1e-3 || math.Abs(m.Coef[0]-1.5046) > 1e-3 {
		t.Errorf("fit = %.4f + %.4f·hours, want -4.0777 + 1.5046·hours", m.Intercept, m.Coef[0])
	}
	// Wikipedia: 2 hours of study give a 0.26 probability of passing, 4 hours 0.87.
	for _, c := range []struct{ hours, want float64 }{{2, 0.26}, {4, 0.87}} {
		if got := m.Predict([]float64{c.hours}); math.Abs(got-c.want) > 0.005 {
			t.Errorf("P(pass | %g h) = %.3f, want %.2f", c.hours, got, c.want)
		}
	}
}

// With a ridge penalty the fit is where the penalised score vanishes: on
// the standardised scale, Σ(y-p) = 0 and Σ(y-p)·s = λ·β.
func TestFitLogitRidgeStationary(t *testing.T) {
	// A second, collinear-ish column: hours squared.
	x := make([][]float64, len(studyHours))
	for i, h := range studyHours {
		x[i] = []float64{h, h * h}
	}
	for _, lambda := range []float64{0.5, 5, 50} {
		m, err := FitLogit(x, studyPass, nil, lambda)
		if err != nil {
			t.Fatal(err)
		}
		mean, sd := colStats(x)
		var r0 float64
		r := make([]float64, 2)
		for i, row := range x {
			res := studyPass[i] - m.Predict(row)
			r0 += res
			for j := range r {
				r[j] += res * (row[j] - mean[j]) / sd[j]
			}
		}
		if math.Abs(r0) > 1e-5 {
			t.Errorf("λ=%g: Σ(y-p) = %g, want 0", lambda, r0)
		}
		for j := range r {
			beta := m.Coef[j] * sd[j] // on the standardised scale
			if math.Abs(r[j]-lambda*beta) > 1e-5 {
				t.Errorf("λ=%g: score[%d] = %g, λβ = %g: not stationary", lambda, j, r[j], lambda*beta)
			}
		}
	}
	// A larger penalty shrinks the slope toward 0.
	small, _ := FitLogit(column(studyHours), studyPass, nil, 1)
	large, _ := FitLogit(column(studyHours), studyPass, nil, 100)
	if !(large.Coef[0] < small.Coef[0] && small.Coef[0] < 1.5046 && large.Coef[0] > 0) {
		t.Errorf("slopes %g (λ=1), %g (λ=100): want 0 < large < small < 1.5046", small.Coef[0], large.Coef[0])
	}
}

func colStats(x [][]float64) (mean, sd []float64) {
	p := len(x[0])
	mean, sd = make([]float64, p), make([]float64, p)
	for _, r := range x {
		for j, v := range r {
			mean[j] += v / float64(len(x))
		}
	}
	for _, r := range x {
		for j, v := range r {
			sd[j] += (v - mean[j]) * (v - mean[j]) / float64(len(x))
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
	}
	return mean, sd
}

// Platt scaling of already calibrated probabilities is about the identity;
// of probabilities twice too confident on the logit scale, it halves them.
func TestFitPlatt(t *testing.T) {
	m, _ := FitLogit(column(studyHours), studyPass, nil, 0)
	p := make([]float64, len(studyHours))
	over := make([]float64, len(studyHours))
	for i, h := range studyHours {
		p[i] = m.Predict([]float64{h})
		over[i] = sigmoid(2 * logit(p[i]))
	}
	for _, c := range []struct {
		name string
		p    []float64
		a, b float64
	}{{"calibrated", p, 0, 1}, {"overconfident", over, 0, 0.5}} {
		pl, err := FitPlatt(c.p, studyPass)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pl.A-c.a) > 0.01 || math.Abs(pl.B-c.b) > 0.01 {
			t.Errorf("%s: Platt A=%.4f B=%.4f, want %g, %g", c.name, pl.A, pl.B, c.a, c.b)
		}
	}
}

// One depth-1 tree with learning rate 1 and no penalty, by hand: from the
// base log odds 0, gradients p-y = (.5, .5, -.5, -.5) and hessians .25;
// the best split is x <= 2, with Newton values -Σg/Σh = -2 and +2.
func TestFitGBTOneStump(t *testing.T) {
	x := column([]float64{1, 2, 3, 4})
	y := []float64{0, 0, 1, 1}
	m, err := FitGBT(x, y, GBTConfig{Trees: 1, Depth: 1, LearningRate: 1, Bins: 4})
	if err != nil {
		t.Fatal(err)
	}
	root := m.Trees[0].Nodes[0]
	if m.Base != 0 || root.Feature != 0 || root.Threshold != 2 {
		t.Fatalf("base %g, root %+v; want base 0 and a split at x <= 2", m.Base, root)
	}
	for _, c := range []struct{ x, want float64 }{{1, sigmoid(-2)}, {2, sigmoid(-2)}, {2.5, sigmoid(2)}, {4, sigmoid(2)}} {
		if got := m.Predict([]float64{c.x}); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("P(x=%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

// Trees find an interaction a logistic regression cannot: y = 1 in two
// opposite quadrants.
func TestFitGBTInteraction(t *testing.T) {
	var x [][]float64
	var y []float64
	for i := range 20 {
		for j := range 20 {
			a, b := float64(i)-6.5, float64(j)-6.5 // off-centre: a first split must gain something
			x = append(x, []float64{a, b})
			if a*b > 0 {
				y = append(y, 1)
			} else {
				y = append(y, 0)
			}
		}
	}
	m, err := FitGBT(x, y, GBTConfig{Trees: 50, Depth: 2, LearningRate: 0.3, Lambda: 1, MinHessian: 0.1, Bins: 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		row  []float64
		want bool
	}{{[]float64{-4, -4}, true}, {[]float64{8, 8}, true}, {[]float64{-4, 8}, false}, {[]float64{8, -4}, false}} {
		if got := m.Predict(c.row) > 0.5; got != c.want {
			t.Errorf("P(%v) = %.3f, want > 0.5 %v", c.row, m.Predict(c.row), c.want)
		}
	}
}
