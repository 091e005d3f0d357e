package forecast

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"threshold/internal/geo"
	"threshold/internal/panel"
)

// The models of a backtest, in report order.
const (
	ModelBaseRate    = "base-rate"
	ModelUnitHistory = "unit-history"
	ModelPersistence = "persistence"
	ModelLogit       = "logit"
	ModelGBT         = "gbt"
	ModelEnsemble    = "ensemble"
	// ModelEWP is the Early Warning Project's published forecast, scored
	// beside ours; it is never an input.
	ModelEWP = "ewp"
)

// UnitHistoryPrior is the weight, in country-years at the base rate, that
// the unit-history baseline gives the base rate beside a country's own
// record: (onsets + m·base rate) / (years + m).
const UnitHistoryPrior = 20

// BacktestOptions configure Backtest.
type BacktestOptions struct {
	Target  Target
	Horizon int
	// From and To are the outcome years scored: for each T, models
	// trained on what was known at the end of base year T-H forecast the
	// outcome of year T.
	From, To int
	// TrainFrom is the first base year of training rows (0: 1960, the
	// EWP predictors' first year).
	TrainFrom int
	// Warmup outcome years before From are forecast, not scored, to give
	// the ensemble's calibration out-of-sample forecasts from the start
	// (0: 10).
	Warmup int
	// Lambda is the logistic regression's L2 penalty (0: DefaultLambda);
	// GBT the trees' configuration (zero: DefaultGBT).
	Lambda float64
	GBT    GBTConfig
	// CalibrationWindow is the number of most recent outcome years known
	// at the origin whose forecasts calibrate the ensemble (0: every
	// earlier origin's).
	CalibrationWindow int
	// Ensemble is how the ensemble combines and calibrates the learners
	// (zero: DefaultEnsemble).
	Ensemble EnsembleConfig
	// Replicates and Seed drive the bootstrap intervals.
	Replicates int
	Seed       uint64
	Codes      *geo.Table // the GW state list, for conflict-onset
	Workers    int        // origins trained at once (0: GOMAXPROCS)
	Log        *slog.Logger
}

// DefaultLambda is the logistic regression's L2 penalty on standardised
// coefficients. It was chosen, with DefaultGBT, on outcome years
// 1980-1993 only, before the peer comparison's test years: of 3, 10, 30,
// 100, 300 and 1,000, 100 gave the lowest log loss for mass-killing onset
// (300 was as good for conflict onset).
const DefaultLambda = 100

// Prediction is one model's forecast for one unit and outcome year, as
// written by --predictions.
type Prediction struct {
	Unit        string  `json:"unit"` // ISO alpha-3
	Code        int     `json:"ccode"`
	ISO3        string  `json:"iso3"`
	Period      string  `json:"period"` // the outcome year, as text
	Year        int     `json:"year"`   // the outcome year; the base year is Year-Horizon
	Model       string  `json:"model"`
	Probability float64 `json:"probability"`
	Outcome     int     `json:"outcome"`
}

// Report is what a backtest measured.
type Report struct {
	Target    Target   `json:"target"`
	Horizon   int      `json:"horizon"`
	From      int      `json:"from"`
	To        int      `json:"to"`
	TrainFrom int      `json:"train_from"`
	Features  []string `json:"features"`
	// Scored is the number of country-years scored, Events their onsets.
	Scored int `json:"scored"`
	Events int `json:"events"`
	// NoEWP counts at-risk country-years left unscored because EWP
	// published no forecast for them (mass-killing-onset only).
	NoEWP       int          `json:"no_ewp_forecast,omitempty"`
	Models      []Score      `json:"models"`
	Differences []Difference `json:"differences"`
	Replicates  int          `json:"replicates"`
	Seed        uint64       `json:"seed"`
	// Origins is the number of training origins (warm-up included),
	// OriginSeconds the mean wall time of one: training the learners and
	// forecasting.
	Origins       int      `json:"origins"`
	OriginSeconds float64  `json:"origin_seconds"`
	Notes         []string `json:"notes,omitempty"`
}

// example is one at-risk outcome with its features.
type example struct {
	o Outcome
	x []float64
}

