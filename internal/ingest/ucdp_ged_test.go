package ingest

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/testenv"
)

// The UCDP headers, as published (column names only, no data).
const (
	ucdpGED49Header = "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,source_headline,source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
	ucdpGED41Header = "id,year,active_year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,dyad_name,side_a_new_id,side_a,side_b_new_id,gwnob,side_b,number_of_sources,source_article,source_office,source_date,source_headline,source_original,where_prec,where_coordinates,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,low,best,high"
	ucdpGED14Header = "id,year,month,day,country,type_of_violence,conflict_name,side_a,side_b,latitude,longitude,low_death,best_death,high_death"
)

// ucdpTestGeo loads the country table.
func ucdpTestGeo(tb testing.TB) *geo.Table {
	tb.Helper()
	g, err := geo.Load()
	if err != nil {
		tb.Fatalf("geo.Load: %v", err)
	}
	return g
}

// ucdpTestDecoder builds a decoder of format for a file with this header.
func ucdpTestDecoder(tb testing.TB, format, name, header string) Decoder {
	tb.Helper()
	f, ok := FormatByName(format)
	if !ok {
		tb.Fatalf("no format %q", format)
	}
	dec, err := f.New(File{Name: name, Columns: NewColumns(strings.Split(header, ",")), Geo: ucdpTestGeo(tb)})
	if err != nil {
		tb.Fatalf("%s New(%s): %v", format, name, err)
	}
	return dec
}

