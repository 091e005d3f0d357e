package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/testenv"
)

// gdelt2Columns are the GDELT 2.0 export's columns (codebook v2.0). The 1.0
// layouts lack the three *_ADM2Code columns, and the backfile SOURCEURL.
var gdelt2Columns = strings.Fields(`GLOBALEVENTID SQLDATE MonthYear Year FractionDate
	Actor1Code Actor1Name Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode
	Actor1Religion1Code Actor1Religion2Code Actor1Type1Code Actor1Type2Code Actor1Type3Code
	Actor2Code Actor2Name Actor2CountryCode Actor2KnownGroupCode Actor2EthnicCode
	Actor2Religion1Code Actor2Religion2Code Actor2Type1Code Actor2Type2Code Actor2Type3Code
	IsRootEvent EventCode EventBaseCode EventRootCode QuadClass GoldsteinScale
	NumMentions NumSources NumArticles AvgTone
	Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_ADM2Code
	Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID
	Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_ADM2Code
	Actor2Geo_Lat Actor2Geo_Long Actor2Geo_FeatureID
	ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_ADM2Code
	ActionGeo_Lat ActionGeo_Long ActionGeo_FeatureID DATEADDED SOURCEURL`)

// gdeltColumns returns the column names of the layout with n fields.
func gdeltColumns(n int) []string {
	if n == 61 {
		return gdelt2Columns
	}
	var cols []string
	for _, c := range gdelt2Columns {
		if !strings.HasSuffix(c, "_ADM2Code") && !(n == 57 && c == "SOURCEURL") {
			cols = append(cols, c)
		}
	}
	return cols
}

// gdeltBase is a valid row: event 881990832 of 20191024143000.export.CSV.
var gdeltBase = map[string]string{
	"GLOBALEVENTID": "881990832", "SQLDATE": "20181024", "MonthYear": "201810", "Year": "2018",
	"FractionDate": "2018.8055", "Actor2Code": "AUS", "Actor2Name": "VICTORIA",
	"Actor2CountryCode": "AUS", "IsRootEvent": "0", "EventCode": "139", "EventBaseCode": "139",
	"EventRootCode": "13", "QuadClass": "3", "GoldsteinScale": "-7.0", "NumMentions": "3",
	"NumSources": "1", "NumArticles": "3", "AvgTone": "2.02774813233724",
	"Actor1Geo_Type": "0", "Actor2Geo_Type": "4",
	"ActionGeo_Type": "4", "ActionGeo_FullName": "Vancouver, British Columbia, Canada",
	"ActionGeo_CountryCode": "CA", "ActionGeo_ADM1Code": "CA02", "ActionGeo_ADM2Code": "12552",
	"ActionGeo_Lat": "49.25", "ActionGeo_Long": "-123.133", "ActionGeo_FeatureID": "-575268",
	"DATEADDED": "20191024143000",
	"SOURCEURL": "https://www.timescolonist.com/entertainment/jeremy-dutcher-brings-ancestors-songs-to-life-1.23985964",
}

// gdeltRow builds a row of the n-field layout from gdeltBase with the
// named fields overridden.
func gdeltRow(t testing.TB, n int, set map[string]string) []string {
	t.Helper()
	cols := gdeltColumns(n)
	row := make([]string, n)
	for i, c := range cols {
		row[i] = gdeltBase[c]
	}
	for k, v := range set {
		i := slices.Index(cols, k)
		if i < 0 {
			t.Fatalf("gdeltRow: layout %d has no column %s", n, k)
		}
		row[i] = v
	}
	return row
}

// testGeoTable loads the country table for GDELT and ICEWS tests.
func gdeltGeoTable(t testing.TB) *geo.Table {
	t.Helper()
	tbl, err := geo.Load()
	if err != nil {
		t.Fatalf("geo.Load: %v", err)
	}
	return tbl
}

func newGDELTDecoder(t testing.TB) Decoder {
	t.Helper()
	d, err := gdeltFormat().New(File{Name: "20191024143000.export.CSV", Geo: gdeltGeoTable(t)})
	if err != nil {
		t.Fatalf("gdeltFormat().New: %v", err)
	}
	return d
}

