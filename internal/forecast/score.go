package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
)

// Interval is a statistic with a percentile bootstrap interval (95%
// unless the report says otherwise). Lo and Hi are NaN without
// replicates; the statistic itself is NaN where undefined (AUROC without
// an event).
type Interval struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// CalibrationBin is one row of a calibration table: the forecasts in
// (Lo, Hi], how many, their mean and the share that happened.
type CalibrationBin struct {
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	N        int     `json:"n"`
	Events   int     `json:"events"`
	Forecast float64 `json:"mean_forecast"`
	Observed float64 `json:"observed"`
}

// Score is one model's scores on a set of outcomes.
type Score struct {
	Model  string   `json:"model"`
	N      int      `json:"n"`
	Events int      `json:"events"`
	Brier  Interval `json:"brier"`
	// LogLoss is the mean negative log likelihood (natural log), with
	// probabilities clamped to [1e-6, 1-1e-6].
	LogLoss Interval `json:"log_loss"`
	AUROC   Interval `json:"auroc"`
	// AUPR is the average precision: the area under the step-wise
	// precision-recall curve.
	AUPR Interval `json:"aupr"`
	// CalibrationSlope is b in the logistic regression
	// y ~ a + b·logit(p): 1 for calibrated forecasts, below 1 for forecasts
	// too extreme.
	CalibrationSlope Interval         `json:"calibration_slope"`
	Calibration      []CalibrationBin `json:"calibration"`
}

// Difference is a model's score minus a reference model's on the same
// bootstrap replicates: an interval excluding 0 is a difference the
// resampling does not explain.
type Difference struct {
	Model     string   `json:"model"`
	Reference string   `json:"reference"`
	Brier     Interval `json:"brier"`
	LogLoss   Interval `json:"log_loss"`
	AUROC     Interval `json:"auroc"`
	AUPR      Interval `json:"aupr"`
}

// CalibrationEdges are the upper edges of the calibration table's bins:
// rare events need fine bins near 0.
var CalibrationEdges = []float64{0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1}

// ScoreOptions configure ScoreModels.
type ScoreOptions struct {
	Replicates int    // bootstrap replicates; 0 for none
	Seed       uint64 // of the resampling
	// Pairs are the (model, reference) differences to report.
	Pairs [][2]string
}

// metricCount is the number of bootstrapped metrics: Brier, log loss,
// AUROC, AUPR, calibration slope.
const metricCount = 5

// ScoreModels scores each model's probabilities (by name, in names'
// order, each aligned with y) against the 0/1 outcomes y, with bootstrap
// intervals from resampling the outcomes' rows (country-years) with
// replacement, every model on the same replicates. Replicates run on
// every core.
func ScoreModels(names []string, probs map[string][]float64, y []float64, opts ScoreOptions) ([]Score, []Difference, error) {
	for _, n := range names {
		if len(probs[n]) != len(y) {
			return nil, nil, fmt.Errorf("score: model %s has %d forecasts for %d outcomes", n, len(probs[n]), len(y))
		}
	}
	idx := make(map[string]int, len(names))
	for i, n := range names {
		idx[n] = i
	}
	for _, p := range opts.Pairs {
		if _, ok := idx[p[0]]; !ok {
			return nil, nil, fmt.Errorf("score: no model %s", p[0])
		}
		if _, ok := idx[p[1]]; !ok {
			return nil, nil, fmt.Errorf("score: no model %s", p[1])
		}
	}
	all := make([]int, len(y))
	for i := range all {
		all[i] = i
	}
	point := make([][metricCount]float64, len(names))
	for m, n := range names {
		point[m] = metrics(probs[n], y, all)
	}
	// reps[r][m] are replicate r's metrics of model m.
	reps := make([][][metricCount]float64, opts.Replicates)
	var wg sync.WaitGroup
	workers := 2
	for w := range workers {
		wg.Go(func() {
			for r := w; r < opts.Replicates; r += workers {
				rng := rand.New(rand.NewPCG(opts.Seed, uint64(r)))
				sample := make([]int, len(y))
				for i := range sample {
					sample[i] = rng.IntN(len(y))
				}
				reps[r] = make([][metricCount]float64, len(names))
				for m, n := range names {
					reps[r][m] = metrics(probs[n], y, sample)
				}
			}
		})
	}
	wg.Wait()
	interval := func(v float64, f func(r int) float64) Interval {
		iv := Interval{Value: v, Lo: math.NaN(), Hi: math.NaN()}
		var xs []float64
		for r := range reps {
			if x := f(r); !math.IsNaN(x) {
				xs = append(xs, x)
			}
		}
		if len(xs) > 0 {
			slices.Sort(xs)
			iv.Lo, iv.Hi = quantile(xs, 0.025), quantile(xs, 0.975)
		}
		return iv
	}
	var scores []Score
	for m, n := range names {
		s := Score{Model: n, N: len(y)}
		for _, v := range y {
			if v > 0 {
				s.Events++
			}
		}
		iv := func(k int) Interval { return interval(point[m][k], func(r int) float64 { return reps[r][m][k] }) }
		s.Brier, s.LogLoss, s.AUROC, s.AUPR, s.CalibrationSlope = iv(0), iv(1), iv(2), iv(3), iv(4)
		s.Calibration = calibrationTable(probs[n], y)
		scores = append(scores, s)
	}
	var diffs []Difference
	for _, p := range opts.Pairs {
		a, b := idx[p[0]], idx[p[1]]
		iv := func(k int) Interval {
			return interval(point[a][k]-point[b][k], func(r int) float64 { return reps[r][a][k] - reps[r][b][k] })
		}
		diffs = append(diffs, Difference{Model: p[0], Reference: p[1], Brier: iv(0), LogLoss: iv(1), AUROC: iv(2), AUPR: iv(3)})
	}
	return scores, diffs, nil
}

