package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		max   int
		ticks []int
		top   int
	}{
		{0, []int{0, 1}, 1},
		{1, []int{0, 1}, 1},
		{3, []int{0, 1, 2, 3}, 3},
		{7, []int{0, 2, 4, 6, 8}, 8},
		{100, []int{0, 50, 100}, 100},
		{1286, []int{0, 500, 1000, 1500}, 1500},
		{99999, []int{0, 50000, 100000}, 100000},
	}
	for _, tt := range tests {
		ticks, top := niceTicks(tt.max)
		if !cmp.Equal(ticks, tt.ticks) || top != tt.top {
			t.Errorf("niceTicks(%d) = %v, %d; want %v, %d", tt.max, ticks, top, tt.ticks, tt.top)
		}
	}
}

func TestFillMonths(t *testing.T) {
	periods := []event.Period{
		{Country: "CAF", Period: "2022-01", Events: 2, Fatalities: 5},
		{Country: "CAF", Period: "2022-03", Events: 1, Fatalities: 0},
		{Country: "CAF", Admin1: "Ouaka", Period: "2022-03", Events: 1, Fatalities: 4}, // summed with the row above
	}
	got := fillMonths(periods, time.Time{}, time.Time{})
	want := []monthly{
		{Month: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Label: "Jan 2022", Events: 2, Fatalities: 5},
		{Month: time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC), Label: "Feb 2022"},
		{Month: time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC), Label: "Mar 2022", Events: 2, Fatalities: 4},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fillMonths mismatch (-want +got):\n%s", diff)
	}
	// A filter's dates set the range, even beyond the events.
	got = fillMonths(periods, time.Date(2021, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2022, 4, 2, 0, 0, 0, 0, time.UTC))
	if len(got) != 5 || got[0].Label != "Dec 2021" || got[4].Label != "Apr 2022" {
		t.Errorf("fillMonths with dates: %d months, %v to %v", len(got), got[0].Label, got[len(got)-1].Label)
	}
	if got := fillMonths(nil, time.Time{}, time.Time{}); got != nil {
		t.Errorf("fillMonths(nil) = %v", got)
	}
}

func TestChart(t *testing.T) {
	var months []monthly
	for m := time.Date(1991, 8, 1, 0, 0, 0, 0, time.UTC); !m.After(time.Date(2022, 12, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		months = append(months, monthly{Month: m, Label: m.Format("Jan 2006")})
	}
	months[10].Fatalities, months[10].Events = 1, 1
	months[200].Fatalities, months[200].Events = 1286, 99
	c := newChart(months)
	if len(c.Panels) != 2 || c.Months != 377 {
		t.Fatalf("chart of %d months has %d panels", c.Months, len(c.Panels))
	}
	f := c.Panels[0]
	if len(f.Bars) != 2 {
		t.Fatalf("fatalities panel has %d bars, want 2 (months without deaths have none)", len(f.Bars))
	}
	if f.Bars[0].H < 1 {
		t.Errorf("a month with one death is %g units high, want at least 1", f.Bars[0].H)
	}
	if top := f.Bars[1].Y; top < f.Top || top > f.Top+panelHeight*0.2 {
		t.Errorf("the highest bar starts at y=%g, want near the panel's top %g", top, f.Top)
	}
	if f.Bars[1].Title != "Apr 2008: 1,286 fatalities" {
		t.Errorf("bar title %q", f.Bars[1].Title)
	}
	for _, b := range f.Bars {
		if b.X < c.Left || b.X+b.W > c.Right+0.1 {
			t.Errorf("bar %q at x=%g..%g outside the plot %g..%g", b.Title, b.X, b.X+b.W, c.Left, c.Right)
		}
	}
	// 31 years: a label every five years, on January.
	var labels []string
	for _, tk := range c.XTicks {
		labels = append(labels, tk.Label)
	}
	if want := []string{"1995", "2000", "2005", "2010", "2015", "2020"}; !cmp.Equal(labels, want) {
		t.Errorf("x labels %v, want %v", labels, want)
	}
	// Short spans label months.
	c = newChart(months[:6])
	if len(c.XTicks) != 6 || c.XTicks[0].Label != "Aug 1991" {
		t.Errorf("six months labelled %v", c.XTicks)
	}
}
