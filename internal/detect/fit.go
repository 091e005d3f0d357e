package detect

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// fit is a count distribution for one period, fitted by the method of
// moments: Poisson when size == 0, else negative binomial with
// variance = mean + mean²/size.
type fit struct {
	mean, variance, median, size float64
}

// fitBaseline fits the baseline counts (len >= 2). The mean is raised to
// floor when lower; the fit is negative binomial only when the sample
// variance exceeds the (floored) mean, i.e. the history is over-dispersed.
func fitBaseline(xs []float64, floor float64) fit {
	n := float64(len(xs))
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	f := fit{mean: mean, variance: ss / (n - 1), median: median(xs)}
	if f.mean < floor {
		f.mean = floor
	}
	if f.variance > f.mean*(1+1e-9) {
		f.size = f.mean * f.mean / (f.variance - f.mean)
	}
	return f
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// upperTail returns P(X >= x) for the total X of w independent periods
// under f. A sum of w Poisson(m) is Poisson(w·m); a sum of w NB(r, m) is
// NB(w·r, w·m). Fractional x is rounded up.
func (f fit) upperTail(x float64, w int) float64 {
	k := math.Ceil(x)
	if k <= 0 {
		return 1
	}
	mu := f.mean * float64(w)
	var p float64
	if f.size == 0 {
		// P(X >= k) = P(k, mu), the regularized lower incomplete gamma.
		p = mathext.GammaIncReg(k, mu)
	} else {
		// For NB with size r and success probability q = r/(r+mu),
		// P(X >= k) = 1 - I_q(r, k) = I_{1-q}(k, r).
		r := f.size * float64(w)
		p = mathext.RegIncBeta(k, r, mu/(r+mu))
	}
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return min(p, 1)
}

// logLikelihoodRatio returns log f1(x)/f0(x) where f0 is the fit and f1 the same
// family with the mean multiplied by shift (same size for NB). It is the
// CUSUM increment.
func (f fit) logLikelihoodRatio(x, shift float64) float64 {
	m0 := f.mean
	m1 := m0 * shift
	if f.size == 0 {
		return x*math.Log(shift) - (m1 - m0)
	}
	r := f.size
	return x*math.Log(m1*(r+m0)/(m0*(r+m1))) + r*math.Log((r+m0)/(r+m1))
}

// score turns a tail probability into -log10 p, capped at MaxScore and
// never negative.
func score(p float64) float64 {
	if p <= 0 {
		return MaxScore
	}
	return math.Min(MaxScore, math.Max(0, -math.Log10(p)))
}

// prepare does what every method does first: it validates c and s, splits
// s into the latest span periods and the Config.Baseline periods before
// them, refuses a history shorter than Config.MinHistory (naming what the
// span is), and fits the baseline. It returns the series length, the first
// index of the span and of the baseline, and the fit.
func prepare(s Series, c Config, span int, what string) (n, wFrom, bFrom int, f fit, err error) {
	if err := c.Validate(); err != nil {
		return 0, 0, 0, fit{}, err
	}
	if err := s.Validate(); err != nil {
		return 0, 0, 0, fit{}, err
	}
	n = len(s.Values)
	wFrom = n - span
	bFrom = max(0, wFrom-c.Baseline)
	if wFrom-bFrom < c.MinHistory {
		return 0, 0, 0, fit{}, fmt.Errorf("%w: %q has %d periods before its %d-period %s, want %d",
			ErrShortHistory, s.Subject, max(0, wFrom), span, what, c.MinHistory)
	}
	return n, wFrom, bFrom, fitBaseline(s.Values[bFrom:wFrom], c.MeanFloor), nil
}
