package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"threshold/internal/event"
	"threshold/internal/indicator"
)

var _ indicator.Store = (*DB)(nil)

// admin1Expr is the admin-1 area an event counts in for indicators: its
// own when its place is known to the area or better (geo_precision 1..4,
// or 0 unknown), else none.
const admin1Expr = `CASE WHEN e.geo_precision <= 4 THEN e.admin1 ELSE '' END`

// countryDateWhere builds the conditions on countries and start dates.
func countryDateWhere(countries []string, from, to time.Time) (string, []any) {
	var conds []string
	var args []any
	if countries != nil {
		if len(countries) == 0 {
			return " WHERE 1 = 0", nil
		}
		conds = append(conds, "e.country IN ("+placeholders(len(countries))+")")
		for _, c := range countries {
			args = append(args, c)
		}
	}
	if !from.IsZero() {
		conds = append(conds, "e.date_start >= ?")
		args = append(args, dateArg(from))
	}
	if !to.IsZero() {
		conds = append(conds, "e.date_start <= ?")
		args = append(args, dateArg(to))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// IndicatorAggregates sums, in SQL, the events of the countries (nil: all)
// starting in [from, to] (zero: unbounded) by country, admin-1 area (see
// admin1Expr), start day and category, and calls fn with each sum, ordered
// by country and area (indicator.Store's grouping) and streamed from the
// query, so that memory does not grow with the number of sums.
func (db *DB) IndicatorAggregates(ctx context.Context, countries []string, from, to time.Time, fn func(*indicator.Aggregate) error) error {
	w, args := countryDateWhere(countries, from, to)
	// The ORDER BY repeats the GROUP BY, whose sort then serves both on
	// SQLite (ordered by the place alone, SQLite sorts a second time) and
	// on PostgreSQL (sort, then group).
	q := `SELECT e.country, ` + admin1Expr + `, e.date_start, e.category, COUNT(*),
		SUM(CASE WHEN e.fatalities_best > 0 THEN 1 ELSE 0 END),
		COALESCE(SUM(e.fatalities_best), 0),
		COALESCE(SUM(COALESCE(e.fatalities_low, e.fatalities_best)), 0),
		COALESCE(SUM(COALESCE(e.fatalities_high, e.fatalities_best)), 0),
		COALESCE(SUM(e.goldstein), 0), COUNT(e.goldstein)
		FROM events e` + w + `
		GROUP BY e.country, ` + admin1Expr + `, e.date_start, e.category
		ORDER BY e.country, ` + admin1Expr + `, e.date_start, e.category`
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("indicator aggregates: %w", err)
	}
	defer rows.Close()
	var (
		a                    indicator.Aggregate
		day                  any
		country, admin1, cat sql.RawBytes
		fatal, b, lo, hi     int64
	)
	for rows.Next() {
		if err := rows.Scan(&country, &admin1, &day, &cat, &a.Events, &fatal, &b, &lo, &hi, &a.GoldsteinSum, &a.GoldsteinEvents); err != nil {
			return fmt.Errorf("indicator aggregates: %w", err)
		}
		if a.Day, err = scanDate(day); err != nil {
			return fmt.Errorf("indicator aggregates: %w", err)
		}
		// The rows come grouped by place: the strings of the last one
		// mostly serve again.
		if string(country) != a.Country {
			a.Country = string(country)
		}
		if string(admin1) != a.Admin1 {
			a.Admin1 = string(admin1)
		}
		if string(cat) != string(a.Category) {
			a.Category = event.Category(cat)
		}
		a.FatalEvents, a.FatalitiesBest, a.FatalitiesLow, a.FatalitiesHigh = int(fatal), int(b), int(lo), int(hi)
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("indicator aggregates: %w", err)
	}
	return nil
}

// LastFatal returns, for the countries (nil: all) and their admin-1 areas,
// the latest start day before before of an event with a best fatality
// estimate above zero.
func (db *DB) LastFatal(ctx context.Context, countries []string, before time.Time) (map[indicator.Place]time.Time, error) {
	out := map[indicator.Place]time.Time{}
	if before.IsZero() {
		return out, nil
	}
	w, args := countryDateWhere(countries, time.Time{}, before.AddDate(0, 0, -1))
	w += " AND e.fatalities_best > 0"
	if !strings.HasPrefix(w, " WHERE") {
		w = " WHERE" + strings.TrimPrefix(w, " AND")
	}
	// Per admin-1 area, then the country's latest over all its events.
	q := `SELECT e.country, ` + admin1Expr + `, MAX(e.date_start) FROM events e` + w +
		` GROUP BY e.country, ` + admin1Expr
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("last fatal event: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p   indicator.Place
			day any
		)
		if err := rows.Scan(&p.Country, &p.Admin1, &day); err != nil {
			return nil, fmt.Errorf("last fatal event: %w", err)
		}
		d, err := scanDate(day)
		if err != nil {
			return nil, fmt.Errorf("last fatal event: %w", err)
		}
		out[p] = d
		c := indicator.Place{Country: p.Country}
		if d.After(out[c]) {
			out[c] = d
		}
	}
	return out, rows.Err()
}