func gdeltFloat(f float64) *float64 { return &f }

func gdeltDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestGDELTFormat(t *testing.T) {
	f := gdeltFormat()
	if f.Name != "gdelt" || f.Source != event.GDELT || !f.Headerless || f.Match != nil || f.New == nil {
		t.Errorf("gdeltFormat() = %+v, want headerless gdelt format with New and no Match", f)
	}
	if diff := cmp.Diff([]int{57, 58, 61}, f.FieldCounts); diff != "" {
		t.Errorf("gdeltFormat().FieldCounts mismatch (-want +got):\n%s", diff)
	}
	if got, ok := FormatByName("gdelt"); !ok || got.Name != "gdelt" {
		t.Errorf("FormatByName(gdelt) = %v, %v", got.Name, ok)
	}
	if _, err := f.New(File{}); err == nil {
		t.Errorf("gdeltFormat().New(File{}) without a country table succeeded")
	}
}

func TestGDELTDecode(t *testing.T) {
	d := newGDELTDecoder(t)
	vancouver := event.Event{
		Source: event.GDELT, SourceID: "881990832", Version: "2.0",
		DateStart: gdeltDay(2018, 10, 24), DateEnd: gdeltDay(2018, 10, 24), DatePrecision: event.Day,
		Country: "CAN", Admin1: "British Columbia", Place: "Vancouver, British Columbia, Canada",
		Latitude: gdeltFloat(49.25), Longitude: gdeltFloat(-123.133), GeoPrecision: event.Exact,
		Category: event.Threat, SourceType: "139", SourceSubType: "139", QuadClass: 3,
		Actor1: "", Actor2: "VICTORIA",
		Goldstein: gdeltFloat(-7), Tone: gdeltFloat(2.02774813233724),
		SourceRef: gdeltBase["SOURCEURL"],
	}
	with := func(f func(e *event.Event)) event.Event {
		e := vancouver
		f(&e)
		return e
	}
	tests := []struct {
		name string
		n    int
		set  map[string]string
		want event.Event
	}{
		{name: "2.0 export", n: 61, want: vancouver},
		{name: "1.0 daily", n: 58, want: with(func(e *event.Event) { e.Version = "1.0" })},
		{name: "1.0 backfile has no SOURCEURL", n: 57,
			want: with(func(e *event.Event) { e.Version = "1.0"; e.SourceRef = "" })},
		{name: "trailing carriage return", n: 61,
			set:  map[string]string{"SOURCEURL": "http://example.org/a\r"},
			want: with(func(e *event.Event) { e.SourceRef = "http://example.org/a" })},
		{name: "leading zero kept", n: 61,
			set: map[string]string{"EventCode": "010", "EventBaseCode": "010", "EventRootCode": "01", "QuadClass": "1"},
			want: with(func(e *event.Event) {
				e.SourceType, e.SourceSubType, e.Category, e.QuadClass = "010", "010", event.DiplomaticCooperation, 1
			})},
		{name: "quad class as stated, not recomputed", n: 61,
			set:  map[string]string{"QuadClass": "4"},
			want: with(func(e *event.Event) { e.QuadClass = 4 })},
		{name: "riot refinement", n: 61,
			set: map[string]string{"EventCode": "1451", "EventBaseCode": "145", "EventRootCode": "14", "QuadClass": "4"},
			want: with(func(e *event.Event) {
				e.SourceType, e.SourceSubType, e.Category, e.QuadClass = "1451", "145", event.Riot, 4
			})},
		{name: "actor codes when names are missing", n: 61,
			set:  map[string]string{"Actor1Code": "GBRCVL", "Actor2Name": ""},
			want: with(func(e *event.Event) { e.Actor1, e.Actor2 = "GBRCVL", "AUS" })},
		{name: "no Goldstein or tone", n: 61,
			set:  map[string]string{"GoldsteinScale": "", "AvgTone": ""},
			want: with(func(e *event.Event) { e.Goldstein, e.Tone = nil, nil })},
		{name: "country match", n: 61,
			set: map[string]string{"ActionGeo_Type": "1", "ActionGeo_FullName": "Iraq",
				"ActionGeo_CountryCode": "IZ", "ActionGeo_ADM1Code": "IZ", "ActionGeo_Lat": "33", "ActionGeo_Long": "44"},
			want: with(func(e *event.Event) {
				e.Country, e.Admin1, e.Place, e.GeoPrecision = "IRQ", "", "Iraq", event.CountryWide
				e.Latitude, e.Longitude = gdeltFloat(33), gdeltFloat(44)
			})},
		{name: "US state", n: 61,
			set: map[string]string{"ActionGeo_Type": "2", "ActionGeo_FullName": "Tennessee, United States",
				"ActionGeo_CountryCode": "US", "ActionGeo_ADM1Code": "USTN", "ActionGeo_Lat": "35.7449", "ActionGeo_Long": "-86.7489"},
			want: with(func(e *event.Event) {
				e.Country, e.Admin1, e.Place, e.GeoPrecision = "USA", "Tennessee", "Tennessee, United States", event.Admin1Area
				e.Latitude, e.Longitude = gdeltFloat(35.7449), gdeltFloat(-86.7489)
			})},
		{name: "world state", n: 61,
			set: map[string]string{"ActionGeo_Type": "5", "ActionGeo_FullName": "Kogi State, Kogi, Nigeria",
				"ActionGeo_CountryCode": "NI", "ActionGeo_ADM1Code": "NI41"},
			want: with(func(e *event.Event) {
				e.Country, e.Admin1, e.Place, e.GeoPrecision = "NGA", "Kogi", "Kogi State, Kogi, Nigeria", event.Admin1Area
			})},
		{name: "backfile type 0 with a location", n: 57,
			set: map[string]string{"ActionGeo_Type": "0", "ActionGeo_FullName": "Moscow, Moskva, Russia",
				"ActionGeo_CountryCode": "RS", "ActionGeo_ADM1Code": "RS48", "ActionGeo_Lat": "55.7522", "ActionGeo_Long": "37.6156"},
			want: with(func(e *event.Event) {
				e.Version, e.SourceRef = "1.0", ""
				e.Country, e.Admin1, e.Place, e.GeoPrecision = "RUS", "", "Moscow, Moskva, Russia", event.GeoUnknown
				e.Latitude, e.Longitude = gdeltFloat(55.7522), gdeltFloat(37.6156)
			})},
		{name: "no coordinates", n: 61,
			set:  map[string]string{"ActionGeo_Lat": "", "ActionGeo_Long": ""},
			want: with(func(e *event.Event) { e.Latitude, e.Longitude = nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Decode(gdeltRow(t, tt.n, tt.set))
			if err != nil {
				t.Fatalf("Decode() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode() mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Decode() gave an invalid event: %v", err)
			}
		})
	}
}

func TestGDELTDecodeErrors(t *testing.T) {
	d := newGDELTDecoder(t)
	tests := []struct {
		name       string
		row        []string
		wantField  string
		wantReason string // checked when not empty
	}{
		{"too few fields", gdeltRow(t, 61, nil)[:60], "row", "wrong column count 60, want 57, 58 or 61"},
		{"too many fields", append(gdeltRow(t, 61, nil), ""), "row", "wrong column count 62, want 57, 58 or 61"},
		{"no fields", nil, "row", ""},
		{"missing id", gdeltRow(t, 61, map[string]string{"GLOBALEVENTID": ""}), "GLOBALEVENTID", "not an event id"},
		{"id not a number", gdeltRow(t, 61, map[string]string{"GLOBALEVENTID": "88199x"}), "GLOBALEVENTID", "not an event id"},
		{"missing date", gdeltRow(t, 61, map[string]string{"SQLDATE": ""}), "SQLDATE", "missing date"},
		{"ISO date", gdeltRow(t, 61, map[string]string{"SQLDATE": "2018-10-24"}), "SQLDATE", "unparsable date"},
		{"no such day", gdeltRow(t, 58, map[string]string{"SQLDATE": "20180230"}), "SQLDATE", "unparsable date"},
		{"month 13", gdeltRow(t, 57, map[string]string{"SQLDATE": "20181324"}), "SQLDATE", "unparsable date"},
		{"missing event code", gdeltRow(t, 61, map[string]string{"EventCode": ""}), "EventCode", "not a CAMEO event code"},
		{"event code root 21", gdeltRow(t, 61, map[string]string{"EventCode": "211"}), "EventCode", "not a CAMEO event code"},
		{"event code not digits", gdeltRow(t, 61, map[string]string{"EventCode": "13x"}), "EventCode", "not a CAMEO event code"},
		{"quad class 5", gdeltRow(t, 61, map[string]string{"QuadClass": "5"}), "QuadClass", "not a quad class 1..4"},
		{"Goldstein not a number", gdeltRow(t, 61, map[string]string{"GoldsteinScale": "x"}), "GoldsteinScale", "not a number"},
		{"Goldstein NaN", gdeltRow(t, 61, map[string]string{"GoldsteinScale": "NaN"}), "GoldsteinScale", "not a number"},
		{"Goldstein out of range", gdeltRow(t, 61, map[string]string{"GoldsteinScale": "11"}), "GoldsteinScale", "out of range -10..10"},
		{"tone infinite", gdeltRow(t, 61, map[string]string{"AvgTone": "-Inf"}), "AvgTone", "not a number"},
		{"tone out of range", gdeltRow(t, 61, map[string]string{"AvgTone": "-101"}), "AvgTone", "out of range -100..100"},
		{"geo type 6", gdeltRow(t, 61, map[string]string{"ActionGeo_Type": "6"}), "ActionGeo_Type", "unknown geo type"},
		{"no action location", gdeltRow(t, 61, map[string]string{"ActionGeo_Type": "0", "ActionGeo_FullName": "",
			"ActionGeo_CountryCode": "", "ActionGeo_ADM1Code": "", "ActionGeo_Lat": "", "ActionGeo_Long": ""}),
			"ActionGeo_CountryCode", "no action location"},
		{"backfile empty location", gdeltRow(t, 57, map[string]string{"ActionGeo_Type": "", "ActionGeo_FullName": "",
			"ActionGeo_CountryCode": "", "ActionGeo_ADM1Code": "", "ActionGeo_Lat": "0", "ActionGeo_Long": "0"}),
			"ActionGeo_CountryCode", "no action location"},
		{"unknown country", gdeltRow(t, 61, map[string]string{"ActionGeo_CountryCode": "QQ"}), "ActionGeo_CountryCode", "unknown country"},
		{"ISO code, not FIPS", gdeltRow(t, 61, map[string]string{"ActionGeo_CountryCode": "CAN"}), "ActionGeo_CountryCode", "unknown country"},
		{"latitude out of range", gdeltRow(t, 61, map[string]string{"ActionGeo_Lat": "91"}), "ActionGeo_Lat", "out of range -90..90"},
		{"latitude NaN", gdeltRow(t, 61, map[string]string{"ActionGeo_Lat": "NaN"}), "ActionGeo_Lat", "not a number"},
		{"longitude without latitude", gdeltRow(t, 61, map[string]string{"ActionGeo_Lat": ""}), "ActionGeo_Lat", ""},
		{"longitude out of range", gdeltRow(t, 58, map[string]string{"ActionGeo_Long": "-180.5"}), "ActionGeo_Long", "out of range -180..180"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := d.Decode(tt.row)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode() = %+v, %v, want a *FieldError", e, err)
			}
			if fe.Field != tt.wantField || (tt.wantReason != "" && fe.Reason != tt.wantReason) {
				t.Errorf("Decode() error field %q reason %q, want %q %q", fe.Field, fe.Reason, tt.wantField, tt.wantReason)
			}
		})
	}
}

