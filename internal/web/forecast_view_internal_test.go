package web

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"threshold/internal/indicator"
	"threshold/internal/store"
)

func TestFormatProb(t *testing.T) {
	tests := []struct {
		p    float64
		want string
	}{
		{0, "<0.1%"},
		{0.0004, "<0.1%"},
		{0.004, "0.4%"},
		{0.0912, "9.1%"},
		{0.1, "10%"},
		{0.624, "62%"},
		{0.9949, "99%"},
		{0.9962, "99.6%"},
		{0.9996, ">99.9%"},
		{1, ">99.9%"},
		{math.NaN(), "–"},
	}
	for _, tt := range tests {
		if got := formatProb(tt.p); got != tt.want {
			t.Errorf("formatProb(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestProbClassOf(t *testing.T) {
	tests := []struct {
		p    float64
		want string
	}{
		{0, "c0"}, {0.009, "c0"}, {0.01, "c1"}, {0.049, "c1"}, {0.05, "c2"},
		{0.1, "c3"}, {0.2499, "c3"}, {0.25, "c4"}, {0.5, "c5"}, {1, "c5"},
	}
	for _, tt := range tests {
		if got := probClassOf(tt.p).Name; got != tt.want {
			t.Errorf("probClassOf(%v) = %s, want %s", tt.p, got, tt.want)
		}
	}
}

func ym(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// TestObservedOutcome checks the outcomes the history shows against the
// targets' definitions: active 25+ deaths; onset the same after 12
// months with fewer; months after the data unknown.
func TestObservedOutcome(t *testing.T) {
	deaths := map[time.Time]float64{
		ym(2020, 1):  30, // active
		ym(2021, 1):  40, // 12 months after an active month: no onset
		ym(2022, 3):  25, // 14 quiet months before: onset
		ym(2022, 4):  24, // below the threshold
		ym(2022, 12): 1,
	}
	var vals []indicator.Value
	for m, v := range deaths {
		vals = append(vals, indicator.Value{Kind: indicator.Month, Start: m, Name: indicator.FatalitiesBest, Value: v})
	}
	// The latest run's cut-off, 31 Jan 2023, makes January 2023 known
	// although it had no events.
	o := newObserved(vals, []store.Forecast{{Cutoff: time.Date(2023, 1, 31, 0, 0, 0, 0, time.UTC)}})
	tests := []struct {
		target string
		m      time.Time
		want   float64
		known  bool
	}{
		{targetActive, ym(2020, 1), 1, true},
		{targetActive, ym(2022, 4), 0, true},
		{targetActive, ym(2023, 1), 0, true},
		{targetActive, ym(2023, 2), 0, false},
		{targetOnset, ym(2021, 1), 0, true},
		{targetOnset, ym(2022, 3), 1, true},
		{targetOnset, ym(2022, 5), 0, true},
		{targetFatalities, ym(2022, 4), 24, true},
		{targetFatalities, ym(2022, 6), 0, true},
		{targetFatalities, ym(2023, 3), 0, false},
	}
	for _, tt := range tests {
		got, known := o.outcome(tt.target, tt.m)
		if got != tt.want || known != tt.known {
			t.Errorf("outcome(%s, %s) = %v, %v; want %v, %v", tt.target, tt.m.Format("2006-01"), got, known, tt.want, tt.known)
		}
	}
}

func TestLatestTable(t *testing.T) {
	factors, _ := json.Marshal([]map[string]any{{"feature": "fat.t", "text": "deaths in the month: 79 (raises risk)"}})
	nov, dec := time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	fs := []store.Forecast{
		{Target: targetActive, Period: ym(2022, 12), Horizon: 1, Cutoff: nov, Model: "ensemble", ModelVersion: "monthly-1", Probability: 0.3},
		{Target: targetActive, Period: ym(2023, 2), Horizon: 2, Cutoff: dec, Model: "ensemble", ModelVersion: "monthly-1", Probability: 0.55, Factors: factors},
		{Target: targetActive, Period: ym(2023, 1), Horizon: 1, Cutoff: dec, Model: "ensemble", ModelVersion: "monthly-1", Probability: 0.62, Factors: factors},
	}
	got := latestTable(targetActive, fs)
	if got.Cutoff.ISO != "2022-12-31" || got.Version != "monthly-1" || got.Model != "ensemble" {
		t.Errorf("latest table %+v: want the cut-off 2022-12-31 of ensemble monthly-1", got)
	}
	var months, probs []string
	for _, r := range got.Rows {
		months, probs = append(months, r.Month), append(probs, r.Probability)
		if !slices.Equal(r.Factors, []string{"deaths in the month: 79 (raises risk)"}) {
			t.Errorf("%s: factors %q", r.Month, r.Factors)
		}
	}
	if !slices.Equal(months, []string{"Jan 2023", "Feb 2023"}) || !slices.Equal(probs, []string{"62%", "55%"}) {
		t.Errorf("rows %q %q, want Jan and Feb 2023 at 62%% and 55%%", months, probs)
	}

	fat := latestTable(targetFatalities, []store.Forecast{{Target: targetFatalities, Period: ym(2023, 1), Horizon: 1, Cutoff: dec,
		Probability: math.NaN(), Mean: 63.6, Lo80: 8.7, Hi80: 142.9}})
	if r := fat.Rows[0]; r.Mean != "64" || r.Interval != "9–143" || r.Probability != "" {
		t.Errorf("fatalities row %+v: want mean 64, interval 9–143", r)
	}
}

func TestHistoryOf(t *testing.T) {
	vals := []indicator.Value{
		{Kind: indicator.Month, Start: ym(2022, 1), Name: indicator.FatalitiesBest, Value: 100},
		{Kind: indicator.Month, Start: ym(2022, 2), Name: indicator.FatalitiesBest, Value: 3},
	}
	cut := func(m time.Time) time.Time { return m.AddDate(0, 0, -1) }
	old, newer := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	fs := []store.Forecast{
		{Target: targetActive, Period: ym(2022, 1), Horizon: 1, Cutoff: cut(ym(2022, 1)), Probability: 0.8, CreatedAt: old},
		// A later model version's forecast of the same month replaces the first.
		{Target: targetActive, Period: ym(2022, 1), Horizon: 1, Cutoff: cut(ym(2022, 1)), Probability: 0.6, CreatedAt: newer},
		{Target: targetActive, Period: ym(2022, 2), Horizon: 1, Cutoff: cut(ym(2022, 2)), Probability: 0.4, CreatedAt: old},
		{Target: targetActive, Period: ym(2022, 3), Horizon: 1, Cutoff: cut(ym(2022, 3)), Probability: 0.2, CreatedAt: old},
		{Target: targetActive, Period: ym(2022, 4), Horizon: 2, Cutoff: cut(ym(2022, 3)), Probability: 0.9, CreatedAt: old},
	}
	h := historyOf(targetActive, fs, newObserved(vals, fs))
	var got [][2]string
	for _, r := range h.Rows {
		got = append(got, [2]string{r.Month + " " + r.Forecast, r.Observed})
	}
	want := [][2]string{{"Mar 2022 20%", "not known yet"}, {"Feb 2022 40%", "no"}, {"Jan 2022 60%", "yes"}}
	if !slices.Equal(got, want) {
		t.Errorf("history rows %q, want %q", got, want)
	}
	// (0.6-1)² + (0.4-0)² over 2 months.
	if h.Scored != 2 || h.Brier != "0.160" {
		t.Errorf("scored %d, Brier %s; want 2, 0.160", h.Scored, h.Brier)
	}
	if h.Chart == nil || len(h.Chart.Points) != 3 || len(h.Chart.Outcomes) != 2 || !h.Chart.Outcomes[0].Happened || h.Chart.Outcomes[1].Happened {
		t.Errorf("chart %+v: want 3 points and 2 outcomes, the first happened", h.Chart)
	}
}

func TestAreaForecasts(t *testing.T) {
	fs := []store.Forecast{
		{Target: targetActive, Admin1: "Ouaka", Period: ym(2023, 1), Horizon: 1, Probability: 0.66},
		{Target: targetActive, Admin1: "Lobaye", Period: ym(2023, 1), Horizon: 1, Probability: 0.069},
		{Target: targetOnset, Admin1: "Lobaye", Period: ym(2023, 1), Horizon: 1, Probability: 0.075},
		{Target: targetActive, Admin1: "Lobaye", Period: ym(2023, 2), Horizon: 2, Probability: 0.9},
	}
	got := areaForecasts(fs)
	if len(got) != 2 {
		t.Fatalf("%d areas, want 2", len(got))
	}
	if a := got[0]; a.Name != "Ouaka" || a.Active != "66%" || !a.OnsetNotAtRisk {
		t.Errorf("first area %+v: want Ouaka, 66%%, not at risk of onset", a)
	}
	if a := got[1]; a.Name != "Lobaye" || a.Active != "6.9%" || a.Onset != "7.5%" || a.OnsetNotAtRisk {
		t.Errorf("second area %+v: want Lobaye, 6.9%%, onset 7.5%%", a)
	}
}

// fakeForecasts serves fixed forecasts and month indicators.
type fakeForecasts struct {
	fs   []store.Forecast
	vals []indicator.Value
}

func (f fakeForecasts) Forecasts(_ context.Context, q store.ForecastQuery) ([]store.Forecast, error) {
	var out []store.Forecast
	for _, x := range f.fs {
		if x.Unit == q.Unit && x.Country == q.Country {
			out = append(out, x)
		}
	}
	return out, nil
}

func (f fakeForecasts) Indicators(context.Context, store.IndicatorQuery) ([]indicator.Value, error) {
	return f.vals, nil
}

// TestCountryForecastsOnset: an onset forecast of an older cut-off than
// the latest run's is history, not the latest forecast.
func TestCountryForecastsOnset(t *testing.T) {
	nov, dec := time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	base := store.Forecast{Unit: unitCountryMonth, Country: "CAF", Horizon: 1, ModelVersion: "monthly-1", Mean: math.NaN(), Lo80: math.NaN(), Hi80: math.NaN()}
	with := func(target string, cutoff time.Time, p float64) store.Forecast {
		f := base
		f.Target, f.Cutoff, f.Period, f.Probability = target, cutoff, cutoff.AddDate(0, 0, 1), p
		return f
	}
	tests := []struct {
		name        string
		fs          []store.Forecast
		wantLatest  []string
		wantNoOnset bool
		wantNone    bool
	}{
		{"onset at the latest cut-off", []store.Forecast{with(targetActive, dec, 0.6), with(targetOnset, dec, 0.1)},
			[]string{targetActive, targetOnset}, false, false},
		{"onset only at an older cut-off", []store.Forecast{with(targetActive, nov, 0.2), with(targetOnset, nov, 0.1), with(targetActive, dec, 0.6)},
			[]string{targetActive}, true, false},
		{"nothing stored", nil, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &handler{Deps: Deps{Forecasts: fakeForecasts{fs: tt.fs}}}
			cf, err := h.countryForecasts(context.Background(), "CAF")
			if err != nil {
				t.Fatal(err)
			}
			var latest []string
			for _, l := range cf.Latest {
				latest = append(latest, l.Target)
			}
			if !slices.Equal(latest, tt.wantLatest) || cf.NoOnset != tt.wantNoOnset || cf.None != tt.wantNone {
				t.Errorf("latest %q, NoOnset %v, None %v; want %q, %v, %v", latest, cf.NoOnset, cf.None, tt.wantLatest, tt.wantNoOnset, tt.wantNone)
			}
		})
	}
}
