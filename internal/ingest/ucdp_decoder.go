package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// ucdpDecoder decodes rows of the UCDP event files (GED, Candidate, DECO).
// Column indices are resolved once in newUCDPDecoder; -1 means the file has
// no such column. It holds no mutable state, so it is safe for concurrent
// use.
type ucdpDecoder struct {
	source    event.Source
	version   string
	geo       *geo.Table
	electoral bool // DECO: every event is election-related, and type 4 is allowed
	// areas, for a file with coordinates and no adm_1 column (the
	// 14-column GED extract), gives events their admin-1 area from their
	// coordinates; nil otherwise.
	areas *geo.Admin1Table

	id, typ               int
	dateStart, dateEnd    int
	year, month, day      int // only when there is no date_start (14-column extract)
	datePrec, wherePrec   int
	countryID, country    int
	adm1, place, placeAlt int // adm_1, where_coordinates, where_description
	lat, lon              int
	sideA, sideB          int
	best, low, high       int
	bestName, lowName     string // column names for errors
	highName              string
	deaths                [4]int    // the parts of best; all -1 unless all four are columns
	deathNames            [4]string // their column names
	ref                   [3]int    // source_article, source_office, source_headline
}

// newUCDPDecoder builds a decoder for a UCDP event file. DECO files
// (electoral) name two of best's parts differently and allow a fourth
// violence type.
func newUCDPDecoder(f File, src event.Source, electoral bool) (Decoder, error) {
	c := f.Columns
	if f.Geo == nil {
		return nil, errors.New("ucdp: no country code table")
	}
	d := &ucdpDecoder{
		source:    src,
		version:   ucdpVersion(f.Name),
		geo:       f.Geo,
		electoral: electoral,

		id:        c.Index("id"),
		typ:       c.Index("type_of_violence"),
		dateStart: c.Index("date_start"),
		dateEnd:   c.Index("date_end"),
		year:      -1, month: -1, day: -1,
		datePrec:  c.Index("date_prec"),
		wherePrec: c.Index("where_prec"),
		countryID: c.Index("country_id"),
		country:   c.Index("country"),
		adm1:      c.Index("adm_1"),
		place:     c.Index("where_coordinates"),
		placeAlt:  c.Index("where_description"),
		lat:       c.Index("latitude"),
		lon:       c.Index("longitude"),
		sideA:     c.Index("side_a"),
		sideB:     c.Index("side_b"),
		best:      firstColumn(c, ucdpBestNames),
		low:       firstColumn(c, ucdpLowNames),
		high:      firstColumn(c, ucdpHighNames),
		bestName:  firstColumnName(c, ucdpBestNames),
		lowName:   firstColumnName(c, ucdpLowNames),
		highName:  firstColumnName(c, ucdpHighNames),
		ref:       [3]int{c.Index("source_article"), c.Index("source_office"), c.Index("source_headline")},
	}
	var missing []string
	for _, need := range []struct {
		name string
		i    int
	}{{"id", d.id}, {"type_of_violence", d.typ}, {"best", d.best}} {
		if need.i < 0 {
			missing = append(missing, need.name)
		}
	}
	if d.dateStart < 0 {
		if !c.Has("year", "month", "day") {
			missing = append(missing, "date_start")
		}
		d.year, d.month, d.day = c.Index("year"), c.Index("month"), c.Index("day")
	}
	if d.countryID < 0 && d.country < 0 {
		missing = append(missing, "country_id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing column(s) %s", src, strings.Join(missing, ", "))
	}

	// best is defined as the sum of these four (GED codebook; DECO names
	// the last two civilian_deaths and unknown). The check runs only when
	// the file has all four.
	names := [4]string{"deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"}
	if !c.Has(names[2], names[3]) && c.Has("civilian_deaths", "unknown") {
		names[2], names[3] = "civilian_deaths", "unknown"
	}
	d.deaths = [4]int{-1, -1, -1, -1}
	if c.Has(names[:]...) {
		for i, n := range names {
			d.deaths[i] = c.Index(n)
		}
		d.deathNames = names
	}
	if d.adm1 < 0 && d.lat >= 0 && d.lon >= 0 && f.Admin1 != nil {
		var err error
		if d.areas, err = f.Admin1(); err != nil {
			return nil, fmt.Errorf("%s: admin-1 areas: %w", src, err)
		}
	}
	return d, nil
}