func TestGDELTAdmin1(t *testing.T) {
	tests := []struct {
		geoType, fullName, want string
	}{
		{"1", "United States", ""},
		{"1", "Bahamas, The", ""},
		{"2", "Tennessee, United States", "Tennessee"},
		{"3", "Mclean County, Illinois, United States", "Illinois"},
		{"3", "National Postal Museum, District of Columbia, United States", "District of Columbia"},
		{"4", "Vancouver, British Columbia, Canada", "British Columbia"},
		{"4", "Minsk, Belarus (general), Belarus", ""},
		{"4", "London, London, City of, United Kingdom", "London, City of"},
		{"4", "Nassau, New Providence, Bahamas, The", "New Providence"},
		{"4", "Da Nang, Ð N?ng, Vietnam, Republic Of", "Ð N?ng"},
		{"4", "Seoul, Seoul-t'ukpyolsi, Korea, South", "Seoul-t'ukpyolsi"},
		{"4", "Timok, , Serbia", ""},
		{"4", "Somewhere, Chad", ""},
		{"5", "Kogi State, Kogi, Nigeria", "Kogi"},
		{"5", "Kerala, Kerala, India", "Kerala"},
		{"5", "Kerala, India", "Kerala"},
		{"0", "Moscow, Moskva, Russia", ""},
		{"", "Moscow, Moskva, Russia", ""},
		{"4", "", ""},
		{"4", "Chad", ""},
		{"2", ", The", ""},
	}
	for _, tt := range tests {
		if got := gdeltAdmin1(tt.geoType, tt.fullName); got != tt.want {
			t.Errorf("gdeltAdmin1(%q, %q) = %q, want %q", tt.geoType, tt.fullName, got, tt.want)
		}
	}
}

