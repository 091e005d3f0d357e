package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// powellThyneFormat is the Powell & Thyne list of coups and coup attempts
// (Powell and Thyne 2011, "Global instances of coups from 1950 to 2010",
// Journal of Peace Research 48(2); updated releases such as V2022.11.29):
// one row per attempt with columns country, ccode (Correlates of War),
// ccode_gw, ccode_polity, year, month, day, coup (1 failed, 2 successful)
// and version.
//
// Every row is an event of category coup in its country (resolved from
// ccode on the coup's date, else from the name), dated to the day, placed
// only to the country, with no fatality figures (the list gives none).
// SourceType keeps the outcome, "successful" or "attempt". The list has no
// row ids, so SourceID is the COW code and the date, "482-2003-03-15",
// which is unique in every release (one attempt per country and day).
func powellThyneFormat() Format {
	return Format{
		Name:   "powell-thyne",
		Source: event.PowellThyne,
		Match: func(f File) bool {
			return f.Columns.Has("country", "ccode", "year", "month", "day", "coup") && !f.Columns.Has("type_of_violence")
		},
		New: newPowellThyneDecoder,
	}
}

type powellThyneDecoder struct {
	geo                                  *geo.Table
	country, ccode, year, month, day, co int
	version                              int
}

func newPowellThyneDecoder(f File) (Decoder, error) {
	if f.Geo == nil {
		return nil, errors.New("powell-thyne: no country code table")
	}
	c := f.Columns
	var missing []string
	for _, n := range []string{"country", "ccode", "year", "month", "day", "coup"} {
		if !c.Has(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("powell-thyne: missing column(s) %s", strings.Join(missing, ", "))
	}
	return &powellThyneDecoder{
		geo: f.Geo, country: c.Index("country"), ccode: c.Index("ccode"),
		year: c.Index("year"), month: c.Index("month"), day: c.Index("day"), co: c.Index("coup"),
		version: c.Index("version"),
	}, nil
}

// Decode maps one row to an event. Rejected, with a *FieldError: a
// missing or impossible date, a coup code other than 1 or 2, and a country
// that neither ccode nor the name resolves.
func (d *powellThyneDecoder) Decode(fields []string) (event.Event, error) {
	r := Row{Fields: fields}
	var ymd [3]int
	for i, col := range []struct {
		name   string
		idx    int
		lo, hi int
	}{{"year", d.year, 1000, 9999}, {"month", d.month, 1, 12}, {"day", d.day, 1, 31}} {
		v := r.Get(col.idx)
		n, ok := intDigits(v)
		if !ok {
			return event.Event{}, &FieldError{Field: col.name, Value: v, Reason: "not a whole number"}
		}
		if n < col.lo || n > col.hi {
			return event.Event{}, &FieldError{Field: col.name, Value: v, Reason: "out of range"}
		}
		ymd[i] = n
	}
	date := time.Date(ymd[0], time.Month(ymd[1]), ymd[2], 0, 0, 0, 0, time.UTC)
	if date.Day() != ymd[2] {
		return event.Event{}, &FieldError{Field: "day", Value: r.Get(d.day), Reason: fmt.Sprintf("no such day in %04d-%02d", ymd[0], ymd[1])}
	}
	var outcome string
	switch v := r.Get(d.co); v {
	case "1":
		outcome = "attempt"
	case "2":
		outcome = "successful"
	default:
		return event.Event{}, &FieldError{Field: "coup", Value: v, Reason: "want 1 (failed attempt) or 2 (successful)"}
	}
	iso, code, err := d.resolve(r, date)
	if err != nil {
		return event.Event{}, err
	}
	name := r.Get(d.country)
	e := event.Event{
		Source:        event.PowellThyne,
		SourceID:      fmt.Sprintf("%s-%s", code, date.Format(time.DateOnly)),
		DateStart:     date,
		DateEnd:       date,
		DatePrecision: event.Day,
		Country:       iso,
		Place:         name,
		GeoPrecision:  event.CountryWide,
		Category:      event.Coup,
		SourceType:    outcome,
		SourceRef:     "Powell & Thyne (2011), Journal of Peace Research 48(2)",
	}
	if v := r.Get(d.version); !isNA(v) {
		e.Version = strings.TrimPrefix(strings.TrimPrefix(v, "V"), "v")
	}
	return e, nil
}

// resolve finds the country from ccode (COW) on the coup's date, falling
// back to the undated code and then to the name. It returns the ISO code and
// the identifier part for SourceID (the COW code, or the name when ccode is
// missing).
func (d *powellThyneDecoder) resolve(r Row, on time.Time) (iso, id string, err error) {
	v := r.Get(d.ccode)
	name := r.Get(d.country)
	if !isNA(v) {
		code, ok := intDigits(v)
		if !ok {
			return "", "", &FieldError{Field: "ccode", Value: v, Reason: "not a Correlates of War code"}
		}
		iso, err := d.geo.FromCOW(code, on)
		if errors.Is(err, geo.ErrNoStateOnDate) {
			iso, err = d.geo.FromCOW(code, time.Time{})
		}
		if err == nil && len(iso) == 3 {
			return iso, v, nil
		}
		if iso, err := d.geo.FromName(name); err == nil && len(iso) == 3 {
			return iso, v, nil
		}
		return "", "", &FieldError{Field: "ccode", Value: v, Reason: "unknown country"}
	}
	if isNA(name) {
		return "", "", &FieldError{Field: "ccode", Reason: "missing, and so is country"}
	}
	iso, err = d.geo.FromName(name)
	if err != nil || len(iso) != 3 {
		return "", "", &FieldError{Field: "country", Value: name, Reason: "unknown country"}
	}
	return iso, strings.ReplaceAll(name, " ", "_"), nil
}
