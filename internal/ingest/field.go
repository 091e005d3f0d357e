package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FieldError says which field of a row is bad and why. Decoders return it so
// that a quarantined row names its field.
type FieldError struct {
	Field  string // column name as the source's codebook spells it
	Value  string // the offending value, as read
	Reason string // "unparsable date", "out of range", "unknown country", ...
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("field %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("field %s: %s: %q", e.Field, e.Reason, e.Value)
}

// Columns maps a file's column names to their indices.
type Columns map[string]int

// NewColumns indexes a header row. Names are trimmed, lower-cased and their
// spaces turned into underscores ("Event ID" -> "event_id"), and a UTF-8
// byte order mark on the first name is dropped.
func NewColumns(header []string) Columns {
	c := make(Columns, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
		if _, dup := c[h]; !dup {
			c[h] = i
		}
	}
	return c
}

// Has reports whether every name is a column.
func (c Columns) Has(names ...string) bool {
	for _, n := range names {
		if _, ok := c[n]; !ok {
			return false
		}
	}
	return true
}

// Index returns the index of the named column, or -1.
func (c Columns) Index(name string) int {
	if i, ok := c[name]; ok {
		return i
	}
	return -1
}

// Row gives named access to the fields of one row. A missing column reads
// as the empty string.
type Row struct {
	Fields []string
}

// Get returns field i trimmed of surrounding space, or "" if i < 0 or the
// row is short.
func (r Row) Get(i int) string {
	if i < 0 || i >= len(r.Fields) {
		return ""
	}
	return strings.TrimSpace(r.Fields[i])
}

// isNA reports whether s is one of the spellings of "no value" in the
// published files (R's NA, empty).
func isNA(s string) bool {
	return s == "" || s == "NA" || s == "NULL" || s == "null"
}

// OptInt parses an optional integer; "", "NA" and "NULL" give nil. A value
// written with a fractional part of zero ("12.0") is accepted.
func OptInt(field, s string) (*int, error) {
	if isNA(s) {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int(f)) {
			return nil, &FieldError{Field: field, Value: s, Reason: "not an integer"}
		}
		n = int(f)
	}
	return &n, nil
}

// OptFloat parses an optional decimal number; "", "NA" and "NULL" give nil.
// NaN and infinities are errors: no source means them as values.
func OptFloat(field, s string) (*float64, error) {
	v, ok, err := Float(field, s)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// Coordinates parses a latitude and longitude. Both absent gives nils; one
// without the other, an unparsable value or one out of range is an error
// naming the field.
func Coordinates(latField, lat, lonField, lon string) (*float64, *float64, error) {
	la, err := OptFloat(latField, lat)
	if err != nil {
		return nil, nil, err
	}
	lo, err := OptFloat(lonField, lon)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case la == nil && lo == nil:
		return nil, nil, nil
	case la == nil:
		return nil, nil, &FieldError{Field: latField, Reason: "missing while " + lonField + " is given"}
	case lo == nil:
		return nil, nil, &FieldError{Field: lonField, Reason: "missing while " + latField + " is given"}
	case *la < -90 || *la > 90:
		return nil, nil, &FieldError{Field: latField, Value: lat, Reason: "out of range -90..90"}
	case *lo < -180 || *lo > 180:
		return nil, nil, &FieldError{Field: lonField, Value: lon, Reason: "out of range -180..180"}
	}
	return la, lo, nil
}

// dateLayouts are the date forms seen in published event files.
var dateLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04:05.000",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.000",
	"20060102",
	"1/2/2006",
	"02 January 2006",
	"2 January 2006",
}

// Date parses a civil date in any form the sources use: ISO dates with or
// without a time part ("2013-01-05", "2013-01-05 00:00:00.000",
// "2013-01-05T00:00:00"), compact GDELT dates ("20130105"), UCDP DECO's
// M/D/YYYY and ACLED's "05 January 2013". The time of day is dropped; the
// result is midnight UTC. Years before 1000 are refused: no event data set
// reaches back that far, and year 1 is Go's zero time.
func Date(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, &FieldError{Field: field, Reason: "missing date"}
	}
	if t, ok := isoDate(s); ok {
		return t, nil
	}
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err == nil && t.Year() >= 1000 {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, &FieldError{Field: field, Value: s, Reason: "unparsable date"}
}

// isoDate is the fast path for the commonest form, a plain "YYYY-MM-DD".
func isoDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1000 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// YMD builds a civil date from year, month and day fields.
func YMD(yField, y, mField, m, dField, d string) (time.Time, error) {
	year, err := strconv.Atoi(strings.TrimSpace(y))
	if err != nil || year < 1000 || year > 9999 {
		return time.Time{}, &FieldError{Field: yField, Value: y, Reason: "not a year"}
	}
	month, err := strconv.Atoi(strings.TrimSpace(m))
	if err != nil || month < 1 || month > 12 {
		return time.Time{}, &FieldError{Field: mField, Value: m, Reason: "not a month"}
	}
	day, err := strconv.Atoi(strings.TrimSpace(d))
	if err != nil || day < 1 || day > 31 {
		return time.Time{}, &FieldError{Field: dField, Value: d, Reason: "not a day of the month"}
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, &FieldError{Field: dField, Value: d, Reason: fmt.Sprintf("no such day in %d-%02d", year, month)}
	}
	return t, nil
}

// CompactDate parses a compact YYYYMMDD date, as GDELT writes SQLDATE,
// without the layout search Date does: it is on the hot path of GDELT
// ingest.
func CompactDate(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, &FieldError{Field: field, Reason: "missing date"}
	}
	if len(s) == 8 {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[4:6])
		d, ok3 := digits(s[6:8])
		if ok1 && ok2 && ok3 && y >= 1000 && m >= 1 && m <= 12 && d >= 1 {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Day() == d {
				return t, nil
			}
		}
	}
	return time.Time{}, &FieldError{Field: field, Value: s, Reason: "unparsable date"}
}

// Float parses an optional decimal number without allocating, for decoders
// that store values in their own memory: "", "NA" and "NULL" give ok ==
// false. Unlike OptFloat it rejects NaN and infinities, which no source
// means as a value.
func Float(field, s string) (v float64, ok bool, err error) {
	if isNA(s) {
		return 0, false, nil
	}
	v, perr := strconv.ParseFloat(s, 64)
	if perr != nil || v != v || v > math.MaxFloat64 || v < -math.MaxFloat64 {
		return 0, false, &FieldError{Field: field, Value: s, Reason: "not a number"}
	}
	return v, true, nil
}

// LatLon is Coordinates returning values rather than pointers, and
// rejecting NaN and infinities: ok is false when both are absent.
func LatLon(latField, lat, lonField, lon string) (la, lo float64, ok bool, err error) {
	la, okLat, err := Float(latField, lat)
	if err != nil {
		return 0, 0, false, err
	}
	lo, okLon, err := Float(lonField, lon)
	if err != nil {
		return 0, 0, false, err
	}
	switch {
	case !okLat && !okLon:
		return 0, 0, false, nil
	case !okLat:
		return 0, 0, false, &FieldError{Field: latField, Reason: "missing while " + lonField + " is given"}
	case !okLon:
		return 0, 0, false, &FieldError{Field: lonField, Reason: "missing while " + latField + " is given"}
	case la < -90 || la > 90:
		return 0, 0, false, &FieldError{Field: latField, Value: lat, Reason: "out of range -90..90"}
	case lo < -180 || lo > 180:
		return 0, 0, false, &FieldError{Field: lonField, Value: lon, Reason: "out of range -180..180"}
	}
	return la, lo, true, nil
}
