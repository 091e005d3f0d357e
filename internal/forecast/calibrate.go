package forecast

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The ensemble's combination methods (EnsembleConfig.Method).
const (
	// EnsembleMeanPlatt Platt-scales the mean of the learners'
	// probabilities: the first ensemble, kept for comparison.
	EnsembleMeanPlatt = "mean-platt"
	// EnsemblePlatt Platt-scales the mean of the learners' log odds.
	EnsemblePlatt = "platt"
	// EnsembleStack is a logistic regression on the learners' log odds
	// with an intercept (stacking), its two weights shrunk toward equal.
	EnsembleStack = "stack"
	// EnsembleIsotonic maps the mean of the learners' log odds through an
	// isotonic (pool-adjacent-violators) regression smoothed by one
	// pseudo-observation per block at the overall rate.
	EnsembleIsotonic = "isotonic"
	// EnsembleNone is the mean of the learners' log odds, uncalibrated.
	EnsembleNone = "none"
)

// EnsembleConfig says how the ensemble combines the logit's and the
// trees' forecasts and calibrates them on earlier out-of-sample forecasts.
type EnsembleConfig struct {
	Method string
	// HalfLife, in years, weighs each calibration forecast by
	// 2^(-age/HalfLife), its age the time from its outcome period to the
	// newest known one (0: equal weights).
	HalfLife float64
	// Shrink is stacking's L2 penalty on half the difference of the
	// learners' weights (their mean weight is free): large values give
	// equal weights, 0 an unpenalised stack.
	Shrink float64
	// SlopeShrink is an L2 penalty on (slope − 1) of Platt and stacking:
	// a soft constraint of the calibration slope toward the learners'
	// own (0: free).
	SlopeShrink float64
}

// DefaultEnsemble is the production ensemble and the backtests' default.
// It was chosen on outcome years 1980-1993 (country-year) and outcome
// months 1998-01 to 2004-12 (monthly) only, before every test period; see
// RESULTS.md.
var DefaultEnsemble = EnsembleConfig{Method: EnsembleStack, Shrink: 10, SlopeShrink: 100}

// String is the configuration in the form ParseEnsemble reads.
func (c EnsembleConfig) String() string {
	s := c.Method
	if c.HalfLife > 0 {
		s += ",half-life=" + strconv.FormatFloat(c.HalfLife, 'g', -1, 64)
	}
	if c.Method == EnsembleStack {
		s += ",shrink=" + strconv.FormatFloat(c.Shrink, 'g', -1, 64)
	}
	if c.SlopeShrink > 0 {
		s += ",slope-shrink=" + strconv.FormatFloat(c.SlopeShrink, 'g', -1, 64)
	}
	return s
}

// ParseEnsemble reads "METHOD[,half-life=Y][,shrink=S][,slope-shrink=S]".
func ParseEnsemble(s string) (EnsembleConfig, error) {
	parts := strings.Split(s, ",")
	c := EnsembleConfig{Method: parts[0]}
	switch c.Method {
	case EnsembleMeanPlatt, EnsemblePlatt, EnsembleStack, EnsembleIsotonic, EnsembleNone:
	default:
		return c, fmt.Errorf("ensemble %q: unknown method %q", s, c.Method)
	}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || f < 0 {
			return c, fmt.Errorf("ensemble %q: want name=non-negative number, got %q", s, kv)
		}
		switch k {
		case "half-life":
			c.HalfLife = f
		case "shrink":
			c.Shrink = f
		case "slope-shrink":
			c.SlopeShrink = f
		default:
			return c, fmt.Errorf("ensemble %q: unknown setting %q", s, k)
		}
	}
	return c, nil
}

// CalPoint is one earlier out-of-sample forecast of both learners with
// its outcome; Period is its outcome period in years (months as
// fractions of a year).
type CalPoint struct {
	Logit, GBT float64 // probabilities
	Y          float64
	Period     float64
}

// Ensemble is a fitted combination of the learners' forecasts:
// σ(A + B·ū + C·d) with ū the mean of the two log odds and d half their
// difference (logit minus trees), or, for isotonic, Iso applied to ū.
// For mean-platt ū is the log odds of the mean probability and C is 0.
type Ensemble struct {
	Config  EnsembleConfig
	A, B, C float64
	Iso     *Isotonic
}

