package store

import (
	"context"
	"fmt"

	"threshold/internal/event"
)

// Grouping is how Stats aggregates events.
type Grouping string

// The groupings.
const (
	CountryMonth Grouping = "country-month"
	CountryWeek  Grouping = "country-week"
	Admin1Month  Grouping = "admin1-month"
)

// Groupings lists the valid groupings.
func Groupings() []Grouping { return []Grouping{CountryMonth, CountryWeek, Admin1Month} }

// Stats counts events and sums best-estimate fatalities per country (or
// admin-1 area) and period, for the events matching f, ordered by country,
// admin-1 area and period. Periods with no events are absent.
func (db *DB) Stats(ctx context.Context, by Grouping, f event.Filter) ([]event.Period, error) {
	var period string
	admin1 := false
	switch by {
	case CountryMonth:
		period = db.d.monthExpr("e.date_start")
	case CountryWeek:
		period = db.d.weekExpr("e.date_start")
	case Admin1Month:
		period = db.d.monthExpr("e.date_start")
		admin1 = true
	default:
		return nil, fmt.Errorf("unknown grouping %q", by)
	}
	keys := "e.country, " + period
	if admin1 {
		keys = "e.country, e.admin1, " + period
	}
	c := eventConds(f)
	q := `SELECT ` + keys + `, COUNT(*), COALESCE(SUM(e.fatalities_best), 0) FROM events e` + c.where() +
		` GROUP BY ` + keys + ` ORDER BY ` + keys
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), c.args...)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	out := []event.Period{}
	for rows.Next() {
		var p event.Period
		dest := []any{&p.Country, &p.Period, &p.Events, &p.Fatalities}
		if admin1 {
			dest = []any{&p.Country, &p.Admin1, &p.Period, &p.Events, &p.Fatalities}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
