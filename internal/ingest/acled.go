package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// acledFormat is an ACLED CSV export, from the export tool or the API, in
// any column order and any generation of the column set (the 2019-2022 set
// with event_id_no_cnty and numeric inter codes, the current one with
// disorder_type, civilian_targeting, tags and population_*). Columns the
// event model has no place for are ignored.
//
// ACLED data are not openly licensed: rows are read, never redistributed.
func acledFormat() Format {
	return Format{
		Name:   "acled",
		Source: event.ACLED,
		Match: func(f File) bool {
			return f.Columns.Has("event_id_cnty", "event_date", "event_type")
		},
		New: newACLEDDecoder,
	}
}

// acledDecoder decodes ACLED rows. Column indices are resolved once; -1
// means absent. It holds no mutable state, so it is safe for concurrent
// use.
type acledDecoder struct {
	geo *geo.Table

	id, date, timePrec        int
	eventType, subEventType   int
	actor1, actor2            int
	iso, country, admin1, loc int
	lat, lon, geoPrec         int
	source, fatalities        int
}

func newACLEDDecoder(f File) (Decoder, error) {
	c := f.Columns
	if f.Geo == nil {
		return nil, errors.New("acled: no country code table")
	}
	d := &acledDecoder{
		geo:          f.Geo,
		id:           c.Index("event_id_cnty"),
		date:         c.Index("event_date"),
		timePrec:     c.Index("time_precision"),
		eventType:    c.Index("event_type"),
		subEventType: c.Index("sub_event_type"),
		actor1:       c.Index("actor1"),
		actor2:       c.Index("actor2"),
		iso:          c.Index("iso"),
		country:      c.Index("country"),
		admin1:       c.Index("admin1"),
		loc:          c.Index("location"),
		lat:          c.Index("latitude"),
		lon:          c.Index("longitude"),
		geoPrec:      c.Index("geo_precision"),
		source:       c.Index("source"),
		fatalities:   c.Index("fatalities"),
	}
	var missing []string
	for _, need := range []struct {
		name string
		i    int
	}{{"event_id_cnty", d.id}, {"event_date", d.date}, {"event_type", d.eventType}, {"fatalities", d.fatalities}} {
		if need.i < 0 {
			missing = append(missing, need.name)
		}
	}
	if d.iso < 0 && d.country < 0 {
		missing = append(missing, "iso")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("acled: missing column(s) %s", strings.Join(missing, ", "))
	}
	return d, nil
}

// Decode maps one ACLED row to an event. DateStart and DateEnd are both
// event_date: ACLED gives one date, placed mid-week or mid-month when
// time_precision is 2 or 3, and DatePrecision carries that uncertainty.
//
// Rejected, with a *FieldError: a missing event_id_cnty, a missing,
// unparsable or ambiguous (slashed) event_date, an unknown event_type,
// precisions off ACLED's scales, an unresolvable country, bad coordinates,
// and fatalities that are unparsable or negative. ACLED has no low or high
// estimate.
func (d *acledDecoder) Decode(fields []string) (event.Event, error) {
	r := Row{Fields: fields}
	e := event.Event{Source: event.ACLED}

	e.SourceID = r.Get(d.id)
	if isNA(e.SourceID) {
		return event.Event{}, &FieldError{Field: "event_id_cnty", Reason: "missing"}
	}
	t, err := acledDate(r.Get(d.date))
	if err != nil {
		return event.Event{}, err
	}
	e.DateStart, e.DateEnd = t, t
	if v := r.Get(d.timePrec); !isNA(v) {
		switch v {
		case "1":
			e.DatePrecision = event.Day
		case "2":
			e.DatePrecision = event.Week
		case "3":
			e.DatePrecision = event.Month
		default:
			return event.Event{}, &FieldError{Field: "time_precision", Value: v, Reason: "not 1, 2 or 3"}
		}
	}

	e.SourceType = r.Get(d.eventType)
	e.SourceSubType = naEmpty(r.Get(d.subEventType))
	cat, ok := acledCategory(e.SourceType, e.SourceSubType)
	if !ok {
		return event.Event{}, &FieldError{Field: "event_type", Value: e.SourceType, Reason: "unknown event type"}
	}
	e.Category = cat

	if e.Country, err = d.resolveCountry(r); err != nil {
		return event.Event{}, err
	}
	e.Admin1 = naEmpty(r.Get(d.admin1))
	e.Place = naEmpty(r.Get(d.loc))
	if v := r.Get(d.geoPrec); !isNA(v) {
		switch v {
		case "1":
			e.GeoPrecision = event.Exact
		case "2":
			e.GeoPrecision = event.Near
		case "3":
			e.GeoPrecision = event.Region
		default:
			return event.Event{}, &FieldError{Field: "geo_precision", Value: v, Reason: "not 1, 2 or 3"}
		}
	}
	e.Actor1 = naEmpty(r.Get(d.actor1))
	e.Actor2 = naEmpty(r.Get(d.actor2))
	e.SourceRef = naEmpty(r.Get(d.source))

	// One allocation holds every number the event points to.
	n := new(eventNumbers)
	if err := n.coordinates(&e, "latitude", r.Get(d.lat), "longitude", r.Get(d.lon)); err != nil {
		return event.Event{}, err
	}
	best, ok, err := deathCount("fatalities", r.Get(d.fatalities))
	if err != nil {
		return event.Event{}, err
	}
	if ok {
		n.best = best
		e.Fatalities.Best = &n.best
	}
	return e, nil
}

