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
// the scored periods, then, over the files, the mean ratio of each
// candidate's log loss and Brier score to the first candidate's.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
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
	from, to, pool := period(*scoreFrom), period(*scoreTo), period(*poolFrom)
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
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "candidate\tlog loss\tBrier\tAUROC\tAUPR\tslope\t")
		var refLL, refBr float64
		for c, cfg := range cfgs {
			probs, y, err := replay(rows, cfg, h, monthly, from, to, pool)
			if err != nil {
				log.Fatalf("%s: %s: %v", file, cfg, err)
			}
			sc, _, err := forecast.ScoreModels([]string{"e"}, map[string][]float64{"e": probs}, y, forecast.ScoreOptions{})
			if err != nil {
				log.Fatal(err)
			}
			s := sc[0]
			if c == 0 {
				refLL, refBr = s.LogLoss.Value, s.Brier.Value
			}
			ratioLL[c] += s.LogLoss.Value / refLL / float64(flag.NArg())
			ratioBr[c] += s.Brier.Value / refBr / float64(flag.NArg())
			fmt.Fprintf(tw, "%s\t%.5f\t%.6f\t%.3f\t%.3f\t%.2f\t\n", cfg, s.LogLoss.Value, s.Brier.Value, s.AUROC.Value, s.AUPR.Value, s.CalibrationSlope.Value)
		}
		tw.Flush()
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

// replay forecasts the scored rows block by block with cfg fitted on the
// pool known at each block's origin.
func replay(rows []row, cfg forecast.EnsembleConfig, h int, monthly bool, from, to, pool int) (probs, y []float64, err error) {
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
	fits := map[int]forecast.Ensemble{}
	for _, r := range rows {
		if r.period < from || r.period > to {
			continue
		}
		b := blockOf(r.period)
		e, ok := fits[b]
		if !ok {
			var pts []forecast.CalPoint
			for _, q := range rows {
				if q.period >= pool && q.period <= b-h {
					pts = append(pts, forecast.CalPoint{Logit: q.pl, GBT: q.pg, Y: q.y, Period: years(q.period)})
				}
			}
			if e, err = forecast.FitEnsemble(pts, years(b-h), cfg); err != nil {
				return nil, nil, err
			}
			fits[b] = e
		}
		probs, y = append(probs, e.Apply(r.pl, r.pg)), append(y, r.y)
	}
	return probs, y, nil
}
