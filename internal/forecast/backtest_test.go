package forecast

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"threshold/internal/panel"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// fileReader is a panel.Reader over files read in memory, holding only the
// years up to cut (0: all), as a store would before later data came in.
type fileReader struct {
	files []*panel.File
	cut   int
}

func (m fileReader) PanelValues(_ context.Context, q panel.Query) ([]panel.Value, error) {
	var out []panel.Value
	for _, f := range m.files {
		if q.Dataset != "" && f.Dataset != q.Dataset {
			continue
		}
		for _, v := range f.Values {
			if (len(q.Variables) == 0 || slices.Contains(q.Variables, v.Variable)) && (m.cut == 0 || v.Year <= m.cut) &&
				(q.ISO3 == "" || v.ISO3 == q.ISO3) && (q.From == 0 || v.Year >= q.From) && (q.To == 0 || v.Year <= q.To) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func (m fileReader) PanelDatasets(context.Context) ([]panel.Dataset, error) {
	var out []panel.Dataset
	for _, f := range m.files {
		d := panel.Dataset{Name: f.Dataset, Format: f.Format, Scheme: f.Scheme, FirstYear: f.FirstYear, LastYear: f.LastYear}
		if m.cut != 0 {
			d.LastYear = min(d.LastYear, m.cut)
		}
		out = append(out, d)
	}
	return out, nil
}

func (m fileReader) PanelVariables(_ context.Context, dataset string) ([]panel.Variable, error) {
	var out []panel.Variable
	for _, f := range m.files {
		if dataset == "" || f.Dataset == dataset {
			out = append(out, f.Variables...)
		}
	}
	return out, nil
}

// quickOptions keep a backtest short: few origins, small learners.
func quickOptions(t testing.TB, target Target, h, year int) BacktestOptions {
	return BacktestOptions{Target: target, Horizon: h, From: year, To: year, TrainFrom: 1985, Warmup: 2,
		GBT:   GBTConfig{Trees: 20, Depth: 2, LearningRate: 0.1, Lambda: 1, MinHessian: 1, Bins: 16, Subsample: 0.8, Seed: 1},
		Codes: loadCodes(t), Workers: 2}
}

func predictionsBy(ps []Prediction) map[[3]any]Prediction {
	m := map[[3]any]Prediction{}
	for _, p := range ps {
		m[[3]any{p.Model, p.Code, p.Year}] = p
	}
	return m
}

// No peeking: the forecasts of year T are the same whether or not the
// store holds anything after T (T's outcomes, needed to score, aside).
func TestBacktestUsesNothingAfterTheOrigin(t *testing.T) {
	files := realPanels(t)
	for _, tc := range []struct {
		target  Target
		h, year int
	}{
		{MassKillingOnset, 1, 2014},
		{ConflictOnset, 2, 2012},
	} {
		opts := quickOptions(t, tc.target, tc.h, tc.year)
		_, full, err := Backtest(context.Background(), fileReader{files: files}, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, cut, err := Backtest(context.Background(), fileReader{files: files, cut: tc.year}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(full) == 0 || len(full) != len(cut) {
			t.Fatalf("%s h=%d: %d forecasts with later years, %d without", tc.target, tc.h, len(full), len(cut))
		}
		byCut := predictionsBy(cut)
		for _, p := range full {
			q, ok := byCut[[3]any{p.Model, p.Code, p.Year}]
			if !ok || q.Probability != p.Probability || q.Outcome != p.Outcome {
				t.Errorf("%s h=%d %s %s %d: %+v with later years loaded, %+v without", tc.target, tc.h, p.Model, p.ISO3, p.Year, p, q)
			}
		}
	}
}

// No peeking at outcomes not yet known: at horizon 2, the outcomes of year
// T-1 are unknown when T is forecast (at the end of T-2), so rewriting
// them must change nothing about T's forecasts, the ensemble's
// calibration included.
func TestBacktestIgnoresOutcomesNotYetKnown(t *testing.T) {
	const year = 2014
	files := realPanels(t)
	opts := quickOptions(t, MassKillingOnset, 2, year)
	_, want, err := Backtest(context.Background(), fileReader{files: files}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rewritten := slices.Clone(files)
	changed := 0
	for i, f := range files {
		if f.Dataset != "ewp-base" {
			continue
		}
		g := *f
		g.Values = slices.Clone(f.Values)
		for j, v := range g.Values {
			if v.Variable == "mk_onset" && v.Year == year-1 && !v.Missing {
				g.Values[j].Num = 1 - v.Num
				changed++
			}
		}
		rewritten[i] = &g
	}
	if changed < 100 {
		t.Fatalf("rewrote %d outcomes of %d", changed, year-1)
	}
	_, got, err := Backtest(context.Background(), fileReader{files: rewritten}, opts)
	if err != nil {
		t.Fatal(err)
	}
	byGot := predictionsBy(got)
	for _, p := range want {
		if q := byGot[[3]any{p.Model, p.Code, p.Year}]; q != p {
			t.Errorf("%s %s %d: %g with %d's outcomes as they were, %g rewritten", p.Model, p.ISO3, p.Year, p.Probability, year-1, q.Probability)
		}
	}
}

// EWP's forecasts are scored as published, on the country-years it
// covers, against the same outcomes as ours.
func TestBacktestScoresEWPAsPublished(t *testing.T) {
	files := realPanels(t)
	opts := quickOptions(t, MassKillingOnset, 1, 2013)
	opts.From = 2009
	rep, preds, err := Backtest(context.Background(), fileReader{files: files}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// From the FOOS file itself.
	var foos *panel.File
	for _, f := range files {
		if f.Dataset == "ewp-foos" {
			foos = f
		}
	}
	risk, onset := map[unitYear]float64{}, map[unitYear]float64{}
	for _, v := range foos.Values {
		if v.Year < 2009 || v.Year > 2013 || v.Missing {
			continue
		}
		switch v.Variable {
		case "risk_prev":
			risk[unitYear{v.Code, v.Year}] = v.Num
		case "mk_onset":
			onset[unitYear{v.Code, v.Year}] = v.Num
		}
	}
	var p, y []float64
	for _, pr := range preds {
		if pr.Model != ModelEWP {
			continue
		}
		k := unitYear{pr.Code, pr.Year}
		if risk[k] != pr.Probability || onset[k] != float64(pr.Outcome) {
			t.Errorf("%s %d: ewp %g, outcome %d; the FOOS file has %g, %g", pr.ISO3, pr.Year, pr.Probability, pr.Outcome, risk[k], onset[k])
		}
		p, y = append(p, pr.Probability), append(y, float64(pr.Outcome))
	}
	if rep.Scored != len(p) || rep.Scored < len(risk)-5 {
		t.Errorf("scored %d country-years, %d ewp forecasts; the FOOS file has %d", rep.Scored, len(p), len(risk))
	}
	for _, s := range rep.Models {
		if s.N != rep.Scored {
			t.Errorf("%s scored on %d country-years, want %d: every model on the same", s.Model, s.N, rep.Scored)
		}
		if s.Model == ModelEWP && math.Abs(s.AUROC.Value-AUROC(p, y)) > 1e-12 {
			t.Errorf("ewp AUROC %g, from the FOOS file %g", s.AUROC.Value, AUROC(p, y))
		}
	}
	if rep.Events == 0 {
		t.Error("no onsets in 2009-2013: the test scores nothing")
	}
}

// The store serves the backtest what the files hold: through panel.Import
// into SQLite and PostgreSQL, the same forecasts as from memory.
func TestBacktestFromStore(t *testing.T) {
	names := [][2]string{
		{"ewp-sra", "basedata2025_4august2025.csv"},
		{"ewp-sra", "FOOSforecasts_3Sep2025.csv"},
		{"ucdp-acd", "UcdpPrioConflict_v25_1.csv"},
		{"ucdp-brd", "BattleDeaths_v25_1.csv"},
		{"coups", "ewp_all_coups_country_year.csv"},
	}
	codes := loadCodes(t)
	var paths []string
	var files []*panel.File
	for _, n := range names {
		paths = append(paths, testenv.SharedData(t, n[0], n[1]))
		files = append(files, readShared(t, codes, n[0], n[1]))
	}
	opts := quickOptions(t, MassKillingOnset, 1, 2016)
	_, want, err := Backtest(context.Background(), fileReader{files: files}, opts)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := panel.Import(ctx, db, codes, paths, panel.Options{}); err != nil {
			t.Fatal(err)
		}
		_, got, err := Backtest(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d forecasts from the store, %d from the files", len(got), len(want))
		}
		byFile := predictionsBy(want)
		for _, p := range got {
			if q := byFile[[3]any{p.Model, p.Code, p.Year}]; q != p {
				t.Errorf("from the store %+v, from the files %+v", p, q)
			}
		}
	})
}

// BenchmarkOrigin measures one origin of the mass-killing backtest:
// training the learners on every row known at the end of 2023 and
// forecasting 2024, with the default settings.
func BenchmarkOrigin(b *testing.B) {
	files := realPanels(b)
	ctx := context.Background()
	r := fileReader{files: files}
	fs, err := LoadFeatures(ctx, r)
	if err != nil {
		b.Fatal(err)
	}
	outcomes, err := Outcomes(ctx, r, MassKillingOnset, TargetOptions{Horizon: 1})
	if err != nil {
		b.Fatal(err)
	}
	var train, test []example
	for _, o := range outcomes {
		switch {
		case o.Year >= 1960 && o.OutcomeYear() <= 2023:
			train = append(train, example{o: o, x: fs.Row(o.ISO3, o.Year)})
		case o.OutcomeYear() == 2024:
			test = append(test, example{o: o, x: fs.Row(o.ISO3, o.Year)})
		}
	}
	opts := BacktestOptions{Lambda: DefaultLambda, GBT: DefaultGBT}
	for b.Loop() {
		if _, err := fitOrigin(train, test, slices.Index(fs.Names(), "mk.ongoing"), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(train)), "train-rows")
	b.ReportMetric(float64(len(fs.Names())), "features")
}

func TestBacktestRefuses(t *testing.T) {
	files := realPanels(t)
	tests := []struct {
		name   string
		modify func(*BacktestOptions)
		want   string
	}{
		{"years reversed", func(o *BacktestOptions) { o.From, o.To = 2010, 2000 }, "years 2010 to 2000"},
		{"horizon 0", func(o *BacktestOptions) { o.Horizon = 0 }, "horizon 0"},
		{"unknown target", func(o *BacktestOptions) { o.Target = "coups" }, `unknown target "coups"`},
		// EWP's base data has no onset in 2017 or 2018: trained on base
		// years from 2016, nothing to learn from for 2019.
		{"nothing to learn from", func(o *BacktestOptions) { o.TrainFrom, o.From, o.To = 2016, 2019, 2019 }, "no onset known at the end of 2018"},
	}
	for _, tc := range tests {
		opts := quickOptions(t, MassKillingOnset, 1, 2010)
		tc.modify(&opts)
		_, _, err := Backtest(context.Background(), fileReader{files: files}, opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}
