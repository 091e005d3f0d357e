package ingest

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// ICEWS event files come in two spellings of one layout: the Harvard
// Dataverse release (doi:10.7910/DVN/28075) is tab-separated with headers
// such as "Event ID", "Event Date", "CAMEO Code"; R packages re-export it
// comma-separated in snake_case (event_id, event_date, cameo_code).
// NewColumns normalises both to snake_case, so one decoder reads both.
//
// What an event takes from a row:
//
//	SourceID       event_id + ":" + event_date (YYYY-MM-DD). ICEWS is
//	               unique on the pair, not on event_id alone, so the date
//	               is part of the identity.
//	DateStart/End  event_date; precision Day
//	Country        country, an English name
//	Admin1         province; Place city, else district
//	GeoPrecision   Exact if city is given, else Admin2Area if district is,
//	               else Admin1Area if province is, else CountryWide (ICEWS
//	               then gives the country's centroid)
//	SourceType     cameo_code, a string ("010" is not "10"); SourceSubType
//	               its first three digits, the CAMEO base code, as GDELT's
//	               EventBaseCode
//	Category       cameo_code through the CAMEO mapping (cameoCategory)
//	QuadClass      0: ICEWS rows state none, and it is never recomputed
//	Goldstein      intensity, ICEWS's Goldstein-like weight of the event
//	               type, -10 (most conflictual) to +10 (most cooperative)
//	Actor1/Actor2  source_name/target_name
//	SourceRef      publisher and story_id: "Reuters (story 47400351)"
//	Version        the build stamp of Dataverse file names
//	               ("events.2018.20200427084805.tab" -> "20200427084805"),
//	               else empty
//
// Symmetric events (A meets B) are recorded twice, A->B and B->A, under two
// event ids; the decoder keeps both.
func icewsFormat() Format {
	return Format{
		Name:   "icews",
		Source: event.ICEWS,
		Match: func(f File) bool {
			return f.Columns.Has("event_id", "event_date", "cameo_code")
		},
		New: newICEWSDecoder,
	}
}

// icewsRequired are the columns an ICEWS file must have.
var icewsRequired = []string{"event_id", "event_date", "cameo_code", "country"}

// icewsDecoder holds the column indices of one file; -1 marks an optional
// column the file lacks. It is safe for concurrent use: its only mutable
// state is the country name cache, which is.
type icewsDecoder struct {
	countries *countryNames
	version   string

	eventID, eventDate, cameoCode, intensity int
	sourceName, targetName                   int
	storyID, publisher                       int
	city, district, province, country        int
	latitude, longitude                      int
}

