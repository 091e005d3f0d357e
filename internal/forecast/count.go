package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// Poisson is a fitted L2-regularised Poisson regression (a log-linear
// count model): E[y|x] = exp(Intercept + Σ Coef[j]·x[j]).
type Poisson struct {
	Intercept float64
	Coef      []float64
	// Max caps Mean: the largest training count. A log-linear mean
	// extrapolates explosively beyond the training rows' range.
	Max float64
}

// FitPoisson fits a Poisson regression of the counts y on the rows of x
// by maximising Σ_i [y_i·z_i − e^{z_i}] − (λ/2)·Σ_j β_j² on standardised
// x (intercept unpenalised) with gonum's L-BFGS, as FitLogit does. The
// coefficients returned are on x's scale; x must hold no NaN.
func FitPoisson(x [][]float64, y []float64, lambda float64) (*Poisson, error) {
	n := len(x)
	if n == 0 || len(y) != n {
		return nil, fmt.Errorf("poisson: %d rows, %d outcomes", n, len(y))
	}
	p := len(x[0])
	s, mean, sd := standardise(x)
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
			z = math.Min(z, 30) // keeps e^z finite while the search wanders
			mu := math.Exp(z)
			f += mu - y[i]*z
			if grad != nil {
				g := mu - y[i]
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
		return f / float64(n)
	}
	prob := optimize.Problem{
		Func: func(b []float64) float64 { return fg(nil, b) },
		Grad: func(grad, b []float64) {
			fg(grad, b)
			for j := range grad {
				grad[j] /= float64(n)
			}
		},
	}
	init := make([]float64, p+1)
	init[0] = math.Log(math.Max(mean0(y, nil), 1e-6))
	res, err := optimize.Minimize(prob, init, &optimize.Settings{GradientThreshold: 1e-6, MajorIterations: 2000}, &optimize.LBFGS{})
	if err != nil {
		if res == nil {
			return nil, fmt.Errorf("poisson: %w", err)
		}
		grad := make([]float64, p+1)
		prob.Grad(grad, res.X)
		if g := maxAbs(grad); g > 1e-3 {
			return nil, fmt.Errorf("poisson: %w (gradient %g)", err, g)
		}
	}
	m := &Poisson{Intercept: res.X[0], Coef: make([]float64, p), Max: slices.Max(y)}
	for j := range p {
		if sd[j] > 0 {
			m.Coef[j] = res.X[j+1] / sd[j]
			m.Intercept -= m.Coef[j] * mean[j]
		}
	}
	return m, nil
}

// standardise returns x scaled to mean 0 and standard deviation 1 per
// column (a constant column becomes 0), with the means and deviations.
func standardise(x [][]float64) (s [][]float64, mean, sd []float64) {
	n, p := len(x), len(x[0])
	mean, sd = make([]float64, p), make([]float64, p)
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
	s = make([][]float64, n)
	for i, r := range x {
		s[i] = make([]float64, p)
		for j, v := range r {
			if sd[j] > 0 {
				s[i][j] = (v - mean[j]) / sd[j]
			}
		}
	}
	return s, mean, sd
}

// Mean returns the expected count of row.
func (m *Poisson) Mean(row []float64) float64 {
	z := m.Intercept
	for j, v := range row {
		z += m.Coef[j] * v
	}
	mu := math.Exp(math.Min(z, 30))
	if m.Max > 0 {
		mu = math.Min(mu, m.Max)
	}
	return mu
}

// NBDispersion fits the negative binomial's dispersion α (variance
// μ + α·μ²) to counts y with means mu by the method of moments:
// α = Σ[(y−μ)² − μ] / Σ μ², at least 1e-6 (Poisson).
func NBDispersion(y, mu []float64) float64 {
	var num, den float64
	for i, v := range y {
		d := v - mu[i]
		num += d*d - mu[i]
		den += mu[i] * mu[i]
	}
	if den == 0 {
		return 1e-6
	}
	return math.Max(num/den, 1e-6)
}

