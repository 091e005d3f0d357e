package web

import (
	"context"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

func TestClassOf(t *testing.T) {
	for n, want := range map[int]string{0: "c0", 1: "c1", 9: "c1", 10: "c2", 49: "c2", 50: "c3", 249: "c3", 250: "c4", 999: "c4", 1000: "c5", 123456: "c5"} {
		if got := classOf(n).Name; got != want {
			t.Errorf("classOf(%d) = %s, want %s", n, got, want)
		}
	}
}

// fakeStats answers Stats from a list of event dates.
type fakeStats struct {
	days  []time.Time
	calls int
}

func (f *fakeStats) Stats(_ context.Context, _ store.Grouping, flt event.Filter) ([]event.Period, error) {
	f.calls++
	var out []event.Period
	for _, d := range f.days {
		if (flt.From.IsZero() || !d.Before(flt.From)) && (flt.To.IsZero() || !d.After(flt.To)) {
			out = append(out, event.Period{Country: "CAF", Period: d.Format("2006-01"), Events: 1})
		}
	}
	return out, nil
}

func (f *fakeStats) Events(context.Context, event.Filter, store.Page, func(event.Stored) error) error {
	return nil
}

func TestCoverage(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	now := day("2025-01-01")
	for _, latest := range []string{"2022-12-01", "2022-12-02", "2022-12-17", "2022-12-30", "2022-12-31", "2024-02-29"} {
		f := &fakeStats{days: []time.Time{day("1991-08-08"), day(latest)}}
		h := &handler{Deps: Deps{Data: f, Now: func() time.Time { return now }}}
		c, err := h.coverage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !c.latest.Equal(day(latest)) || !c.countries["CAF"] || len(c.countries) != 1 {
			t.Errorf("coverage with the latest event on %s: latest %s, countries %v", latest, c.latest.Format(time.DateOnly), c.countries)
		}
		// Cached until coverageTTL has passed.
		calls := f.calls
		h.coverage(context.Background())
		if f.calls != calls {
			t.Errorf("coverage was computed again within its TTL")
		}
		now = now.Add(coverageTTL)
		h.coverage(context.Background())
		if f.calls == calls {
			t.Errorf("coverage was not computed again after its TTL")
		}
	}
	h := &handler{Deps: Deps{Data: &fakeStats{}, Now: time.Now}}
	if c, err := h.coverage(context.Background()); err != nil || !c.latest.IsZero() || len(c.countries) != 0 {
		t.Errorf("coverage of no events = %+v, %v", c, err)
	}
}