// metrics returns Brier, log loss, AUROC, AUPR and the calibration slope
// of the rows rows of p against y.
func metrics(p, y []float64, rows []int) [metricCount]float64 {
	var brier, ll float64
	for _, i := range rows {
		d := p[i] - y[i]
		brier += d * d
		q := clampP(p[i])
		ll -= y[i]*math.Log(q) + (1-y[i])*math.Log(1-q)
	}
	n := float64(len(rows))
	ps, ys := make([]float64, len(rows)), make([]float64, len(rows))
	for k, i := range rows {
		ps[k], ys[k] = p[i], y[i]
	}
	auroc, aupr := rankMetrics(ps, ys)
	return [metricCount]float64{brier / n, ll / n, auroc, aupr, calibrationSlope(ps, ys)}
}

// AUROC returns the area under the ROC curve of forecasts p for outcomes
// y (the Mann-Whitney statistic, ties counting half); NaN without both
// events and non-events.
func AUROC(p, y []float64) float64 { a, _ := rankMetrics(p, y); return a }

// AUPR returns the average precision of forecasts p for outcomes y: the
// sum over distinct forecast values, from the highest, of the precision
// at that threshold times the recall it adds. NaN without events.
func AUPR(p, y []float64) float64 { _, a := rankMetrics(p, y); return a }

// rankOrder returns the indices of forecasts p from the highest down and
// the counts of events (y > 0) and non-events in y: what the ranking
// metrics and the ROC and PR curves walk through.
func rankOrder(p, y []float64) (order []int, pos, neg float64) {
	order = make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	for _, v := range y {
		if v > 0 {
			pos++
		} else {
			neg++
		}
	}
	return order, pos, neg
}

func rankMetrics(p, y []float64) (auroc, aupr float64) {
	order, pos, neg := rankOrder(p, y)
	if pos == 0 {
		return math.NaN(), math.NaN()
	}
	// Walk groups of tied forecasts from the highest.
	var tp, fp, area float64
	for a := 0; a < len(order); {
		b := a
		var gp, gn float64
		for b < len(order) && p[order[b]] == p[order[a]] {
			if y[order[b]] > 0 {
				gp++
			} else {
				gn++
			}
			b++
		}
		// Pairs (positive in group, negative below) count 1, ties ½.
		area += gp * (neg - fp - gn)
		area += gp * gn / 2
		tp += gp
		fp += gn
		if gp > 0 {
			aupr += tp / (tp + fp) * gp / pos
		}
		a = b
	}
	if neg == 0 {
		return math.NaN(), aupr
	}
	return area / (pos * neg), aupr
}

// calibrationSlope fits y ~ a + b·logit(p) by Newton's method and returns
// b; NaN without both outcomes or when the fit does not converge.
func calibrationSlope(p, y []float64) float64 {
	x := make([]float64, len(p))
	var pos float64
	for i, v := range p {
		x[i] = logit(clampP(v))
		pos += y[i]
	}
	if pos == 0 || pos == float64(len(y)) {
		return math.NaN()
	}
	a, b := logit(pos/float64(len(y))), 0.0
	for range 100 {
		var g0, g1, h00, h01, h11 float64
		for i, xi := range x {
			q := sigmoid(a + b*xi)
			r := y[i] - q
			w := q * (1 - q)
			g0 += r
			g1 += r * xi
			h00 += w
			h01 += w * xi
			h11 += w * xi * xi
		}
		det := h00*h11 - h01*h01
		if det <= 0 {
			return math.NaN()
		}
		da := (h11*g0 - h01*g1) / det
		db := (h00*g1 - h01*g0) / det
		a, b = a+da, b+db
		if math.Abs(da) < 1e-10 && math.Abs(db) < 1e-10 {
			return b
		}
	}
	return math.NaN()
}

// calibrationTable bins the forecasts by CalibrationEdges.
func calibrationTable(p, y []float64) []CalibrationBin {
	bins := make([]CalibrationBin, len(CalibrationEdges))
	lo := 0.0
	for k, hi := range CalibrationEdges {
		bins[k].Lo, bins[k].Hi = lo, hi
		lo = hi
	}
	for i, v := range p {
		k := sort.SearchFloat64s(CalibrationEdges, v)
		if k == len(bins) {
			k--
		}
		bins[k].N++
		bins[k].Forecast += v
		if y[i] > 0 {
			bins[k].Events++
		}
	}
	for k := range bins {
		if bins[k].N > 0 {
			bins[k].Forecast /= float64(bins[k].N)
			bins[k].Observed = float64(bins[k].Events) / float64(bins[k].N)
		}
	}
	return bins
}

// quantile of sorted xs, by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	i := int(h)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-float64(i))*(xs[i+1]-xs[i])
}