func TestGDELTCompactDate(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"20181024", gdeltDay(2018, 10, 24), false},
		{" 19820102 ", gdeltDay(1982, 1, 2), false},
		{"20160229", gdeltDay(2016, 2, 29), false},
		{"20150229", time.Time{}, true},
		{"2018102", time.Time{}, true},
		{"201810245", time.Time{}, true},
		{"2018-10-24", time.Time{}, true},
		{"09991231", time.Time{}, true},
		{"20180001", time.Time{}, true},
		{"20181000", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := CompactDate("SQLDATE", tt.in)
		if !got.Equal(tt.want) || (err != nil) != tt.wantErr {
			t.Errorf("CompactDate(%q) = %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "SQLDATE") {
			t.Errorf("CompactDate(%q) error %v does not name the field", tt.in, err)
		}
	}
}

func TestGDELTLatLon(t *testing.T) {
	tests := []struct {
		lat, lon   string
		wantLat    float64
		wantLon    float64
		wantOK     bool
		wantErrFld string
	}{
		{"49.25", "-123.133", 49.25, -123.133, true, ""},
		{"", "", 0, 0, false, ""},
		{"NA", "NULL", 0, 0, false, ""},
		{"-90", "180", -90, 180, true, ""},
		{"1", "", 0, 0, false, "lon"},
		{"", "1", 0, 0, false, "lat"},
		{"90.1", "0", 0, 0, false, "lat"},
		{"0", "-180.1", 0, 0, false, "lon"},
		{"NaN", "0", 0, 0, false, "lat"},
		{"0", "+Inf", 0, 0, false, "lon"},
		{"1e400", "0", 0, 0, false, "lat"},
		{"x", "0", 0, 0, false, "lat"},
	}
	for _, tt := range tests {
		la, lo, ok, err := LatLon("lat", tt.lat, "lon", tt.lon)
		var fe *FieldError
		gotFld := ""
		if errors.As(err, &fe) {
			gotFld = fe.Field
		} else if err != nil {
			t.Errorf("LatLon(%q, %q) error %v is not a *FieldError", tt.lat, tt.lon, err)
		}
		if la != tt.wantLat || lo != tt.wantLon || ok != tt.wantOK || gotFld != tt.wantErrFld {
			t.Errorf("LatLon(%q, %q) = %v, %v, %v, error on %q, want %v, %v, %v, error on %q",
				tt.lat, tt.lon, la, lo, ok, gotFld, tt.wantLat, tt.wantLon, tt.wantOK, tt.wantErrFld)
		}
	}
}

