package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/app"
	"threshold/internal/forecast"
)

// monthlyArgs are forecast backtest's settings for a monthly target: the
// pointers are the monthly flags, the values copied from the flags both
// kinds of target share once they are parsed.
type monthlyArgs struct {
	unit              *string
	retrain, maxTrain *int
	warmup            *int
	html              *string
	trainFrom         *string

	target      forecast.Target
	predictions string
	horizon     int
	from, to    string
	replicates  int
	seed        uint64
	lambda      float64
	gbt         forecast.GBTConfig
	asJSON      bool
	db          string
	calWindow   int
}

// monthlyFlags adds the monthly targets' flags to fs.
func monthlyFlags(fs *flag.FlagSet) *monthlyArgs {
	return &monthlyArgs{
		unit:      fs.String("unit", string(forecast.CountryMonth), "monthly targets: country-month or admin1-month"),
		retrain:   fs.Int("retrain", 12, "monthly targets: outcome months forecast by one fit"),
		maxTrain:  fs.Int("max-train", 40000, "monthly targets: most training rows for the learners (non-events subsampled, log odds corrected)"),
		warmup:    fs.Int("warmup-months", 24, "monthly targets: outcome months before --from forecast to calibrate the ensemble"),
		html:      fs.String("html", "", "monthly targets: write an HTML report with reliability diagrams and ROC and PR curves"),
		trainFrom: fs.String("train-from-month", "", "monthly targets: first origin month of training rows (YYYY-MM; default the data's twelfth month)"),
	}
}

func parseMonth(flagName, s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return t, usageError{fmt.Sprintf("%s %q: want YYYY-MM", flagName, s)}
	}
	return t, nil
}

func runMonthlyBacktest(ctx context.Context, env *Env, a *monthlyArgs) error {
	unit := forecast.Unit(*a.unit)
	if !unit.Valid() {
		return usageError{fmt.Sprintf("--unit %q: want country-month or admin1-month", *a.unit)}
	}
	from, err := parseMonth("--from", a.from)
	if err != nil {
		return err
	}
	to, err := parseMonth("--to", a.to)
	if err != nil {
		return err
	}
	var trainFrom time.Time
	if *a.trainFrom != "" {
		if trainFrom, err = parseMonth("--train-from-month", *a.trainFrom); err != nil {
			return err
		}
	}
	if a.predictions != "" && a.target == forecast.Fatalities {
		return usageError{"--predictions: active and onset only (fatalities forecasts are distributions)"}
	}
	if a.horizon < 1 || a.horizon > 6 || from.After(to) || *a.retrain < 1 || *a.maxTrain < 100 || *a.warmup < 1 || a.replicates < 0 {
		return usageError{"--horizon 1 to 6, --from not after --to, --retrain and --warmup-months 1 or more, --max-train 100 or more"}
	}
	st, err := openDB(ctx, a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	mp, err := app.MonthlyPanel(ctx, st, unit, time.Time{})
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := forecast.MonthlyBacktest(ctx, mp, forecast.MonthlyBacktestOptions{
		Target: a.target, Horizon: a.horizon, From: from, To: to, TrainFrom: trainFrom, Retrain: *a.retrain,
		Warmup: *a.warmup, MaxTrain: *a.maxTrain, CalibrationWindow: a.calWindow, Lambda: a.lambda, GBT: a.gbt, Replicates: a.replicates, Seed: a.seed, Log: env.Log,
	})
	if err != nil {
		return err
	}
	rep := res.Report
	rep.Notes = append(rep.Notes, fmt.Sprintf("whole run %.1f s", time.Since(start).Seconds()))
	if a.predictions != "" {
		if err := writePredictions(a.predictions, res.Predictions); err != nil {
			return err
		}
	}
	if *a.html != "" {
		if err := forecast.WriteHTMLFile(*a.html, res); err != nil {
			return err
		}
	}
	if a.asJSON {
		return json.NewEncoder(env.Stdout).Encode(monthlyJSONSafe(rep))
	}
	printMonthlyReport(env, rep)
	return nil
}

// monthlyJSONSafe returns the report with NaN statistics as -1 (see
// jsonSafe).
func monthlyJSONSafe(r *forecast.MonthlyReport) *forecast.MonthlyReport {
	c := *r
	y := jsonSafe(&forecast.Report{Models: r.Models, Differences: r.Differences})
	c.Models, c.Differences = y.Models, y.Differences
	fix := func(iv *forecast.Interval) {
		for _, f := range []*float64{&iv.Value, &iv.Lo, &iv.Hi} {
			if math.IsNaN(*f) {
				*f = -1
			}
		}
	}
	c.CountModels = append([]forecast.CountScore(nil), r.CountModels...)
	for i := range c.CountModels {
		fix(&c.CountModels[i].CRPS)
		fix(&c.CountModels[i].MAE)
	}
	c.CountDifferences = append([]forecast.CountDifference(nil), r.CountDifferences...)
	for i := range c.CountDifferences {
		fix(&c.CountDifferences[i].CRPS)
	}
	return &c
}

func printMonthlyReport(env *Env, r *forecast.MonthlyReport) {
	what := "onsets"
	switch r.Target {
	case forecast.Active:
		what = "active months"
	case forecast.Fatalities:
		what = "months with fatalities"
	}
	fmt.Fprintf(env.Stdout, "%s, %s, horizon %d, outcome months %s to %s (training from origin %s): %d %ss of %d places, %d %s\n",
		r.Target, r.Unit, r.Horizon, r.From, r.To, r.TrainFrom, r.Scored, r.Unit, r.Places, r.Events, what)
	fmt.Fprintf(env.Stdout, "%d fits (one per %d outcome months), %.2f s each; learners' non-event sampling rate %.3g; 95%% intervals from %d bootstrap replicates\n\n",
		r.Fits, r.Retrain, r.FitSeconds, r.SampleRate, r.Replicates)
	if len(r.Models) > 0 {
		events := "onsets"
		if r.Target == forecast.Active {
			events = "active"
		}
		printScoreTables(env, r.Models, r.Differences, events)
		fmt.Fprintln(env.Stdout)
	}
	if len(r.CountModels) > 0 {
		iv := func(i forecast.Interval, prec int) string {
			if math.IsNaN(i.Lo) {
				return strconv.FormatFloat(i.Value, 'f', prec, 64)
			}
			return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, i.Value, prec, i.Lo, prec, i.Hi)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "model\tCRPS\tMAE of median\t80% coverage\t80% width")
		for _, m := range r.CountModels {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.1f\n", m.Model, iv(m.CRPS, 2), iv(m.MAE, 2), m.Coverage80, m.Width80)
		}
		tw.Flush()
		fmt.Fprintln(env.Stdout)
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "difference\tCRPS")
		for _, d := range r.CountDifferences {
			fmt.Fprintf(tw, "%s - %s\t%s\n", d.Model, d.Reference, iv(d.CRPS, 2))
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(env.Stdout, "note: %s\n", n)
	}
}

