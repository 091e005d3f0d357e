package indicator

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"threshold/internal/geo"
)

// Store is what an Updater needs from storage. Dates are civil days
// (midnight UTC); a zero from or to is unbounded and nil countries means
// all.
type Store interface {
	// IndicatorAggregates sums the events of the countries that start in
	// [from, to] by place, start day and category.
	IndicatorAggregates(ctx context.Context, countries []string, from, to time.Time) ([]Aggregate, error)
	// LastFatal returns, for the countries and their admin-1 areas, the
	// latest start day of an event with fatalities before day before
	// (none when before is zero).
	LastFatal(ctx context.Context, countries []string, before time.Time) (map[Place]time.Time, error)
	// ReplaceIndicators deletes the stored values of the countries for
	// the periods (of each kind) that contain a day of [from, to], and
	// stores values in their place, in one transaction.
	ReplaceIndicators(ctx context.Context, countries []string, from, to time.Time, values []Value) error
}

// Updater keeps stored indicators in step with the events.
type Updater struct {
	store Store
	// Neighbours is the land-neighbour relation; nil means
	// geo.Neighbours(iso3, year, geo.Land).
	Neighbours func(iso3 string, year int) []string
}

// NewUpdater returns an Updater over s.
func NewUpdater(s Store) *Updater { return &Updater{store: s} }

// Recompute recomputes and stores the indicators of every day, week and
// month that contains a day of [from, to] (reading the events of the
// wider Window), for
// the countries, their admin-1 areas, and their land neighbours, whose
// spatial lag depends on them. Nil countries means all countries, and a
// zero from or to leaves that side unbounded, so Recompute(ctx, nil,
// time.Time{}, time.Time{}) rebuilds every indicator.
//
// Ingests call it once committed, with the countries and the range of
// start dates of the events they inserted or changed, the old dates and
// countries of changed events included (ingest.Summary.Touched). It
// returns the number of values stored.
func (u *Updater) Recompute(ctx context.Context, countries []string, from, to time.Time) (int, error) {
	if countries != nil && len(countries) == 0 {
		return 0, nil
	}
	nb := u.Neighbours
	if nb == nil {
		nb = func(iso3 string, year int) []string { return geo.Neighbours(iso3, year, geo.Land) }
	}
	wfrom, wto := Window(from, to)
	var targets, fetch []string
	if countries != nil {
		years := yearsOf(wfrom, wto)
		targets = closure(countries, years, nb)
		fetch = closure(targets, years, nb)
	}
	aggs, err := u.store.IndicatorAggregates(ctx, fetch, wfrom, wto)
	if err != nil {
		return 0, fmt.Errorf("recompute indicators: %w", err)
	}
	var last map[Place]time.Time
	if !wfrom.IsZero() {
		if last, err = u.store.LastFatal(ctx, targets, wfrom); err != nil {
			return 0, fmt.Errorf("recompute indicators: %w", err)
		}
	}
	values := Compute(Input{Aggregates: aggs, LastFatal: last, Targets: targets, Neighbours: nb, From: from, To: to})
	if err := u.store.ReplaceIndicators(ctx, targets, from, to, values); err != nil {
		return 0, fmt.Errorf("recompute indicators: %w", err)
	}
	return len(values), nil
}

// yearsOf lists the years of [from, to]; unbounded sides stop at the span
// the contiguity data and the event sources cover.
func yearsOf(from, to time.Time) []int {
	y0, y1 := 1946, time.Now().Year()+1
	if !from.IsZero() {
		y0 = from.Year()
	}
	if !to.IsZero() {
		y1 = to.Year()
	}
	var ys []int
	for y := y0; y <= y1; y++ {
		ys = append(ys, y)
	}
	return ys
}

// closure returns the countries and their neighbours in any of the years,
// sorted.
func closure(countries []string, years []int, nb func(string, int) []string) []string {
	set := map[string]bool{}
	for _, c := range countries {
		set[c] = true
		for _, y := range years {
			for _, n := range nb(c, y) {
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}