// Backtest runs a rolling-origin backtest of the country-year target
// opts.Target at horizon H. For each outcome year T, the training rows are
// the outcomes known at the end of base year T-H (outcome years up to T-H,
// base years from TrainFrom) and the forecasts are of the at-risk units'
// outcomes in T from their features at T-H. Every model is refitted at
// each origin:
//
//   - base-rate: the training share of onsets;
//   - unit-history: the country's own training onset rate, shrunk toward
//     the base rate with UnitHistoryPrior;
//   - persistence: the training onset rate among rows in the same state
//     at the base year as the unit (mass killing: an episode ongoing or
//     not; conflict: a conflict in the ten years before or not);
//   - logit: L2-regularised logistic regression on standardised features;
//   - gbt: gradient-boosted trees;
//   - ensemble: logit and gbt combined and calibrated by opts.Ensemble
//     (FitEnsemble), fitted on the out-of-sample forecasts of the earlier
//     origins whose outcomes were known at T-H;
//   - ewp (mass-killing-onset only): the Early Warning Project's published
//     forecast (risk_prev at horizon 1, risk_two_years_prior at 2), and
//     only the country-years it covers are scored (if it covers none of
//     the years, as before 1994, it is left out and every at-risk
//     country-year is scored).
//
// Missing features are filled with the training rows' medians.
func Backtest(ctx context.Context, r panel.Reader, opts BacktestOptions) (*Report, []Prediction, error) {
	h := opts.Horizon
	if opts.From > opts.To || opts.From < 1 {
		return nil, nil, fmt.Errorf("backtest: years %d to %d", opts.From, opts.To)
	}
	if opts.TrainFrom == 0 {
		opts.TrainFrom = 1960
	}
	if opts.Warmup == 0 {
		opts.Warmup = 10
	}
	if opts.Lambda == 0 {
		opts.Lambda = DefaultLambda
	}
	if opts.GBT.Trees == 0 {
		opts.GBT = DefaultGBT
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Ensemble.Method == "" {
		opts.Ensemble = DefaultEnsemble
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	outcomes, err := Outcomes(ctx, r, opts.Target, TargetOptions{Horizon: h, Codes: opts.Codes})
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: %w", err)
	}
	fs, err := LoadFeatures(ctx, r)
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: %w", err)
	}
	var ewp map[unitYear]float64
	if opts.Target == MassKillingOnset {
		if ewp, err = ewpForecasts(ctx, r, h); err != nil {
			return nil, nil, fmt.Errorf("backtest: %w", err)
		}
	}
	if ewp != nil && !coversAny(ewp, opts.From, opts.To) {
		ewp = nil // EWP published nothing for these years: no peer to score
	}
	names := fs.Names()
	stateCol := slices.Index(names, "mk.ongoing")
	if opts.Target == ConflictOnset {
		stateCol = slices.Index(names, "acd.conflict_years_10")
	}

	// The at-risk examples, by outcome year.
	first := opts.From - opts.Warmup
	byYear := map[int][]example{}
	for _, o := range outcomes {
		if !o.AtRisk || o.Year < opts.TrainFrom || o.OutcomeYear() > opts.To {
			continue
		}
		byYear[o.OutcomeYear()] = append(byYear[o.OutcomeYear()], example{o: o, x: fs.Row(o.ISO3, o.Year)})
	}

	// Phase 1: every origin's baselines and learners, several at once.
	type originResult struct {
		test    []example
		p       map[string][]float64
		seconds float64
		err     error
	}
	// The training rows of outcome year T: outcomes known at T-H.
	trainFor := func(T int) []example {
		var train []example
		for y := opts.TrainFrom + h; y <= T-h; y++ {
			train = append(train, byYear[y]...)
		}
		return train
	}
	// An origin needs an onset to learn from; a warm-up year without one
	// is skipped, a scored year is an error.
	years := []int{}
	for T := first; T <= opts.To; T++ {
		if len(byYear[T]) == 0 {
			continue
		}
		onsets := 0
		for _, e := range trainFor(T) {
			onsets += e.o.Value
		}
		switch {
		case onsets > 0:
			years = append(years, T)
		case T >= opts.From:
			return nil, nil, fmt.Errorf("backtest: no onset known at the end of %d to train on (training from base year %d)", T-h, opts.TrainFrom)
		}
	}
	results := make([]originResult, len(years))
	var wg sync.WaitGroup
	next := make(chan int)
	for range opts.Workers {
		wg.Go(func() {
			for k := range next {
				T := years[k]
				train := trainFor(T)
				start := time.Now()
				p, err := fitOrigin(train, byYear[T], stateCol, opts)
				results[k] = originResult{test: byYear[T], p: p, seconds: time.Since(start).Seconds(), err: err}
				opts.Log.Debug("origin", "target", opts.Target, "horizon", h, "year", T, "train", len(train),
					"test", len(byYear[T]), "seconds", results[k].seconds)
			}
		})
	}
	for k := range years {
		if ctx.Err() != nil {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	// Phase 2: the ensemble, fitted on earlier origins' forecasts.
	var (
		cal     []CalPoint // both learners' forecasts and outcomes, by outcome year
		seconds float64
	)
	for k, T := range years {
		res := &results[k]
		if res.err != nil {
			return nil, nil, fmt.Errorf("backtest: %d: %w", T, res.err)
		}
		seconds += res.seconds
		// Forecasts of outcome years up to T-H: known when T is forecast.
		var pts []CalPoint
		for _, c := range cal {
			if y := int(c.Period); y <= T-h && (opts.CalibrationWindow == 0 || y > T-h-opts.CalibrationWindow) {
				pts = append(pts, c)
			}
		}
		ens, err := FitEnsemble(pts, float64(T-h), opts.Ensemble)
		if err != nil {
			return nil, nil, fmt.Errorf("backtest: %d: %w", T, err)
		}
		res.p[ModelEnsemble] = make([]float64, len(res.test))
		for i, e := range res.test {
			pl, pg := res.p[ModelLogit][i], res.p[ModelGBT][i]
			res.p[ModelEnsemble][i] = ens.Apply(pl, pg)
			cal = append(cal, CalPoint{Logit: pl, GBT: pg, Y: float64(e.o.Value), Period: float64(T)})
		}
	}

	// Score the years From..To.
	models := []string{ModelBaseRate, ModelUnitHistory, ModelPersistence, ModelLogit, ModelGBT, ModelEnsemble}
	if ewp != nil {
		models = append(models, ModelEWP)
	}
	probs := map[string][]float64{}
	var y []float64
	var preds []Prediction
	rep := &Report{Target: opts.Target, Horizon: h, From: opts.From, To: opts.To, TrainFrom: opts.TrainFrom,
		Features: names, Replicates: opts.Replicates, Seed: opts.Seed, Origins: len(years)}
	for k, T := range years {
		if T < opts.From {
			continue
		}
		res := results[k]
		for i, e := range res.test {
			if ewp != nil {
				p, ok := ewp[unitYear{e.o.Code, T}]
				if !ok {
					rep.NoEWP++
					continue
				}
				probs[ModelEWP] = append(probs[ModelEWP], p)
			}
			y = append(y, float64(e.o.Value))
			for _, m := range models {
				if m == ModelEWP {
					continue
				}
				probs[m] = append(probs[m], res.p[m][i])
			}
			for _, m := range models {
				preds = append(preds, Prediction{Unit: e.o.ISO3, Code: e.o.Code, ISO3: e.o.ISO3, Period: strconv.Itoa(T),
					Year: T, Model: m, Probability: probs[m][len(y)-1], Outcome: e.o.Value})
			}
		}
	}
	if len(y) == 0 {
		return nil, nil, fmt.Errorf("backtest: no at-risk country-years to score in %d-%d", opts.From, opts.To)
	}
	rep.Scored, rep.Events = len(y), int(events(y))
	if len(years) > 0 {
		rep.OriginSeconds = seconds / float64(len(years))
	}
	pairs := [][2]string{{ModelEnsemble, ModelBaseRate}, {ModelEnsemble, ModelUnitHistory}, {ModelEnsemble, ModelPersistence}}
	if ewp != nil {
		pairs = append(pairs, [2]string{ModelEnsemble, ModelEWP}, [2]string{ModelEWP, ModelBaseRate})
	}
	rep.Models, rep.Differences, err = ScoreModels(models, probs, y, ScoreOptions{Replicates: opts.Replicates, Seed: opts.Seed, Pairs: pairs})
	if err != nil {
		return nil, nil, fmt.Errorf("backtest: %w", err)
	}
	if years[0] > first {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the first origin with at-risk rows is %d, after the warm-up's first year %d", years[0], first))
	}
	return rep, preds, nil
}

func events(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s
}

// fitOrigin fits every model on train and forecasts test.
func fitOrigin(train, test []example, stateCol int, opts BacktestOptions) (map[string][]float64, error) {
	if len(train) == 0 {
		return nil, fmt.Errorf("no training rows")
	}
	y := make([]float64, len(train))
	for i, e := range train {
		y[i] = float64(e.o.Value)
	}
	base := events(y) / float64(len(y))
	p := map[string][]float64{}

	// Baselines.
	type tally struct{ n, k float64 }
	unit := map[int]tally{}
	state := map[bool]tally{}
	inState := func(x []float64) bool { return stateCol >= 0 && x[stateCol] > 0 }
	for i, e := range train {
		u := unit[e.o.Code]
		u.n, u.k = u.n+1, u.k+y[i]
		unit[e.o.Code] = u
		s := state[inState(e.x)]
		s.n, s.k = s.n+1, s.k+y[i]
		state[inState(e.x)] = s
	}
	for _, e := range test {
		p[ModelBaseRate] = append(p[ModelBaseRate], base)
		u := unit[e.o.Code]
		p[ModelUnitHistory] = append(p[ModelUnitHistory], (u.k+UnitHistoryPrior*base)/(u.n+UnitHistoryPrior))
		s := state[inState(e.x)]
		p[ModelPersistence] = append(p[ModelPersistence], (s.k+base)/(s.n+1))
	}

	// Learners, on median-filled features, at once.
	med := medians(train)
	fill := func(es []example) [][]float64 {
		out := make([][]float64, len(es))
		for i, e := range es {
			row := slices.Clone(e.x)
			for j, v := range row {
				if math.IsNaN(v) {
					row[j] = med[j]
				}
			}
			out[i] = row
		}
		return out
	}
	xtrain, xtest := fill(train), fill(test)
	var (
		lg     *Logit
		gb     *GBT
		lgErr  error
		gbErr  error
		learnt sync.WaitGroup
	)
	learnt.Go(func() { lg, lgErr = FitLogit(xtrain, y, nil, opts.Lambda) })
	learnt.Go(func() { gb, gbErr = FitGBT(xtrain, y, opts.GBT) })
	learnt.Wait()
	if lgErr != nil {
		return nil, lgErr
	}
	if gbErr != nil {
		return nil, gbErr
	}
	for _, row := range xtest {
		p[ModelLogit] = append(p[ModelLogit], lg.Predict(row))
		p[ModelGBT] = append(p[ModelGBT], gb.Predict(row))
	}
	return p, nil
}

// medians returns each feature's median over the examples' known values
// (0 for a feature never known).
func medians(es []example) []float64 {
	if len(es) == 0 {
		return nil
	}
	out := make([]float64, len(es[0].x))
	col := make([]float64, 0, len(es))
	for j := range out {
		col = col[:0]
		for _, e := range es {
			if v := e.x[j]; !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		if len(col) > 0 {
			slices.Sort(col)
			out[j] = quantile(col, 0.5)
		}
	}
	return out
}

// coversAny reports whether forecasts holds any of the outcome years
// from..to.
func coversAny(forecasts map[unitYear]float64, from, to int) bool {
	for k := range forecasts {
		if k.year >= from && k.year <= to {
			return true
		}
	}
	return false
}

// ewpForecasts reads EWP's published forecasts at horizon h by
// (ccode, outcome year); nil if none are stored.
func ewpForecasts(ctx context.Context, r panel.Reader, h int) (map[unitYear]float64, error) {
	all, err := r.PanelDatasets(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := pickDataset(all, "", "ewp-foos")
	if err != nil {
		return nil, nil // not imported: no peer to score
	}
	variable := "risk_prev"
	if h == 2 {
		variable = "risk_two_years_prior"
	} else if h != 1 {
		return nil, nil
	}
	vs, err := r.PanelValues(ctx, panel.Query{Dataset: ds.Name, Variables: []string{variable}})
	if err != nil {
		return nil, err
	}
	out := map[unitYear]float64{}
	for _, v := range vs {
		if !v.Missing {
			out[unitYear{v.Code, v.Year}] = v.Num
		}
	}
	return out, nil
}