// Decode maps one UCDP row to an event.
//
// Rejected, with a *FieldError: a missing id or date, an unknown violence
// type, unparsable or impossible dates, date_end before date_start,
// precisions off UCDP's scales, an unresolvable country, coordinates that
// are unparsable, half missing or out of range, a missing, unparsable or
// negative best estimate, negative low or high, and a best that differs
// from the sum of its parts (deaths_a + deaths_b + deaths_civilians +
// deaths_unknown, a definition that holds on every row of the shared
// releases).
//
// Accepted as published: low above best or high below it. Real releases
// have such rows (15 in GED 23.1 Central African Republic, 71 in the Syria
// release), always with best equal to the sum of its parts, so best is
// right and the band is UCDP's own.
func (d *ucdpDecoder) Decode(fields []string) (event.Event, error) {
	r := Row{Fields: fields}
	e := event.Event{Source: d.source, Version: d.version, Electoral: d.electoral}

	e.SourceID = r.Get(d.id)
	if isNA(e.SourceID) {
		return event.Event{}, &FieldError{Field: "id", Reason: "missing"}
	}

	typ := r.Get(d.typ)
	code, ok := ucdpViolenceType(typ, d.electoral)
	if !ok {
		return event.Event{}, &FieldError{Field: "type_of_violence", Value: typ, Reason: "unknown type of violence"}
	}
	e.SourceType = code
	e.Category = ucdpCategory(code)

	if err := d.dates(r, &e); err != nil {
		return event.Event{}, err
	}

	iso, err := d.resolveCountry(r, e.DateStart)
	if err != nil {
		return event.Event{}, err
	}
	e.Country = iso

	e.Admin1 = naEmpty(r.Get(d.adm1))
	e.Place = naEmpty(r.Get(d.place))
	if e.Place == "" {
		e.Place = naEmpty(r.Get(d.placeAlt))
	}
	e.Actor1 = naEmpty(r.Get(d.sideA))
	e.Actor2 = naEmpty(r.Get(d.sideB))
	for _, i := range d.ref {
		if e.SourceRef = naEmpty(r.Get(i)); e.SourceRef != "" {
			break
		}
	}

	if d.wherePrec >= 0 {
		p, err := precisionCode("where_prec", r.Get(d.wherePrec), int(event.SeaOrAir))
		if err != nil {
			return event.Event{}, err
		}
		e.GeoPrecision = event.GeoPrecision(p)
	}

	// One allocation holds every number the event points to.
	n := new(eventNumbers)
	if err := n.coordinates(&e, "latitude", r.Get(d.lat), "longitude", r.Get(d.lon)); err != nil {
		return event.Event{}, err
	}
	if err := d.fatalities(r, n, &e); err != nil {
		return event.Event{}, err
	}
	if d.areas != nil {
		e.Admin1 = admin1Of(d.areas, &e)
	}
	return e, nil
}

// dates sets the event's dates and date precision.
func (d *ucdpDecoder) dates(r Row, e *event.Event) error {
	if d.dateStart < 0 {
		// The 14-column extract gives only the start day.
		t, err := YMD("year", r.Get(d.year), "month", r.Get(d.month), "day", r.Get(d.day))
		if err != nil {
			return err
		}
		e.DateStart, e.DateEnd, e.DatePrecision = t, t, event.Day
		return nil
	}
	start, err := civilDate("date_start", r.Get(d.dateStart))
	if err != nil {
		return err
	}
	end := start
	if v := r.Get(d.dateEnd); !isNA(v) {
		if end, err = civilDate("date_end", v); err != nil {
			return err
		}
		if end.Before(start) {
			return &FieldError{Field: "date_end", Value: v, Reason: "before date_start"}
		}
	}
	e.DateStart, e.DateEnd = start, end
	if d.datePrec >= 0 {
		p, err := precisionCode("date_prec", r.Get(d.datePrec), int(event.Year))
		if err != nil {
			return err
		}
		e.DatePrecision = event.DatePrecision(p)
	}
	return nil
}

