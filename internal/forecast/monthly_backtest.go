package forecast

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Model names of the fatalities target.
const (
	// ModelNBGLM is a Poisson regression's mean with a negative binomial
	// dispersion fitted on the training residuals.
	ModelNBGLM = "nb-glm"
	// ModelLogNormal is a ridge regression of log1p fatalities with a
	// normal predictive on that scale.
	ModelLogNormal = "lognormal"
)

// MonthlyBacktestOptions configure MonthlyBacktest.
type MonthlyBacktestOptions struct {
	Target  Target // active, onset or fatalities
	Horizon int    // months ahead, 1 to 6
	// From and To are the first and last outcome months scored.
	From, To time.Time
	// TrainFrom is the first origin month of training rows (zero: the
	// panel's twelfth month, so that every row has a year of history).
	TrainFrom time.Time
	// Retrain is the number of outcome months one fit forecasts (0: 12):
	// the models are refitted at the origin of the first month of each
	// block of Retrain outcome months, on the outcomes known then.
	Retrain int
	// Warmup outcome months before From are forecast, not scored, to give
	// the ensemble's calibration out-of-sample forecasts (0: 24).
	Warmup int
	// MaxTrain caps the learners' training rows (0: 40,000): when there
	// are more, all events are kept and non-events drawn at the rate
	// that meets the cap; the learners' log odds are then corrected by
	// the log of that rate (the prior correction for case-control
	// sampling). For fatalities, rows are drawn uniformly.
	MaxTrain int
	// CalibrationWindow is the number of most recent outcome months known
	// at a block's origin whose forecasts calibrate its ensemble (0: every
	// earlier block's).
	CalibrationWindow int
	// Ensemble is how the ensemble combines and calibrates the learners
	// (zero: DefaultEnsemble).
	Ensemble   EnsembleConfig
	Lambda     float64   // logit and Poisson L2 penalty (0: MonthlyDefaults)
	GBT        GBTConfig // zero: MonthlyDefaults
	Replicates int
	Seed       uint64
	Workers    int // blocks fitted at once (0: GOMAXPROCS)
	Log        *slog.Logger
}

// CountScore is one fatalities model's scores.
type CountScore struct {
	Model string `json:"model"`
	N     int    `json:"n"`
	// CRPS is the mean continuous ranked probability score (fatalities).
	CRPS Interval `json:"crps"`
	// MAE is the mean absolute error of the predictive median.
	MAE Interval `json:"mae"`
	// Coverage80 is the share of outcomes within the central 80%
	// interval [q10, q90], Width80 that interval's mean width.
	Coverage80 float64 `json:"coverage80"`
	Width80    float64 `json:"width80"`
}

// CountDifference is a fatalities model's CRPS minus a reference's, on
// the same bootstrap replicates.
type CountDifference struct {
	Model     string   `json:"model"`
	Reference string   `json:"reference"`
	CRPS      Interval `json:"crps"`
}

// MonthlyReport is what a monthly backtest measured.
type MonthlyReport struct {
	Target    Target   `json:"target"`
	Unit      Unit     `json:"unit"`
	Horizon   int      `json:"horizon"`
	From      string   `json:"from"` // YYYY-MM
	To        string   `json:"to"`
	TrainFrom string   `json:"train_from"`
	Features  []string `json:"features"`
	Places    int      `json:"places"`
	// Scored is the number of place-months scored, Events those active
	// (or onsets); for fatalities Events is the months with any.
	Scored           int               `json:"scored"`
	Events           int               `json:"events"`
	Models           []Score           `json:"models,omitempty"`
	Differences      []Difference      `json:"differences,omitempty"`
	CountModels      []CountScore      `json:"count_models,omitempty"`
	CountDifferences []CountDifference `json:"count_differences,omitempty"`
	Replicates       int               `json:"replicates"`
	Seed             uint64            `json:"seed"`
	Retrain          int               `json:"retrain_months"`
	// SampleRate is the rate at which non-events (all rows, for
	// fatalities) entered the learners' training rows; 1 for all.
	SampleRate float64 `json:"sample_rate"`
	// Fits is the number of refits (warm-up included), FitSeconds the
	// mean wall time of one: features of its test rows aside, training
	// every model and forecasting its block.
	Fits       int      `json:"fits"`
	FitSeconds float64  `json:"fit_seconds"`
	Notes      []string `json:"notes,omitempty"`
}