func newICEWSDecoder(f File) (Decoder, error) {
	if f.Geo == nil {
		return nil, errors.New("icews: no country code table")
	}
	var missing []string
	for _, c := range icewsRequired {
		if !f.Columns.Has(c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("icews: missing columns %s", strings.Join(missing, ", "))
	}
	c := f.Columns
	return &icewsDecoder{
		countries:  &countryNames{geo: f.Geo},
		version:    icewsVersion(f.Name),
		eventID:    c.Index("event_id"),
		eventDate:  c.Index("event_date"),
		cameoCode:  c.Index("cameo_code"),
		intensity:  c.Index("intensity"),
		sourceName: c.Index("source_name"),
		targetName: c.Index("target_name"),
		storyID:    c.Index("story_id"),
		publisher:  c.Index("publisher"),
		city:       c.Index("city"),
		district:   c.Index("district"),
		province:   c.Index("province"),
		country:    c.Index("country"),
		latitude:   c.Index("latitude"),
		longitude:  c.Index("longitude"),
	}, nil
}

// icewsVersion reads the build stamp from a Dataverse file name of the
// form events.YYYY.STAMP.tab (any extension, maybe inside an archive
// path), or returns "".
func icewsVersion(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	parts := strings.Split(name, ".")
	if len(parts) < 4 || !strings.EqualFold(parts[0], "events") {
		return ""
	}
	year, stamp := parts[1], parts[2]
	if _, ok := digits(year); !ok || len(year) != 4 {
		return ""
	}
	if _, ok := digits(stamp); !ok || len(stamp) < 8 {
		return ""
	}
	return stamp
}

func (d *icewsDecoder) Decode(fields []string) (event.Event, error) {
	r := Row{Fields: fields}
	e := event.Event{
		Source:        event.ICEWS,
		Version:       d.version,
		DatePrecision: event.Day,
	}

	id := r.Get(d.eventID)
	if id == "" {
		return event.Event{}, &FieldError{Field: "event_id", Reason: "missing"}
	}
	date, err := Date("event_date", r.Get(d.eventDate))
	if err != nil {
		return event.Event{}, err
	}
	e.DateStart, e.DateEnd = date, date

	e.SourceType = r.Get(d.cameoCode)
	cat, ok := cameoCategory(e.SourceType)
	if !ok {
		return event.Event{}, &FieldError{Field: "cameo_code", Value: e.SourceType, Reason: "not a CAMEO event code"}
	}
	e.Category = cat
	if len(e.SourceType) >= 3 {
		e.SourceSubType = e.SourceType[:3]
	} else {
		e.SourceSubType = e.SourceType
	}

	country := r.Get(d.country)
	if country == "" {
		return event.Event{}, &FieldError{Field: "country", Reason: "missing"}
	}
	if e.Country, ok = d.countries.resolve(country); !ok {
		return event.Event{}, &FieldError{Field: "country", Value: country, Reason: "unknown country"}
	}
	e.Admin1 = r.Get(d.province)
	city, district := r.Get(d.city), r.Get(d.district)
	switch {
	case city != "":
		e.Place, e.GeoPrecision = city, event.Exact
	case district != "":
		e.Place, e.GeoPrecision = district, event.Admin2Area
	case e.Admin1 != "":
		e.GeoPrecision = event.Admin1Area
	default:
		e.GeoPrecision = event.CountryWide
	}

	// One allocation holds every optional number: intensity, lat, long.
	nums := new([3]float64)
	intensity := r.Get(d.intensity)
	if v, ok, err := Float("intensity", intensity); err != nil {
		return event.Event{}, err
	} else if ok {
		if v < -10 || v > 10 {
			return event.Event{}, &FieldError{Field: "intensity", Value: intensity, Reason: "out of range -10..10"}
		}
		nums[0] = v
		e.Goldstein = &nums[0]
	}
	lat, long, ok, err := LatLon("latitude", r.Get(d.latitude), "longitude", r.Get(d.longitude))
	if err != nil {
		return event.Event{}, err
	}
	if ok {
		nums[1], nums[2] = lat, long
		e.Latitude, e.Longitude = &nums[1], &nums[2]
	}

	e.Actor1 = r.Get(d.sourceName)
	e.Actor2 = r.Get(d.targetName)
	e.SourceID, e.SourceRef = icewsIDRef(id, date, r.Get(d.publisher), r.Get(d.storyID))
	return e, nil
}

// icewsIDRef builds the SourceID ("id:YYYY-MM-DD") and the SourceRef
// ("publisher (story N)", either part may be absent) in one allocation.
func icewsIDRef(id string, date time.Time, publisher, story string) (sourceID, sourceRef string) {
	var b strings.Builder
	b.Grow(len(id) + 11 + len(publisher) + len(story) + 9)
	b.WriteString(id)
	b.WriteByte(':')
	y, m, dd := date.Date()
	writeDigits(&b, y, 4)
	b.WriteByte('-')
	writeDigits(&b, int(m), 2)
	b.WriteByte('-')
	writeDigits(&b, dd, 2)
	n := b.Len()
	b.WriteString(publisher)
	if story != "" {
		if publisher != "" {
			b.WriteString(" (story ")
			b.WriteString(story)
			b.WriteByte(')')
		} else {
			b.WriteString("story ")
			b.WriteString(story)
		}
	}
	s := b.String()
	return s[:n], s[n:]
}

// writeDigits writes n zero-padded to width digits (n >= 0).
func writeDigits(b *strings.Builder, n, width int) {
	var buf [8]byte
	i := len(buf)
	for ; n > 0 || width > 0; width-- {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if i == 0 {
			break
		}
	}
	b.Write(buf[i:])
}

// maxCountryNames bounds a countryNames cache, so that a file of junk
// names cannot grow it without limit.
const maxCountryNames = 1024

// countryNames memoises geo.Table.FromName by the name exactly as the file
// spells it. FromName normalises its argument, allocating, before its own
// cache; a file spells its few hundred country names the same way on every
// row, so an exact-string lookup saves that on the hot path. It is safe for
// concurrent use: readers load an immutable map; a miss stores a copy with
// the new entry.
type countryNames struct {
	geo *geo.Table
	mu  sync.Mutex // serialises writers
	m   atomic.Pointer[map[string]string]
}

// resolve returns the ISO alpha-3 code of name, or false if the table does
// not know it.
func (c *countryNames) resolve(name string) (string, bool) {
	if m := c.m.Load(); m != nil {
		if iso, ok := (*m)[name]; ok {
			return iso, iso != ""
		}
	}
	iso, err := c.geo.FromName(name)
	if err != nil {
		iso = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old == nil || len(*old) < maxCountryNames {
		m := map[string]string{}
		if old != nil {
			maps.Copy(m, *old)
		}
		// Clone: name may share memory with a whole line of the file.
		m[strings.Clone(name)] = iso
		c.m.Store(&m)
	}
	return iso, iso != ""
}
