// Command ensemble compares ways of combining and calibrating the
// forecast ensemble's two learners on their out-of-sample forecasts, as
// written by `threshold forecast backtest --predictions`. It replays the
// backtest's rolling calibration for each candidate: the forecasts of a
// block (an outcome year for country-year targets; the twelve months of a
// calendar year for monthly ones, whose backtests refit every 12 months
// from January) are combined by an ensemble fitted on the forecasts of
// outcome periods known at the block's origin (up to its first period
// minus the horizon) and no earlier than -pool-from:
//
//	go run ./bench/ensemble -score-from 1980 -score-to 1993 -pool-from 1970 mk-1.csv:1 co-2.csv:2
//	go run ./bench/ensemble -score-from 1998-01 -score-to 2004-12 -pool-from 1996-01 onset-1.csv:1
//
// Each FILE:H is a predictions file and its horizon. It prints each
// candidate's log loss, Brier score, AUROC, AUPR and calibration slope on
// the scored periods (with -replicates, its log loss difference to the
// first candidate with a bootstrap interval over rows; with -coef, each
// block's fitted coefficients), then, over the files, the mean ratio of
// each candidate's log loss and Brier score to the first candidate's.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/forecast"
)

type row struct {
	key       string // unit and period
	period    int    // year, or months since year 0
	pl, pg, y float64
}

func main() {
	scoreFrom := flag.String("score-from", "", "first outcome period scored (YYYY or YYYY-MM)")
	scoreTo := flag.String("score-to", "", "last outcome period scored")
	poolFrom := flag.String("pool-from", "", "first outcome period whose forecasts may calibrate")
	replicates := flag.Int("replicates", 0, "bootstrap replicates of each candidate's log loss difference to the first")
	coef := flag.Bool("coef", false, "print each block's fitted coefficients")
	groups := flag.String("sharpness", "", "instead, for each comma-separated period range FROM:TO, print the spread (standard deviation) of each learner's log odds and of their mean, and their calibration slopes")
	cands := flag.String("candidates", strings.Join(defaultCandidates, ";"), "ensembles to compare, ';'-separated (the first is the reference)")
	flag.Parse()
	var cfgs []forecast.EnsembleConfig
	for _, s := range strings.Split(*cands, ";") {
		c, err := forecast.ParseEnsemble(s)
		if err != nil {
			log.Fatal(err)
		}
		cfgs = append(cfgs, c)
	}
	monthly := strings.Contains(*scoreFrom, "-")
	var from, to, pool int
	if *groups == "" {
		from, to, pool = period(*scoreFrom), period(*scoreTo), period(*poolFrom)
	}
	ratioLL, ratioBr := make([]float64, len(cfgs)), make([]float64, len(cfgs))
	for _, arg := range flag.Args() {
		file, hs, ok := strings.Cut(arg, ":")
		h, err := strconv.Atoi(hs)
		if !ok || err != nil {
			log.Fatalf("%s: want FILE:HORIZON", arg)
		}
		rows, err := read(file)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\n%s (horizon %d)\n", file, h)
		if *groups != "" {
			sharpness(rows, *groups)
			continue
		}
		names := make([]string, len(cfgs))
		probs := map[string][]float64{}
		var y []float64
		var pairs [][2]string
		for c, cfg := range cfgs {
			names[c] = cfg.String()
			var fits []fit
			probs[names[c]], y, fits, err = replay(rows, cfg, h, monthly, from, to, pool)
			if err != nil {
				log.Fatalf("%s: %s: %v", file, cfg, err)
			}
			if c > 0 {
				pairs = append(pairs, [2]string{names[c], names[0]})
			}
			if *coef {
				for _, f := range fits {
					fmt.Printf("  %s block %d: %d calibration forecasts; A %.3f, B %.3f, C %.3f\n", cfg, f.block, f.n, f.e.A, f.e.B, f.e.C)
				}
			}
		}
		scores, diffs, err := forecast.ScoreModels(names, probs, y, forecast.ScoreOptions{Replicates: *replicates, Seed: 1, Pairs: pairs})
		if err != nil {
			log.Fatal(err)
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "candidate\tlog loss\tBrier\tAUROC\tAUPR\tslope\tlog loss - first\t")
		for c, s := range scores {
			ratioLL[c] += s.LogLoss.Value / scores[0].LogLoss.Value / float64(flag.NArg())
			ratioBr[c] += s.Brier.Value / scores[0].Brier.Value / float64(flag.NArg())
			d := ""
			if c > 0 && *replicates > 0 {
				iv := diffs[c-1].LogLoss
				d = fmt.Sprintf("%+.5f [%+.5f, %+.5f]", iv.Value, iv.Lo, iv.Hi)
			}
			fmt.Fprintf(tw, "%s\t%.5f\t%.6f\t%.3f\t%.3f\t%.2f\t%s\t\n", names[c], s.LogLoss.Value, s.Brier.Value, s.AUROC.Value, s.AUPR.Value, s.CalibrationSlope.Value, d)
		}
		tw.Flush()
	}
	if *groups != "" {
		return
	}
	fmt.Printf("\nmean ratio to %s over %d files\n", cfgs[0], flag.NArg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "candidate\tlog loss\tBrier\t")
	for c, cfg := range cfgs {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t\n", cfg, ratioLL[c], ratioBr[c])
	}
	tw.Flush()
}