// readGDELTFile splits a GDELT file into rows of fields: lines on '\n'
// (dropping a trailing '\r'), fields on '\t', with no CSV quoting.
func readGDELTFile(t testing.TB, name string) [][]string {
	t.Helper()
	b, err := os.ReadFile(testenv.SharedData(t, "gdelt", name))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// gdeltColumnIndex reads the index of a column from the codebook column
// lists in the shared data (gdelt1_events_columns.csv lists the 58 columns
// of 1.0, whose first 57 are the backfile's; gdelt2_events_columns.csv the
// 61 of 2.0), independently of the decoder's own layout tables.
func gdeltColumnIndex(t testing.TB, fieldCount int, column string) int {
	t.Helper()
	list := "gdelt2_events_columns.csv"
	if fieldCount != 61 {
		list = "gdelt1_events_columns.csv"
	}
	f, err := os.Open(testenv.SharedData(t, "gdelt", list))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs[1:] {
		if r[0] == column {
			if i >= fieldCount {
				t.Fatalf("%s: column %s at %d is beyond a %d-field row", list, column, i, fieldCount)
			}
			return i
		}
	}
	t.Fatalf("%s has no column %s", list, column)
	return -1
}

// gdeltNotCountries are FIPS 10-4 codes GDELT uses for places that are no
// country, which the decoder rejects as "unknown country".
var gdeltNotCountries = map[string]bool{
	"OS": true, // Oceans ("Black Sea, Oceans (general), Oceans")
}

func TestGDELTRealFiles(t *testing.T) {
	tests := []struct {
		file        string
		wantRows    int
		wantLayouts map[int]int // field count -> rows
		spot        map[string]event.Event
		spotRejects map[string]string // GLOBALEVENTID -> field
	}{
		{
			file: "20191024143000.export.CSV", wantRows: 2111, wantLayouts: map[int]int{61: 2111},
			spot: map[string]event.Event{
				"881990846": {
					Source: event.GDELT, SourceID: "881990846", Version: "2.0",
					DateStart: gdeltDay(2018, 10, 24), DateEnd: gdeltDay(2018, 10, 24), DatePrecision: event.Day,
					Country: "IRQ", Place: "Iraq", Latitude: gdeltFloat(33), Longitude: gdeltFloat(44), GeoPrecision: event.CountryWide,
					Category: event.Battle, SourceType: "190", SourceSubType: "190", QuadClass: 4,
					Actor1: "UNITED KINGDOM", Goldstein: gdeltFloat(-10), Tone: gdeltFloat(0.28735632183908),
					SourceRef: "https://www.trustedreviews.com/news/facebook-getting-more-involved-in-news-could-be-this-years-scariest-halloween-horror-story-3949244",
				},
				"881991288": {
					Source: event.GDELT, SourceID: "881991288", Version: "2.0",
					DateStart: gdeltDay(2019, 10, 24), DateEnd: gdeltDay(2019, 10, 24), DatePrecision: event.Day,
					Country: "GBR", Admin1: "Essex", Place: "Essex, Essex, United Kingdom",
					Latitude: gdeltFloat(51.8333), Longitude: gdeltFloat(0.583333), GeoPrecision: event.Admin1Area,
					Category: event.ViolenceAgainstCivilians, SourceType: "182", SourceSubType: "182", QuadClass: 4,
					Actor1: "CHINESE", Actor2: "POLICE", Goldstein: gdeltFloat(-9.5), Tone: gdeltFloat(-3.90104662226451),
					SourceRef: "https://www.belfasttelegraph.co.uk/news/uk/essex-lorry-deaths-police-given-extra-24-hours-to-question-murder-suspect-mo-robinson-38627305.html",
				},
			},
		},
		{
			file: "gdelt1_events_sample_20160728.tsv", wantRows: 710, wantLayouts: map[int]int{57: 201, 58: 509},
			spot: map[string]event.Event{
				"564111644": {
					Source: event.GDELT, SourceID: "564111644", Version: "1.0",
					DateStart: gdeltDay(2006, 7, 31), DateEnd: gdeltDay(2006, 7, 31), DatePrecision: event.Day,
					Country: "USA", Admin1: "District of Columbia",
					Place:    "National Postal Museum, District of Columbia, United States",
					Latitude: gdeltFloat(38.8973), Longitude: gdeltFloat(-77.0083), GeoPrecision: event.Exact,
					Category: event.DiplomaticCooperation, SourceType: "010", SourceSubType: "010", QuadClass: 1,
					Actor1: "UNITED STATES", Goldstein: gdeltFloat(0), Tone: gdeltFloat(-0.34188034188034),
					SourceRef: "http://wtop.com/lifestyle/2016/07/deepest-darkest-secrets-now-display-national-postal-museum/",
				},
				// Backfile row: 57 fields, no SOURCEURL, ActionGeo_Type 0
				// although a location is given.
				"1553841": {
					Source: event.GDELT, SourceID: "1553841", Version: "1.0",
					DateStart: gdeltDay(1982, 1, 3), DateEnd: gdeltDay(1982, 1, 3), DatePrecision: event.Day,
					Country: "SLV", Place: "San Salvador, San Salvador, El Salvador",
					Latitude: gdeltFloat(13.7086), Longitude: gdeltFloat(-89.2031), GeoPrecision: event.GeoUnknown,
					Category: event.Battle, SourceType: "190", SourceSubType: "190", QuadClass: 4,
					Actor2: "HUMAN RIGHTS GROUP", Goldstein: gdeltFloat(-10), Tone: gdeltFloat(3.83386581469649),
				},
				"1552879": {
					Source: event.GDELT, SourceID: "1552879", Version: "1.0",
					DateStart: gdeltDay(1982, 1, 2), DateEnd: gdeltDay(1982, 1, 2), DatePrecision: event.Day,
					Country: "POL", Admin1: "Slaskie", Place: "Dabrowa Gornicza, Slaskie, Poland",
					Latitude: gdeltFloat(50.3262), Longitude: gdeltFloat(19.2244), GeoPrecision: event.Exact,
					Category: event.ViolenceAgainstCivilians, SourceType: "172", SourceSubType: "172", QuadClass: 4,
					Actor1: "PRISON", Goldstein: gdeltFloat(-5), Tone: gdeltFloat(4.81400437636762),
				},
			},
			spotRejects: map[string]string{"564111654": "ActionGeo_CountryCode"},
		},
	}
	d := newGDELTDecoder(t)
	tbl := gdeltGeoTable(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows := readGDELTFile(t, tt.file)
			if len(rows) != tt.wantRows {
				t.Fatalf("%s has %d rows, want %d", tt.file, len(rows), tt.wantRows)
			}
			ccIndex := map[int]int{}
			for _, n := range []int{57, 58, 61} {
				ccIndex[n] = gdeltColumnIndex(t, n, "ActionGeo_CountryCode")
			}
			layouts := map[int]int{}
			noLocation, notCountry := 0, 0
			for _, row := range rows {
				n := len(row)
				layouts[n]++
				cc := strings.TrimSpace(row[ccIndex[n]])
				switch {
				case cc == "":
					noLocation++
				case gdeltNotCountries[cc]:
					notCountry++
				}
			}
			if diff := cmp.Diff(tt.wantLayouts, layouts); diff != "" {
				t.Errorf("%s layouts (field count -> rows) mismatch (-want +got):\n%s", tt.file, diff)
			}

			decoded, rejected := 0, 0
			reasons := map[string]int{}
			for i, row := range rows {
				e, err := d.Decode(row)
				id := row[0]
				if err != nil {
					rejected++
					var fe *FieldError
					if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
						t.Errorf("row %d (%s): error %v does not name a field and a reason", i+1, id, err)
						continue
					}
					reasons[fe.Field+": "+fe.Reason]++
					if fe.Reason == "unknown country" && !gdeltNotCountries[fe.Value] {
						t.Errorf("row %d (%s): FIPS code %q unknown to geo (FromFIPS)", i+1, id, fe.Value)
					}
					if want, ok := tt.spotRejects[id]; ok && fe.Field != want {
						t.Errorf("row %s rejected on %s, want %s", id, fe.Field, want)
					}
					continue
				}
				decoded++
				if err := e.Validate(); err != nil {
					t.Errorf("row %d (%s): decoded event invalid: %v", i+1, id, err)
				}
				if e.SourceID != id || e.Source != event.GDELT {
					t.Errorf("row %d: key %v, want gdelt:%s", i+1, e.Key(), id)
				}
				if want, ok := tt.spot[id]; ok {
					if diff := cmp.Diff(want, e); diff != "" {
						t.Errorf("row %s mismatch (-want +got):\n%s", id, diff)
					}
				}
				if _, ok := tt.spotRejects[id]; ok {
					t.Errorf("row %s decoded, want it rejected", id)
				}
				if iso, err := tbl.FromFIPS(strings.TrimSpace(row[ccIndex[len(row)]])); err != nil || iso != e.Country {
					t.Errorf("row %s: country %q, want FromFIPS's %q", id, e.Country, iso)
				}
			}
			if decoded+rejected != len(rows) {
				t.Errorf("%s: decoded %d + rejected %d != %d rows", tt.file, decoded, rejected, len(rows))
			}
			if got := reasons["ActionGeo_CountryCode: no action location"]; got != noLocation {
				t.Errorf("%s: %d rows rejected for no action location, want %d (rows with empty ActionGeo_CountryCode)", tt.file, got, noLocation)
			}
			if rejected != noLocation+notCountry {
				t.Errorf("%s: rejected %d rows, want %d with no action location + %d outside any country; reasons %v",
					tt.file, rejected, noLocation, notCountry, reasons)
			}
			for id := range tt.spot {
				if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == id }) {
					t.Errorf("%s has no row %s", tt.file, id)
				}
			}
			t.Logf("%s: %d rows, %d decoded, %d rejected: %v", tt.file, len(rows), decoded, rejected, reasons)
		})
	}
}

