package web

import (
	"math"
	"slices"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/rules"
)

func TestNiceTicksFloat(t *testing.T) {
	tests := []struct {
		max   float64
		ticks []float64
		top   float64
	}{
		{0, []float64{0, 1}, 1},
		{-3, []float64{0, 1}, 1},
		{1023, []float64{0, 500, 1000, 1500}, 1500},
		{100, []float64{0, 50, 100}, 100},
		{7, []float64{0, 2, 4, 6, 8}, 8},
		{0.62, []float64{0, 0.2, 0.4, 0.6, 0.8}, 0.8},
		{0.3, []float64{0, 0.1, 0.2, 0.3}, 0.3},
	}
	for _, tt := range tests {
		ticks, top := niceTicksFloat(tt.max)
		if !slices.Equal(ticks, tt.ticks) {
			t.Errorf("niceTicksFloat(%v) ticks %v, want %v", tt.max, ticks, tt.ticks)
		}
		if top < tt.max || math.Abs(top-tt.top) > 1e-9 {
			t.Errorf("niceTicksFloat(%v) top %v, want %v", tt.max, top, tt.top)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1023: "1,023", -12: "-12", 0.625: "0.62", 3.14159: "3.14", 2.5: "2.50"} {
		if got := formatValue(in); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", in, got, want)
		}
	}
}

// month is the synthetic first day of a month of 2013.
func month(m time.Month) time.Time { return time.Date(2013, m, 1, 0, 0, 0, 0, time.UTC) }

func TestEvidenceChart(t *testing.T) {
	var pts []alert.Point
	for m := time.January; m <= time.December; m++ {
		pts = append(pts, alert.Point{Label: month(m).Format("2006-01"), Start: month(m), Value: float64(m) * 10})
	}
	pts[3].Value = 0 // a month without deaths draws no bar
	w := alert.Window{Start: month(time.November), End: month(time.December).AddDate(0, 1, -1)}
	c := newEvidenceChart(pts, w)
	if len(c.Bars) != 11 {
		t.Errorf("%d bars, want 11 (one month is zero)", len(c.Bars))
	}
	var in []string
	for _, b := range c.Bars {
		if b.InWindow {
			in = append(in, b.Title)
		}
		if b.Y < c.Top || b.Y+b.H > c.Bottom+0.05 {
			t.Errorf("bar %q (y %v, h %v) leaves the plot %v–%v", b.Title, b.Y, b.H, c.Top, c.Bottom)
		}
	}
	if want := []string{"2013-11: 110", "2013-12: 120"}; !slices.Equal(in, want) {
		t.Errorf("bars in the window %v, want %v", in, want)
	}
	step := (c.Right - c.Left) / 12
	if c.Band == nil || c.Band.X != round1(c.Left+10*step) || c.Band.W != round1(2*step) {
		t.Errorf("window band %+v, want the last two of 12 periods", c.Band)
	}
	if len(c.XTicks) == 0 || len(c.XTicks) > 8 {
		t.Errorf("%d time labels, want 1 to 8", len(c.XTicks))
	}

	// A window before the series: no band.
	if c := newEvidenceChart(pts, alert.Window{Start: month(time.January).AddDate(-1, 0, 0), End: month(time.January).AddDate(0, 0, -1)}); c.Band != nil {
		t.Errorf("a window outside the series is shaded at %+v", c.Band)
	}
	// No series: an empty chart, no panic.
	if c := newEvidenceChart(nil, w); len(c.Bars) != 0 || c.Band != nil || c.Height == 0 {
		t.Errorf("empty series: %+v", c)
	}
}

