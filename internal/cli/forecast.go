package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"threshold/internal/forecast"
	"threshold/internal/geo"
)

const forecastHelp = `
usage: threshold forecast backtest [--db DB] --target mass-killing-onset|conflict-onset
                                   [--horizon H] --from YEAR --to YEAR
                                   [--predictions FILE.csv] [--replicates N] [--seed N]
                                   [--train-from YEAR] [--warmup N] [--json]
       threshold forecast backtest [--db DB] --target active|onset|fatalities
                                   [--unit country-month|admin1-month] [--horizon 1-6]
                                   --from YYYY-MM --to YYYY-MM [--retrain MONTHS]
                                   [--warmup-months N] [--max-train ROWS]
                                   [--train-from-month YYYY-MM] [--html FILE] [--json]
       threshold forecast run      (see 'threshold forecast run --help')

Forecast backtest runs a rolling-origin backtest of a country-year target
on the panels stored by 'threshold import' (EWP base data and predictors,
UCDP/PRIO ACD, UCDP BRD, coups, population, GDP, infant mortality; EWP's
fully out-of-sample forecasts to score beside ours).

For each outcome year T from --from to --to, every model is refitted on the
rows whose outcomes were known at the end of base year T-H (outcome years
up to T-H, base years from --train-from) and forecasts the at-risk
countries' outcome in T from their features at the end of T-H. Features use
only values of years up to the base year; columns holding later outcomes
or published forecasts are never inputs.

Models:
  base-rate     the training share of onsets
  unit-history  the country's own onset rate, shrunk toward the base rate
  persistence   the onset rate of training rows in the same state (an
                ongoing mass killing; a conflict in the last ten years)
  logit         L2-regularised logistic regression, standardised features
  gbt           gradient-boosted trees
  ensemble      a logistic regression on logit's and gbt's log odds (their
                mean weight shrunk toward 1, their difference toward equal
                weights), fitted on the earlier origins' out-of-sample
                forecasts of outcomes known at T-H (--warmup years before
                --from are forecast for it, unscored)
  ewp           mass-killing-onset only: the Early Warning Project's own
                forecast (risk_prev; risk_two_years_prior at horizon 2),
                scored only, on the country-years it covers

The learners' defaults (penalty 100; 150 trees of depth 3, learning rate
0.05, leaves of at least 5 in summed p(1-p), 80% row subsamples) were
chosen on outcome years 1980-1993 only, before any year of the peer
comparison (1994-2024) was scored; the flags below change them.

Scores: Brier, log loss, AUROC, AUPR (average precision), calibration slope
and a calibration table, with percentile bootstrap intervals (95%) from
resampling country-years (--replicates, seeded by --seed), and differences
between the ensemble and the baselines (and EWP) on the same replicates.

--predictions writes one CSV row per country, outcome year and model:
unit,ccode,iso3,period,year,model,probability,outcome (ccode: EWP's COW-based
code for mass killing, Gleditsch-Ward for conflict; period and year: the
outcome year). With --json the report is one JSON object.

Monthly targets come from the month indicators of the events in the store
('threshold ingest'): for each country (country-month) or admin-1 area
(admin1-month) with at least one event, months without events counting as
zero. active: 25 or more best-estimate deaths in the month (admin-1: 1 or
more); onset: active after 12 months that were not (admin-1: 6), forecast for
the places at risk (none of those months active up to the origin); fatalities:
the month's deaths as a predictive distribution. A forecast at the end of month
t for month t+H uses months up to t only: lags, sums over 3 and 12 months,
maxima, trends and decays of deaths, fatal events and violent events by
category (below the active threshold too), months since the last event, death
and active month, neighbours' violence, for an admin-1 area the rest of its
country's violence and the spread of events to new areas, protest and riot
trends, Goldstein scores where present, coup events, elections within the next 6 months (the calendar is known ahead), and,
where the panels are imported, the country-year covariates of the year before.

The models are refitted once per --retrain outcome months (12 by default) on
the rows whose outcomes were known at the origin of the block's first month;
each month is forecast from its own origin. When the training rows outnumber
--max-train, events are all kept and non-events drawn at the rate that meets
the cap, the learners' log odds being corrected by the log of that rate.
For onset the learners' defaults are monthly (penalty 50 for country-month,
300 for admin1-month; 100 trees of depth 3, learning rate 0.05, leaves of at
least 20 in summed p(1-p)), chosen on outcome months 1998-01 to 2004-12 only;
active and fatalities keep the country-year defaults. The flags override them.
Binary targets have the models above (persistence: the training rate among
rows in the same state at the origin, active at t, or any death in the last 12
months for onset); fatalities has base-rate and unit-history (empirical
distributions), persistence (last month's count), nb-glm (Poisson regression,
negative binomial dispersion by moments on the training residuals) and
lognormal (ridge regression of log1p deaths, normal on that scale), scored by
CRPS, the median's absolute error and the 80% interval's coverage and width.
--predictions writes active and onset forecasts in the CSV layout above, unit
being ISO3 or ISO3/admin-1, ccode 0 and period the outcome month (YYYY-MM).
--html writes a self-contained report with reliability diagrams and ROC and
precision-recall curves.

On the global UCDP GED extract (ged211_precise_location_subset_global) the
figures count only precisely located events, and its admin-1 areas are the
Natural Earth areas containing the events' coordinates (the extract names
none).
`

