package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

// coverage is what the data holds overall: which countries have any event,
// and the date of the latest one. The world map needs it on every view, and
// finding it reads the whole events table, so it is kept for coverageTTL.
type coverage struct {
	countries map[string]bool // ISO3 of every country with at least one event
	latest    time.Time       // the latest event's start date; zero when there are none
}

const coverageTTL = 2 * time.Minute

type coverageCache struct {
	mu sync.Mutex
	at time.Time // when c was computed; zero for never
	c  coverage
}

// coverage returns the data's coverage, at most coverageTTL old.
func (h *handler) coverage(ctx context.Context) (coverage, error) {
	cc := &h.covCache
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := h.Now()
	if !cc.at.IsZero() && now.Sub(cc.at) < coverageTTL && now.Sub(cc.at) >= 0 {
		return cc.c, nil
	}
	c, err := h.findCoverage(ctx)
	if err != nil {
		return coverage{}, err
	}
	cc.at, cc.c = now, c
	return c, nil
}

func (h *handler) findCoverage(ctx context.Context) (coverage, error) {
	months, err := h.Data.Stats(ctx, store.CountryMonth, event.Filter{})
	if err != nil {
		return coverage{}, err
	}
	c := coverage{countries: map[string]bool{}}
	var last string
	for _, p := range months {
		c.countries[p.Country] = true
		last = max(last, p.Period)
	}
	if last == "" {
		return c, nil
	}
	// Stats gives the latest month; find the day by bisecting it, asking
	// whether any event starts on or after a day.
	first, err := time.Parse("2006-01", last)
	if err != nil {
		return coverage{}, fmt.Errorf("coverage: period %q: %w", last, err)
	}
	lo, hi := 0, first.AddDate(0, 1, -1).Day()-1 // day offsets; an event starts on or after lo
	for lo < hi {
		mid := (lo + hi + 1) / 2
		ps, err := h.Data.Stats(ctx, store.CountryMonth, event.Filter{From: first.AddDate(0, 0, mid)})
		if err != nil {
			return coverage{}, err
		}
		if len(ps) > 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	c.latest = first.AddDate(0, 0, lo)
	return c, nil
}
