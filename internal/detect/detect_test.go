package detect

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// monthly builds a monthly series labelled 2020-01, 2020-02, … from values.
func monthly(subject string, values ...float64) Series {
	s := Series{Subject: subject, Period: Month, Values: values}
	for i := range values {
		s.Labels = append(s.Labels, fmt.Sprintf("%04d-%02d", 2020+i/12, 1+i%12))
	}
	return s
}

func repeat(v float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = v
	}
	return xs
}

func concat(parts ...[]float64) []float64 {
	var xs []float64
	for _, p := range parts {
		xs = append(xs, p...)
	}
	return xs
}

// syntheticPoisson returns n draws from Poisson(mean), seeded so the test
// is deterministic. The data are synthetic, not observed.
func syntheticPoisson(seed uint64, mean float64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 0))
	xs := make([]float64, n)
	for i := range xs {
		// Knuth's multiplication method; fine for small means.
		l, k, p := math.Exp(-mean), 0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				break
			}
			k++
		}
		xs[i] = float64(k)
	}
	return xs
}

func TestSurprise(t *testing.T) {
	c := DefaultConfig(Month)
	// Two histories with the same mean (10 a month): one steady, one
	// alternating 0 and 20 (over-dispersed).
	steady := repeat(10, 24)
	volatile := make([]float64, 24)
	for i := range volatile {
		volatile[i] = float64(20 * (i % 2))
	}
	tests := []struct {
		name      string
		values    []float64
		method    Method
		minScore  float64
		maxScore  float64
		wantAlarm bool
	}{
		{"all zeros then a spike", concat(repeat(0, 24), []float64{10}), SurprisePoisson, 15, MaxScore, true},
		{"all zeros then one death", concat(repeat(0, 24), []float64{1}), SurprisePoisson, 0.9, 1.1, false},
		{"all zeros stays zero", repeat(0, 25), SurprisePoisson, 0, 0, false},
		{"steady history, spike of 40", concat(steady, []float64{40}), SurprisePoisson, 10, MaxScore, true},
		{"over-dispersed history, same spike", concat(volatile, []float64{40}), SurpriseNegBin, 0.5, 3, false},
		{"steady history, usual month", concat(steady, []float64{11}), SurprisePoisson, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Surprise(monthly("deaths in Testland", tt.values...), c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Method != tt.method || d.Score < tt.minScore || d.Score > tt.maxScore || d.Alarm != tt.wantAlarm {
				t.Errorf("Surprise(%s) = %s score %.2f alarm %v, want %s score in [%g, %g] alarm %v\n%s",
					tt.name, d.Method, d.Score, d.Alarm, tt.method, tt.minScore, tt.maxScore, tt.wantAlarm, d.Explanation)
			}
		})
	}
}

// TestSurpriseDispersion checks that an over-dispersed history lowers the
// score of the same spike, across spike sizes.
func TestSurpriseDispersion(t *testing.T) {
	c := DefaultConfig(Month)
	steady := syntheticPoisson(1, 10, 24)
	volatile := make([]float64, 24)
	for i := range volatile {
		volatile[i] = []float64{0, 0, 3, 40, 2, 15}[i%6] // mean 10, variance ≈ 230
	}
	for _, spike := range []float64{20, 30, 60, 120} {
		a, err := Surprise(monthly("steady", concat(steady, []float64{spike})...), c)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Surprise(monthly("volatile", concat(volatile, []float64{spike})...), c)
		if err != nil {
			t.Fatal(err)
		}
		if b.Method != SurpriseNegBin {
			t.Errorf("volatile history fitted as %s, want %s", b.Method, SurpriseNegBin)
		}
		if !(b.Score < a.Score) {
			t.Errorf("spike %g: over-dispersed score %.2f, steady %.2f; want lower", spike, b.Score, a.Score)
		}
	}
}

// TestSteadyPoissonNoise replays synthetic Poisson series, seeded, and
// expects no alarms and low scores from either method.
func TestSteadyPoissonNoise(t *testing.T) {
	c := DefaultConfig(Month)
	for _, mean := range []float64{0.3, 2, 8, 25} {
		s := monthly(fmt.Sprintf("synthetic Poisson(%g)", mean), syntheticPoisson(uint64(mean*100), mean, 120)...)
		var sumScore float64
		var n int
		for i := 30; i < len(s.Values); i++ {
			ds, err := Detect(s.Through(i), c)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.Alarm {
					t.Errorf("%s at %s: %s alarm, score %.2f\n%s", s.Subject, d.Label, d.Method, d.Score, d.Explanation)
				}
			}
			sumScore += ds[0].Score
			n++
		}
		if avg := sumScore / float64(n); avg > 0.8 {
			t.Errorf("%s: mean surprise %.2f, want <= 0.8", s.Subject, avg)
		}
	}
}

