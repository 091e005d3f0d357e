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
	// [from, to] by place, start day and category, and calls fn with each
	// sum, grouped by place: every sum of a country before the next
	// country's, and within a country every sum of an admin-1 area before
	// the next area's. It stops at fn's first error and returns it. *a
	// is valid only during the call.
	IndicatorAggregates(ctx context.Context, countries []string, from, to time.Time, fn func(a *Aggregate) error) error
	// LastFatal returns, for the countries and their admin-1 areas, the
	// latest start day of an event with fatalities before day before
	// (none when before is zero).
	LastFatal(ctx context.Context, countries []string, before time.Time) (map[Place]time.Time, error)
	// ReplaceIndicatorsFunc deletes the stored values of the countries
	// for the periods (of each kind) that contain a day of [from, to],
	// and stores in their place the values fill passes to put, in one
	// transaction that fill's error rolls back. fill runs once, possibly
	// on another goroutine while earlier values are being written; put
	// takes ownership of its slice and fails once the store has.
	ReplaceIndicatorsFunc(ctx context.Context, countries []string, from, to time.Time, fill func(put func([]Value) error) error) error
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
	var last map[Place]time.Time
	if !wfrom.IsZero() {
		var err error
		if last, err = u.store.LastFatal(ctx, targets, wfrom); err != nil {
			return 0, fmt.Errorf("recompute indicators: %w", err)
		}
	}
	// The values are computed one place at a time while the store writes
	// the earlier ones, so memory does not grow with the events.
	n := 0
	err := u.store.ReplaceIndicatorsFunc(ctx, targets, from, to, func(put func([]Value) error) error {
		s := newStream(Input{LastFatal: last, Targets: targets, Neighbours: nb, From: from, To: to}, put)
		if err := u.store.IndicatorAggregates(ctx, fetch, wfrom, wto, s.add); err != nil {
			return err
		}
		err := s.finish()
		n = s.n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("recompute indicators: %w", err)
	}
	return n, nil
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