// NBDispersionML fits the negative binomial's dispersion α to counts y
// with means mu by maximum likelihood, a golden-section search over
// log α in [1e-4, 1e3].
func NBDispersionML(y, mu []float64) float64 {
	ll := func(la float64) float64 {
		r := math.Exp(-la)
		lgr, _ := math.Lgamma(r)
		s := 0.0
		for i, v := range y {
			m := math.Max(mu[i], 1e-9)
			a, _ := math.Lgamma(v + r)
			b, _ := math.Lgamma(v + 1)
			s += a - lgr - b + r*math.Log(r/(r+m)) + v*math.Log(m/(r+m))
		}
		return s
	}
	lo, hi := math.Log(1e-4), math.Log(1e3)
	g := (math.Sqrt(5) - 1) / 2
	c, d := hi-g*(hi-lo), lo+g*(hi-lo)
	fc, fd := ll(c), ll(d)
	for hi-lo > 1e-4 {
		if fc > fd {
			hi, d, fd = d, c, fc
			c = hi - g*(hi-lo)
			fc = ll(c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + g*(hi-lo)
			fd = ll(d)
		}
	}
	return math.Exp((lo + hi) / 2)
}

// Predictive is a predictive distribution of a count: a negative binomial
// with mean Mu and dispersion Alpha, a point mass at Point, or an
// empirical distribution of Sample (equal weights).
type Predictive struct {
	Mu, Alpha float64
	Point     float64
	Sample    []float64 // sorted
	kind      int
	sampleMAD float64 // E|X−X'|/2 of Sample
}

const (
	predNB = iota
	predPoint
	predSample
)

// NB returns the negative binomial predictive with mean mu and dispersion
// alpha.
func NB(mu, alpha float64) Predictive { return Predictive{Mu: mu, Alpha: alpha, kind: predNB} }

// PointMass returns the predictive that puts all mass on v.
func PointMass(v float64) Predictive { return Predictive{Point: v, kind: predPoint} }

// Empirical returns the empirical distribution of xs, compressed to at
// most 200 quantiles.
func Empirical(xs []float64) Predictive {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) > 200 {
		q := make([]float64, 200)
		for k := range q {
			q[k] = quantile(s, (float64(k)+0.5)/200)
		}
		s = q
	}
	// E|X−X'| over ordered pairs, from the sorted sample.
	var acc, pre float64
	for i, v := range s {
		acc += float64(i)*v - pre
		pre += v
	}
	n := float64(len(s))
	return Predictive{Sample: s, kind: predSample, sampleMAD: acc / (n * n)} // Σ_{i<j}(x_j−x_i)·2 / (2n²)
}

// maxSupport caps the counts a negative binomial's CDF is walked over.
const maxSupport = 1_000_000

// walk calls f(k, F(k)) for k = 0, 1, ... until f returns false, the CDF
// is within 1e-9 of 1, or maxSupport.
func (d Predictive) walk(f func(k int, cdf float64) bool) {
	r := 1 / d.Alpha
	mu := math.Max(d.Mu, 1e-9)
	logp := r * math.Log(r/(r+mu)) // P(0)
	step := math.Log(mu / (r + mu))
	cdf := 0.0
	for k := 0; k < maxSupport; k++ {
		cdf += math.Exp(logp)
		if !f(k, math.Min(cdf, 1)) || (cdf > 1-1e-9 && float64(k) > mu) {
			return
		}
		logp += math.Log((float64(k)+r)/float64(k+1)) + step
	}
}

