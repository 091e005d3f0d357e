package indicator_test

import (
	"slices"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/indicator"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// lookup indexes values by place, kind, start and name.
type lookup map[string]float64

func index(vs []indicator.Value) lookup {
	m := lookup{}
	for _, v := range vs {
		m[key(v.Country, v.Admin1, v.Kind, v.Start.Format(time.DateOnly), v.Name)] = v.Value
	}
	return m
}

func key(country, admin1 string, k indicator.Kind, start, name string) string {
	return country + "|" + admin1 + "|" + string(k) + "|" + start + "|" + name
}

func TestDaysSinceFatal(t *testing.T) {
	agg := func(day string, events, fatal int) indicator.Aggregate {
		return indicator.Aggregate{Place: indicator.Place{Country: "CAF", Admin1: "Ouaka"}, Day: date(day),
			Category: event.Battle, Events: events, FatalEvents: fatal, FatalitiesBest: 3 * fatal}
	}
	in := indicator.Input{
		Aggregates: []indicator.Aggregate{
			agg("2014-01-03", 1, 0), // before any fatal event: no value
			agg("2014-01-06", 2, 1), // fatal, a Monday
			agg("2014-01-08", 1, 0),
			agg("2014-02-20", 1, 0),
			agg("2014-03-31", 1, 1),
		},
		Neighbours: func(string, int) []string { return nil },
	}
	got := index(indicator.Compute(in))
	tests := []struct {
		kind  indicator.Kind
		start string
		want  float64 // -1: absent
	}{
		{indicator.Day, "2014-01-03", -1},
		{indicator.Day, "2014-01-06", 0},
		{indicator.Day, "2014-01-08", 2},
		{indicator.Day, "2014-02-20", 45},
		{indicator.Day, "2014-03-31", 0},
		{indicator.Week, "2013-12-30", -1}, // week of 3 January, no fatal event by its Sunday
		{indicator.Week, "2014-01-06", 6},  // Sunday 12 January
		{indicator.Week, "2014-02-17", 48}, // Sunday 23 February
		{indicator.Week, "2014-03-31", 6},  // Sunday 6 April
		{indicator.Month, "2014-01-01", 25},
		{indicator.Month, "2014-02-01", 53},
		{indicator.Month, "2014-03-01", 0},
	}
	for _, place := range []string{"Ouaka", ""} {
		for _, tt := range tests {
			v, ok := got[key("CAF", place, tt.kind, tt.start, indicator.DaysSinceFatal)]
			if tt.want < 0 {
				if ok {
					t.Errorf("%q %s %s: days since fatal = %g, want none", place, tt.kind, tt.start, v)
				}
				continue
			}
			if !ok || v != tt.want {
				t.Errorf("%q %s %s: days since fatal = %g (present %v), want %g", place, tt.kind, tt.start, v, ok, tt.want)
			}
		}
	}

	// A fatal event before the window, given through LastFatal.
	in.LastFatal = map[indicator.Place]time.Time{{Country: "CAF", Admin1: "Ouaka"}: date("2013-12-25")}
	got = index(indicator.Compute(in))
	if v := got[key("CAF", "Ouaka", indicator.Day, "2014-01-03", indicator.DaysSinceFatal)]; v != 9 {
		t.Errorf("with LastFatal 2013-12-25, days since fatal on 2014-01-03 = %g, want 9", v)
	}
	if _, ok := got[key("CAF", "", indicator.Day, "2014-01-03", indicator.DaysSinceFatal)]; ok {
		t.Error("LastFatal of Ouaka leaked to the country")
	}
}

func TestComputeCounts(t *testing.T) {
	g := func(f float64) float64 { return f }
	in := indicator.Input{
		Aggregates: []indicator.Aggregate{
			{Place: indicator.Place{Country: "SYR", Admin1: "Aleppo"}, Day: date("2016-08-01"), Category: event.Battle,
				Events: 4, FatalEvents: 3, FatalitiesBest: 30, FatalitiesLow: 20, FatalitiesHigh: 50},
			{Place: indicator.Place{Country: "SYR", Admin1: "Idlib"}, Day: date("2016-08-02"), Category: event.Protest,
				Events: 2, GoldsteinSum: g(-13), GoldsteinEvents: 2},
			{Place: indicator.Place{Country: "SYR"}, Day: date("2016-08-31"), Category: event.Riot,
				Events: 2, GoldsteinSum: g(-10), GoldsteinEvents: 1},
		},
		Neighbours: func(string, int) []string { return nil },
	}
	got := index(indicator.Compute(in))
	want := map[string]float64{
		key("SYR", "", indicator.Month, "2016-08-01", indicator.Events):             8,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.ViolentEvents):      6,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.ViolentShare):       0.75,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.FatalitiesBest):     30,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.FatalitiesLow):      20,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.FatalitiesHigh):     50,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.Protests):           2,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.Riots):              2,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.GoldsteinMean):      -23.0 / 3,
		key("SYR", "", indicator.Month, "2016-08-01", indicator.GoldsteinEvents):    3,
		key("SYR", "", indicator.Week, "2016-08-01", indicator.Events):              6,
		key("SYR", "", indicator.Week, "2016-08-29", indicator.Events):              2,
		key("SYR", "Aleppo", indicator.Day, "2016-08-01", indicator.ViolentShare):   1,
		key("SYR", "Idlib", indicator.Day, "2016-08-02", indicator.ViolentShare):    0,
		key("SYR", "Idlib", indicator.Month, "2016-08-01", indicator.GoldsteinMean): -6.5,
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || v != w {
			t.Errorf("%s = %g (present %v), want %g", k, v, ok, w)
		}
	}
	for _, k := range []string{
		key("SYR", "Idlib", indicator.Month, "2016-08-01", indicator.FatalitiesBest), // zero: absent
		key("SYR", "Aleppo", indicator.Month, "2016-08-01", indicator.GoldsteinMean),
		key("SYR", "", indicator.Month, "2016-08-01", indicator.NeighbourPrefix+indicator.ViolentEvents),
	} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %g, want absent", k, v)
		}
	}
}