// ucdpCSVLine writes fields as one CSV line, quoting as needed.
func ucdpCSVLine(fields []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(fields)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// ucdpRow builds a row for header from named values; other fields are "".
func ucdpRow(header string, vals map[string]string) []string {
	names := strings.Split(header, ",")
	row := make([]string, len(names))
	for i, n := range names {
		row[i] = vals[n]
	}
	return row
}

// ucdpWith returns a copy of base with the given names set.
func ucdpWith(base map[string]string, kv ...string) map[string]string {
	m := make(map[string]string, len(base))
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ucdpInt(n int) *int           { return &n }
func ucdpFloat(f float64) *float64 { return &f }
func ucdpCivil(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
func ucdpDeaths(b, l, h int) event.Fatalities {
	return event.Fatalities{Best: ucdpInt(b), Low: ucdpInt(l), High: ucdpInt(h)}
}

// A hand-written GED 23.1 row (not a real event).
var gedRow49 = map[string]string{
	"id": "900001", "relid": "CAF-2014-3-464-1", "year": "2014", "active_year": "1", "code_status": "Clear",
	"type_of_violence": "3", "conflict_new_id": "464", "conflict_name": "Anti-balaka - Civilians",
	"side_a": "Anti-balaka", "side_b": "Civilians", "number_of_sources": "1",
	"source_article": "Example Wire,2014-02-03,Village attacked", "source_office": "Example Wire",
	"source_headline": "Village attacked", "where_prec": "2", "where_coordinates": "Bossangoa town",
	"where_description": "near Bossangoa", "adm_1": "Ouham prefecture", "adm_2": "Bossangoa sub-prefecture",
	"latitude": "6.4926", "longitude": "17.4552", "geom_wkt": "POINT (17.4552 6.4926)",
	"country": "Central African Republic", "country_id": "482", "region": "Africa", "event_clarity": "1",
	"date_prec": "2", "date_start": "2014-02-01T00:00:00", "date_end": "2014-02-03T00:00:00",
	"deaths_a": "0", "deaths_b": "0", "deaths_civilians": "6", "deaths_unknown": "1",
	"best": "7", "high": "9", "low": "5", "gwnoa": "",
}

var gedEvent49 = event.Event{
	Source: event.UCDPGED, SourceID: "900001", Version: "23.1",
	DateStart: ucdpCivil("2014-02-01"), DateEnd: ucdpCivil("2014-02-03"), DatePrecision: event.Days,
	Country: "CAF", Admin1: "Ouham prefecture", Place: "Bossangoa town",
	Latitude: ucdpFloat(6.4926), Longitude: ucdpFloat(17.4552), GeoPrecision: event.Near,
	Category: event.ViolenceAgainstCivilians, SourceType: "3",
	Actor1: "Anti-balaka", Actor2: "Civilians",
	Fatalities: ucdpDeaths(7, 5, 9),
	SourceRef:  "Example Wire,2014-02-03,Village attacked",
}

// A hand-written row of the 41-column country release.
var gedRow41 = map[string]string{
	"id": "900002", "year": "2016", "active_year": "1", "type_of_violence": "1",
	"conflict_name": "Syria: Government", "side_a": "Government of Syria", "side_b": "Syrian insurgents",
	"source_article": "", "source_office": "SOHR", "where_prec": "1", "where_coordinates": "Example village",
	"adm_1": "Homs Governorate", "latitude": "34.8", "longitude": "36.7", "country": "Syria", "country_id": "652",
	"date_prec": "1", "date_start": "2016-01-01", "date_end": "2016-01-01",
	"deaths_a": "2", "deaths_b": "2", "deaths_civilians": "0", "deaths_unknown": "0", "low": "4", "best": "4", "high": "4",
}

var gedEvent41 = event.Event{
	Source: event.UCDPGED, SourceID: "900002", Version: "19.1.652.1601.1911",
	DateStart: ucdpCivil("2016-01-01"), DateEnd: ucdpCivil("2016-01-01"), DatePrecision: event.Day,
	Country: "SYR", Admin1: "Homs Governorate", Place: "Example village",
	Latitude: ucdpFloat(34.8), Longitude: ucdpFloat(36.7), GeoPrecision: event.Exact,
	Category: event.Battle, SourceType: "1", Actor1: "Government of Syria", Actor2: "Syrian insurgents",
	Fatalities: ucdpDeaths(4, 4, 4), SourceRef: "SOHR",
}

// A hand-written row of the 14-column extract.
var gedRow14 = map[string]string{
	"id": "900003", "year": "2003", "month": "2", "day": "28", "country": "DR Congo (Zaire)",
	"type_of_violence": "Non-state violence", "conflict_name": "Hema - Lendu", "side_a": "Hema", "side_b": "Lendu",
	"latitude": "1.56", "longitude": "30.25", "low_death": "3", "best_death": "3", "high_death": "10",
}

var gedEvent14 = event.Event{
	Source: event.UCDPGED, SourceID: "900003", Version: "21.1",
	DateStart: ucdpCivil("2003-02-28"), DateEnd: ucdpCivil("2003-02-28"), DatePrecision: event.Day,
	Country: "COD", Latitude: ucdpFloat(1.56), Longitude: ucdpFloat(30.25),
	Category: event.Battle, SourceType: "2", Actor1: "Hema", Actor2: "Lendu",
	Fatalities: ucdpDeaths(3, 3, 10),
}

const (
	gedName49 = "GEDEvent_v23_1_test.csv"
	gedName41 = "GEDEvent_syria_652.1601.1911.csv"
	gedName14 = "ged211_precise_location_subset_global.csv"
)

func TestUCDPGEDDecode(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		header string
		row    map[string]string
		want   func(e *event.Event) // edits a copy of base
		base   event.Event
	}{
		{name: "49 columns", file: gedName49, header: ucdpGED49Header, row: gedRow49, base: gedEvent49},
		{name: "date with time and milliseconds", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "date_start", "2014-02-01 00:00:00.000", "date_end", "2014-02-03 00:00:00.000"), base: gedEvent49},
		{name: "plain ISO dates", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "date_start", "2014-02-01", "date_end", "2014-02-03"), base: gedEvent49},
		{name: "no date_end is one day", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "date_end", ""), base: gedEvent49,
			want: func(e *event.Event) { e.DateEnd = e.DateStart }},
		{name: "country_id list takes the first", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "country_id", "482, 483"), base: gedEvent49},
		{name: "no country_id falls back to name", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "country_id", "NA"), base: gedEvent49},
		{name: "unknown country_id falls back to name", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "country_id", "9998"), base: gedEvent49},
		{name: "NA admin1 and empty where_coordinates", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "adm_1", "NA", "where_coordinates", ""), base: gedEvent49,
			want: func(e *event.Event) { e.Admin1, e.Place = "", "near Bossangoa" }},
		{name: "no source_article uses source_office", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "source_article", ""), base: gedEvent49,
			want: func(e *event.Event) { e.SourceRef = "Example Wire" }},
		{name: "state-based is battle", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "type_of_violence", "1"), base: gedEvent49,
			want: func(e *event.Event) { e.Category, e.SourceType = event.Battle, "1" }},
		{name: "non-state is battle", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "type_of_violence", "2"), base: gedEvent49,
			want: func(e *event.Event) { e.Category, e.SourceType = event.Battle, "2" }},
		// UCDP publishes bands that do not bracket best (15 rows in GED
		// 23.1 CAR); best is the sum of its parts and is kept.
		{name: "band not bracketing best is kept", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "low", "8", "high", "6"), base: gedEvent49,
			want: func(e *event.Event) { e.Fatalities = ucdpDeaths(7, 8, 6) }},
		{name: "zero best", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "deaths_civilians", "0", "deaths_unknown", "0", "best", "0", "low", "0", "high", "20"), base: gedEvent49,
			want: func(e *event.Event) { e.Fatalities = ucdpDeaths(0, 0, 20) }},
		{name: "NA low and high", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "low", "NA", "high", ""), base: gedEvent49,
			want: func(e *event.Event) { e.Fatalities = event.Fatalities{Best: ucdpInt(7)} }},
		{name: "no coordinates", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "latitude", "", "longitude", ""), base: gedEvent49,
			want: func(e *event.Event) { e.Latitude, e.Longitude = nil, nil }},
		{name: "no where_prec or date_prec", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "where_prec", "", "date_prec", "NA"), base: gedEvent49,
			want: func(e *event.Event) { e.GeoPrecision, e.DatePrecision = event.GeoUnknown, event.DateUnknown }},
		{name: "release unknown", file: "events.csv", header: ucdpGED49Header, row: gedRow49, base: gedEvent49,
			want: func(e *event.Event) { e.Version = "" }},
		{name: "41 columns", file: gedName41, header: ucdpGED41Header, row: gedRow41, base: gedEvent41},
		{name: "14 columns", file: gedName14, header: ucdpGED14Header, row: gedRow14, base: gedEvent14},
		{name: "14 columns one-sided text", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "type_of_violence", "One-sided violence"), base: gedEvent14,
			want: func(e *event.Event) { e.Category, e.SourceType = event.ViolenceAgainstCivilians, "3" }},
		{name: "14 columns state-based text, other case", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "type_of_violence", "state-based violence"), base: gedEvent14,
			want: func(e *event.Event) { e.SourceType = "1" }},
		{name: "14 columns numeric type", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "type_of_violence", "2"), base: gedEvent14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := ucdpTestDecoder(t, "ucdp-ged", tt.file, tt.header)
			got, err := dec.Decode(ucdpRow(tt.header, tt.row))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := tt.base
			if tt.want != nil {
				tt.want(&want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// ucdpWantFieldError checks that err is a *FieldError for field with a
// reason.
func ucdpWantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Decode error = %v, want a *FieldError for %s", err, field)
	}
	if fe.Field != field || fe.Reason == "" {
		t.Errorf("Decode error = %v (field %q), want field %q with a reason", err, fe.Field, field)
	}
}

