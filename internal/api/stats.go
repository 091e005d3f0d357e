package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/store"
)

func (a *API) registerStats() {
	handle(a, huma.Operation{
		OperationID: "stats",
		Method:      http.MethodGet,
		Path:        Prefix + "/stats",
		Summary:     "Events and fatalities per country or admin-1 area and period",
		Description: "Counts the events matching the filters and sums their best-estimate fatalities per " +
			"country (or admin-1 area) and month or ISO week, ordered by country, area and period. " +
			"Periods without events are absent.",
		Tags: []string{"statistics"},
	}, auth.Allow(readers...), limits{}, a.getStats)
}

type statsInput struct {
	By string `query:"by" enum:"country-month,country-week,admin1-month" default:"country-month" doc:"Grouping."`
	FilterParams
}

type statsOutput struct {
	Body struct {
		By    string         `json:"by"`
		Items []event.Period `json:"items"`
	}
}

func (a *API) getStats(ctx context.Context, in *statsInput) (*statsOutput, error) {
	f, err := a.filter(in.FilterParams)
	if err != nil {
		return nil, err
	}
	by := store.Grouping(in.By)
	items, err := a.stats.get(ctx, statsKey{by, f}, func(ctx context.Context) ([]event.Period, error) {
		return a.st.Stats(ctx, by, f)
	})
	if err != nil {
		return nil, err
	}
	out := &statsOutput{}
	out.Body.By, out.Body.Items = in.By, items
	return out, nil
}

// Warm loads the country-month statistics of every country in one query
// and caches each country's share, so that the commonest request, one
// country's months, does not wait for the database even the first time.
// The app runs it when it starts; an ingest through the API runs it
// again. It does nothing when the cache is disabled.
func (a *API) Warm(ctx context.Context) error {
	if a.stats.ttl < 0 {
		return nil
	}
	gen := a.stats.generation()
	all, err := a.st.Stats(ctx, store.CountryMonth, event.Filter{})
	if err != nil {
		return fmt.Errorf("warm statistics: %w", err)
	}
	byCountry := map[statsKey][]event.Period{}
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].Country == all[i].Country {
			j++
		}
		byCountry[statsKey{store.CountryMonth, event.Filter{Country: all[i].Country}}] = all[i:j:j]
		i = j
	}
	a.stats.put(gen, byCountry)
	return nil
}

// Close waits for the statistics queries still running in the
// background; call it before closing the store.
func (a *API) Close() { a.stats.wait() }