// indicatorChunk is how many indicator rows one INSERT carries: 6
// arguments each, under SQLite's and PostgreSQL's limits on bound
// parameters.
const indicatorChunk = 1000

// ReplaceIndicators is ReplaceIndicatorsFunc storing values.
func (db *DB) ReplaceIndicators(ctx context.Context, countries []string, from, to time.Time, values []indicator.Value) error {
	return db.ReplaceIndicatorsFunc(ctx, countries, from, to, func(put func([]indicator.Value) error) error {
		return put(values)
	})
}

// ReplaceIndicatorsFunc deletes the stored indicators of the countries
// (nil: all) for the days, weeks and months that contain a day of [from,
// to] (zero: unbounded) and stores the values fill puts, in one
// transaction: on SQLite with an upsert on (country, admin1, period kind,
// period start, name), on PostgreSQL with one COPY, replacements being
// serialised by an advisory lock. fill runs on its own goroutine while
// this one writes: put hands a batch over through a small channel, so
// computing overlaps writing and at most a few batches wait in memory.
func (db *DB) ReplaceIndicatorsFunc(ctx context.Context, countries []string, from, to time.Time, fill func(put func([]indicator.Value) error) error) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("replace indicators: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace indicators: %w", err)
	}
	defer tx.Rollback()
	full, err := db.deleteIndicators(ctx, tx, countries, from, to)
	if err != nil {
		return fmt.Errorf("replace indicators: %w", err)
	}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []indicator.Value, 2)
	var fillErr error
	filled := make(chan struct{})
	go func() {
		defer close(filled)
		defer close(batches)
		fillErr = fill(func(vs []indicator.Value) error {
			select {
			case batches <- vs:
				return nil
			case <-fctx.Done():
				return fctx.Err()
			}
		})
	}()
	if db.d.name == "postgres" {
		err = copyIndicators(fctx, conn, batches)
	} else {
		err = db.upsertIndicators(fctx, tx, batches)
	}
	// A failed write stops fill at its next put.
	cancel()
	<-filled
	if fillErr != nil && (err == nil || !errors.Is(fillErr, context.Canceled)) {
		return fmt.Errorf("replace indicators: %w", fillErr)
	}
	if err != nil {
		return fmt.Errorf("replace indicators: %w", err)
	}
	if full && db.d.name == "postgres" {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE indicators ADD CONSTRAINT indicators_pkey PRIMARY KEY (country, admin1, period_kind, period_start, name)`); err != nil {
			return fmt.Errorf("replace indicators: rebuild primary key: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace indicators: %w", err)
	}
	return nil
}

// deleteIndicators takes the replacements' lock and deletes what
// ReplaceIndicatorsFunc replaces; full reports that it is everything.
func (db *DB) deleteIndicators(ctx context.Context, tx *sql.Tx, countries []string, from, to time.Time) (full bool, err error) {
	// Replacements are serialised, so that no other one inserts between
	// this one's DELETE and its COPY.
	if db.d.xactLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(db.d.xactLock), int64(indicatorsLockID)); err != nil {
			return false, err
		}
	}
	if countries == nil && from.IsZero() && to.IsZero() {
		// Everything: one unconditional DELETE, which SQLite truncates;
		// PostgreSQL's TRUNCATE (transactional, but holding an exclusive
		// lock until commit) leaves no dead rows, and its primary key is
		// built once after the COPY rather than row by row, which halves
		// a full recompute.
		return true, db.truncateIndicators(ctx, tx)
	}
	// Each kind's periods containing a day of [from, to] are those
	// starting between the starts of the periods of from and of to.
	for _, k := range indicator.Kinds() {
		var kf, kt time.Time
		if !from.IsZero() {
			kf = k.Start(from)
		}
		if !to.IsZero() {
			kt = k.Start(to)
		}
		w, args := countryDateWhere(countries, kf, kt)
		w = strings.ReplaceAll(strings.ReplaceAll(w, "e.date_start", "period_start"), "e.country", "country")
		if w == "" {
			w = " WHERE period_kind = ?"
		} else {
			w += " AND period_kind = ?"
		}
		args = append(args, string(k))
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM indicators`+w), args...); err != nil {
			return false, err
		}
	}
	return false, nil
}