func TestUCDPGEDDecodeErrors(t *testing.T) {
	tests := []struct {
		name, file, header string
		row                map[string]string
		field              string
	}{
		{"missing id", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "id", ""), "id"},
		{"NA id", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "id", "NA"), "id"},
		{"unknown type", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "type_of_violence", "5"), "type_of_violence"},
		{"type 4 is DECO only", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "type_of_violence", "4"), "type_of_violence"},
		{"missing type", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "type_of_violence", ""), "type_of_violence"},
		{"unknown type text", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "type_of_violence", "Interstate violence"), "type_of_violence"},
		{"missing date_start", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_start", ""), "date_start"},
		{"bad date_start", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_start", "2014-13-01"), "date_start"},
		{"impossible date_start", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_start", "2014-02-30T00:00:00"), "date_start"},
		{"year 1", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_start", "0001-01-01"), "date_start"},
		{"year 1 with time", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_start", "0001-01-01T00:00:00"), "date_start"},
		{"bad date_end", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_end", "soon"), "date_end"},
		{"date_end before date_start", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_end", "2014-01-31T00:00:00"), "date_end"},
		{"date_prec off scale", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_prec", "6"), "date_prec"},
		{"date_prec zero", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_prec", "0"), "date_prec"},
		{"date_prec not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "date_prec", "day"), "date_prec"},
		{"where_prec off scale", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "where_prec", "8"), "where_prec"},
		{"where_prec not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "where_prec", "x"), "where_prec"},
		{"country_id not a code", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "country_id", "CAF"), "country_id"},
		{"unknown country_id and name", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "country_id", "9998", "country", "Atlantis"), "country_id"},
		{"no country at all", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "country_id", "", "country", ""), "country_id"},
		{"unknown country name", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "country", "Atlantis"), "country"},
		{"missing country name", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "country", ""), "country"},
		{"latitude out of range", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "latitude", "96.1"), "latitude"},
		{"longitude out of range", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "longitude", "-181"), "longitude"},
		{"latitude not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "latitude", "6,49"), "latitude"},
		{"latitude NaN", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "latitude", "NaN"), "latitude"},
		{"longitude without latitude", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "latitude", ""), "latitude"},
		{"latitude without longitude", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "longitude", "NA"), "longitude"},
		{"missing best", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "best", ""), "best"},
		{"best not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "best", "seven"), "best"},
		{"best fractional", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "best", "7.5"), "best"},
		{"negative best", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "best", "-7"), "best"},
		{"best not the sum of its parts", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "best", "8"), "best"},
		{"negative low", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "low", "-1"), "low"},
		{"high not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "high", "many"), "high"},
		{"deaths part not a number", gedName49, ucdpGED49Header, ucdpWith(gedRow49, "deaths_a", "x"), "deaths_a"},
		{"14 columns bad year", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "year", "03"), "year"},
		{"14 columns bad month", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "month", "13"), "month"},
		{"14 columns no such day", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "day", "30"), "day"},
		{"14 columns negative best_death", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "best_death", "-3"), "best_death"},
		{"14 columns missing best_death", gedName14, ucdpGED14Header, ucdpWith(gedRow14, "best_death", "NA"), "best_death"},
		{"41 columns bad low", gedName41, ucdpGED41Header, ucdpWith(gedRow41, "low", "1e3x"), "low"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := ucdpTestDecoder(t, "ucdp-ged", tt.file, tt.header)
			e, err := dec.Decode(ucdpRow(tt.header, tt.row))
			if err == nil {
				t.Fatalf("Decode = %+v, nil error; want a *FieldError for %s", e, tt.field)
			}
			ucdpWantFieldError(t, err, tt.field)
		})
	}
}