// combined returns ū and d for the config's method.
func (c EnsembleConfig) combined(pLogit, pGBT float64) (u, d float64) {
	l1, l2 := logit(clampP(pLogit)), logit(clampP(pGBT))
	if c.Method == EnsembleMeanPlatt {
		return logit(clampP((pLogit + pGBT) / 2)), 0
	}
	return (l1 + l2) / 2, (l1 - l2) / 2
}

// Apply returns the ensemble's probability from the learners'.
func (e Ensemble) Apply(pLogit, pGBT float64) float64 {
	u, d := e.Config.combined(pLogit, pGBT)
	if e.Iso != nil {
		return e.Iso.Predict(u)
	}
	return sigmoid(e.A + e.B*u + e.C*d)
}

// FitEnsemble fits the ensemble on earlier forecasts pts, the newest
// known outcome period being now (for the recency weights). Without an
// event or a non-event among pts, it is the uncalibrated combination.
func FitEnsemble(pts []CalPoint, now float64, cfg EnsembleConfig) (Ensemble, error) {
	e := Ensemble{Config: cfg, B: 1}
	var u, d, y, w []float64
	var ev, n float64
	for _, p := range pts {
		ui, di := cfg.combined(p.Logit, p.GBT)
		wi := 1.0
		if cfg.HalfLife > 0 {
			wi = math.Exp2(-(now - p.Period) / cfg.HalfLife)
		}
		u, d, y, w = append(u, ui), append(d, di), append(y, p.Y), append(w, wi)
		ev, n = ev+p.Y, n+1
	}
	if cfg.Method == EnsembleNone || ev == 0 || ev == n {
		return e, nil
	}
	switch cfg.Method {
	case EnsembleIsotonic:
		iso := FitIsotonic(u, y, w, 1)
		e.Iso = &iso
		return e, nil
	case EnsembleMeanPlatt, EnsemblePlatt:
		b, err := fitPenalised([][]float64{u}, y, w, []float64{1}, []float64{cfg.SlopeShrink})
		if err != nil {
			return e, fmt.Errorf("ensemble: %w", err)
		}
		e.A, e.B = b[0], b[1]
	case EnsembleStack:
		b, err := fitPenalised([][]float64{u, d}, y, w, []float64{1, 0}, []float64{cfg.SlopeShrink, cfg.Shrink})
		if err != nil {
			return e, fmt.Errorf("ensemble: %w", err)
		}
		e.A, e.B, e.C = b[0], b[1], b[2]
	default:
		return e, fmt.Errorf("ensemble: unknown method %q", cfg.Method)
	}
	return e, nil
}

// fitPenalised fits the weighted logistic regression
// y ~ σ(b0 + Σ_j b_j·x_j) by Newton's method, maximising
//
//	Σ_i w_i·[y_i·z_i − log(1+e^{z_i})] − ½·Σ_j pen_j·(b_j − centre_j)² − ½·1e-6·Σ_j b_j²
//
// (the last term, a tiny ridge on every coefficient but the intercept,
// keeps the fit finite when the outcomes separate). x holds columns.
func fitPenalised(x [][]float64, y, w, centre, pen []float64) ([]float64, error) {
	const ridge = 1e-6
	k := len(x) + 1
	b := make([]float64, k)
	copy(b[1:], centre)
	b[0] = logit(clampP(mean0(y, w)))
	obj := func(b []float64) float64 {
		f := 0.0
		for i := range y {
			z := b[0]
			for j := range x {
				z += b[j+1] * x[j][i]
			}
			f += w[i] * (softplus(z) - y[i]*z)
		}
		for j := range x {
			f += pen[j]/2*(b[j+1]-centre[j])*(b[j+1]-centre[j]) + ridge/2*b[j+1]*b[j+1]
		}
		return f
	}
	f := obj(b)
	for iter := 0; iter < 100; iter++ {
		g := make([]float64, k)
		hs := make([][]float64, k)
		for a := range hs {
			hs[a] = make([]float64, k)
		}
		row := make([]float64, k)
		row[0] = 1
		for i := range y {
			z := b[0]
			for j := range x {
				row[j+1] = x[j][i]
				z += b[j+1] * x[j][i]
			}
			p := sigmoid(z)
			r, v := w[i]*(p-y[i]), w[i]*p*(1-p)
			for a := range k {
				g[a] += r * row[a]
				for c := range k {
					hs[a][c] += v * row[a] * row[c]
				}
			}
		}
		for j := range x {
			g[j+1] += pen[j]*(b[j+1]-centre[j]) + ridge*b[j+1]
			hs[j+1][j+1] += pen[j] + ridge
		}
		step, ok := solve(hs, g)
		if !ok {
			return nil, fmt.Errorf("logistic fit: singular Hessian")
		}
		// Step-halving keeps every step an improvement.
		t, improved := 1.0, false
		nb := make([]float64, k)
		var nf float64
		for range 40 {
			for a := range k {
				nb[a] = b[a] - t*step[a]
			}
			if nf = obj(nb); nf <= f {
				improved = true
				break
			}
			t /= 2
		}
		if !improved {
			break
		}
		done := f-nf < 1e-13*math.Max(1, math.Abs(f)) || maxAbs(step)*t < 1e-9
		b, f = nb, nf
		if done {
			break
		}
	}
	return b, nil
}

