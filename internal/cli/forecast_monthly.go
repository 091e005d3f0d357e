package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"threshold/internal/forecast"
	"threshold/internal/indicator"
	"threshold/internal/store"
)

// monthlyArgs are forecast backtest's settings for a monthly target.
type monthlyArgs struct {
	target             forecast.Target
	unit               *string
	retrain, maxTrain  *int
	warmup             *int
	html               *string
	horizon            int
	from, to           string
	replicates         int
	seed               uint64
	lambda             float64
	gbt                forecast.GBTConfig
	asJSON             bool
	db                 string
	trainFromMonthFlag *string
}

// monthlyFlags adds the monthly targets' flags to fs.
func monthlyFlags(fs *flag.FlagSet) *monthlyArgs {
	return &monthlyArgs{
		unit:               fs.String("unit", string(forecast.CountryMonth), "monthly targets: country-month or admin1-month"),
		retrain:            fs.Int("retrain", 12, "monthly targets: outcome months forecast by one fit"),
		maxTrain:           fs.Int("max-train", 40000, "monthly targets: most training rows for the learners (non-events subsampled, log odds corrected)"),
		warmup:             fs.Int("warmup-months", 24, "monthly targets: outcome months before --from forecast to calibrate the ensemble"),
		html:               fs.String("html", "", "monthly targets: write an HTML report with reliability diagrams and ROC and PR curves"),
		trainFromMonthFlag: fs.String("train-from-month", "", "monthly targets: first origin month of training rows (YYYY-MM; default the data's twelfth month)"),
	}
}

// loadMonthlyPanel reads the month indicators, the election calendar and,
// where imported, the country-year covariates, cut at cutoff (zero: all).
func loadMonthlyPanel(ctx context.Context, st *store.DB, unit forecast.Unit, cutoff time.Time) (*forecast.MonthlyPanel, error) {
	q := store.IndicatorQuery{Kind: indicator.Month}
	if unit == forecast.CountryMonth {
		whole := ""
		q.Admin1 = &whole
	}
	values, err := st.Indicators(ctx, q)
	if err != nil {
		return nil, err
	}
	elections, err := st.Elections(ctx, nil, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	var cov *forecast.FeatureSet
	if ds, err := st.PanelDatasets(ctx); err != nil {
		return nil, err
	} else if len(ds) > 0 {
		if cov, err = forecast.LoadFeatures(ctx, st); err != nil {
			return nil, err
		}
	}
	return forecast.BuildMonthly(unit, values, elections, cutoff, cov)
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
	if *a.trainFromMonthFlag != "" {
		if trainFrom, err = parseMonth("--train-from-month", *a.trainFromMonthFlag); err != nil {
			return err
		}
	}
	if a.horizon < 1 || a.horizon > 6 || from.After(to) || *a.retrain < 1 || *a.maxTrain < 100 || *a.warmup < 1 || a.replicates < 0 {
		return usageError{"--horizon 1 to 6, --from not after --to, --retrain and --warmup-months 1 or more, --max-train 100 or more"}
	}
	st, err := openDB(ctx, a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	mp, err := loadMonthlyPanel(ctx, st, unit, time.Time{})
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := forecast.MonthlyBacktest(ctx, mp, forecast.MonthlyBacktestOptions{
		Target: a.target, Horizon: a.horizon, From: from, To: to, TrainFrom: trainFrom, Retrain: *a.retrain,
		Warmup: *a.warmup, MaxTrain: *a.maxTrain, Lambda: a.lambda, GBT: a.gbt, Replicates: a.replicates, Seed: a.seed, Log: env.Log,
	})
	if err != nil {
		return err
	}
	rep := res.Report
	rep.Notes = append(rep.Notes, fmt.Sprintf("whole run %.1f s", time.Since(start).Seconds()))
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
		printScoreTables(env, r.Models, r.Differences)
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