// TestSpatialLag checks the lag of the Central African Republic over its
// real land neighbours: Chad, Sudan, South Sudan, DR Congo, Congo and
// Cameroon, but not Nigeria.
func TestSpatialLag(t *testing.T) {
	var aggs []indicator.Aggregate
	for i, c := range []string{"TCD", "SDN", "SSD", "COD", "COG", "CMR", "NGA"} {
		aggs = append(aggs, indicator.Aggregate{Place: indicator.Place{Country: c, Admin1: "X"}, Day: date("2015-03-10"),
			Category: event.Battle, Events: 1 << i, FatalEvents: 1, FatalitiesBest: 10 * (i + 1)})
	}
	aggs = append(aggs, indicator.Aggregate{Place: indicator.Place{Country: "CAF"}, Day: date("2015-03-11"), Category: event.Protest, Events: 1})
	// South Sudan in 2010 was part of Sudan: a 2010 event there is no
	// neighbour's (the code SSD does not exist yet, but the table is by year).
	aggs = append(aggs, indicator.Aggregate{Place: indicator.Place{Country: "SSD"}, Day: date("2010-03-10"), Category: event.Battle, Events: 100})

	vs := indicator.Compute(indicator.Input{Aggregates: aggs, Targets: []string{"CAF"}})
	got := index(vs)
	nb := indicator.NeighbourPrefix
	want := map[string]float64{
		key("CAF", "", indicator.Month, "2015-03-01", nb+indicator.ViolentEvents):  63, // 1+2+4+8+16+32, no NGA (64)
		key("CAF", "", indicator.Month, "2015-03-01", nb+indicator.FatalitiesBest): 210,
		key("CAF", "", indicator.Week, "2015-03-09", nb+indicator.ViolentEvents):   63,
		key("CAF", "", indicator.Month, "2015-03-01", indicator.Events):            1,
	}
	for k, w := range want {
		if v, ok := got[k]; !ok || v != w {
			t.Errorf("%s = %g (present %v), want %g", k, v, ok, w)
		}
	}
	if v, ok := got[key("CAF", "", indicator.Day, "2015-03-10", nb+indicator.ViolentEvents)]; ok {
		t.Errorf("CAF day lag = %g, want none (weeks and months only)", v)
	}
	if v, ok := got[key("CAF", "", indicator.Month, "2010-03-01", nb+indicator.ViolentEvents)]; ok {
		t.Errorf("CAF lag in March 2010 = %g, want absent", v)
	}
	countries := map[string]bool{}
	for _, v := range vs {
		countries[v.Country] = true
	}
	if len(countries) != 1 || !countries["CAF"] {
		t.Errorf("values for %v, want CAF only (the target)", slices.Collect(func(yield func(string) bool) {
			for c := range countries {
				if !yield(c) {
					return
				}
			}
		}))
	}
}

func TestWindow(t *testing.T) {
	tests := []struct{ from, to, wantFrom, wantTo string }{
		{"2014-01-15", "2014-01-20", "2014-01-01", "2014-01-31"},
		{"2014-01-01", "2014-01-01", "2013-12-30", "2014-01-31"}, // Wednesday: its week starts in December
		{"2014-03-31", "2014-03-31", "2014-03-01", "2014-04-06"}, // Monday; its week ends in April
	}
	for _, tt := range tests {
		f, to := indicator.Window(date(tt.from), date(tt.to))
		if f != date(tt.wantFrom) || to != date(tt.wantTo) {
			t.Errorf("Window(%s, %s) = %s, %s, want %s, %s", tt.from, tt.to, f.Format(time.DateOnly), to.Format(time.DateOnly), tt.wantFrom, tt.wantTo)
		}
	}
}