func TestUCDPGEDDecodeShortRow(t *testing.T) {
	// A truncated row reads its missing fields as empty: the first needed
	// one missing is reported, nothing panics.
	dec := ucdpTestDecoder(t, "ucdp-ged", gedName49, ucdpGED49Header)
	row := ucdpRow(ucdpGED49Header, gedRow49)[:20]
	_, err := dec.Decode(row)
	ucdpWantFieldError(t, err, "date_start")
	_, err = dec.Decode(nil)
	ucdpWantFieldError(t, err, "id")
}

func TestUCDPGEDNew(t *testing.T) {
	g := ucdpTestGeo(t)
	tests := []struct {
		name    string
		header  string
		wantErr string // substring; "" for success
	}{
		{"49 columns", ucdpGED49Header, ""},
		{"41 columns", ucdpGED41Header, ""},
		{"14 columns", ucdpGED14Header, ""},
		{"reordered minimal", "best,country,date_start,type_of_violence,id", ""},
		{"no id", strings.Replace(ucdpGED49Header, "id,relid", "relid", 1), "id"},
		{"no best", "id,type_of_violence,date_start,country_id,low,high", "best"},
		{"no dates", "id,type_of_violence,year,month,country_id,best", "date_start"},
		{"no country", "id,type_of_violence,date_start,best", "country_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ucdpGEDFormat()
			_, err := f.New(File{Name: gedName49, Columns: NewColumns(strings.Split(tt.header, ",")), Geo: g})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("New(%s) = %v, want success", tt.header, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("New(%s) = %v, want an error naming %s", tt.header, err, tt.wantErr)
			}
		})
	}
	if _, err := ucdpGEDFormat().New(File{Name: gedName49, Columns: NewColumns(strings.Split(ucdpGED49Header, ","))}); err == nil {
		t.Errorf("New without a geo table succeeded, want an error")
	}
}

