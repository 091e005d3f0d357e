package ingest

import (
	"errors"
	"fmt"
	"strings"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// GDELT event exports are tab-separated and headerless, in three layouts
// told apart by their field count:
//
//	61  GDELT 2.0 export, one file every 15 minutes
//	58  GDELT 1.0 daily update (ends with SOURCEURL)
//	57  GDELT 1.0 historical backfile (no SOURCEURL)
//
// One file may mix layouts (1.0 samples mix 57 and 58), so the layout is
// chosen per row. The 1.0 layouts lack the ADM2Code columns of 2.0, so the
// geography columns shift; the first 35 columns are common to all three.
//
// What an event takes from a row:
//
//	SourceID       GLOBALEVENTID (not time-ordered)
//	DateStart/End  SQLDATE, the event date the article reports; precision Day
//	Country        ActionGeo_CountryCode, FIPS 10-4 (not ISO: CH is China)
//	Admin1         derived from ActionGeo_FullName, see gdeltAdmin1
//	Place          ActionGeo_FullName
//	GeoPrecision   ActionGeo_Type: 1 -> CountryWide, 2 and 5 -> Admin1Area,
//	               3 and 4 -> Exact; 0 or empty with a location given (seen
//	               in the 1.0 backfile) -> GeoUnknown
//	SourceType     EventCode, SourceSubType EventBaseCode, as strings
//	Category       EventCode through the CAMEO mapping (cameoCategory)
//	QuadClass      QuadClass as GDELT states it, never recomputed
//	Goldstein      GoldsteinScale, Tone AvgTone
//	Actor1/Actor2  Actor1Name/Actor2Name, else Actor1Code/Actor2Code
//	SourceRef      SOURCEURL, where the layout has it
//	Version        "2.0" or "1.0"
//
// DATEADDED (YYYYMMDDHHMMSS UTC, when GDELT learned of the event) has no
// Event field. It is what as-of features must use, not SQLDATE, and it stays
// available in the raw row the pipeline stores with each event.
func gdeltFormat() Format {
	return Format{
		Name:        "gdelt",
		Source:      event.GDELT,
		Headerless:  true,
		FieldCounts: []int{57, 58, 61},
		Columns:     gdeltColumnNames,
		New: func(f File) (Decoder, error) {
			if f.Geo == nil {
				return nil, errors.New("gdelt: no country code table")
			}
			return &gdeltDecoder{geo: f.Geo}, nil
		},
	}
}

// Columns common to every GDELT layout.
const (
	gdeltGlobalEventID  = 0
	gdeltSQLDate        = 1
	gdeltActor1Code     = 5
	gdeltActor1Name     = 6
	gdeltActor2Code     = 15
	gdeltActor2Name     = 16
	gdeltEventCode      = 26
	gdeltEventBaseCode  = 27
	gdeltQuadClass      = 29
	gdeltGoldsteinScale = 30
	gdeltAvgTone        = 34
)

// gdeltLayout holds the indices of the columns whose position differs
// between layouts.
type gdeltLayout struct {
	version     string
	geoType     int // ActionGeo_Type
	fullName    int // ActionGeo_FullName
	countryCode int // ActionGeo_CountryCode
	lat, long   int // ActionGeo_Lat, ActionGeo_Long
	dateAdded   int // DATEADDED; kept for reference, see gdeltFormat
	sourceURL   int // SOURCEURL; -1 in the backfile
}

var (
	gdelt2Layout = gdeltLayout{version: "2.0", geoType: 51, fullName: 52, countryCode: 53,
		lat: 56, long: 57, dateAdded: 59, sourceURL: 60}
	gdelt1DailyLayout = gdeltLayout{version: "1.0", geoType: 49, fullName: 50, countryCode: 51,
		lat: 53, long: 54, dateAdded: 56, sourceURL: 57}
	gdelt1BackfileLayout = gdeltLayout{version: "1.0", geoType: 49, fullName: 50, countryCode: 51,
		lat: 53, long: 54, dateAdded: 56, sourceURL: -1}
)

// gdeltDecoder decodes rows of any GDELT layout. It holds no mutable state,
// so it is safe for concurrent use.
type gdeltDecoder struct {
	geo *geo.Table
}

func (d *gdeltDecoder) Decode(fields []string) (event.Event, error) {
	var l *gdeltLayout
	switch len(fields) {
	case 61:
		l = &gdelt2Layout
	case 58:
		l = &gdelt1DailyLayout
	case 57:
		l = &gdelt1BackfileLayout
	default:
		return event.Event{}, &FieldError{Field: "row",
			Reason: fmt.Sprintf("wrong column count %d, want 57, 58 or 61", len(fields))}
	}
	r := Row{Fields: fields}
	e := event.Event{
		Source:        event.GDELT,
		Version:       l.version,
		DatePrecision: event.Day,
	}

	e.SourceID = r.Get(gdeltGlobalEventID)
	if _, ok := digits(e.SourceID); !ok || e.SourceID == "" {
		return event.Event{}, &FieldError{Field: "GLOBALEVENTID", Value: e.SourceID, Reason: "not an event id"}
	}
	date, err := CompactDate("SQLDATE", r.Get(gdeltSQLDate))
	if err != nil {
		return event.Event{}, err
	}
	e.DateStart, e.DateEnd = date, date

	e.SourceType = r.Get(gdeltEventCode)
	cat, ok := cameoCategory(e.SourceType)
	if !ok {
		return event.Event{}, &FieldError{Field: "EventCode", Value: e.SourceType, Reason: "not a CAMEO event code"}
	}
	e.Category = cat
	e.SourceSubType = r.Get(gdeltEventBaseCode)
	switch q := r.Get(gdeltQuadClass); q {
	case "1", "2", "3", "4":
		e.QuadClass = int(q[0] - '0')
	case "":
	default:
		return event.Event{}, &FieldError{Field: "QuadClass", Value: q, Reason: "not a quad class 1..4"}
	}

	// One allocation holds every optional number: Goldstein, tone, lat, long.
	nums := new([4]float64)
	if v, ok, err := Float("GoldsteinScale", r.Get(gdeltGoldsteinScale)); err != nil {
		return event.Event{}, err
	} else if ok {
		if v < -10 || v > 10 {
			return event.Event{}, &FieldError{Field: "GoldsteinScale", Value: r.Get(gdeltGoldsteinScale), Reason: "out of range -10..10"}
		}
		nums[0] = v
		e.Goldstein = &nums[0]
	}
	if v, ok, err := Float("AvgTone", r.Get(gdeltAvgTone)); err != nil {
		return event.Event{}, err
	} else if ok {
		if v < -100 || v > 100 {
			return event.Event{}, &FieldError{Field: "AvgTone", Value: r.Get(gdeltAvgTone), Reason: "out of range -100..100"}
		}
		nums[1] = v
		e.Tone = &nums[1]
	}

	geoType := r.Get(l.geoType)
	switch geoType {
	case "1":
		e.GeoPrecision = event.CountryWide
	case "2", "5":
		e.GeoPrecision = event.Admin1Area
	case "3", "4":
		e.GeoPrecision = event.Exact
	case "", "0":
		e.GeoPrecision = event.GeoUnknown
	default:
		return event.Event{}, &FieldError{Field: "ActionGeo_Type", Value: geoType, Reason: "unknown geo type"}
	}
	fips := r.Get(l.countryCode)
	if fips == "" {
		// ActionGeo_Type 0: GDELT could not place the event. Without a
		// country it cannot be counted anywhere.
		return event.Event{}, &FieldError{Field: "ActionGeo_CountryCode", Reason: "no action location"}
	}
	iso, err := d.geo.FromFIPS(fips)
	if err != nil {
		return event.Event{}, &FieldError{Field: "ActionGeo_CountryCode", Value: fips, Reason: "unknown country"}
	}
	e.Country = iso
	e.Place = r.Get(l.fullName)
	e.Admin1 = gdeltAdmin1(geoType, e.Place)
	lat, long, ok, err := LatLon("ActionGeo_Lat", r.Get(l.lat), "ActionGeo_Long", r.Get(l.long))
	if err != nil {
		return event.Event{}, err
	}
	if ok {
		nums[2], nums[3] = lat, long
		e.Latitude, e.Longitude = &nums[2], &nums[3]
	}

	e.Actor1 = r.Get(gdeltActor1Name)
	if e.Actor1 == "" {
		e.Actor1 = r.Get(gdeltActor1Code)
	}
	e.Actor2 = r.Get(gdeltActor2Name)
	if e.Actor2 == "" {
		e.Actor2 = r.Get(gdeltActor2Code)
	}
	e.SourceRef = r.Get(l.sourceURL)
	return e, nil
}

// gdeltAdmin1 returns the first-level administrative division named in an
// ActionGeo_FullName, or "" if it names none. GDELT writes FullName as
//
//	type 1 (country)              "Country"
//	type 2 (US state)             "State, Country"
//	type 5 (world ADM1)           "Name as found, ADM1, Country"
//	types 3, 4 (city, landmark)   "City, ADM1, Country"
//
// so the rule is: drop the country (the last part, or the last two when the
// last is a continuation such as "The" in "Bahamas, The" or "Republic Of"
// in "Vietnam, Republic Of"); for type 2 the rest is the state; for types
// 3, 4 and 5 it is what follows the first part ("London, City of" in
// "London, London, City of, United Kingdom"), or for type 5 with no first
// part, the rest. GDELT's "Country (general)" placeholder, written when the
// ADM1 is unknown (ADM1Code "XX00"), gives "". Other types give "". The
// result is a substring of fullName: no allocation.
func gdeltAdmin1(geoType, fullName string) string {
	switch geoType {
	case "2", "3", "4", "5":
	default:
		return ""
	}
	i := strings.LastIndex(fullName, ", ")
	if i < 0 {
		return ""
	}
	if gdeltCountryContinuation(fullName[i+2:]) {
		j := strings.LastIndex(fullName[:i], ", ")
		if j < 0 {
			return ""
		}
		i = j
	}
	rest := fullName[:i]
	admin1 := rest
	if geoType != "2" {
		if k := strings.Index(rest, ", "); k >= 0 {
			admin1 = rest[k+2:]
		} else if geoType != "5" {
			return "" // a city with no ADM1 part
		}
	}
	admin1 = strings.TrimSpace(admin1)
	if strings.HasSuffix(admin1, "(general)") {
		return ""
	}
	return admin1
}

// gdeltCountryContinuation reports whether part, the last comma-separated
// part of a FullName, continues a country name written with a comma
// ("Bahamas, The", "Korea, South", "Vietnam, Republic Of",
// "Micronesia, Federated States of").
func gdeltCountryContinuation(part string) bool {
	if part == "" {
		return false
	}
	if c := part[0]; c >= 'a' && c <= 'z' {
		return true
	}
	for _, w := range [...]string{"The", "North", "South", "Republic Of", "Republic of the",
		"Democratic Republic of the", "Islamic Republic of", "Federated States of", "British", "U.S."} {
		if strings.EqualFold(part, w) {
			return true
		}
	}
	return false
}

// gdeltColumnNames names the fields of a GDELT row by its layout, as the GDELT
// Event Codebook (2.0) and Data Format Codebook (1.0) spell them. The 1.0
// layouts lack the three ADM2Code columns; the backfile also SOURCEURL.
func gdeltColumnNames(n int) []string {
	actor := func(a string) []string {
		return []string{a + "Code", a + "Name", a + "CountryCode", a + "KnownGroupCode", a + "EthnicCode",
			a + "Religion1Code", a + "Religion2Code", a + "Type1Code", a + "Type2Code", a + "Type3Code"}
	}
	geo := func(g string, adm2 bool) []string {
		cols := []string{g + "_Type", g + "_FullName", g + "_CountryCode", g + "_ADM1Code"}
		if adm2 {
			cols = append(cols, g+"_ADM2Code")
		}
		return append(cols, g+"_Lat", g+"_Long", g+"_FeatureID")
	}
	if n != 57 && n != 58 && n != 61 {
		return nil
	}
	adm2 := n == 61
	cols := []string{"GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"}
	cols = append(cols, actor("Actor1")...)
	cols = append(cols, actor("Actor2")...)
	cols = append(cols, "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
		"GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")
	cols = append(cols, geo("Actor1Geo", adm2)...)
	cols = append(cols, geo("Actor2Geo", adm2)...)
	cols = append(cols, geo("ActionGeo", adm2)...)
	cols = append(cols, "DATEADDED")
	if n > 57 {
		cols = append(cols, "SOURCEURL")
	}
	return cols
}