// resolveCountry finds the ISO alpha-3 code of the event's country: from
// country_id (a Gleditsch-Ward number, as it applied on the event's start
// date) when there is one, else from the country name.
//
// Some releases write country_id as a comma-separated list (events coded
// to several states); the first code is the event's location country and
// is the one used. A code whose state did not exist on the date is taken
// as its territory. When a code does not resolve at all, the name is tried
// before giving up.
func (d *ucdpDecoder) resolveCountry(r Row, on time.Time) (string, error) {
	if v := r.Get(d.countryID); !isNA(v) {
		s := v
		if i := strings.IndexByte(s, ','); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		code, ok := intDigits(s)
		if !ok || code < 0 {
			return "", &FieldError{Field: "country_id", Value: v, Reason: "not a Gleditsch-Ward code"}
		}
		iso, err := d.geo.FromGW(code, on)
		if errors.Is(err, geo.ErrNoStateOnDate) {
			// The territory before or after statehood (DECO codes
			// Namibia's 1989 election as 565): it is where the event was.
			iso, err = d.geo.FromGW(code, time.Time{})
		}
		if err == nil && len(iso) == 3 {
			return iso, nil
		}
		if name := r.Get(d.country); !isNA(name) {
			if iso, err := d.geo.FromName(name); err == nil && len(iso) == 3 {
				return iso, nil
			}
		}
		return "", &FieldError{Field: "country_id", Value: v, Reason: "unknown country"}
	}
	name := r.Get(d.country)
	if isNA(name) {
		field := "country"
		if d.countryID >= 0 {
			field = "country_id"
		}
		return "", &FieldError{Field: field, Reason: "missing"}
	}
	iso, err := d.geo.FromName(name)
	if err != nil || len(iso) != 3 {
		return "", &FieldError{Field: "country", Value: name, Reason: "unknown country"}
	}
	return iso, nil
}

// fatalities sets best, low and high, checking best against its parts.
func (d *ucdpDecoder) fatalities(r Row, n *eventNumbers, e *event.Event) error {
	best, ok, err := deathCount(d.bestName, r.Get(d.best))
	if err != nil {
		return err
	}
	if !ok {
		return &FieldError{Field: d.bestName, Reason: "missing"}
	}
	n.best = best
	e.Fatalities.Best = &n.best

	if low, ok, err := deathCount(d.lowName, r.Get(d.low)); err != nil {
		return err
	} else if ok {
		n.low = low
		e.Fatalities.Low = &n.low
	}
	if high, ok, err := deathCount(d.highName, r.Get(d.high)); err != nil {
		return err
	} else if ok {
		n.high = high
		e.Fatalities.High = &n.high
	}

	if d.deaths[0] < 0 {
		return nil
	}
	sum := 0
	for i, col := range d.deaths {
		k, ok, err := deathCount(d.deathNames[i], r.Get(col))
		if err != nil {
			return err
		}
		if !ok {
			return nil // a part not given: nothing to check
		}
		sum += k
	}
	if sum != best {
		return &FieldError{Field: d.bestName, Value: r.Get(d.best),
			Reason: "differs from the sum of " + strings.Join(d.deathNames[:], ", ") + " (" + strconv.Itoa(sum) + ")"}
	}
	return nil
}

// ucdpViolenceType normalises type_of_violence to its code: "1", "2", "3"
// (and "4" in DECO, which adds violence that fits none of UCDP's three
// organised types, typically a government against unorganised opponents).
// The 14-column extract writes the types as text.
func ucdpViolenceType(s string, deco bool) (string, bool) {
	switch s {
	case "1", "2", "3":
		return s, true
	case "4":
		return s, deco
	case "State-based violence":
		return "1", true
	case "Non-state violence":
		return "2", true
	case "One-sided violence":
		return "3", true
	}
	switch {
	case strings.EqualFold(s, "State-based violence"), strings.EqualFold(s, "State-based"):
		return "1", true
	case strings.EqualFold(s, "Non-state violence"), strings.EqualFold(s, "Non-state"):
		return "2", true
	case strings.EqualFold(s, "One-sided violence"), strings.EqualFold(s, "One-sided"):
		return "3", true
	}
	return "", false
}

// ucdpCategory maps a violence type code to the taxonomy (see
// event.Category). DECO's type 4, lethal clashes between a government and
// unorganised opponents around elections ("Government of Algeria -
// Opponents of Benjedid"), is not in the documented mapping; Riot, violent
// mob or demonstration violence, is the nearest category and keeps these
// deadly events among the violent ones.
func ucdpCategory(code string) event.Category {
	switch code {
	case "1", "2":
		return event.Battle
	case "3":
		return event.ViolenceAgainstCivilians
	}
	return event.Riot
}

// admin1Of returns the name of the admin-1 area that contains e's
// coordinates, for a file that names none: the Natural Earth area, so
// that its events can be counted by area. Events located no more exactly
// than a region, or not at all, keep no area; so does a point the table
// places in no area of e's country.
func admin1Of(areas *geo.Admin1Table, e *event.Event) string {
	if e.Latitude == nil || e.Longitude == nil || e.GeoPrecision > event.Admin1Area {
		return ""
	}
	a, ok := areas.At(e.Country, *e.Latitude, *e.Longitude)
	if !ok {
		return ""
	}
	return a.Name
}