const forecastRunHelp = `
usage: threshold forecast run [--db DB] [--target active|onset|fatalities|all]
                              [--unit country-month|admin1-month|all] [--horizons 1,2,3,4,5,6] [--json]

Forecast run fits the production monthly models on every month of the month
indicators in the store (see 'threshold forecast backtest' for the targets,
features and models) and stores, for every place, the forecasts of the 1 to 6
months after the data cut-off (the last day of the last month with data): a
probability for active and onset (onset only for places at risk), the mean and
80% interval of fatalities, each with the model version, the cut-off and its
top contributing factors in plain language (the logistic regression's, or the
log1p ridge regression's, largest coefficient x (value - training mean) terms).
A re-run on the same data replaces those rows; forecasts of earlier cut-offs
stay. Alert rules with a forecast condition fire on the latest probabilities.
`

func runForecastRun(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("forecast run", forecastRunHelp, env)
	db := dbFlag(fs, env)
	target := fs.String("target", "all", "active, onset, fatalities or all")
	unitFlag := fs.String("unit", "all", "country-month, admin1-month or all")
	horizons := fs.String("horizons", "1,2,3,4,5,6", "months ahead, comma-separated")
	asJSON := fs.Bool("json", false, "print the forecasts stored as JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	targets := []forecast.Target{forecast.Active, forecast.Onset, forecast.Fatalities}
	if *target != "all" {
		t := forecast.Target(*target)
		if !slices.Contains(targets, t) {
			return usageError{fmt.Sprintf("--target %q: want active, onset, fatalities or all", *target)}
		}
		targets = []forecast.Target{t}
	}
	units := []forecast.Unit{forecast.CountryMonth, forecast.Admin1Month}
	if *unitFlag != "all" {
		u := forecast.Unit(*unitFlag)
		if !u.Valid() {
			return usageError{fmt.Sprintf("--unit %q: want country-month, admin1-month or all", *unitFlag)}
		}
		units = []forecast.Unit{u}
	}
	var hs []int
	for _, s := range strings.Split(*horizons, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || h < 1 || h > 6 {
			return usageError{fmt.Sprintf("--horizons %q: want months 1 to 6, comma-separated", *horizons)}
		}
		hs = append(hs, h)
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	var all []forecast.Forecast
	for _, u := range units {
		mp, err := app.MonthlyPanel(ctx, st, u, time.Time{})
		if *unitFlag == "all" && errors.Is(err, forecast.ErrNoPlaces) {
			env.Log.Warn("no forecasts", "unit", u, "reason", err)
			continue
		}
		if err != nil {
			return err
		}
		for _, t := range targets {
			start := time.Now()
			fcs, err := app.StoreMonthlyForecasts(ctx, st, mp, forecast.RunOptions{Target: t, Horizons: hs, Now: time.Now().UTC()})
			if err != nil {
				return err
			}
			env.Log.Info("forecasts stored", "target", t, "unit", u, "forecasts", len(fcs), "seconds", time.Since(start).Seconds())
			all = append(all, fcs...)
		}
	}
	if *asJSON {
		out := make([]forecastJSON, len(all))
		for i, f := range all {
			out[i] = toForecastJSON(f)
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tunit\tforecasts\tcut-off\tmonths")
	type key struct {
		t forecast.Target
		u forecast.Unit
	}
	n := map[key]int{}
	var order []key
	for _, f := range all {
		k := key{f.Target, f.Unit}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	for _, k := range order {
		var cut time.Time
		var first, last time.Time
		for _, f := range all {
			if f.Target == k.t && f.Unit == k.u {
				cut = f.Cutoff
				if first.IsZero() || f.Period.Before(first) {
					first = f.Period
				}
				if f.Period.After(last) {
					last = f.Period
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s to %s\n", k.t, k.u, n[k], cut.Format(time.DateOnly), first.Format("2006-01"), last.Format("2006-01"))
	}
	return tw.Flush()
}

// forecastJSON is a stored forecast with null for the statistics its
// target does not have.
type forecastJSON struct {
	forecast.Forecast
	Probability *float64 `json:"probability"`
	Mean        *float64 `json:"mean"`
	Lo80        *float64 `json:"lo80"`
	Hi80        *float64 `json:"hi80"`
}

func toForecastJSON(f forecast.Forecast) forecastJSON {
	ptr := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	return forecastJSON{Forecast: f, Probability: ptr(f.Probability), Mean: ptr(f.Mean), Lo80: ptr(f.Lo80), Hi80: ptr(f.Hi80)}
}