// resolveCountry finds the ISO alpha-3 code from iso (ISO 3166-1 numeric),
// falling back to the country name when iso is absent, 0 (ACLED's code for
// places without one, such as Kosovo) or unknown to the table.
func (d *acledDecoder) resolveCountry(r Row) (string, error) {
	v := r.Get(d.iso)
	if !isNA(v) {
		n, ok := intDigits(v)
		if !ok || n < 0 {
			return "", &FieldError{Field: "iso", Value: v, Reason: "not an ISO 3166-1 numeric code"}
		}
		if n != 0 {
			if iso, err := d.geo.FromISONumeric(n); err == nil && len(iso) == 3 {
				return iso, nil
			}
		}
	}
	name := r.Get(d.country)
	if !isNA(name) {
		if iso, err := d.geo.FromName(name); err == nil && len(iso) == 3 {
			return iso, nil
		}
	}
	switch {
	case !isNA(v):
		return "", &FieldError{Field: "iso", Value: v, Reason: "unknown country"}
	case !isNA(name):
		return "", &FieldError{Field: "country", Value: name, Reason: "unknown country"}
	}
	return "", &FieldError{Field: "iso", Reason: "missing"}
}

// acledCategory maps event_type (and, for Strategic developments,
// sub_event_type) to the taxonomy, as documented on event.Category.
func acledCategory(typ, sub string) (event.Category, bool) {
	switch typ {
	case "Battles":
		return event.Battle, true
	case "Explosions/Remote violence":
		return event.ExplosionRemoteViolence, true
	case "Violence against civilians":
		return event.ViolenceAgainstCivilians, true
	case "Riots":
		return event.Riot, true
	case "Protests":
		return event.Protest, true
	case "Strategic developments":
		if strings.EqualFold(sub, "Agreement") {
			return event.DiplomaticCooperation, true
		}
		return event.Other, true
	}
	// Hand-edited exports change case; nothing else is guessed.
	for _, k := range [...]string{"Battles", "Explosions/Remote violence", "Violence against civilians",
		"Riots", "Protests", "Strategic developments"} {
		if strings.EqualFold(typ, k) {
			return acledCategory(k, sub)
		}
	}
	return "", false
}

// acledDateLayouts are the named-month forms of ACLED's export tool
// ("19 June 2019", older "19-June-2019"); the API writes ISO dates.
var acledDateLayouts = []string{"2 January 2006", "2-January-2006", "2 Jan 2006", "2-Jan-2006"}

// acledDate parses event_date. Slashed dates are refused rather than
// guessed: ACLED never writes them, and a spreadsheet that did may have
// used either day or month first.
func acledDate(s string) (time.Time, error) {
	if isNA(s) {
		return time.Time{}, &FieldError{Field: "event_date", Reason: "missing date"}
	}
	if strings.IndexByte(s, '/') >= 0 {
		return time.Time{}, &FieldError{Field: "event_date", Value: s, Reason: "ambiguous date, want YYYY-MM-DD or D Month YYYY"}
	}
	if len(s) >= 10 {
		if t, ok := isoDate(s[:10]); ok && t.Year() >= 1000 {
			switch s[10:] {
			case "", "T00:00:00", " 00:00:00", "T00:00:00Z":
				return t, nil
			}
		}
	}
	for _, layout := range acledDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			y, m, d := t.Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			return t, checkYear("event_date", s, t)
		}
	}
	t, err := Date("event_date", s)
	if err != nil {
		return time.Time{}, err
	}
	return t, checkYear("event_date", s, t)
}
