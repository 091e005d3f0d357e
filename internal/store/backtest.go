package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"threshold/internal/backtest"
	"threshold/internal/event"
	"threshold/internal/indicator"
)

var _ backtest.Store = (*DB)(nil)

// ReplayIndicators returns the stored values of kind k named name of the
// countries (nil: all) and their admin-1 areas, of the periods starting in
// [from, to] (zero: unbounded), in no particular order: what a backtest
// loads once and slices month by month.
func (db *DB) ReplayIndicators(ctx context.Context, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error) {
	if countries != nil && len(countries) == 0 {
		return nil, nil
	}
	c := &conds{}
	c.add("period_kind = ?", string(k))
	c.add("name = ?", name)
	if !from.IsZero() {
		c.add("period_start >= ?", dateArg(from))
	}
	if !to.IsZero() {
		c.add("period_start <= ?", dateArg(to))
	}
	if countries != nil {
		c.list = append(c.list, "country IN ("+placeholders(len(countries))+")")
		for _, x := range countries {
			c.args = append(c.args, strings.ToUpper(x))
		}
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT country, admin1, period_start, value FROM indicators`+c.where()), c.args...)
	if err != nil {
		return nil, fmt.Errorf("replay indicators %s %s: %w", k, name, err)
	}
	defer rows.Close()
	var out []indicator.Value
	for rows.Next() {
		v := indicator.Value{Kind: k, Name: name}
		var day any
		if err := rows.Scan(&v.Country, &v.Admin1, &day, &v.Value); err != nil {
			return nil, fmt.Errorf("replay indicators %s %s: %w", k, name, err)
		}
		if v.Start, err = scanDate(day); err != nil {
			return nil, fmt.Errorf("replay indicators %s %s: %w", k, name, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReplayEvents calls fn for each event of the countries (nil: all)
// starting in [from, to] (zero: unbounded), in no particular order, with
// the fields rules read (identity, dates, place, category, source type,
// fatalities, electoral flag) and without the provenance and free text.
func (db *DB) ReplayEvents(ctx context.Context, countries []string, from, to time.Time, fn func(event.Event) error) error {
	w, args := countryDateWhere(countries, from, to)
	q := `SELECT e.source, e.source_id, e.date_start, e.date_end, e.date_precision, e.country, e.admin1,
		e.geo_precision, e.category, e.source_type, e.fatalities_best, e.fatalities_low, e.fatalities_high, e.electoral
		FROM events e` + w
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("replay events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                 event.Event
			src, cat          string
			start, end        any
			datePrec, geoPrec int
			best, low, high   sql.NullInt64
			electoral         any
		)
		if err := rows.Scan(&src, &e.SourceID, &start, &end, &datePrec, &e.Country, &e.Admin1,
			&geoPrec, &cat, &e.SourceType, &best, &low, &high, &electoral); err != nil {
			return fmt.Errorf("replay events: %w", err)
		}
		if e.DateStart, err = scanDate(start); err != nil {
			return fmt.Errorf("replay events: %w", err)
		}
		if e.DateEnd, err = scanDate(end); err != nil {
			return fmt.Errorf("replay events: %w", err)
		}
		e.Source, e.Category = event.Source(src), event.Category(cat)
		e.DatePrecision, e.GeoPrecision = event.DatePrecision(datePrec), event.GeoPrecision(geoPrec)
		e.Fatalities = event.Fatalities{Best: nullInt(best), Low: nullInt(low), High: nullInt(high)}
		e.Electoral = scanBool(electoral)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
