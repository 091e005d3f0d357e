package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
)

// conds collects the conditions of a WHERE clause, ANDed, and their
// arguments.
type conds struct {
	list []string
	args []any
}

func (c *conds) add(cond string, arg any) {
	c.list = append(c.list, cond)
	c.args = append(c.args, arg)
}

// where returns " WHERE a AND b ...", or "" when there is no condition.
func (c *conds) where() string {
	if len(c.list) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.list, " AND ")
}

// eventConds are the conditions of f on the events table (alias e).
func eventConds(f event.Filter) *conds {
	c := &conds{}
	if f.Country != "" {
		c.add("e.country = ?", strings.ToUpper(f.Country))
	}
	if f.Admin1 != "" {
		c.add("e.admin1 = ?", f.Admin1)
	}
	if !f.From.IsZero() {
		c.add("e.date_start >= ?", dateArg(f.From))
	}
	if !f.To.IsZero() {
		c.add("e.date_start <= ?", dateArg(f.To))
	}
	if f.Category != "" {
		c.add("e.category = ?", string(f.Category))
	}
	if f.Source != "" {
		c.add("e.source = ?", string(f.Source))
	}
	return c
}

// Page bounds a listing: at most Limit rows (0 for all) with ids greater
// than AfterID, in id order. Keyset pagination stays correct while events
// are being added.
type Page struct {
	AfterID int64
	Limit   int
	// NoRaw leaves the events' Raw and Columns empty. Reading source rows
	// back means decompressing their blocks; listings that do not show
	// them are several times faster without.
	NoRaw bool
}

// Events calls fn for each event matching f, in id order, streaming rows
// so that large selections need no memory.
func (db *DB) Events(ctx context.Context, f event.Filter, p Page, fn func(event.Stored) error) error {
	c := eventConds(f)
	if p.AfterID > 0 {
		c.add("e.id > ?", p.AfterID)
	}
	q := selectEvents + c.where() + ` ORDER BY e.id`
	if p.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", p.Limit)
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q), c.args...)
	if err != nil {
		return fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	raw := newRawReader(db)
	for rows.Next() {
		s, ref, err := db.scanEvent(rows)
		if err != nil {
			return err
		}
		if !p.NoRaw {
			if err := raw.fill(ctx, &s, ref); err != nil {
				return err
			}
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Event returns the event with the given key, or ErrNotFound.
func (db *DB) Event(ctx context.Context, k event.Key) (event.Stored, error) {
	row := db.read.QueryRowContext(ctx, db.d.rebind(selectEvents+` WHERE e.source = ? AND e.source_id = ?`),
		string(k.Source), k.SourceID)
	s, ref, err := db.scanEvent(row)
	if err != nil {
		return event.Stored{}, fmt.Errorf("event %s: %w", k, db.mapErr(err))
	}
	if err := newRawReader(db).fill(ctx, &s, ref); err != nil {
		return event.Stored{}, err
	}
	return s, nil
}

// selectEvents selects the columns scanEvent reads.
const selectEvents = `SELECT e.id, e.source, e.source_id, e.source_version, e.date_start, e.date_end, e.date_precision,
	e.country, e.admin1, e.place, e.latitude, e.longitude, e.geo_precision, e.category,
	e.source_type, e.source_subtype, e.quad_class, e.actor1, e.actor2,
	e.fatalities_best, e.fatalities_low, e.fatalities_high, e.goldstein, e.tone, e.electoral,
	e.source_ref, f.name, e.line, e.file_id, e.raw_offset, e.raw_length, f.separator, f.header, f.format
	FROM events e JOIN ingest_files f ON f.id = e.file_id`

type scanner interface{ Scan(dest ...any) error }

func (db *DB) scanEvent(sc scanner) (event.Stored, rawRef, error) {
	var (
		ref                  rawRef
		header               any
		s                    event.Stored
		src, cat             string
		start, end           any
		datePrec, geoPrec    int
		lat, lon, gold, tone sql.NullFloat64
		best, low, high      sql.NullInt64
		electoral            any
	)
	e := &s.Event
	err := sc.Scan(&s.ID, &src, &e.SourceID, &e.Version, &start, &end, &datePrec,
		&e.Country, &e.Admin1, &e.Place, &lat, &lon, &geoPrec, &cat,
		&e.SourceType, &e.SourceSubType, &e.QuadClass, &e.Actor1, &e.Actor2,
		&best, &low, &high, &gold, &tone, &electoral,
		&e.SourceRef, &s.File, &s.Line, &ref.fileID, &ref.offset, &ref.length, &ref.sep, &header, &ref.format)
	if err != nil {
		return s, ref, err
	}
	ref.header = string(scanBytes(header))
	e.Source, e.Category = event.Source(src), event.Category(cat)
	e.DatePrecision, e.GeoPrecision = event.DatePrecision(datePrec), event.GeoPrecision(geoPrec)
	if e.DateStart, err = scanDate(start); err != nil {
		return s, ref, err
	}
	if e.DateEnd, err = scanDate(end); err != nil {
		return s, ref, err
	}
	e.Latitude, e.Longitude = nullFloat(lat), nullFloat(lon)
	e.Goldstein, e.Tone = nullFloat(gold), nullFloat(tone)
	e.Fatalities = event.Fatalities{Best: nullInt(best), Low: nullInt(low), High: nullInt(high)}
	e.Electoral = scanBool(electoral)
	return s, ref, nil
}

// scanDate reads a date column: text in SQLite, DATE (time.Time) in
// PostgreSQL.
func scanDate(v any) (time.Time, error) {
	switch d := v.(type) {
	case time.Time:
		y, m, dd := d.Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), nil
	case string:
		return time.Parse(time.DateOnly, d)
	case []byte:
		return time.Parse(time.DateOnly, string(d))
	}
	return time.Time{}, fmt.Errorf("unexpected date value %T", v)
}

// scanTime reads a timestamp column: RFC 3339 text in SQLite, timestamptz
// in PostgreSQL.
func scanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t.UTC(), nil
	case string:
		return time.Parse(time.RFC3339Nano, t)
	case []byte:
		return time.Parse(time.RFC3339Nano, string(t))
	}
	return time.Time{}, fmt.Errorf("unexpected time value %T", v)
}

func scanBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case int64:
		return b != 0
	}
	return false
}

func scanBytes(v any) []byte {
	switch b := v.(type) {
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	return nil
}

func nullFloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	return &n.Float64
}

func nullInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