// solve returns the solution of a·s = g by Gaussian elimination with
// partial pivoting (a is small: 2 or 3 rows).
func solve(a [][]float64, g []float64) ([]float64, bool) {
	n := len(g)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(slices.Clone(a[i]), g[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-300 {
			return nil, false
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for cc := c; cc <= n; cc++ {
				m[r][cc] -= f * m[c][cc]
			}
		}
	}
	s := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		v := m[r][n]
		for c := r + 1; c < n; c++ {
			v -= m[r][c] * s[c]
		}
		s[r] = v / m[r][r]
	}
	return s, true
}

// Isotonic is a fitted non-decreasing map from a score to a probability:
// linear between the pooled blocks' (mean score, rate) knots, constant
// beyond the first and last.
type Isotonic struct {
	X, P []float64 // knots, X increasing
}

// FitIsotonic fits the weighted isotonic regression of y on x by
// pool-adjacent-violators, then, if prior > 0, smooths it: each block's
// mean becomes (Σ w·y + prior·ȳ)/(Σ w + prior), prior pseudo-observations
// at the overall mean ȳ (so that no knot of binary outcomes is exactly 0
// or 1), pooled again where that broke the order. w nil means equal
// weights.
func FitIsotonic(x, y, w []float64, prior float64) Isotonic {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	type blk struct{ sw, sx, sy float64 }
	var all blk
	for _, i := range idx {
		all.sw, all.sy = all.sw+weight(i), all.sy+weight(i)*y[i]
	}
	pav := func(in []blk) []blk {
		var st []blk
		for _, b := range in {
			st = append(st, b)
			for len(st) > 1 {
				a, c := st[len(st)-2], st[len(st)-1]
				if a.sy*c.sw < c.sy*a.sw { // a's rate below c's: in order
					break
				}
				st = append(st[:len(st)-2], blk{a.sw + c.sw, a.sx + c.sx, a.sy + c.sy})
			}
		}
		return st
	}
	// Equal x values form one block before pooling.
	var in []blk
	for k, i := range idx {
		b := blk{weight(i), weight(i) * x[i], weight(i) * y[i]}
		if k > 0 && x[i] == x[idx[k-1]] {
			l := &in[len(in)-1]
			l.sw, l.sx, l.sy = l.sw+b.sw, l.sx+b.sx, l.sy+b.sy
			continue
		}
		in = append(in, b)
	}
	blocks := pav(in)
	if all.sw > 0 && prior > 0 {
		rate := all.sy / all.sw
		for i := range blocks {
			b := &blocks[i]
			mx := b.sx / b.sw
			b.sy += prior * rate
			b.sw += prior
			b.sx = mx * b.sw
		}
		blocks = pav(blocks)
	}
	iso := Isotonic{}
	for _, b := range blocks {
		iso.X, iso.P = append(iso.X, b.sx/b.sw), append(iso.P, b.sy/b.sw)
	}
	return iso
}

// Predict returns the map's value at x.
func (m Isotonic) Predict(x float64) float64 {
	n := len(m.X)
	switch {
	case n == 0:
		return math.NaN()
	case x <= m.X[0]:
		return m.P[0]
	case x >= m.X[n-1]:
		return m.P[n-1]
	}
	j := sort.SearchFloat64s(m.X, x) // m.X[j-1] < x <= m.X[j]
	a, b := m.X[j-1], m.X[j]
	return m.P[j-1] + (m.P[j]-m.P[j-1])*(x-a)/(b-a)
}
