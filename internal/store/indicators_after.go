package store

import (
	"context"
	"fmt"
	"time"

	"threshold/internal/indicator"
)

// IndicatorKey is a stored indicator's place in the order of Indicators
// and IndicatorsAfter: its cell and name, the table's primary key.
type IndicatorKey struct {
	Country string
	Admin1  string
	Kind    indicator.Kind
	Start   time.Time
	Name    string
}

// KeyOf returns the key of v.
func KeyOf(v indicator.Value) IndicatorKey {
	return IndicatorKey{Country: v.Country, Admin1: v.Admin1, Kind: v.Kind, Start: v.Start, Name: v.Name}
}

// IndicatorsAfter returns at most limit stored indicators matching q that
// come after key (nil: from the first), in the order of Indicators. It is
// keyset pagination over the primary key: each page is one index range
// scan, so an export streams any number of values in pages of bounded
// memory without holding a cursor open between pages.
func (db *DB) IndicatorsAfter(ctx context.Context, q IndicatorQuery, after *IndicatorKey, limit int) ([]indicator.Value, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("indicators after: limit %d is not positive", limit)
	}
	c := q.conds()
	if after != nil {
		// A row value comparison (SQLite 3.15+, PostgreSQL) orders like
		// the ORDER BY below, collation included, and uses the key's
		// index on both.
		c.list = append(c.list, "(country, admin1, period_kind, period_start, name) > (?, ?, ?, ?, ?)")
		c.args = append(c.args, after.Country, after.Admin1, string(after.Kind), dateArg(after.Start), after.Name)
	}
	s := `SELECT country, admin1, period_kind, period_start, name, value FROM indicators` + c.where() +
		fmt.Sprintf(" ORDER BY country, admin1, period_kind, period_start, name LIMIT %d", limit)
	return db.queryIndicatorValues(ctx, "indicators after", s, c.args)
}
