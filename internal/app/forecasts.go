package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"threshold/internal/forecast"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/store"
)

// MonthlyPanel builds unit's panel up to cutoff (zero: all the data) from
// the month indicators, the elections calendar and, if any panel was
// imported, the country-year covariates. An admin1-month panel holds
// every Natural Earth area of the countries whose areas are named so
// (forecast.CompleteAreas), events or not. The server's forecast job and
// 'threshold forecast' both read it so.
func MonthlyPanel(ctx context.Context, db *store.DB, unit forecast.Unit, cutoff time.Time) (*forecast.MonthlyPanel, error) {
	q := store.IndicatorQuery{Kind: indicator.Month}
	if unit == forecast.CountryMonth {
		whole := ""
		q.Admin1 = &whole
	}
	values, err := db.Indicators(ctx, q)
	if err != nil {
		return nil, err
	}
	elections, err := db.Elections(ctx, nil, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	var cov *forecast.FeatureSet
	if ds, err := db.PanelDatasets(ctx); err != nil {
		return nil, err
	} else if len(ds) > 0 {
		if cov, err = forecast.LoadFeatures(ctx, db); err != nil {
			return nil, err
		}
	}
	var areas []indicator.Place
	if unit == forecast.Admin1Month {
		tab, err := geo.LoadAdmin1()
		if err != nil {
			return nil, err
		}
		areas = forecast.CompleteAreas(values, tab)
	}
	return forecast.BuildMonthlyAreas(unit, values, elections, cutoff, cov, areas)
}

// StoreMonthlyForecasts forecasts o.Target from mp and stores the
// forecasts (an upsert: running it again for the same cut-off replaces
// them).
func StoreMonthlyForecasts(ctx context.Context, db *store.DB, mp *forecast.MonthlyPanel, o forecast.RunOptions) ([]forecast.Forecast, error) {
	fcs, err := forecast.MonthlyRun(ctx, mp, o)
	if err != nil {
		return nil, err
	}
	rows := make([]store.Forecast, len(fcs))
	for i, f := range fcs {
		factors, err := json.Marshal(f.Factors)
		if err != nil {
			return nil, fmt.Errorf("forecast factors: %w", err)
		}
		rows[i] = store.Forecast{Target: string(f.Target), Unit: string(f.Unit), Country: f.Country, Admin1: f.Admin1,
			Period: f.Period, Horizon: f.Horizon, Cutoff: f.Cutoff, Model: f.Model, ModelVersion: f.ModelVersion,
			Probability: f.Probability, Mean: f.Mean, Lo80: f.Lo80, Hi80: f.Hi80, Factors: factors, CreatedAt: f.CreatedAt}
	}
	if err := db.SaveForecasts(ctx, rows); err != nil {
		return nil, err
	}
	return fcs, nil
}