// TestGDELTConcurrent decodes one file from several goroutines with one
// decoder; run with -race.
func TestGDELTConcurrent(t *testing.T) {
	rows := readGDELTFile(t, "20191024143000.export.CSV")
	d := newGDELTDecoder(t)
	want := make([]event.Event, len(rows))
	for i, r := range rows {
		want[i], _ = d.Decode(r)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := g; i < len(rows); i += 4 {
				got, _ := d.Decode(rows[i])
				if !cmp.Equal(want[i], got) {
					t.Errorf("row %d decoded differently under concurrency", i+1)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkGDELTDecode(b *testing.B) {
	rows := readGDELTFile(b, "20191024143000.export.CSV")
	d := newGDELTDecoder(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rows {
			_, _ = d.Decode(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

// FuzzGDELT decodes arbitrary tab-separated lines. Seeds are a few real rows
// of each layout, in testdata/gdelt/seed.tsv (see its README.md).
func FuzzGDELT(f *testing.F) {
	b, err := os.ReadFile("testdata/gdelt/seed.tsv")
	if err != nil {
		f.Fatal(err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		f.Add(line)
	}
	d := newGDELTDecoder(f)
	f.Fuzz(func(t *testing.T, line string) {
		e, err := d.Decode(strings.Split(line, "\t"))
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Fatalf("Decode(%q) error %v does not name a field and a reason", line, err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("Decode(%q) = %+v, an invalid event: %v", line, e, err)
		}
	})
}

// TestGDELTColumnsMatchCodebooks checks the column names of each layout
// against the codebook lists in the shared data.
func TestGDELTColumnsMatchCodebooks(t *testing.T) {
	read := func(file string) []string {
		f, err := os.Open(testenv.SharedData(t, "gdelt", file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range recs[1:] {
			names = append(names, r[0])
		}
		return names
	}
	v2, v1 := read("gdelt2_events_columns.csv"), read("gdelt1_events_columns.csv")
	for _, tt := range []struct {
		n    int
		want []string
	}{{61, v2}, {58, v1}, {57, v1[:57]}} {
		if diff := cmp.Diff(tt.want, ColumnNames("gdelt", tt.n)); diff != "" {
			t.Errorf("ColumnNames(gdelt, %d) (-codebook +got):\n%s", tt.n, diff)
		}
	}
	if ColumnNames("gdelt", 60) != nil || ColumnNames("ucdp-ged", 49) != nil {
		t.Error("ColumnNames names a layout that does not exist")
	}
}
