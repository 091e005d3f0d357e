package backtest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

func TestWeekAndMonthEnds(t *testing.T) {
	for _, tt := range []struct {
		first, last string
		want        []string
	}{
		// February 2001: Sundays 4, 11, 18, 25 and the month end, 28.
		{"2001-02", "2001-02", []string{"2001-02-04", "2001-02-11", "2001-02-18", "2001-02-25", "2001-02-28"}},
		// September 2001 ends on a Sunday: listed once.
		{"2001-09", "2001-09", []string{"2001-09-02", "2001-09-09", "2001-09-16", "2001-09-23", "2001-09-30"}},
		// Days stand for their months.
		{"2001-02-20", "2001-03-05", []string{"2001-02-04", "2001-02-11", "2001-02-18", "2001-02-25", "2001-02-28",
			"2001-03-04", "2001-03-11", "2001-03-18", "2001-03-25", "2001-03-31"}},
	} {
		var got []string
		for _, d := range WeekAndMonthEnds(day(tt.first), day(tt.last)) {
			got = append(got, d.Format(time.DateOnly))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("WeekAndMonthEnds(%s, %s) = %v, want %v", tt.first, tt.last, got, tt.want)
		}
	}
	var got []string
	for _, d := range MonthEnds(day("2000-12"), day("2001-02")) {
		got = append(got, d.Format(time.DateOnly))
	}
	if want := []string{"2000-12-31", "2001-01-31", "2001-02-28"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MonthEnds = %v, want %v", got, want)
	}
}

func TestRunStepWeekSeesTheMonthSoFar(t *testing.T) {
	// Synthetic: 3 deaths in CAF on Friday 9 February 2001, none before
	// or after; stored as the day's, the ISO week's and the month's
	// values. A monthly rule on deaths evaluated at month ends raises its
	// alert at the end of February; evaluated every week on the month so
	// far, as the server does, on Sunday the 11th. The baseline ("any
	// death last month") raises at the end of February either way.
	v := func(k indicator.Kind, start string) indicator.Value {
		return indicator.Value{Place: indicator.Place{Country: "CAF"}, Kind: k, Start: day(start), Name: indicator.FatalitiesBest, Value: 3}
	}
	values := []indicator.Value{
		v(indicator.Day, "2001-02-09"), v(indicator.Week, "2001-02-05"), v(indicator.Month, "2001-02"),
		{Place: indicator.Place{Country: "CAF"}, Kind: indicator.Month, Start: day("1995-01"), Name: indicator.Events, Value: 1},
	}
	f := &rules.File{Version: "monthly", Rules: []rules.Rule{{
		ID: "deaths", Name: "Deaths this month", Severity: alert.Warning, Level: rules.CountryLevel, Period: indicator.Month,
		Indicator: &rules.IndicatorCond{Name: indicator.FatalitiesBest, Op: rules.GE, Value: 1, For: 1},
	}}}
	for _, tt := range []struct {
		step     Step
		rules    []string
		baseline string
	}{
		{StepMonth, []string{"deaths 2001-02-28"}, "2001-02-28"},
		{"", []string{"deaths 2001-02-28"}, "2001-02-28"},
		{StepWeek, []string{"deaths 2001-02-11"}, "2001-02-28"},
	} {
		st := &fakeStore{values: values, loads: map[string]int{}}
		r, err := Run(context.Background(), st, Options{From: day("2001-01"), To: day("2001-04"), Rules: f, Step: tt.step, Workers: 2})
		if err != nil {
			t.Fatalf("step %q: %v", tt.step, err)
		}
		var got []string
		for _, a := range r.AllAlerts() {
			got = append(got, a.Rule+" "+a.AsOf.Format(time.DateOnly))
		}
		if !reflect.DeepEqual(got, tt.rules) {
			t.Errorf("step %q: alerts %v, want %v", tt.step, got, tt.rules)
		}
		if want := cmpStep(tt.step); r.Step != want {
			t.Errorf("step %q: report step %q, want %q", tt.step, r.Step, want)
		}
		if r.Baseline.Alerts != 1 {
			t.Errorf("step %q: baseline %d alerts, want 1", tt.step, r.Baseline.Alerts)
		}
	}
	if _, err := Run(context.Background(), &fakeStore{values: values, loads: map[string]int{}},
		Options{From: day("2001-01"), To: day("2001-04"), Rules: f, Step: "day"}); err == nil {
		t.Error("step day: no error")
	}
}

func cmpStep(s Step) Step {
	if s == "" {
		return StepMonth
	}
	return s
}