func TestCUSUM(t *testing.T) {
	c := DefaultConfig(Month)
	base := syntheticPoisson(7, 10, 24)
	tests := []struct {
		name      string
		values    []float64
		wantAlarm bool
	}{
		{"sustained doubling", concat(base, []float64{19, 22, 18, 21, 20, 23}), true},
		{"steady", concat(base, syntheticPoisson(8, 10, 6)), false},
		{"one spike then back to normal", concat(base, []float64{45, 9, 10, 8, 11, 10}), false},
		{"zeros then steady small violence", concat(repeat(0, 24), []float64{1, 2, 1, 1, 2, 1}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := CUSUM(monthly("events in Testland", tt.values...), c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Alarm != tt.wantAlarm {
				t.Errorf("CUSUM(%s) alarm %v (score %.2f), want %v\n%s", tt.name, d.Alarm, d.Score, tt.wantAlarm, d.Explanation)
			}
		})
	}
	// A sustained doubling that no single month makes surprising.
	s := monthly("events in Testland", concat(base, []float64{19, 22, 18, 21, 20, 23})...)
	sd, err := Surprise(s, c)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Alarm {
		t.Errorf("Surprise on the last month of a gradual doubling alarmed (score %.2f); the test wants a case only CUSUM sees", sd.Score)
	}
}

func TestChangePoint(t *testing.T) {
	c := DefaultConfig(Month)
	base := syntheticPoisson(7, 10, 24)
	tests := []struct {
		name      string
		values    []float64
		wantAlarm bool
		want      string
	}{
		{"sustained rise to 2.25x", concat(base, []float64{9, 11, 22, 24, 21, 23}), true, "probably at a new, higher level since 2022-03"},
		{"steady", concat(base, syntheticPoisson(8, 10, 6)), false, "no sign of a recent move to a higher level"},
		{"fall", concat(base, []float64{2, 1, 0, 3, 1, 0}), false, "no sign"},
		{"zeros then violence", concat(repeat(0, 24), []float64{0, 0, 0, 5, 8, 6}), true, "since 2022-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ChangePoint(monthly("events in Testland", tt.values...), c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Alarm != tt.wantAlarm || !strings.Contains(d.Explanation, tt.want) || d.Method != MethodChangePoint {
				t.Errorf("ChangePoint(%s) = alarm %v (score %.2f), want %v and an explanation containing %q\n%s", tt.name, d.Alarm, d.Score, tt.wantAlarm, tt.want, d.Explanation)
			}
		})
	}
	for _, mean := range []float64{0.3, 2, 8, 25} {
		s := monthly(fmt.Sprintf("synthetic Poisson(%g)", mean), syntheticPoisson(uint64(mean*100), mean, 120)...)
		for i := 30; i < len(s.Values); i++ {
			d, err := ChangePoint(s.Through(i), c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Alarm {
				t.Errorf("%s at %s: change-point alarm, score %.2f\n%s", s.Subject, d.Label, d.Score, d.Explanation)
			}
		}
	}
}

func TestExplanation(t *testing.T) {
	c := DefaultConfig(Week)
	values := concat(repeat(6, 52), repeat(7, 52), []float64{40, 55, 52, 65})
	values[10], values[40], values[70], values[60] = 30, 25, 40, 0 // some dispersion
	s := Series{Subject: "fatalities in Jonglei", Period: Week, Values: values}
	for i := range values {
		s.Labels = append(s.Labels, fmt.Sprintf("%04d-W%02d", 2022+i/52, 1+i%52))
	}
	ds, err := Detect(s, c)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{ds[0].Explanation, ds[1].Explanation}
	want := []string{
		"fatalities in Jonglei in the 4 weeks 2024-W01 to 2024-W04: 212, 7.6x the weekly median of the past 2 years (7 a week). " +
			"Under a negative-binomial fit to that baseline (2022-W01 to 2023-W52; mean 7.2 a week, dispersion 4.1), " +
			"a total this high has a chance of less than 1 in a trillion (score 24.7, alarm at 3).",
		"fatalities in Jonglei in the 12 weeks 2023-W45 to 2024-W04: 268, 3.1x the 86 expected at the weekly mean of the past 96 weeks (7.2 a week). " +
			"Evidence of a sustained 2x rise since 2024-W01: odds of more than a trillion to 1 (CUSUM score 13.7, alarm at 2, first reached in 2024-W01).",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("explanations mismatch (-want +got):\n%s", diff)
	}
}

func TestExplanationPhrases(t *testing.T) {
	c := DefaultConfig(Month)
	tests := []struct {
		name   string
		values []float64
		want   []string
	}{
		{"after none", concat(repeat(0, 24), []float64{3}), []string{"in 2022-01: 3, after 24 months with none", "Poisson fit", "mean 0.1 a month"}},
		{"median zero", concat(repeat(0, 20), []float64{1, 0, 2, 0}, []float64{3}), []string{"against a monthly median of 0 over the past 2 years"}},
		{"short baseline", concat(repeat(5, 18), []float64{5}), []string{"the monthly median of the past 18 months (5 a month)", "unremarkable (probability 0.56"}},
		{"thousands", concat(repeat(1000, 24), []float64{1100}), []string{"1,100, 1.1x the monthly median of the past 2 years (1,000 a month)", "about 1 in "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Surprise(monthly("deaths in Testland", tt.values...), c)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(d.Explanation, w) {
					t.Errorf("explanation %q\ndoes not contain %q", d.Explanation, w)
				}
			}
		})
	}
}