func TestUCDPVersion(t *testing.T) {
	tests := []struct{ name, want string }{
		{"GEDEvent_v23_1_central_african_republic.csv", "23.1"},
		{"GEDEvent_v23_1_mexico.csv", "23.1"},
		{"GEDEvent_v22_1.csv", "22.1"},
		{"ged231-csv.zip/GEDEvent_v23_1.csv", "23.1"},
		{"GEDEvent_v25_0_1.csv", "25.0.1"},
		{"GEDEvent_v24_0_12.csv", "24.0.12"},
		{"GEDEvent_v24_01_24_03.csv", "24.01.24.03"},
		{"ged211_precise_location_subset_global.csv", "21.1"},
		{"ged191.csv", "19.1"},
		{"GEDEvent_syria_652.1601.1911.csv", "19.1.652.1601.1911"},
		{"GEDEvent_iraq_645.1801.2003.csv", "19.1.645.1801.2003"},
		{"GEDEvent_x_999.0001.0012.csv", "00.1.999.0001.0012"},
		{"GEDEvent_x_999.9901.0001.csv", "99.1.999.9901.0001"},
		{"DECO_v1.0_excl_kenya_southsudan.csv", "1.0"},
		{"DECO_v.1.0.csv", "1.0"},
		{"events.csv", ""},
		{"ged_candidate.csv", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ucdpVersion(tt.name); got != tt.want {
			t.Errorf("ucdpVersion(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// ucdpDetect returns the name of the first format whose Match accepts the
// file, as detection does, or "".
func ucdpDetect(f File) string {
	for _, format := range Formats() {
		if format.Headerless || format.Match == nil {
			continue
		}
		if format.Match(f) {
			return format.Name
		}
	}
	return ""
}

// ucdpReadCSV reads a whole shared CSV file, gunzipping .gz files.
func ucdpReadCSV(tb testing.TB, path string) (header []string, rows [][]string) {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(fh)
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		defer gz.Close()
		r = gz
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	all, err := cr.ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(all) == 0 {
		tb.Fatalf("%s: empty", path)
	}
	return all[0], all[1:]
}

func TestUCDPMatchRealHeaders(t *testing.T) {
	tests := []struct {
		dir, file string
		name      string // file name given to Match; the real one if ""
		want      string
	}{
		{dir: "ucdp-ged", file: "GEDEvent_v23_1_central_african_republic.csv", want: "ucdp-ged"},
		{dir: "ucdp-ged", file: "GEDEvent_v23_1_mexico.csv", want: "ucdp-ged"},
		{dir: "ucdp-ged", file: "GEDEvent_syria_652.1601.1911.csv.gz", want: "ucdp-ged"},
		{dir: "ucdp-ged", file: "ged211_precise_location_subset_global.csv.gz", want: "ucdp-ged"},
		{dir: "ucdp-ged", file: "GEDEvent_v23_1_mexico.csv", name: "GEDEvent_v25_0_1.csv", want: "ucdp-candidate"},
		{dir: "ucdp-ged", file: "GEDEvent_v23_1_mexico.csv", name: "ged_candidate_2025_02.csv", want: "ucdp-candidate"},
		{dir: "ucdp-deco", file: "DECO_v1.0_excl_kenya_southsudan.csv", want: "ucdp-deco"},
		// A DECO file is DECO whatever its name.
		{dir: "ucdp-deco", file: "DECO_v1.0_excl_kenya_southsudan.csv", name: "GEDEvent_v25_0_1.csv", want: "ucdp-deco"},
		{dir: "acled", file: "acled_sample_100.csv", want: "acled"},
		// Other UCDP and event files are none of these formats.
		{dir: "ucdp-acd", file: "UcdpPrioConflict_v25_1.csv", want: ""},
		{dir: "ucdp-acd", file: "ucdp-nonstate-221.csv", want: ""},
		{dir: "ucdp-brd", file: "BattleDeaths_v25_1.csv", want: ""},
		{dir: "ucdp-peace", file: "ucdp-peace-agreements-221.csv", want: ""},
		{dir: "icews", file: "icews_events_sample_2018-06-01_03.csv", want: "icews"},
	}
	for _, tt := range tests {
		name := tt.name
		if name == "" {
			name = strings.TrimSuffix(tt.file, ".gz")
		}
		t.Run(tt.file+" as "+name, func(t *testing.T) {
			path := testenv.SharedData(t, tt.dir, tt.file)
			header := ucdpReadHeader(t, path)
			got := ucdpDetect(File{Name: name, Columns: NewColumns(header)})
			mine := map[string]bool{"ucdp-ged": true, "ucdp-candidate": true, "ucdp-deco": true, "acled": true}
			if tt.want == "icews" {
				// Not mine: only check none of my formats claims it.
				if mine[got] {
					t.Errorf("detected %q, want none of the UCDP or ACLED formats", got)
				}
				return
			}
			if got != tt.want && (mine[got] || mine[tt.want]) {
				t.Errorf("detected %q, want %q", got, tt.want)
			}
		})
	}
}

// ucdpReadHeader reads the first record of a shared CSV file.
func ucdpReadHeader(tb testing.TB, path string) []string {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(fh)
		if err != nil {
			tb.Fatal(err)
		}
		defer gz.Close()
		r = gz
	}
	header, err := csv.NewReader(r).Read()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return header
}

// ucdpDecodeFile decodes every row of a shared file with the format
// detection picks, checking that decoded + rejected = rows and that every
// rejection is a *FieldError with a reason. It returns the decoded events,
// the raw rows (aligned: ok[i] says row i decoded) and the header.
type ucdpFileResult struct {
	header   Columns
	rows     [][]string
	events   []event.Event // decoded, in row order
	ok       []bool
	rejected map[string]int // field: reason -> rows
}

func ucdpDecodeFile(t *testing.T, format, dir, file string) ucdpFileResult {
	t.Helper()
	path := testenv.SharedData(t, dir, file)
	header, rows := ucdpReadCSV(t, path)
	name := strings.TrimSuffix(file, ".gz")
	f := File{Name: name, Columns: NewColumns(header), Geo: ucdpTestGeo(t)}
	if got := ucdpDetect(f); got != format {
		t.Fatalf("%s detected as %q, want %q", file, got, format)
	}
	ft, _ := FormatByName(format)
	dec, err := ft.New(f)
	if err != nil {
		t.Fatalf("New(%s): %v", file, err)
	}
	res := ucdpFileResult{header: f.Columns, rows: rows, ok: make([]bool, len(rows)), rejected: map[string]int{}}
	decoded, rejected := 0, 0
	for i, row := range rows {
		e, err := dec.Decode(row)
		if err != nil {
			rejected++
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Errorf("%s row %d: error %v is not a *FieldError with field and reason", file, i+2, err)
				continue
			}
			res.rejected[fe.Field+": "+fe.Reason]++
			continue
		}
		if err := e.Validate(); err != nil {
			t.Errorf("%s row %d: decoded event invalid: %v", file, i+2, err)
		}
		decoded++
		res.ok[i] = true
		res.events = append(res.events, e)
	}
	if decoded+rejected != len(rows) {
		t.Errorf("%s: decoded %d + rejected %d != %d rows", file, decoded, rejected, len(rows))
	}
	t.Logf("%s: %d rows, %d decoded, %d rejected %v", file, len(rows), decoded, rejected, res.rejected)
	return res
}

// rawSumByYear sums the best column of the raw rows that decoded by the
// year column, for comparison with the decoded events.
func (r ucdpFileResult) rawSumByYear(t *testing.T, bestCol, yearCol string, keep func(row []string) bool) map[int]int {
	t.Helper()
	bi, yi := r.header.Index(bestCol), r.header.Index(yearCol)
	sums := map[int]int{}
	for i, row := range r.rows {
		if !r.ok[i] || keep != nil && !keep(row) {
			continue
		}
		b, err1 := strconv.Atoi(row[bi])
		y, err2 := strconv.Atoi(row[yi])
		if err1 != nil || err2 != nil {
			t.Fatalf("raw row %v: best %q year %q", row[:3], row[bi], row[yi])
		}
		sums[y] += b
	}
	return sums
}

// ucdpSumByYear sums decoded best deaths by the year of DateStart.
func ucdpSumByYear(events []event.Event, keep func(e *event.Event) bool) map[int]int {
	sums := map[int]int{}
	for i := range events {
		e := &events[i]
		if keep != nil && !keep(e) {
			continue
		}
		if e.Fatalities.Best != nil {
			sums[e.DateStart.Year()] += *e.Fatalities.Best
		}
	}
	return sums
}

func TestUCDPGEDRealFiles(t *testing.T) {
	tests := []struct {
		file        string
		version     string
		country     string
		rows        int
		maxRejected int
		check       map[int]int // SOURCE.md best deaths per year
	}{
		{file: "GEDEvent_v23_1_central_african_republic.csv", version: "23.1", country: "CAF", rows: 1848,
			check: map[int]int{2013: 3396, 2014: 3493, 2017: 1848}},
		{file: "GEDEvent_v23_1_mexico.csv", version: "23.1", country: "MEX", rows: 18957,
			check: map[int]int{2010: 6215, 2018: 11954, 2021: 16934}},
		{file: "GEDEvent_syria_652.1601.1911.csv.gz", version: "19.1.652.1601.1911", country: "SYR", rows: 16566,
			check: map[int]int{2016: 48710, 2017: 33316, 2018: 20251, 2019: 10060}},
		{file: "ged211_precise_location_subset_global.csv.gz", version: "21.1", rows: 175322},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := ucdpDecodeFile(t, "ucdp-ged", "ucdp-ged", tt.file)
			if len(res.rows) != tt.rows {
				t.Errorf("%d rows, SOURCE.md says %d", len(res.rows), tt.rows)
			}
			if rej := len(res.rows) - len(res.events); rej > tt.maxRejected {
				t.Errorf("%d rows rejected, want at most %d: %v", rej, tt.maxRejected, res.rejected)
			}
			for i := range res.events {
				e := &res.events[i]
				if e.Version != tt.version || e.Source != event.UCDPGED || (tt.country != "" && e.Country != tt.country) {
					t.Fatalf("event %s: source %s version %q country %s, want ucdp-ged %q %s",
						e.SourceID, e.Source, e.Version, e.Country, tt.version, tt.country)
				}
			}
			bestCol := firstColumnName(res.header, ucdpBestNames)
			raw := res.rawSumByYear(t, bestCol, "year", nil)
			got := ucdpSumByYear(res.events, nil)
			if diff := cmp.Diff(raw, got); diff != "" {
				t.Errorf("best deaths by year, decoded vs raw column (-raw +decoded):\n%s", diff)
			}
			for y, want := range tt.check {
				if got[y] != want {
					t.Errorf("best deaths %d = %d, SOURCE.md says %d", y, got[y], want)
				}
			}
		})
	}
}

func TestUCDPGEDRealFileCountries(t *testing.T) {
	// The global extract names countries; each must resolve, and the
	// held-out Kenya and South Sudan must be absent.
	res := ucdpDecodeFile(t, "ucdp-ged", "ucdp-ged", "ged211_precise_location_subset_global.csv.gz")
	byCountry := map[string]int{}
	for i := range res.events {
		byCountry[res.events[i].Country]++
	}
	for _, held := range []string{"KEN", "SSD"} {
		if byCountry[held] != 0 {
			t.Errorf("%d events in %s, which the file holds out", byCountry[held], held)
		}
	}
	// SOURCE.md priority-case event counts.
	for iso, want := range map[string]int{"SDN": 2004, "IRQ": 6600, "COD": 4269, "AFG": 16038, "NGA": 3728,
		"ETH": 1422, "SOM": 4833, "MLI": 891, "SLE": 1298, "CIV": 336, "NER": 258, "BFA": 392, "GIN": 63,
		"ZWE": 49, "MRT": 23, "KGZ": 40} {
		if byCountry[iso] != want {
			t.Errorf("%s: %d events, SOURCE.md says %d", iso, byCountry[iso], want)
		}
	}
	var countries []string
	for c := range byCountry {
		countries = append(countries, c)
	}
	sort.Strings(countries)
	t.Logf("%d countries: %v", len(countries), countries)
}

func TestUCDPGEDConcurrentDecode(t *testing.T) {
	// One decoder serves several goroutines (run with -race).
	path := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	header, rows := ucdpReadCSV(t, path)
	f := File{Name: "GEDEvent_v23_1_central_african_republic.csv", Columns: NewColumns(header), Geo: ucdpTestGeo(t)}
	dec, err := ucdpGEDFormat().New(f)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]event.Event, len(rows))
	for i, row := range rows {
		want[i], _ = dec.Decode(row)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, row := range rows {
				got, _ := dec.Decode(row)
				if !cmp.Equal(want[i], got) {
					t.Errorf("row %d decoded differently under concurrency", i+2)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkUCDPGEDDecode(b *testing.B) {
	path := testenv.SharedData(b, "ucdp-ged", "GEDEvent_v23_1_mexico.csv")
	header, rows := ucdpReadCSV(b, path)
	f := File{Name: "GEDEvent_v23_1_mexico.csv", Columns: NewColumns(header), Geo: ucdpTestGeo(b)}
	dec, err := ucdpGEDFormat().New(f)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := dec.Decode(rows[i%len(rows)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// FuzzUCDPGED decodes arbitrary rows under each GED layout's header. The
// seed corpus (testdata/fuzz/FuzzUCDPGED) holds a few real GED rows, CC BY
// 4.0 UCDP data. layout picks the header: 0 the 49-column release, 1 the
// 41-column country release, 2 the 14-column extract.
func FuzzUCDPGED(f *testing.F) {
	g := ucdpTestGeo(f)
	headers := []string{ucdpGED49Header, ucdpGED41Header, ucdpGED14Header}
	names := []string{gedName49, gedName41, gedName14}
	decs := make([]Decoder, len(headers))
	for i, h := range headers {
		d, err := ucdpGEDFormat().New(File{Name: names[i], Columns: NewColumns(strings.Split(h, ",")), Geo: g})
		if err != nil {
			f.Fatal(err)
		}
		decs[i] = d
	}
	f.Add(uint8(0), ucdpCSVLine(ucdpRow(ucdpGED49Header, gedRow49)))
	f.Add(uint8(1), ucdpCSVLine(ucdpRow(ucdpGED41Header, gedRow41)))
	f.Add(uint8(2), ucdpCSVLine(ucdpRow(ucdpGED14Header, gedRow14)))
	f.Fuzz(func(t *testing.T, layout uint8, line string) {
		ucdpFuzzDecodeLine(t, decs[int(layout)%len(decs)], line)
	})
}

// ucdpFuzzDecodeLine splits line as a CSV record and decodes it: no panic,
// and a nil error means a valid event; an error must be a *FieldError.
func ucdpFuzzDecodeLine(t *testing.T, dec Decoder, line string) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	fields, err := r.Read()
	if err != nil {
		return
	}
	e, err := dec.Decode(fields)
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
			t.Fatalf("Decode(%q) error %v is not a *FieldError with field and reason", fields, err)
		}
		return
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("Decode(%q) = %+v, nil error, but Validate: %v", fields, e, err)
	}
}