func TestConditionText(t *testing.T) {
	tests := []struct {
		rule rules.Rule
		want string
	}{
		{rules.Rule{Indicator: &rules.IndicatorCond{Name: "fatalities_best", Op: rules.GE, Value: 100}},
			"fatalities_best >= 100 in the month"},
		{rules.Rule{Period: "week", Indicator: &rules.IndicatorCond{Name: "events.protest", Op: rules.GT, Value: 10, For: 3}},
			"events.protest > 10 in each of 3 consecutive weeks"},
		{rules.Rule{Detector: &rules.DetectorCond{Method: rules.Surprise, Indicator: "fatalities_best", MinValue: 25,
			Config: map[string]float64{"surprise_threshold": 3, "baseline": 24}}},
			"the surprise detector alarms on fatalities_best, with at least 25 in the scored window (baseline 24, surprise_threshold 3)"},
		{rules.Rule{Detector: &rules.DetectorCond{Method: rules.ChangePoint, Indicator: "violent_events"}},
			"the changepoint detector alarms on violent_events"},
		{rules.Rule{Forecast: &rules.ForecastCond{Target: "conflict-onset", Probability: 0.3}},
			"a forecast gives conflict-onset a probability of at least 30%"},
		{rules.Rule{Coup: &rules.CoupCond{}}, "a coup or coup attempt in the month, reported by at least 1 source"},
		{rules.Rule{Period: "day", Coup: &rules.CoupCond{MinSources: 2}}, "a coup or coup attempt in the day, reported by at least 2 sources"},
		{rules.Rule{FirstFatal: &rules.FirstFatalCond{QuietMonths: 6}},
			"the first fatal event (at least 1 death) after 6 quiet months without one"},
		{rules.Rule{FirstFatal: &rules.FirstFatalCond{QuietMonths: 1, MinFatalities: 3}},
			"the first fatal event (at least 3 deaths) after 1 quiet month without one"},
		{rules.Rule{Election: &rules.ElectionCond{WithinDays: 60, Indicator: "events.protest", Ratio: 2, MinValue: 3}},
			"a national election within 60 days while events.protest is at least 2× its mean over the 12 months before (and at least 3)"},
		{rules.Rule{SpreadAdmin1: &rules.SpreadAdmin1Cond{QuietMonths: 12, MinFatalities: 5}},
			"violence in an area with none in the 12 months before, while the country had violence elsewhere; at least 5 deaths in the area"},
		{rules.Rule{SpreadBorder: &rules.SpreadBorderCond{QuietMonths: 12, NeighbourMonths: 3}},
			"violence after 12 quiet months without, while a land neighbour had violence in the last 3 months"},
		{rules.Rule{}, ""},
	}
	for _, tt := range tests {
		if got := conditionText(&tt.rule); got != tt.want {
			t.Errorf("conditionText(%q rule):\n got %q\nwant %q", tt.rule.Kind(), got, tt.want)
		}
	}
	// Every rule of the shipped default file can be put in words.
	f := rules.Default()
	for i := range f.Rules {
		if conditionText(&f.Rules[i]) == "" {
			t.Errorf("default rule %s: no words for its condition", f.Rules[i].ID)
		}
	}
}

func TestWithDone(t *testing.T) {
	tests := []struct {
		back, done string
		id         int64
		want       string
	}{
		{"/alerts", "acknowledge", 4, "/alerts?alert=4&done=acknowledge#alert-4"},
		{"/alerts?severity=critical&done=dismiss&alert=9", "dismiss", 4, "/alerts?alert=4&done=dismiss&severity=critical#alert-4"},
		{"/alerts/4", "resolve", 4, "/alerts/4?alert=4&done=resolve"},
		{"/alerts/4#history-title", "assign", 4, "/alerts/4?alert=4&done=assign"},
	}
	for _, tt := range tests {
		if got := withDone(tt.back, tt.done, tt.id); got != tt.want {
			t.Errorf("withDone(%q, %q, %d) = %q, want %q", tt.back, tt.done, tt.id, got, tt.want)
		}
	}
}

func TestAlertsBack(t *testing.T) {
	for back, want := range map[string]bool{
		"/alerts":                     true,
		"/alerts?severity=critical":   true,
		"/alerts/12":                  true,
		"/alerts/../admin/users":      false,
		"/alertsx":                    false,
		"/countries/CAF":              false,
		"https://evil.example/alerts": false,
		"//evil.example/alerts":       false,
		"":                            false,
	} {
		if got := alertsBack(back); got != want {
			t.Errorf("alertsBack(%q) = %v, want %v", back, got, want)
		}
	}
}
