package indicator

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/event"
)

// synthetic returns SYNTHETIC aggregates over five made-up countries, some
// of their admin-1 areas and two years, sorted by country and area.
// Goldstein sums are multiples of a half, so that their sums are exact in
// any order.
func synthetic(seed uint64) []Aggregate {
	r := rand.New(rand.NewPCG(seed, 1))
	cats := event.Categories()
	var out []Aggregate
	for range 4000 {
		a := Aggregate{
			Place:    Place{Country: string(rune('A'+r.IntN(5))) + "XX"},
			Day:      time.Date(2019, 1, 1+r.IntN(730), 0, 0, 0, 0, time.UTC),
			Category: cats[r.IntN(len(cats))],
			Events:   1 + r.IntN(5),
		}
		if r.IntN(3) > 0 {
			a.Admin1 = "area " + string(rune('a'+r.IntN(4)))
		}
		if r.IntN(4) == 0 {
			a.FatalEvents = 1 + r.IntN(a.Events)
			a.FatalitiesBest = a.FatalEvents * (1 + r.IntN(9))
			a.FatalitiesLow, a.FatalitiesHigh = a.FatalitiesBest/2, 2*a.FatalitiesBest
		}
		if r.IntN(2) == 0 {
			a.GoldsteinEvents = a.Events
			a.GoldsteinSum = float64(r.IntN(41)-20) / 2
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b Aggregate) int {
		return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.Admin1, b.Admin1))
	})
	return out
}

// TestStreamComputes checks that the stream gives exactly Compute's values
// for aggregates grouped by place, whatever the targets, range, last fatal
// days and neighbour relation (here not symmetric, and changing in 2020).
func TestStreamComputes(t *testing.T) {
	nb := func(c string, year int) []string {
		switch {
		case c == "AXX":
			return []string{"BXX", "CXX"}
		case c == "BXX" && year >= 2020:
			return []string{"AXX", "DXX"}
		case c == "EXX":
			return []string{"AXX"}
		}
		return nil
	}
	aggs := synthetic(1)
	tests := []struct {
		name string
		in   Input
	}{
		{name: "everything", in: Input{}},
		{name: "targets", in: Input{Targets: []string{"AXX", "DXX"}}},
		{name: "range", in: Input{
			Targets:   []string{"AXX", "BXX", "DXX"},
			From:      date(2019, 11, 14),
			To:        date(2020, 3, 2),
			LastFatal: map[Place]time.Time{{Country: "AXX"}: date(2019, 2, 1), {Country: "BXX", Admin1: "area b"}: date(2018, 5, 5)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Aggregates, in.Neighbours = aggs, nb
			if !in.From.IsZero() {
				from, to := Window(in.From, in.To)
				in.Aggregates = slices.DeleteFunc(slices.Clone(aggs), func(a Aggregate) bool {
					return a.Day.Before(from) || a.Day.After(to)
				})
			}
			want := Compute(in)
			var got []Value
			s := newStream(in, func(vs []Value) error {
				got = append(got, vs...)
				return nil
			})
			for i := range in.Aggregates {
				if err := s.add(&in.Aggregates[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.finish(); err != nil {
				t.Fatal(err)
			}
			if len(want) < 1000 || !slices.ContainsFunc(want, func(v Value) bool { return strings.HasPrefix(v.Name, NeighbourPrefix) }) {
				t.Fatalf("Compute gave %d values, want thousands with a spatial lag", len(want))
			}
			if s.n != len(got) {
				t.Errorf("stream counted %d values, handed over %d", s.n, len(got))
			}
			order := func(a, b Value) int {
				return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.Admin1, b.Admin1),
					cmp.Compare(a.Kind, b.Kind), a.Start.Compare(b.Start), cmp.Compare(a.Name, b.Name))
			}
			slices.SortFunc(want, order)
			slices.SortFunc(got, order)
			if !slices.Equal(got, want) {
				t.Errorf("stream gave %d values, Compute %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(a, b []Value) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestStreamRefusesUngrouped checks that aggregates out of place order are
// an error rather than values silently split.
func TestStreamRefusesUngrouped(t *testing.T) {
	day := date(2020, 1, 1)
	tests := []struct {
		name   string
		places []Place
	}{
		{name: "country again", places: []Place{{Country: "AXX"}, {Country: "BXX"}, {Country: "AXX"}}},
		{name: "area again", places: []Place{{"AXX", "a"}, {"AXX", "b"}, {"AXX", "a"}}},
		{name: "whole country again", places: []Place{{"AXX", ""}, {"AXX", "b"}, {"AXX", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStream(Input{Neighbours: func(string, int) []string { return nil }}, func([]Value) error { return nil })
			var err error
			for _, p := range tt.places {
				if err = s.add(&Aggregate{Place: p, Day: day, Category: event.Battle, Events: 1}); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), "not grouped") {
				t.Errorf("add(%v) = %v, want an error that they are not grouped", tt.places, err)
			}
		})
	}
}
