package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// MonthlyModelVersion names the production monthly models: the features
// of MonthlyPanel.Row, logit and gbt at the backtest's defaults, combined
// by DefaultEnsemble (active, onset), and lognormal (fatalities). Change
// it whenever any of them changes.
const MonthlyModelVersion = "monthly-2"

// Factor is one contribution to a forecast, in plain language.
type Factor struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`  // the feature's value, on its natural scale (counts, months)
	Effect  float64 `json:"effect"` // log odds (log mean for fatalities) it adds against the training mean
	Text    string  `json:"text"`   // "deaths in the month: 212 (raises risk)"
}

// Forecast is one stored production forecast: a place's target in one
// month, from data up to Cutoff.
type Forecast struct {
	Target       Target    `json:"target"`
	Unit         Unit      `json:"unit"`
	Country      string    `json:"country"`
	Admin1       string    `json:"admin1,omitempty"`
	Period       time.Time `json:"period"` // the month forecast, first day
	Horizon      int       `json:"horizon"`
	Cutoff       time.Time `json:"cutoff"` // the last day of data used
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	// Probability of active or onset; NaN for fatalities.
	Probability float64 `json:"probability"`
	// Mean, Lo80 and Hi80: fatalities' predictive mean and central 80%
	// interval; NaN for active and onset.
	Mean      float64   `json:"mean"`
	Lo80      float64   `json:"lo80"`
	Hi80      float64   `json:"hi80"`
	Factors   []Factor  `json:"factors"`
	CreatedAt time.Time `json:"created_at"`
}

// featureText describes the monthly features for people: a label and
// whether the value is a log1p count to show as a count.
var featureText = map[string]struct {
	label string
	log   bool
}{
	"fat.t":                       {"deaths in the month", true},
	"fat.t1":                      {"deaths the month before", true},
	"fat.t2":                      {"deaths two months before", true},
	"fat.t3_5":                    {"deaths 3-5 months before", true},
	"fat.t6_11":                   {"deaths 6-11 months before", true},
	"fat.decay3":                  {"recent deaths, weighted to the last 3 months", true},
	"fat.decay12":                 {"deaths, weighted to the last year", true},
	"active.months_since":         {"months since the last month of 25+ deaths (1+ for an area)", true},
	"active.months_12":            {"months with 25+ deaths (1+ for an area) in the last year", false},
	"active.months_60":            {"months with 25+ deaths (1+ for an area) in the last 5 years", false},
	"violent.t":                   {"violent events in the month", true},
	"battle.3":                    {"battles in the last 3 months", true},
	"civilians.3":                 {"violence against civilians in the last 3 months", true},
	"remote.3":                    {"explosions and remote violence in the last 3 months", true},
	"nb.fat.t":                    {"deaths in neighbouring countries in the month", true},
	"nb.fat.3":                    {"deaths in neighbouring countries in the last 3 months", true},
	"nb.violent.3":                {"violent events in neighbouring countries in the last 3 months", true},
	"unrest.3":                    {"protests and riots in the last 3 months", true},
	"unrest.trend":                {"change in protests and riots against the 9 months before (log ratio)", false},
	"nb.unrest.3":                 {"protests and riots in neighbouring countries in the last 3 months", true},
	"goldstein.mean_3":            {"mean Goldstein score of the last 3 months", false},
	"goldstein.events_3":          {"events with a Goldstein score in the last 3 months", true},
	"coup.12":                     {"coup events in the last year", true},
	"election.next_6":             {"an election in the next 6 months (1 yes, 0 no)", false},
	"election.months_to_next":     {"months to the next election", true},
	"country.fat.t":               {"deaths in the whole country in the month", true},
	"country.fat.3":               {"deaths in the whole country in the last 3 months", true},
	"country.months_since_active": {"months since the country's last month of 25+ deaths", true},
	"fat.12":                      {"deaths in the last year", true},
	"fat.max12":                   {"deaths in the worst month of the last year", true},
	"fat.trend":                   {"change in deaths, last 3 months against the 9 before (log ratio)", false},
	"fatal_months.3":              {"months with deaths in the last 3 months", false},
	"fatal_months.12":             {"months with deaths in the last year", false},
	"fatal_events.t":              {"events with deaths in the month", true},
	"fatal_events.3":              {"events with deaths in the last 3 months", true},
	"fatal_events.12":             {"events with deaths in the last year", true},
	"violent.3":                   {"violent events in the last 3 months", true},
	"violent.12":                  {"violent events in the last year", true},
	"violent.trend":               {"change in violent events, last 3 months against the 9 before (log ratio)", false},
	"violent_months.12":           {"months with violent events in the last year", false},
	"battle.t":                    {"battles in the month", true},
	"battle.12":                   {"battles in the last year", true},
	"civilians.t":                 {"violence against civilians in the month", true},
	"civilians.12":                {"violence against civilians in the last year", true},
	"violent.months_since":        {"months since the last violent event", true},
	"fatal.months_since":          {"months since the last death", true},
	"active.months_120":           {"months with 25+ deaths (1+ for an area) in the last 10 years", false},
	"nb.fat.12":                   {"deaths in neighbouring countries in the last year", true},
	"nb.violent.12":               {"violent events in neighbouring countries in the last year", true},
	"nb.fat.trend":                {"change in neighbouring countries' deaths, last 3 months against the 9 before (log ratio)", false},
	"others.fat.3":                {"deaths in the rest of the country in the last 3 months", true},
	"others.fat.12":               {"deaths in the rest of the country in the last year", true},
	"country.violent.3":           {"violent events in the whole country in the last 3 months", true},
	"country.fat.12":              {"deaths in the whole country in the last year", true},
	"country.fat.trend":           {"change in the whole country's deaths, last 3 months against the 9 before (log ratio)", false},
	"areas.fatal_3":               {"other areas of the country with deaths in the last 3 months", true},
	"areas.new_3":                 {"areas of the country with violence in the last 3 months after a quiet year", true},
	"cov.log_pop":                 {"population (log)", false},
	"cov.log_gdppc":               {"GDP per head (log)", false},
	"cov.gdppc_growth":            {"GDP per head growth, %", false},
	"cov.log_infmort":             {"infant mortality (log)", false},
}

// factors returns the k largest contributions coef[j]·(x[j]−mean[j]) in
// absolute value, as text.
func factors(names []string, coef, mean, x, raw []float64, k int, up, down string) []Factor {
	var out []Factor
	for j, n := range names {
		e := coef[j] * (x[j] - mean[j])
		if e == 0 || math.IsNaN(e) {
			continue
		}
		ft, ok := featureText[n]
		if !ok {
			ft.label = n
		}
		v := x[j]
		shown := fmt.Sprintf("%.4g", v)
		if math.IsNaN(raw[j]) {
			shown = "unknown (typical value used)"
		} else if ft.log {
			v = math.Expm1(v)
			shown = fmt.Sprintf("%.0f", v)
		}
		dir := up
		if e < 0 {
			dir = down
		}
		out = append(out, Factor{Feature: n, Value: v, Effect: e, Text: fmt.Sprintf("%s: %s (%s)", ft.label, shown, dir)})
	}
	sort.SliceStable(out, func(a, b int) bool { return math.Abs(out[a].Effect) > math.Abs(out[b].Effect) })
	return out[:min(k, len(out))]
}

// RunOptions configure MonthlyRun.
type RunOptions struct {
	Target   Target
	Horizons []int // months ahead (nil: 1 to 6)
	Lambda   float64
	GBT      GBTConfig
	MaxTrain int // as MonthlyBacktestOptions
	// Ensemble combines and calibrates the learners, as in the backtest
	// (zero: DefaultEnsemble).
	Ensemble EnsembleConfig
	Seed     uint64
	Factors  int       // top factors kept per forecast (0: 5)
	Now      time.Time // the CreatedAt stamp
}

// MonthlyRun forecasts target for every place of mp, for each horizon h,
// the month h after the panel's last (the data cut-off), with the
// production models. For active and onset: logit and gbt fitted on every
// row whose outcome is known at the cut-off, combined and calibrated as
// in the backtest (opts.Ensemble, FitEnsemble) on the out-of-sample
// forecasts, by models fitted 12 months earlier, of the known outcome
// months of the last 12 whose origins are no earlier than those models'
// cut-off. For fatalities: lognormal, the better
// of the two count models in the backtest. Onset is
// forecast only for places at risk. Factors come from the logit (the
// log1p ridge regression for fatalities): the largest coefficient × (value −
// training mean) terms.
func MonthlyRun(ctx context.Context, mp *MonthlyPanel, opts RunOptions) ([]Forecast, error) {
	if len(opts.Horizons) == 0 {
		opts.Horizons = []int{1, 2, 3, 4, 5, 6}
	}
	setDefault(&opts.Factors, 5)
	setDefault(&opts.MaxTrain, 40000)
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
	last := mp.Months - 1
	cutoff := mp.Month(last).AddDate(0, 1, -1)
	names := mp.FeatureNames()
	var out []Forecast
	for _, h := range opts.Horizons {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if h < 1 || h > 6 {
			return nil, fmt.Errorf("forecast run: horizon %d: want 1 to 6", h)
		}
		fs, err := runHorizon(mp, opts, h, last, names)
		if err != nil {
			return nil, fmt.Errorf("forecast run: %s horizon %d: %w", opts.Target, h, err)
		}
		for i := range fs {
			fs[i].Cutoff, fs[i].CreatedAt = cutoff, opts.Now
		}
		out = append(out, fs...)
	}
	return out, nil
}

func runHorizon(mp *MonthlyPanel, opts RunOptions, h, last int, names []string) ([]Forecast, error) {
	binary := opts.Target != Fatalities
	// Candidate rows whose outcome is known at the cut-off.
	var rows []mrow
	for t := 11; t+h <= last; t++ {
		for p := range mp.Places {
			o, ok := mp.Outcome(opts.Target, p, t, h)
			if ok && o.AtRisk {
				rows = append(rows, mrow{p: p, t: t, y: o.Value})
			}
		}
	}
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
	// The forecast rows: every place at the cut-off (onset: at risk).
	var test []int
	for p := range mp.Places {
		r := mrow{p: p, t: last}
		if opts.Target == Onset {
			at := true
			for m := last + h - mp.Unit.QuietMonths(); m <= last; m++ {
				at = at && !mp.active(p, m)
			}
			if !at {
				continue
			}
		}
		r.x = mp.Row(p, last)
		test = append(test, len(rows))
		rows = append(rows, r)
	}
	var kept, early, recent []int
	for i := range rows[:len(rows)-len(test)] {
		r := &rows[i]
		r.kept = (binary && r.y > 0) || unitHash(opts.Seed, r.p, r.t) < rate
		T := r.t + h
		if r.kept || T > last-12 {
			r.x = mp.Row(r.p, r.t)
		}
		if r.kept {
			kept = append(kept, i)
			if T <= last-12 {
				early = append(early, i)
			}
		}
		// Forecasts from origins at or after last-12, when the
		// calibration models' training outcomes were all known.
		if T > last-12 && r.t >= last-12 {
			recent = append(recent, i)
		}
	}
	mopts := MonthlyBacktestOptions{Lambda: opts.Lambda, GBT: opts.GBT}
	xtrain, xtest, y := fillRows(rows, kept, test)
	means := make([]float64, len(names))
	for _, x := range xtrain {
		for j, v := range x {
			means[j] += v / float64(len(xtrain))
		}
	}
	var out []Forecast
	base := func(i int) Forecast {
		pl := mp.Places[rows[i].p]
		period := mp.Month(rows[i].t + h)
		return Forecast{Target: opts.Target, Unit: mp.Unit, Country: pl.Country, Admin1: pl.Admin1, Period: period, Horizon: h,
			ModelVersion: MonthlyModelVersion, Probability: math.NaN(), Mean: math.NaN(), Lo80: math.NaN(), Hi80: math.NaN()}
	}
	if !binary {
		ln, err := FitLogNormal(xtrain, y, opts.Lambda)
		if err != nil {
			return nil, err
		}
		for k, i := range test {
			d := ln.Predict(xtest[k])
			f := base(i)
			f.Model, f.Mean, f.Lo80, f.Hi80 = ModelLogNormal, d.Expected(), d.Quantile(0.1), d.Quantile(0.9)
			f.Factors = factors(names, ln.Coef, means, xtest[k], rows[i].x, opts.Factors, "raises expected deaths", "lowers expected deaths")
			out = append(out, f)
		}
		return out, nil
	}
	if events(y) == 0 {
		return nil, fmt.Errorf("no %s among %d training rows", opts.Target, len(y))
	}
	offset := math.Log(rate)
	// Calibration: models fitted on outcomes known 12 months before the
	// cut-off forecast the last 12 known months.
	ens := Ensemble{Config: opts.Ensemble, B: 1} // uncalibrated without earlier forecasts
	if len(early) > 0 && len(recent) > 0 {
		sub := slices.Clone(rows)
		for i := range sub {
			sub[i].kept = false
		}
		for _, i := range early {
			sub[i].kept = true
		}
		var train []int
		for i := range sub[:len(sub)-len(test)] {
			if sub[i].t+h <= last-12 {
				train = append(train, i)
			}
		}
		p, err := fitMonthlyBinary(sub, train, recent, offset, mopts)
		if err == nil {
			var pts []CalPoint
			for k, i := range recent {
				pts = append(pts, CalPoint{Logit: p[ModelLogit][k], GBT: p[ModelGBT][k], Y: rows[i].y, Period: float64(rows[i].t+h) / 12})
			}
			if ens, err = FitEnsemble(pts, float64(last)/12, opts.Ensemble); err != nil {
				return nil, err
			}
		}
	}
	lg, err := FitLogit(xtrain, y, nil, opts.Lambda)
	if err != nil {
		return nil, err
	}
	gb, err := FitGBT(xtrain, y, opts.GBT)
	if err != nil {
		return nil, err
	}
	for k, i := range test {
		x := xtest[k]
		p := ens.Apply(sigmoid(logit(clampP(lg.Predict(x)))+offset), sigmoid(logit(clampP(gb.Predict(x)))+offset))
		f := base(i)
		f.Model, f.Probability = ModelEnsemble, p
		f.Factors = factors(names, lg.Coef, means, x, rows[i].x, opts.Factors, "raises risk", "lowers risk")
		out = append(out, f)
	}
	return out, nil
}