func runForecast(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			newFlags("forecast", forecastHelp, env).Usage()
			return nil
		}
		return usageError{"want a subcommand: backtest or run"}
	}
	switch args[0] {
	case "backtest":
		return runForecastBacktest(ctx, args[1:], env)
	case "run":
		return runForecastRun(ctx, args[1:], env)
	}
	return usageError{fmt.Sprintf("unknown subcommand %q (want backtest or run)", args[0])}
}

func runForecastBacktest(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("forecast backtest", forecastHelp, env)
	db := dbFlag(fs, env)
	target := fs.String("target", "", "mass-killing-onset or conflict-onset")
	horizon := fs.Int("horizon", 1, "years ahead")
	fromFlag := fs.String("from", "", "first outcome period scored: a year (country-year), YYYY-MM (monthly)")
	toFlag := fs.String("to", "", "last outcome period scored")
	m := monthlyFlags(fs)
	trainFrom := fs.Int("train-from", 1960, "first base year of training rows")
	warmup := fs.Int("warmup", 10, "outcome years before --from forecast to calibrate the ensemble")
	replicates := fs.Int("replicates", 1000, "bootstrap replicates")
	seed := fs.Uint64("seed", 1, "bootstrap seed")
	lambda := fs.Float64("lambda", forecast.DefaultLambda, "logistic regression's L2 penalty on standardised coefficients")
	trees := fs.Int("trees", forecast.DefaultGBT.Trees, "boosting rounds")
	depth := fs.Int("depth", forecast.DefaultGBT.Depth, "depth of each tree")
	rate := fs.Float64("learning-rate", forecast.DefaultGBT.LearningRate, "shrinkage of each tree")
	minHess := fs.Float64("min-hessian", forecast.DefaultGBT.MinHessian, "least sum of p(1-p) in a tree's leaf")
	calWindow := fs.Int("calibration-window", 0, "outcome years (months, for monthly targets) of earlier forecasts that calibrate the ensemble (0: all)")
	predictions := fs.String("predictions", "", "write every forecast to this CSV file")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	t := forecast.Target(*target)
	if t == forecast.Active || t == forecast.Onset || t == forecast.Fatalities {
		m.target, m.horizon, m.from, m.to, m.replicates, m.seed, m.asJSON, m.db = t, *horizon, *fromFlag, *toFlag, *replicates, *seed, *asJSON, *db
		// The learners' flags not given keep the monthly defaults.
		m.predictions, m.calWindow = *predictions, *calWindow
		m.lambda, m.gbt = forecast.MonthlyDefaults(t, forecast.Unit(*m.unit))
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "lambda":
				m.lambda = *lambda
			case "trees":
				m.gbt.Trees = *trees
			case "depth":
				m.gbt.Depth = *depth
			case "learning-rate":
				m.gbt.LearningRate = *rate
			case "min-hessian":
				m.gbt.MinHessian = *minHess
			}
		})
		return runMonthlyBacktest(ctx, env, m)
	}
	from, errFrom := strconv.Atoi(*fromFlag)
	to, errTo := strconv.Atoi(*toFlag)
	if errFrom != nil || errTo != nil {
		return usageError{"--from and --to are required years for a country-year target"}
	}
	if t != forecast.MassKillingOnset && t != forecast.ConflictOnset {
		return usageError{fmt.Sprintf("--target %q: want %s, %s, %s, %s or %s", *target, forecast.MassKillingOnset, forecast.ConflictOnset,
			forecast.Active, forecast.Onset, forecast.Fatalities)}
	}
	if from == 0 || to == 0 || from > to {
		return usageError{"--from and --to are required years, --from not after --to"}
	}
	if *horizon < 1 || *replicates < 0 || *warmup < 1 || *trees < 1 || *depth < 1 || *lambda <= 0 || *rate <= 0 || *calWindow < 0 {
		return usageError{"--horizon, --warmup, --trees and --depth must be 1 or more, --lambda and --learning-rate above 0, --replicates and --calibration-window not negative"}
	}
	gbt := forecast.DefaultGBT
	gbt.Trees, gbt.Depth, gbt.LearningRate, gbt.MinHessian = *trees, *depth, *rate, *minHess
	codes, err := geo.Load()
	if err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, preds, err := forecast.Backtest(ctx, st, forecast.BacktestOptions{
		Target: t, Horizon: *horizon, From: from, To: to, TrainFrom: *trainFrom, Warmup: *warmup,
		Lambda: *lambda, GBT: gbt, CalibrationWindow: *calWindow,
		Replicates: *replicates, Seed: *seed, Codes: codes, Log: env.Log,
	})
	if err != nil {
		return err
	}
	if *predictions != "" {
		if err := writePredictions(*predictions, preds); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(jsonSafe(rep))
	}
	printForecastReport(env, rep)
	return nil
}

