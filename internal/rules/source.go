package rules

import (
	"context"
	"time"

	"threshold/internal/election"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// Source is the data rules are evaluated on. *store.DB implements it over
// the database; the backtest implements it in memory. Dates are civil days
// (midnight UTC), bounds inclusive; nil Countries means every country.
//
// Evaluate asks only for data dated on or before Scope.AsOf, so a Source
// need not filter by AsOf itself; it must return everything matching the
// query.
type Source interface {
	// RuleIndicators returns the stored indicator values of kind q.Kind
	// named in q.Names (Evaluate always names them), for the countries and
	// their admin-1 areas, of the
	// periods starting in [q.From, q.To], in any order. Values are sparse
	// (see package indicator): an absent count is zero.
	RuleIndicators(ctx context.Context, q IndicatorQuery) ([]indicator.Value, error)
	// RuleEvents returns the events of the countries and categories (nil:
	// all) starting in [q.From, q.To] with at least q.MinFatalities best
	// fatalities (0: any, including unknown), the deadliest first, then by
	// start date and key; at most q.Limit (0: no limit).
	RuleEvents(ctx context.Context, q EventQuery) ([]event.Event, error)
	// Elections returns the elections of the countries (nil: all) held in
	// [from, to], by date.
	Elections(ctx context.Context, countries []string, from, to time.Time) ([]election.Election, error)
}

// UnverifiedSource is what rules with include_unverified need in addition
// to Source: the field reports not verified yet. A Source that does not
// implement it has none, so such rules count only verified data there; the
// backtest's in-memory Source is one, since reports waiting for
// verification exist only now, never in history.
type UnverifiedSource interface {
	// RuleUnverifiedReports returns the field reports whose status is
	// unverified or under-review, of the countries (nil: all) and
	// categories (nil: all), dated in [q.From, q.To], with at least
	// q.MinFatalities deaths (0: any), each as the event it would become
	// once verified (source event.FieldReport, source id the report's id),
	// in any order; at most q.Limit (0: no limit). Reporters are never
	// part of it.
	RuleUnverifiedReports(ctx context.Context, q EventQuery) ([]event.Event, error)
}

// IndicatorQuery selects indicator values for RuleIndicators.
type IndicatorQuery struct {
	Countries []string // nil: all
	Kind      indicator.Kind
	Names     []string
	From, To  time.Time // period starts, inclusive
}

// EventQuery selects events for RuleEvents.
type EventQuery struct {
	Countries     []string         // nil: all
	Categories    []event.Category // nil: all
	From, To      time.Time        // start dates, inclusive
	MinFatalities int              // least best estimate; 0 includes unknown
	Limit         int              // 0: no limit
}

// ForecastSource is what forecast rules need in addition to Source.
// Forecasts arrive with issue 5; a Source that does not implement it makes
// forecast rules a no-op.
type ForecastSource interface {
	// RuleForecasts returns the latest forecasts of target issued on or
	// before asOf for the countries (nil: all).
	RuleForecasts(ctx context.Context, target string, countries []string, asOf time.Time) ([]Forecast, error)
}

// Forecast is one forecast probability for one place.
type Forecast struct {
	Country     string
	Admin1      string
	Target      string
	Issued      time.Time
	Window      [2]time.Time // the period forecast, first and last day
	Probability float64
}

// Scope is what one evaluation covers.
type Scope struct {
	// Countries limits the evaluation (ISO alpha-3); nil means all.
	Countries []string
	// AsOf is the evaluation's "now": only data dated on or before it are
	// read, and each rule evaluates its period that contains AsOf.
	AsOf time.Time
	// Geo is the country table (names in explanations); nil loads it.
	// Callers that evaluate often (the Watcher, the backtest's replay)
	// load it once and pass it, since loading parses the embedded tables.
	Geo *geo.Table
}