// upsertIndicators stores the batches' values on SQLite, indicatorChunk
// rows a statement.
func (db *DB) upsertIndicators(ctx context.Context, tx *sql.Tx, batches <-chan []indicator.Value) error {
	var prepared *sql.Stmt
	args := make([]any, 0, 6*indicatorChunk)
	exec := func() error {
		n := len(args) / 6
		if n == 0 {
			return nil
		}
		var err error
		if n == indicatorChunk {
			if prepared == nil {
				if prepared, err = tx.PrepareContext(ctx, db.d.rebind(upsertIndicatorsSQL(n))); err != nil {
					return err
				}
			}
			_, err = prepared.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, db.d.rebind(upsertIndicatorsSQL(n)), args...)
		}
		args = args[:0]
		return err
	}
	err := func() error {
		for vs := range batches {
			for i := range vs {
				v := &vs[i]
				args = append(args, v.Country, v.Admin1, string(v.Kind), dateArg(v.Start), v.Name, v.Value)
				if len(args) == cap(args) {
					if err := exec(); err != nil {
						return err
					}
				}
			}
		}
		return exec()
	}()
	if prepared != nil {
		err = errors.Join(err, prepared.Close())
	}
	return err
}

// truncateIndicators empties the indicators table inside tx. On
// PostgreSQL it also drops the primary key, which the caller rebuilds
// after loading (in the same transaction, so a failure restores both).
func (db *DB) truncateIndicators(ctx context.Context, tx *sql.Tx) error {
	if db.d.name != "postgres" {
		_, err := tx.ExecContext(ctx, `DELETE FROM indicators`)
		return err
	}
	for _, q := range []string{
		`TRUNCATE indicators`,
		`ALTER TABLE indicators DROP CONSTRAINT indicators_pkey`,
		`SET LOCAL maintenance_work_mem = '256MB'`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func upsertIndicatorsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO indicators (country, admin1, period_kind, period_start, name, value) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	b.WriteString(` ON CONFLICT (country, admin1, period_kind, period_start, name) DO UPDATE SET value = excluded.value`)
	return b.String()
}

// IndicatorQuery selects stored indicators. Zero fields select everything.
type IndicatorQuery struct {
	Country string
	Admin1  *string // nil: every area and the whole country; "" the whole country only
	Kind    indicator.Kind
	Name    string
	From    time.Time // periods starting on or after this day
	To      time.Time // periods starting on or before this day
}

// conds returns q's conditions on the indicators table.
func (q IndicatorQuery) conds() *conds {
	c := &conds{}
	if q.Country != "" {
		c.add("country = ?", strings.ToUpper(q.Country))
	}
	if q.Admin1 != nil {
		c.add("admin1 = ?", *q.Admin1)
	}
	if q.Kind != "" {
		c.add("period_kind = ?", string(q.Kind))
	}
	if q.Name != "" {
		c.add("name = ?", q.Name)
	}
	if !q.From.IsZero() {
		c.add("period_start >= ?", dateArg(q.From))
	}
	if !q.To.IsZero() {
		c.add("period_start <= ?", dateArg(q.To))
	}
	return c
}

// Indicators returns the stored indicators matching q, ordered by country,
// admin-1 area, period kind, period start and name.
func (db *DB) Indicators(ctx context.Context, q IndicatorQuery) ([]indicator.Value, error) {
	c := q.conds()
	s := `SELECT country, admin1, period_kind, period_start, name, value FROM indicators` + c.where() +
		" ORDER BY country, admin1, period_kind, period_start, name"
	return db.queryIndicatorValues(ctx, "indicators", s, c.args)
}

// queryIndicatorValues runs an indicators query selecting country, admin1,
// period_kind, period_start, name and value, and scans its rows; what
// names the query in errors.
func (db *DB) queryIndicatorValues(ctx context.Context, what, query string, args []any) ([]indicator.Value, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []indicator.Value{}
	for rows.Next() {
		var (
			v    indicator.Value
			kind string
			day  any
		)
		if err := rows.Scan(&v.Country, &v.Admin1, &kind, &day, &v.Name, &v.Value); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		v.Kind = indicator.Kind(kind)
		if v.Start, err = scanDate(day); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// indicatorsLockID is the advisory lock key that serialises indicator
// replacements on PostgreSQL.
const indicatorsLockID = 0x696e6469 // "indi"

// copyIndicators stores the batches' values on PostgreSQL with one COPY,
// many times faster than INSERT statements. It needs no upsert:
// ReplaceIndicatorsFunc has deleted every cell the values cover, under a
// lock that keeps other replacements out.
func copyIndicators(ctx context.Context, conn *sql.Conn, batches <-chan []indicator.Value) error {
	var (
		batch []indicator.Value
		i     int
	)
	next := func() bool {
		for i == len(batch) {
			vs, ok := <-batches
			if !ok {
				return false
			}
			batch, i = vs, 0
		}
		return true
	}
	if !next() {
		return nil // nothing to store
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection %T is not pgx", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"indicators"},
			[]string{"country", "admin1", "period_kind", "period_start", "name", "value"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if !next() {
					return nil, nil
				}
				v := &batch[i]
				i++
				return []any{v.Country, v.Admin1, string(v.Kind), v.Start, v.Name, v.Value}, nil
			}))
		return err
	})
}