// writePredictions writes the forecasts as CSV.
func writePredictions(path string, preds []forecast.Prediction) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	w := csv.NewWriter(f)
	w.Write([]string{"unit", "ccode", "iso3", "period", "year", "model", "probability", "outcome"})
	for _, p := range preds {
		w.Write([]string{p.Unit, strconv.Itoa(p.Code), p.ISO3, p.Period, strconv.Itoa(p.Year), p.Model,
			strconv.FormatFloat(p.Probability, 'g', 8, 64), strconv.Itoa(p.Outcome)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	return nil
}

// jsonSafe returns the report with NaN statistics (undefined, such as an
// AUROC without events, or interval ends without replicates) as -1 so that
// it encodes; the field docs say NaN, the JSON says -1.
func jsonSafe(r *forecast.Report) *forecast.Report {
	c := *r
	fix := func(iv *forecast.Interval) {
		for _, f := range []*float64{&iv.Value, &iv.Lo, &iv.Hi} {
			if math.IsNaN(*f) {
				*f = -1
			}
		}
	}
	c.Models = append([]forecast.Score(nil), r.Models...)
	for i := range c.Models {
		m := &c.Models[i]
		for _, iv := range []*forecast.Interval{&m.Brier, &m.LogLoss, &m.AUROC, &m.AUPR, &m.CalibrationSlope} {
			fix(iv)
		}
	}
	c.Differences = append([]forecast.Difference(nil), r.Differences...)
	for i := range c.Differences {
		d := &c.Differences[i]
		for _, iv := range []*forecast.Interval{&d.Brier, &d.LogLoss, &d.AUROC, &d.AUPR} {
			fix(iv)
		}
	}
	return &c
}

func printForecastReport(env *Env, r *forecast.Report) {
	fmt.Fprintf(env.Stdout, "%s, horizon %d, outcome years %d-%d (training from base year %d): %d country-years, %d onsets",
		r.Target, r.Horizon, r.From, r.To, r.TrainFrom, r.Scored, r.Events)
	if r.NoEWP > 0 {
		fmt.Fprintf(env.Stdout, " (%d at-risk country-years without an EWP forecast left out)", r.NoEWP)
	}
	fmt.Fprintf(env.Stdout, "\n%d origins, %.2f s each to train and forecast; 95%% intervals from %d bootstrap replicates\n\n",
		r.Origins, r.OriginSeconds, r.Replicates)
	printScoreTables(env, r.Models, r.Differences, "onsets")
	for _, n := range r.Notes {
		fmt.Fprintf(env.Stdout, "note: %s\n", n)
	}
}

// printScoreTables prints the models' scores, the differences and the
// ensemble's calibration table.
// printScoreTables prints the models' scores, their differences and the
// ensemble's calibration table, whose outcomes are named events
// ("onsets", "active").
func printScoreTables(env *Env, models []forecast.Score, diffs []forecast.Difference, events string) {
	iv := func(i forecast.Interval, prec int) string {
		if math.IsNaN(i.Lo) {
			return strconv.FormatFloat(i.Value, 'f', prec, 64)
		}
		return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, i.Value, prec, i.Lo, prec, i.Hi)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tBrier\tlog loss\tAUROC\tAUPR\tcalibration slope")
	for _, m := range models {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Model, iv(m.Brier, 5), iv(m.LogLoss, 4), iv(m.AUROC, 3), iv(m.AUPR, 3), iv(m.CalibrationSlope, 2))
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout)
	tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "difference\tBrier\tlog loss\tAUROC\tAUPR")
	for _, d := range diffs {
		fmt.Fprintf(tw, "%s - %s\t%s\t%s\t%s\t%s\n", d.Model, d.Reference, iv(d.Brier, 5), iv(d.LogLoss, 4), iv(d.AUROC, 3), iv(d.AUPR, 3))
	}
	tw.Flush()
	for _, m := range models {
		if m.Model != forecast.ModelEnsemble {
			continue
		}
		fmt.Fprintf(env.Stdout, "\nensemble calibration\n")
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "forecast\tn\t"+events+"\tmean forecast\tobserved")
		for _, b := range m.Calibration {
			fmt.Fprintf(tw, "(%.3f, %.3f]\t%d\t%d\t%.4f\t%.4f\n", b.Lo, b.Hi, b.N, b.Events, b.Forecast, b.Observed)
		}
		tw.Flush()
	}
}