func TestShortHistory(t *testing.T) {
	c := DefaultConfig(Month)
	s := monthly("deaths in Testland", repeat(1, 12)...)
	if _, err := Surprise(s, c); !errors.Is(err, ErrShortHistory) {
		t.Errorf("Surprise with 11 months of history: error %v, want ErrShortHistory", err)
	}
	if _, err := CUSUM(s, c); !errors.Is(err, ErrShortHistory) {
		t.Errorf("CUSUM with 6 months of history: error %v, want ErrShortHistory", err)
	}
	if _, err := Surprise(monthly("deaths in Testland", repeat(1, 13)...), c); err != nil {
		t.Errorf("Surprise with 12 months of history: %v", err)
	}
}

func TestSeriesValidate(t *testing.T) {
	ok := monthly("x", 1, 2)
	tests := []struct {
		name string
		s    Series
		want string
	}{
		{"ok", ok, ""},
		{"no period", Series{Subject: "x", Labels: []string{"a"}, Values: []float64{1}}, "unknown period 0"},
		{"empty", Series{Subject: "x", Period: Day}, "is empty"},
		{"labels", Series{Subject: "x", Period: Day, Labels: []string{"a"}, Values: []float64{1, 2}}, "1 labels for 2 values"},
		{"negative", monthly("x", 1, -1), "value -1 at 2020-02"},
		{"NaN", monthly("x", math.NaN()), "value NaN at 2020-01"},
		{"Inf", monthly("x", math.Inf(1)), "value +Inf at 2020-01"},
		{"too large", monthly("x", 2e9), "value 2e+09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if got := errString(err); !strings.Contains(got, tt.want) || (tt.want == "") != (err == nil) {
				t.Errorf("Validate(%s) = %q, want containing %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, p := range []Period{Day, Week, Month} {
		if err := DefaultConfig(p).Validate(); err != nil {
			t.Errorf("DefaultConfig(%s).Validate() = %v", p, err)
		}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"baseline", func(c *Config) { c.Baseline = 1 }, []string{"baseline is 1 periods", "min_history is 12 periods, want between 2 and baseline (1)"}},
		{"min history", func(c *Config) { c.MinHistory = 0 }, []string{"min_history is 0"}},
		{"window", func(c *Config) { c.Window = 0 }, []string{"window is 0"}},
		{"floor", func(c *Config) { c.MeanFloor = 0 }, []string{"mean_floor is 0"}},
		{"floor NaN", func(c *Config) { c.MeanFloor = math.NaN() }, []string{"mean_floor is NaN"}},
		{"thresholds", func(c *Config) { c.SurpriseThreshold, c.CUSUMThreshold = -1, math.NaN() }, []string{"surprise_threshold is -1", "cusum_threshold is NaN"}},
		{"cusum", func(c *Config) { c.CUSUMSpan, c.CUSUMShift = 0, 1 }, []string{"cusum_span is 0", "cusum_shift is 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig(Month)
			tt.change(&c)
			got := errString(c.Validate())
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Validate(%s) = %q, want containing %q", tt.name, got, w)
				}
			}
			if _, err := Detect(monthly("x", repeat(1, 40)...), c); err == nil {
				t.Errorf("Detect with invalid config (%s) succeeded", tt.name)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{formatCount(0), "0"},
		{formatCount(999), "999"},
		{formatCount(1318), "1,318"},
		{formatCount(1234567), "1,234,567"},
		{formatCount(2.5), "2.5"},
		{formatRate(0.1), "0.1"},
		{formatRate(6.66), "6.7"},
		{formatRate(92.4), "92"},
		{formatRatio(8.83), "8.8"},
		{formatRatio(3), "3"},
		{formatRatio(109.8), "110"},
		{chance(4.6), "about 1 in 40,000"},
		{chance(13), "less than 1 in a trillion"},
		{odds(2.5), "about 320"},
		{baselineName(Month, 24), "2 years"},
		{baselineName(Week, 104), "2 years"},
		{baselineName(Day, 730), "2 years"},
		{baselineName(Month, 12), "year"},
		{baselineName(Month, 18), "18 months"},
		{baselineName(Day, 90), "90 days"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

// BenchmarkDetect scores one monthly series of 30 years, as a replay
// would at each month.
func BenchmarkDetect(b *testing.B) {
	s := monthly("synthetic Poisson(8)", syntheticPoisson(3, 8, 360)...)
	c := DefaultConfig(Month)
	for b.Loop() {
		if _, err := Detect(s, c); err != nil {
			b.Fatal(err)
		}
		if _, err := ChangePoint(s, c); err != nil {
			b.Fatal(err)
		}
	}
}