var defaultCandidates = []string{
	"mean-platt", "none", "platt", "platt,half-life=2", "platt,half-life=5", "platt,slope-shrink=30",
	"stack,shrink=0", "stack,shrink=1", "stack,shrink=10", "stack,shrink=100", "stack,shrink=10,half-life=5",
	"isotonic", "isotonic,half-life=5",
}

// period reads YYYY as a year and YYYY-MM as months since year 0.
func period(s string) int {
	if y, m, ok := strings.Cut(s, "-"); ok {
		t, err := time.Parse("2006-01", y+"-"+m)
		if err != nil {
			log.Fatalf("period %q: %v", s, err)
		}
		return t.Year()*12 + int(t.Month()) - 1
	}
	y, err := strconv.Atoi(s)
	if err != nil {
		log.Fatalf("period %q: %v", s, err)
	}
	return y
}

// read returns the logit and gbt forecasts of a predictions file, one row
// per unit and period.
func read(file string) ([]row, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	byKey := map[string]*row{}
	var order []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		m := rec[col["model"]]
		if m != forecast.ModelLogit && m != forecast.ModelGBT {
			continue
		}
		key := rec[col["unit"]] + "|" + rec[col["period"]]
		rw, ok := byKey[key]
		if !ok {
			rw = &row{key: key, period: period(rec[col["period"]])}
			rw.y, _ = strconv.ParseFloat(rec[col["outcome"]], 64)
			byKey[key] = rw
			order = append(order, key)
		}
		p, err := strconv.ParseFloat(rec[col["probability"]], 64)
		if err != nil {
			return nil, err
		}
		if m == forecast.ModelLogit {
			rw.pl = p
		} else {
			rw.pg = p
		}
	}
	out := make([]row, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	slices.SortStableFunc(out, func(a, b row) int { return a.period - b.period })
	return out, nil
}

// sharpness prints, for each period range of spec, each learner's and
// their mean's log odds spread and calibration slope.
func sharpness(rows []row, spec string) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "periods\tn\tevents\tsd logit\tsd gbt\tsd mean\tslope logit\tslope gbt\tslope mean\t")
	for _, g := range strings.Split(spec, ",") {
		a, b, ok := strings.Cut(g, ":")
		if !ok {
			log.Fatalf("-sharpness %q: want FROM:TO ranges", spec)
		}
		from, to := period(a), period(b)
		probs := map[string][]float64{}
		var y []float64
		var l1, l2, u []float64
		for _, r := range rows {
			if r.period < from || r.period > to {
				continue
			}
			x1, x2 := logOdds(r.pl), logOdds(r.pg)
			l1, l2, u = append(l1, x1), append(l2, x2), append(u, (x1+x2)/2)
			probs["logit"] = append(probs["logit"], r.pl)
			probs["gbt"] = append(probs["gbt"], r.pg)
			probs["mean"] = append(probs["mean"], 1/(1+math.Exp(-(x1+x2)/2)))
			y = append(y, r.y)
		}
		sc, _, err := forecast.ScoreModels([]string{"logit", "gbt", "mean"}, probs, y, forecast.ScoreOptions{})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", g, len(y), sc[0].Events, sd(l1), sd(l2), sd(u),
			sc[0].CalibrationSlope.Value, sc[1].CalibrationSlope.Value, sc[2].CalibrationSlope.Value)
	}
	tw.Flush()
}

func logOdds(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

func sd(v []float64) float64 {
	m, s := 0.0, 0.0
	for _, x := range v {
		m += x / float64(len(v))
	}
	for _, x := range v {
		s += (x - m) * (x - m) / float64(len(v))
	}
	return math.Sqrt(s)
}

// fit is one block's fitted ensemble and the number of forecasts it was
// fitted on.
type fit struct {
	block, n int
	e        forecast.Ensemble
}

// replay forecasts the scored rows block by block with cfg fitted on the
// pool known at each block's origin.
func replay(rows []row, cfg forecast.EnsembleConfig, h int, monthly bool, from, to, pool int) (probs, y []float64, fits []fit, err error) {
	blockOf := func(p int) int {
		if monthly {
			return p - p%12
		}
		return p
	}
	years := func(p int) float64 {
		if monthly {
			return float64(p) / 12
		}
		return float64(p)
	}
	byBlock := map[int]forecast.Ensemble{}
	for _, r := range rows {
		if r.period < from || r.period > to {
			continue
		}
		b := blockOf(r.period)
		e, ok := byBlock[b]
		if !ok {
			var pts []forecast.CalPoint
			for _, q := range rows {
				if q.period >= pool && q.period <= b-h {
					pts = append(pts, forecast.CalPoint{Logit: q.pl, GBT: q.pg, Y: q.y, Period: years(q.period)})
				}
			}
			if e, err = forecast.FitEnsemble(pts, years(b-h), cfg); err != nil {
				return nil, nil, nil, err
			}
			byBlock[b] = e
			label := b
			if monthly {
				label = b / 12
			}
			fits = append(fits, fit{block: label, n: len(pts), e: e})
		}
		probs, y = append(probs, e.Apply(r.pl, r.pg)), append(y, r.y)
	}
	return probs, y, fits, nil
}