// MonthlyResult is a monthly backtest's report with the scored forecasts,
// for reports drawn from them (binary targets: Probs by model, aligned
// with Y).
type MonthlyResult struct {
	Report *MonthlyReport
	Probs  map[string][]float64
	Y      []float64
	Models []string
	// Predictions are the binary targets' scored forecasts, one per
	// place, month and model (Code 0: monthly places carry no state
	// number; Unit is ISO3 or ISO3/admin-1, Period YYYY-MM).
	Predictions []Prediction
}

// mrow is one candidate row: place p at origin t.
type mrow struct {
	p, t  int
	y     float64
	state bool // persistence's state at t
	kept  bool // among the learners' training rows
	x     []float64
}

// MonthlyBacktest runs a rolling-origin backtest of a monthly target on
// mp. Outcome months are grouped in blocks of Retrain; for a block
// starting with month B every model is fitted on the rows whose outcome
// was known at B's origin B-H (outcome months up to B-H) and forecasts
// the block's months from each month's own origin (features at T-H).
//
// Binary targets (active, onset) have the models of Backtest:
// base-rate, unit-history (the place's own rate shrunk toward the base
// rate with UnitHistoryPrior months), persistence (the training rate among
// rows in the same state at the origin: for active, active at t; for
// onset, any death in the 12 months to t), logit, gbt and ensemble (the
// two combined and calibrated by opts.Ensemble, fitted on earlier blocks'
// forecasts of outcomes known at the block's origin). fatalities has
// base-rate (the empirical distribution of all training outcomes),
// unit-history (of the place's), persistence (a point mass at month t's
// count) and nb-glm.
func MonthlyBacktest(ctx context.Context, mp *MonthlyPanel, opts MonthlyBacktestOptions) (*MonthlyResult, error) {
	h := opts.Horizon
	if h < 1 || h > 6 {
		return nil, fmt.Errorf("monthly backtest: horizon %d: want 1 to 6 months", h)
	}
	if opts.Target != Active && opts.Target != Onset && opts.Target != Fatalities {
		return nil, fmt.Errorf("monthly backtest: unknown target %q (want active, onset or fatalities)", opts.Target)
	}
	from, to := mp.MonthOf(opts.From), mp.MonthOf(opts.To)
	if from > to {
		return nil, fmt.Errorf("monthly backtest: %s after %s", opts.From.Format("2006-01"), opts.To.Format("2006-01"))
	}
	if to >= mp.Months {
		return nil, fmt.Errorf("monthly backtest: %s is after the data's last month %s", opts.To.Format("2006-01"), mp.Month(mp.Months-1).Format("2006-01"))
	}
	trainFrom := 11
	if !opts.TrainFrom.IsZero() {
		trainFrom = max(mp.MonthOf(opts.TrainFrom), 0)
	}
	setDefault(&opts.Retrain, 12)
	setDefault(&opts.Warmup, 24)
	setDefault(&opts.MaxTrain, 40000)
	setDefault(&opts.Workers, runtime.GOMAXPROCS(0))
	lambda, gbt := MonthlyDefaults(opts.Target, mp.Unit)
	if opts.Lambda == 0 {
		opts.Lambda = lambda
	}
	if opts.GBT.Trees == 0 {
		opts.GBT = gbt
	}
	if opts.Ensemble.Method == "" {
		opts.Ensemble = DefaultEnsemble
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	first := from - opts.Warmup
	if first-h < trainFrom+h {
		return nil, fmt.Errorf("monthly backtest: the first forecast month %s leaves no training rows (data from %s)",
			mp.Month(max(first, 0)).Format("2006-01"), mp.First.Format("2006-01"))
	}
	binary := opts.Target != Fatalities

	// Every candidate row with origin from trainFrom and outcome up to to.
	var rows []mrow
	for t := trainFrom; t+h <= to; t++ {
		for p := range mp.Places {
			o, ok := mp.Outcome(opts.Target, p, t, h)
			if !ok || !o.AtRisk {
				continue
			}
			r := mrow{p: p, t: t, y: o.Value}
			switch opts.Target {
			case Active:
				r.state = mp.active(p, t)
			case Onset:
				r.state = mp.sum(p, sFat, t-11, t) > 0
			}
			rows = append(rows, r)
		}
	}
	// The learners' rows: events and a deterministic draw of the rest.
	negatives := 0
	for _, r := range rows {
		if !binary || r.y == 0 {
			negatives++
		}
	}
	rate := 1.0
	if negatives > opts.MaxTrain {
		rate = float64(opts.MaxTrain) / float64(negatives)
	}
	for i := range rows {
		r := &rows[i]
		r.kept = (binary && r.y > 0) || unitHash(opts.Seed, r.p, r.t) < rate
	}
	// Features of the kept rows and of every forecast row, on all cores.
	var need []int
	for i, r := range rows {
		if r.kept || r.t+h >= first {
			need = append(need, i)
		}
	}
	parallel(opts.Workers, len(need), func(k int) {
		r := &rows[need[k]]
		r.x = mp.Row(r.p, r.t)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Blocks of outcome months, fitted several at once.
	var blocks []*block
	for b := first; b <= to; b += opts.Retrain {
		bl := &block{start: b, end: min(b+opts.Retrain-1, to)}
		for i, r := range rows {
			if T := r.t + h; T >= bl.start && T <= bl.end {
				bl.test = append(bl.test, i)
			}
		}
		blocks = append(blocks, bl)
	}
	offset := math.Log(rate)
	parallel(opts.Workers, len(blocks), func(k int) {
		if ctx.Err() != nil {
			return
		}
		bl := blocks[k]
		start := time.Now()
		var train []int
		for i, r := range rows {
			if r.t+h <= bl.start-h {
				train = append(train, i)
			}
		}
		if binary {
			bl.p, bl.err = fitMonthlyBinary(rows, train, bl.test, offset, opts)
		} else {
			bl.dist, bl.err = fitMonthlyCount(rows, train, bl.test, opts)
		}
		bl.seconds = time.Since(start).Seconds()
		opts.Log.Debug("block", "target", opts.Target, "unit", mp.Unit, "horizon", h, "from", mp.Month(bl.start).Format("2006-01"),
			"train", len(train), "test", len(bl.test), "seconds", bl.seconds)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &MonthlyReport{Target: opts.Target, Unit: mp.Unit, Horizon: h, From: mp.Month(from).Format("2006-01"),
		To: mp.Month(to).Format("2006-01"), TrainFrom: mp.Month(trainFrom).Format("2006-01"), Features: mp.FeatureNames(),
		Places: len(mp.Places), Replicates: opts.Replicates, Seed: opts.Seed, Retrain: opts.Retrain, SampleRate: rate, Fits: len(blocks)}
	seconds := 0.0
	for _, bl := range blocks {
		if bl.err != nil {
			return nil, fmt.Errorf("monthly backtest: block from %s: %w", mp.Month(bl.start).Format("2006-01"), bl.err)
		}
		seconds += bl.seconds
	}
	rep.FitSeconds = seconds / float64(len(blocks))
	res := &MonthlyResult{Report: rep, Probs: map[string][]float64{}}
	if binary {
		return res, scoreMonthlyBinary(res, mp, rows, blocks, from, h, opts)
	}
	var y []float64
	dists := map[string][]Predictive{}
	models := []string{ModelBaseRate, ModelUnitHistory, ModelPersistence, ModelNBGLM, ModelLogNormal}
	for _, bl := range blocks {
		for k, i := range bl.test {
			if rows[i].t+h < from {
				continue
			}
			y = append(y, rows[i].y)
			for _, m := range models {
				dists[m] = append(dists[m], bl.dist[m][k])
			}
		}
	}
	if len(y) == 0 {
		return nil, fmt.Errorf("monthly backtest: nothing to score")
	}
	rep.Scored = len(y)
	for _, v := range y {
		if v > 0 {
			rep.Events++
		}
	}
	res.Y, res.Models = y, models
	rep.CountModels, rep.CountDifferences = scoreCounts(models, dists, y, opts.Replicates, opts.Seed)
	return res, nil
}

// block is one fit's outcome months and the forecasts of its rows.
type block struct {
	start, end int   // outcome months
	test       []int // indices of the rows forecast
	p          map[string][]float64
	dist       map[string][]Predictive
	seconds    float64
	err        error
}

// scoreMonthlyBinary adds the ensemble, fitted block by block on the
// earlier blocks' forecasts of outcomes known at the block's origin, and
// scores the months from on.
func scoreMonthlyBinary(res *MonthlyResult, mp *MonthlyPanel, rows []mrow, blocks []*block, from, h int, opts MonthlyBacktestOptions) error {
	var cal []CalPoint
	var calT []int
	years := func(month int) float64 { return float64(month) / 12 }
	for _, bl := range blocks {
		var pts []CalPoint
		for i, T := range calT {
			if T <= bl.start-h && (opts.CalibrationWindow == 0 || T > bl.start-h-opts.CalibrationWindow) {
				pts = append(pts, cal[i])
			}
		}
		ens, err := FitEnsemble(pts, years(bl.start-h), opts.Ensemble)
		if err != nil {
			return fmt.Errorf("monthly backtest: ensemble: %w", err)
		}
		bl.p[ModelEnsemble] = make([]float64, len(bl.test))
		for k, i := range bl.test {
			pl, pg := bl.p[ModelLogit][k], bl.p[ModelGBT][k]
			bl.p[ModelEnsemble][k] = ens.Apply(pl, pg)
			T := rows[i].t + h
			cal, calT = append(cal, CalPoint{Logit: pl, GBT: pg, Y: rows[i].y, Period: years(T)}), append(calT, T)
		}
	}
	models := []string{ModelBaseRate, ModelUnitHistory, ModelPersistence, ModelLogit, ModelGBT, ModelEnsemble}
	for _, bl := range blocks {
		for k, i := range bl.test {
			if rows[i].t+h < from {
				continue
			}
			res.Y = append(res.Y, rows[i].y)
			T := mp.Month(rows[i].t + h)
			for _, m := range models {
				res.Probs[m] = append(res.Probs[m], bl.p[m][k])
				res.Predictions = append(res.Predictions, Prediction{Unit: mp.PlaceName(rows[i].p), ISO3: mp.Places[rows[i].p].Country,
					Period: T.Format("2006-01"), Year: T.Year(), Model: m, Probability: bl.p[m][k], Outcome: int(rows[i].y)})
			}
		}
	}
	rep := res.Report
	if len(res.Y) == 0 {
		return fmt.Errorf("monthly backtest: nothing to score")
	}
	rep.Scored, rep.Events = len(res.Y), int(events(res.Y))
	if rep.Events == 0 {
		return fmt.Errorf("monthly backtest: no %s in the months scored", rep.Target)
	}
	res.Models = models
	pairs := [][2]string{{ModelEnsemble, ModelBaseRate}, {ModelEnsemble, ModelUnitHistory}, {ModelEnsemble, ModelPersistence}}
	var err error
	rep.Models, rep.Differences, err = ScoreModels(models, res.Probs, res.Y, ScoreOptions{Replicates: opts.Replicates, Seed: opts.Seed, Pairs: pairs})
	if err != nil {
		return fmt.Errorf("monthly backtest: %w", err)
	}
	return nil
}

// fitMonthlyBinary fits the binary models on the train rows and forecasts
// the test rows; the learners see only kept rows and their log odds are
// shifted by offset.
func fitMonthlyBinary(rows []mrow, train, test []int, offset float64, opts MonthlyBacktestOptions) (map[string][]float64, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	type tally struct{ n, k float64 }
	var all tally
	unit := map[int]tally{}
	state := map[bool]tally{}
	var kept []int
	for _, i := range train {
		r := rows[i]
		all.n, all.k = all.n+1, all.k+r.y
		u := unit[r.p]
		u.n, u.k = u.n+1, u.k+r.y
		unit[r.p] = u
		s := state[r.state]
		s.n, s.k = s.n+1, s.k+r.y
		state[r.state] = s
		if r.kept {
			kept = append(kept, i)
		}
	}
	if all.k == 0 {
		return nil, fmt.Errorf("no event among %d training rows", len(train))
	}
	base := all.k / all.n
	p := map[string][]float64{}
	for _, i := range test {
		r := rows[i]
		p[ModelBaseRate] = append(p[ModelBaseRate], base)
		u := unit[r.p]
		p[ModelUnitHistory] = append(p[ModelUnitHistory], (u.k+UnitHistoryPrior*base)/(u.n+UnitHistoryPrior))
		s := state[r.state]
		p[ModelPersistence] = append(p[ModelPersistence], (s.k+base)/(s.n+1))
	}
	xtrain, xtest, y := fillRows(rows, kept, test)
	var (
		lg           *Logit
		gb           *GBT
		lgErr, gbErr error
		wg           sync.WaitGroup
	)
	wg.Go(func() { lg, lgErr = FitLogit(xtrain, y, nil, opts.Lambda) })
	wg.Go(func() { gb, gbErr = FitGBT(xtrain, y, opts.GBT) })
	wg.Wait()
	if lgErr != nil {
		return nil, lgErr
	}
	if gbErr != nil {
		return nil, gbErr
	}
	for _, x := range xtest {
		p[ModelLogit] = append(p[ModelLogit], sigmoid(logit(clampP(lg.Predict(x)))+offset))
		p[ModelGBT] = append(p[ModelGBT], sigmoid(logit(clampP(gb.Predict(x)))+offset))
	}
	return p, nil
}

// fillRows returns the kept rows' and test rows' features with NaN
// filled by the kept rows' medians, and the kept rows' outcomes.
func fillRows(rows []mrow, kept, test []int) (xtrain, xtest [][]float64, y []float64) {
	es := make([]example, len(kept))
	for k, i := range kept {
		es[k] = example{x: rows[i].x}
		y = append(y, rows[i].y)
	}
	med := medians(es)
	fill := func(idx []int) [][]float64 {
		out := make([][]float64, len(idx))
		for k, i := range idx {
			row := slices.Clone(rows[i].x)
			for j, v := range row {
				if math.IsNaN(v) {
					row[j] = med[j]
				}
			}
			out[k] = row
		}
		return out
	}
	return fill(kept), fill(test), y
}

// fitMonthlyCount fits the fatalities models on the train rows and
// returns the test rows' predictive distributions.
func fitMonthlyCount(rows []mrow, train, test []int, opts MonthlyBacktestOptions) (map[string][]Predictive, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	var ys []float64
	byUnit := map[int][]float64{}
	var kept []int
	for _, i := range train {
		r := rows[i]
		ys = append(ys, r.y)
		byUnit[r.p] = append(byUnit[r.p], r.y)
		if r.kept {
			kept = append(kept, i)
		}
	}
	base := Empirical(ys)
	units := map[int]Predictive{}
	d := map[string][]Predictive{}
	xtrain, xtest, y := fillRows(rows, kept, test)
	pm, err := FitPoisson(xtrain, y, opts.Lambda)
	if err != nil {
		return nil, err
	}
	mu := make([]float64, len(xtrain))
	for i, x := range xtrain {
		mu[i] = pm.Mean(x)
	}
	alpha := NBDispersion(y, mu)
	ln, err := FitLogNormal(xtrain, y, opts.Lambda)
	if err != nil {
		return nil, err
	}
	for k, i := range test {
		r := rows[i]
		d[ModelBaseRate] = append(d[ModelBaseRate], base)
		u, ok := units[r.p]
		if !ok {
			if len(byUnit[r.p]) == 0 {
				u = base
			} else {
				u = Empirical(byUnit[r.p])
			}
			units[r.p] = u
		}
		d[ModelUnitHistory] = append(d[ModelUnitHistory], u)
		d[ModelPersistence] = append(d[ModelPersistence], PointMass(math.Expm1(r.x[0]))) // fat.t, log1p
		d[ModelNBGLM] = append(d[ModelNBGLM], NB(pm.Mean(xtest[k]), alpha))
		d[ModelLogNormal] = append(d[ModelLogNormal], ln.Predict(xtest[k]))
	}
	return d, nil
}

// scoreCounts scores the predictive distributions against y, with
// bootstrap intervals over rows and each model's CRPS difference to the
// baselines, from nb-glm.
func scoreCounts(models []string, dists map[string][]Predictive, y []float64, replicates int, seed uint64) ([]CountScore, []CountDifference) {
	crps := map[string][]float64{}
	ae := map[string][]float64{}
	var out []CountScore
	for _, m := range models {
		c, a := make([]float64, len(y)), make([]float64, len(y))
		cover, width := 0.0, 0.0
		parallel(runtime.GOMAXPROCS(0), len(y), func(i int) {
			d := dists[m][i]
			c[i] = d.CRPS(y[i])
			a[i] = math.Abs(d.Quantile(0.5) - y[i])
		})
		for i, v := range y {
			lo, hi := dists[m][i].Quantile(0.1), dists[m][i].Quantile(0.9)
			if v >= lo && v <= hi {
				cover++
			}
			width += hi - lo
		}
		crps[m], ae[m] = c, a
		n := float64(len(y))
		out = append(out, CountScore{Model: m, N: len(y), CRPS: bootMean(c, nil, replicates, seed), MAE: bootMean(a, nil, replicates, seed),
			Coverage80: cover / n, Width80: width / n})
	}
	var diffs []CountDifference
	for _, m := range []string{ModelNBGLM, ModelLogNormal} {
		for _, ref := range models[:3] {
			diffs = append(diffs, CountDifference{Model: m, Reference: ref, CRPS: bootMean(crps[m], crps[ref], replicates, seed)})
		}
	}
	return out, diffs
}

// bootMean returns the mean of a (minus b's, if b is not nil) with a
// percentile bootstrap interval over rows.
func bootMean(a, b []float64, replicates int, seed uint64) Interval {
	d := a
	if b != nil {
		d = make([]float64, len(a))
		for i := range a {
			d[i] = a[i] - b[i]
		}
	}
	iv := Interval{Value: mean0(d, nil), Lo: math.NaN(), Hi: math.NaN()}
	if replicates == 0 {
		return iv
	}
	means := make([]float64, replicates)
	for r := range replicates {
		rng := newRand(seed, r)
		s := 0.0
		for range d {
			s += d[rng.IntN(len(d))]
		}
		means[r] = s / float64(len(d))
	}
	slices.Sort(means)
	iv.Lo, iv.Hi = quantile(means, 0.025), quantile(means, 0.975)
	return iv
}

// parallel calls f(0..n-1) on workers goroutines.
func parallel(workers, n int, f func(k int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(workers, 1) {
		wg.Go(func() {
			for k := range next {
				f(k)
			}
		})
	}
	for k := range n {
		next <- k
	}
	close(next)
	wg.Wait()
}

func setDefault(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// unitHash maps (seed, p, t) to [0, 1), the same across runs (splitmix64).
func unitHash(seed uint64, p, t int) float64 {
	z := seed + uint64(p)*0x9e3779b97f4a7c15 + uint64(t)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}
