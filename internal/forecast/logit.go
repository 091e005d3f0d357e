package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Logit is a fitted L2-regularised logistic regression:
// P(y=1|x) = σ(Intercept + Σ Coef[j]·x[j]), on the scale of the x given
// to Fit.
type Logit struct {
	Intercept float64
	Coef      []float64
}

// FitLogit fits a logistic regression of y on the rows of x by maximising
// the penalised log likelihood
//
//	Σ_i [y_i·z_i − log(1+e^{z_i})] − (λ/2)·Σ_j β_j²
//
// where z_i = β_0 + Σ_j β_j·s_ij and s is x standardised to mean 0 and
// standard deviation 1 over the rows (the intercept is not penalised),
// with gonum's L-BFGS. The coefficients returned are on x's scale. A
// constant column gets coefficient 0. x must hold no NaN; weights w, if
// not nil, weigh the rows' terms.
func FitLogit(x [][]float64, y []float64, w []float64, lambda float64) (*Logit, error) {
	n := len(x)
	if n == 0 || len(y) != n || (w != nil && len(w) != n) {
		return nil, fmt.Errorf("logit: %d rows, %d outcomes, %d weights", n, len(y), len(w))
	}
	p := len(x[0])
	mean, sd := make([]float64, p), make([]float64, p)
	for _, r := range x {
		for j, v := range r {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for _, r := range x {
		for j, v := range r {
			sd[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(n))
	}
	s := make([][]float64, n)
	for i, r := range x {
		s[i] = make([]float64, p)
		for j, v := range r {
			if sd[j] > 0 {
				s[i][j] = (v - mean[j]) / sd[j]
			}
		}
	}
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	// Minimise the negative penalised log likelihood over b = (β_0, β).
	fg := func(grad, b []float64) float64 {
		f := 0.0
		if grad != nil {
			clear(grad)
		}
		for i, r := range s {
			z := b[0]
			for j, v := range r {
				z += b[j+1] * v
			}
			// log(1+e^z) − y·z, computed stably.
			f += weight(i) * (softplus(z) - y[i]*z)
			if grad != nil {
				g := weight(i) * (sigmoid(z) - y[i])
				grad[0] += g
				for j, v := range r {
					grad[j+1] += g * v
				}
			}
		}
		for j := 1; j <= p; j++ {
			f += lambda / 2 * b[j] * b[j]
			if grad != nil {
				grad[j] += lambda * b[j]
			}
		}
		return f
	}
	prob := optimize.Problem{
		Func: func(b []float64) float64 { return fg(nil, b) },
		Grad: func(grad, b []float64) { fg(grad, b) },
	}
	init := make([]float64, p+1)
	init[0] = logit(clampP(mean0(y, w)))
	res, err := optimize.Minimize(prob, init, &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: 2000}, &optimize.LBFGS{})
	if err != nil {
		// L-BFGS's line search fails when it can no longer decrease the
		// objective in floating point, at the optimum's edge: keep the
		// point if its gradient is nearly zero.
		if res == nil {
			return nil, fmt.Errorf("logit: %w", err)
		}
		grad := make([]float64, p+1)
		fg(grad, res.X)
		if g := maxAbs(grad); g > 1e-3*math.Max(1, float64(n)/1000) {
			return nil, fmt.Errorf("logit: %w (gradient %g)", err, g)
		}
	}
	m := &Logit{Intercept: res.X[0], Coef: make([]float64, p)}
	for j := range p {
		if sd[j] > 0 {
			m.Coef[j] = res.X[j+1] / sd[j]
			m.Intercept -= m.Coef[j] * mean[j]
		}
	}
	return m, nil
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// Predict returns P(y=1|row).
func (m *Logit) Predict(row []float64) float64 {
	z := m.Intercept
	for j, v := range row {
		z += m.Coef[j] * v
	}
	return sigmoid(z)
}

// Platt is a Platt scaling of probabilities: p' = σ(A + B·logit(p)).
type Platt struct{ A, B float64 }

// FitPlatt fits a Platt scaling of the probabilities p to the outcomes y
// by logistic regression on logit(p), with a small ridge (1e-3) that
// keeps it finite when the outcomes separate.
func FitPlatt(p, y []float64) (Platt, error) {
	x := make([][]float64, len(p))
	for i, v := range p {
		x[i] = []float64{logit(clampP(v))}
	}
	m, err := FitLogit(x, y, nil, 1e-3)
	if err != nil {
		return Platt{}, fmt.Errorf("platt: %w", err)
	}
	return Platt{A: m.Intercept, B: m.Coef[0]}, nil
}

// Apply returns the calibrated probability of p.
func (c Platt) Apply(p float64) float64 { return sigmoid(c.A + c.B*logit(clampP(p))) }

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+e^z).
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// clampP keeps a probability away from 0 and 1, where logits and log
// losses are infinite.
func clampP(p float64) float64 { return math.Min(math.Max(p, 1e-6), 1-1e-6) }

// mean0 is the (weighted) mean of y.
func mean0(y, w []float64) float64 {
	s, n := 0.0, 0.0
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s += wi * v
		n += wi
	}
	if n == 0 {
		return 0.5
	}
	return s / n
}