// CRPS returns the continuous ranked probability score of the
// distribution for outcome y: Σ_k (F(k) − 1{y ≤ k})² for counts, E|X−y|
// − E|X−X'|/2 for a sample, |y − Point| for a point mass.
func (d Predictive) CRPS(y float64) float64 {
	switch d.kind {
	case predPoint:
		return math.Abs(y - d.Point)
	case predSample:
		s := 0.0
		for _, x := range d.Sample {
			s += math.Abs(x - y)
		}
		return s/float64(len(d.Sample)) - d.sampleMAD
	}
	crps := 0.0
	last := 0
	d.walk(func(k int, cdf float64) bool {
		last = k
		if float64(k) < y {
			crps += cdf * cdf
		} else {
			crps += (1 - cdf) * (1 - cdf)
		}
		return true
	})
	// Counts between the walk's end and y have F ≈ 1 below y.
	if gap := y - float64(last) - 1; gap > 0 {
		crps += gap
	}
	return crps
}

// Quantile returns the smallest count k with F(k) ≥ q (for a sample, its
// interpolated quantile).
func (d Predictive) Quantile(q float64) float64 {
	switch d.kind {
	case predPoint:
		return d.Point
	case predSample:
		return quantile(d.Sample, q)
	}
	out := 0
	d.walk(func(k int, cdf float64) bool {
		out = k
		return cdf < q
	})
	return float64(out)
}

// Expected returns the distribution's mean.
func (d Predictive) Expected() float64 {
	switch d.kind {
	case predPoint:
		return d.Point
	case predSample:
		return mean0(d.Sample, nil)
	}
	return d.Mu
}

func newRand(seed uint64, stream int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(stream))) }

// LogNormal is a ridge regression of log1p counts: log1p(y) ~ N(Intercept
// + Σ Coef[j]·x[j], Sigma²), Sigma the training residuals' deviation.
type LogNormal struct {
	Intercept float64
	Coef      []float64
	Sigma     float64
}

// FitLogNormal fits log1p(y) on the rows of x by ridge regression with
// penalty lambda on standardised columns (intercept unpenalised), solving
// the normal equations with gonum.
func FitLogNormal(x [][]float64, y []float64, lambda float64) (*LogNormal, error) {
	n := len(x)
	if n == 0 || len(y) != n {
		return nil, fmt.Errorf("lognormal: %d rows, %d outcomes", n, len(y))
	}
	s, mean, sd := standardise(x)
	p := len(x[0])
	ly := make([]float64, n)
	ybar := 0.0
	for i, v := range y {
		ly[i] = math.Log1p(v)
		ybar += ly[i] / float64(n)
	}
	a := mat.NewSymDense(p, nil)
	b := mat.NewVecDense(p, nil)
	for i, r := range s {
		for j := range p {
			b.SetVec(j, b.AtVec(j)+r[j]*(ly[i]-ybar))
			for k := j; k < p; k++ {
				a.SetSym(j, k, a.At(j, k)+r[j]*r[k])
			}
		}
	}
	for j := range p {
		a.SetSym(j, j, a.At(j, j)+lambda)
	}
	var beta mat.VecDense
	if err := beta.SolveVec(a, b); err != nil {
		return nil, fmt.Errorf("lognormal: %w", err)
	}
	m := &LogNormal{Intercept: ybar, Coef: make([]float64, p)}
	for j := range p {
		if sd[j] > 0 {
			m.Coef[j] = beta.AtVec(j) / sd[j]
			m.Intercept -= m.Coef[j] * mean[j]
		}
	}
	ss := 0.0
	for i, r := range x {
		d := ly[i] - m.Location(r)
		ss += d * d
	}
	m.Sigma = math.Sqrt(ss / float64(n))
	return m, nil
}

// Location returns the mean of log1p(y) at row.
func (m *LogNormal) Location(row []float64) float64 {
	z := m.Intercept
	for j, v := range row {
		z += m.Coef[j] * v
	}
	return z
}

// Predict returns the predictive distribution at row: 200 quantiles of
// expm1 of the normal, at least 0.
func (m *LogNormal) Predict(row []float64) Predictive {
	mu := m.Location(row)
	nd := distuv.Normal{Mu: mu, Sigma: math.Max(m.Sigma, 1e-9)}
	q := make([]float64, 200)
	for k := range q {
		q[k] = math.Max(0, math.Expm1(nd.Quantile((float64(k)+0.5)/200)))
	}
	return Empirical(q)
}
