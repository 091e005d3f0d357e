package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/testenv"
)

// icewsHeader is the snake_case header of the R package's export.
var icewsHeader = strings.Split("event_id,event_date,source_name,source_sectors,source_country,event_text,"+
	"cameo_code,intensity,target_name,target_sectors,target_country,story_id,sentence_number,publisher,"+
	"city,district,province,country,latitude,longitude,year,yearmonth", ",")

// icewsDataverseHeader is the header of the Dataverse release's .tab files.
var icewsDataverseHeader = strings.Split("Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\t"+
	"Event Text\tCAMEO Code\tIntensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\t"+
	"Sentence Number\tPublisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude", "\t")

// icewsBase is a valid row: event 32889836 of the shared sample.
var icewsBase = map[string]string{
	"event_id": "32889836", "event_date": "2018-06-01", "source_name": "Foreign Affairs (Bangladesh)",
	"source_sectors": "Executive,Foreign Ministry,Government", "source_country": "Bangladesh",
	"event_text": "Consult", "cameo_code": "040", "intensity": "1",
	"target_name": "High Ranking Military Personnel (Vietnam)", "target_sectors": "Military,Government",
	"target_country": "Vietnam", "story_id": "47400351", "sentence_number": "2",
	"publisher": "Vietnam News Agency Bulletin", "city": "Hanoi", "district": "",
	"province": "Thanh Pho Ha Noi", "country": "Vietnam", "latitude": "21.0245", "longitude": "105.841",
	"year": "2018", "yearmonth": "201806",
}

// icewsRow builds a row for header from icewsBase with the named
// (snake_case) fields overridden.
func icewsRow(t testing.TB, header []string, set map[string]string) []string {
	t.Helper()
	cols := NewColumns(header)
	row := make([]string, len(header))
	for name, i := range cols {
		row[i] = icewsBase[name]
	}
	for k, v := range set {
		i := cols.Index(k)
		if i < 0 {
			t.Fatalf("icewsRow: header has no column %s", k)
		}
		row[i] = v
	}
	return row
}

func newICEWSTestDecoder(t testing.TB, name string, header []string) Decoder {
	t.Helper()
	d, err := icewsFormat().New(File{Name: name, Columns: NewColumns(header), Geo: gdeltGeoTable(t)})
	if err != nil {
		t.Fatalf("icewsFormat().New: %v", err)
	}
	return d
}

func TestICEWSFormat(t *testing.T) {
	f := icewsFormat()
	if f.Name != "icews" || f.Source != event.ICEWS || f.Headerless || f.Match == nil || f.New == nil {
		t.Errorf("icewsFormat() = %+v, want a headed icews format with Match and New", f)
	}
	if got, ok := FormatByName("icews"); !ok || got.Name != "icews" {
		t.Errorf("FormatByName(icews) = %v, %v", got.Name, ok)
	}
	matchTests := []struct {
		name   string
		header []string
		want   bool
	}{
		{"R package export", icewsHeader, true},
		{"Dataverse release", icewsDataverseHeader, true},
		{"byte order mark", append([]string{"\ufeffevent_id"}, icewsHeader[1:]...), true},
		{"no cameo_code", slices.DeleteFunc(slices.Clone(icewsHeader), func(s string) bool { return s == "cameo_code" }), false},
		{"ACLED", strings.Split("event_id_cnty,event_date,year,event_type,sub_event_type,actor1,country,iso", ","), false},
		{"UCDP GED", strings.Split("id,year,type_of_violence,date_start,date_end,country,best", ","), false},
	}
	for _, tt := range matchTests {
		if got := f.Match(File{Name: "x.csv", Columns: NewColumns(tt.header)}); got != tt.want {
			t.Errorf("icewsFormat().Match(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}

	noCountry := slices.DeleteFunc(slices.Clone(icewsHeader), func(s string) bool { return s == "country" })
	if _, err := f.New(File{Columns: NewColumns(noCountry), Geo: gdeltGeoTable(t)}); err == nil || !strings.Contains(err.Error(), "country") {
		t.Errorf("icewsFormat().New(header without country) error = %v, want one naming country", err)
	}
	if _, err := f.New(File{Columns: NewColumns(icewsHeader)}); err == nil {
		t.Errorf("icewsFormat().New(File{}) without a country table succeeded")
	}
}

func TestICEWSVersion(t *testing.T) {
	tests := []struct{ name, want string }{
		{"events.2018.20200427084805.tab", "20200427084805"},
		{"events.1995.20150313082510.tab.zip/events.1995.20150313082510.tab", "20150313082510"},
		{"Events.2018.20200427084805.tsv", "20200427084805"},
		{"icews_events_sample_2018-06-01_03.csv", ""},
		{"events.2018.tab", ""},
		{"events.18.20200427084805.tab", ""},
		{"events.2018.2020x.tab", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := icewsVersion(tt.name); got != tt.want {
			t.Errorf("icewsVersion(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestICEWSDecode(t *testing.T) {
	hanoi := event.Event{
		Source: event.ICEWS, SourceID: "32889836:2018-06-01",
		DateStart: gdeltDay(2018, 6, 1), DateEnd: gdeltDay(2018, 6, 1), DatePrecision: event.Day,
		Country: "VNM", Admin1: "Thanh Pho Ha Noi", Place: "Hanoi",
		Latitude: gdeltFloat(21.0245), Longitude: gdeltFloat(105.841), GeoPrecision: event.Exact,
		Category: event.DiplomaticCooperation, SourceType: "040", SourceSubType: "040",
		Actor1: "Foreign Affairs (Bangladesh)", Actor2: "High Ranking Military Personnel (Vietnam)",
		Goldstein: gdeltFloat(1), SourceRef: "Vietnam News Agency Bulletin (story 47400351)",
	}
	with := func(f func(e *event.Event)) event.Event {
		e := hanoi
		f(&e)
		return e
	}
	tests := []struct {
		name   string
		file   string
		header []string
		set    map[string]string
		want   event.Event
	}{
		{name: "city", want: hanoi},
		{name: "Dataverse header and file name", file: "events.2018.20200427084805.tab", header: icewsDataverseHeader,
			want: with(func(e *event.Event) { e.Version = "20200427084805" })},
		{name: "district only", set: map[string]string{"city": "", "district": "Langkawi", "province": ""},
			want: with(func(e *event.Event) { e.Place, e.Admin1, e.GeoPrecision = "Langkawi", "", event.Admin2Area })},
		{name: "district and province", set: map[string]string{"city": "", "district": "Langkawi"},
			want: with(func(e *event.Event) { e.Place, e.GeoPrecision = "Langkawi", event.Admin2Area })},
		{name: "province only", set: map[string]string{"city": ""},
			want: with(func(e *event.Event) { e.Place, e.GeoPrecision = "", event.Admin1Area })},
		{name: "country only", set: map[string]string{"city": "", "province": ""},
			want: with(func(e *event.Event) { e.Place, e.Admin1, e.GeoPrecision = "", "", event.CountryWide })},
		{name: "no coordinates", set: map[string]string{"latitude": "", "longitude": ""},
			want: with(func(e *event.Event) { e.Latitude, e.Longitude = nil, nil })},
		{name: "four-digit code", set: map[string]string{"cameo_code": "1823", "intensity": "-9.5"},
			want: with(func(e *event.Event) {
				e.SourceType, e.SourceSubType, e.Category, e.Goldstein = "1823", "182", event.ViolenceAgainstCivilians, gdeltFloat(-9.5)
			})},
		{name: "bombing refinement", set: map[string]string{"cameo_code": "183"},
			want: with(func(e *event.Event) {
				e.SourceType, e.SourceSubType, e.Category = "183", "183", event.ExplosionRemoteViolence
			})},
		{name: "root-level code", set: map[string]string{"cameo_code": "19"},
			want: with(func(e *event.Event) { e.SourceType, e.SourceSubType, e.Category = "19", "19", event.Battle })},
		{name: "no intensity", set: map[string]string{"intensity": ""},
			want: with(func(e *event.Event) { e.Goldstein = nil })},
		{name: "date with time", set: map[string]string{"event_date": "2018-06-01 00:00:00"}, want: hanoi},
		{name: "story without publisher", set: map[string]string{"publisher": ""},
			want: with(func(e *event.Event) { e.SourceRef = "story 47400351" })},
		{name: "publisher without story", set: map[string]string{"story_id": ""},
			want: with(func(e *event.Event) { e.SourceRef = "Vietnam News Agency Bulletin" })},
		{name: "neither publisher nor story", set: map[string]string{"story_id": "", "publisher": ""},
			want: with(func(e *event.Event) { e.SourceRef = "" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, file := tt.header, tt.file
			if header == nil {
				header, file = icewsHeader, "icews_events_sample_2018-06-01_03.csv"
			}
			d := newICEWSTestDecoder(t, file, header)
			got, err := d.Decode(icewsRow(t, header, tt.set))
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

func TestICEWSDecodeErrors(t *testing.T) {
	d := newICEWSTestDecoder(t, "sample.csv", icewsHeader)
	row := func(set map[string]string) []string { return icewsRow(t, icewsHeader, set) }
	tests := []struct {
		name       string
		row        []string
		wantField  string
		wantReason string // checked when not empty
	}{
		{"no fields", nil, "event_id", "missing"},
		{"missing id", row(map[string]string{"event_id": " "}), "event_id", "missing"},
		{"missing date", row(map[string]string{"event_date": ""}), "event_date", "missing date"},
		{"bad date", row(map[string]string{"event_date": "2018-02-30"}), "event_date", "unparsable date"},
		{"missing code", row(map[string]string{"cameo_code": ""}), "cameo_code", "not a CAMEO event code"},
		{"bad code", row(map[string]string{"cameo_code": "0.4"}), "cameo_code", "not a CAMEO event code"},
		{"missing country", row(map[string]string{"country": ""}), "country", "missing"},
		{"unknown country", row(map[string]string{"country": "Atlantis"}), "country", "unknown country"},
		{"intensity not a number", row(map[string]string{"intensity": "high"}), "intensity", "not a number"},
		{"intensity out of range", row(map[string]string{"intensity": "10.5"}), "intensity", "out of range -10..10"},
		{"latitude without longitude", row(map[string]string{"longitude": ""}), "longitude", ""},
		{"latitude out of range", row(map[string]string{"latitude": "-91"}), "latitude", "out of range -90..90"},
		{"longitude infinite", row(map[string]string{"longitude": "Inf"}), "longitude", "not a number"},
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

// readICEWSFile reads a CSV file whole: its header and its rows.
func readICEWSFile(t testing.TB, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return recs[0], recs[1:]
}

func TestICEWSRealFile(t *testing.T) {
	const name = "icews_events_sample_2018-06-01_03.csv"
	header, rows := readICEWSFile(t, testenv.SharedData(t, "icews", name))
	if len(rows) != 4993 {
		t.Fatalf("%s has %d rows, want 4993", name, len(rows))
	}
	f := File{Name: name, Columns: NewColumns(header), Geo: gdeltGeoTable(t)}
	if !icewsFormat().Match(f) {
		t.Fatalf("icewsFormat().Match(%s) = false", name)
	}
	d := newICEWSTestDecoder(t, name, header)

	// Expected rejects, computed without the decoder: rows with no country,
	// and rows whose country name the country table does not know.
	countryCol := slices.Index(header, "country")
	wantRejects := 0
	for _, r := range rows {
		c := strings.TrimSpace(r[countryCol])
		if c == "" {
			wantRejects++
		} else if _, err := f.Geo.FromName(c); err != nil {
			wantRejects++
			t.Errorf("country %q unknown to geo (FromName)", c)
		}
	}

	spot := map[string]event.Event{
		"32891249:2018-06-01": {
			Source: event.ICEWS, SourceID: "32891249:2018-06-01",
			DateStart: gdeltDay(2018, 6, 1), DateEnd: gdeltDay(2018, 6, 1), DatePrecision: event.Day,
			Country: "PHL", Admin1: "Central Visayas", Place: "Province of Negros Oriental",
			Latitude: gdeltFloat(9.75), Longitude: gdeltFloat(123), GeoPrecision: event.Admin2Area,
			Category: event.DiplomaticCooperation, SourceType: "020", SourceSubType: "020",
			Actor1: "Lawmaker (Philippines)", Actor2: "House of Representatives (Philippines)",
			Goldstein: gdeltFloat(3), SourceRef: "Philippine Daily Inquirer (story 47400752)",
		},
		"32891059:2018-06-01": {
			Source: event.ICEWS, SourceID: "32891059:2018-06-01",
			DateStart: gdeltDay(2018, 6, 1), DateEnd: gdeltDay(2018, 6, 1), DatePrecision: event.Day,
			Country: "USA", Admin1: "Washington D.C.",
			Latitude: gdeltFloat(38.9171), Longitude: gdeltFloat(-77.0003), GeoPrecision: event.Admin1Area,
			Category: event.DiplomaticCooperation, SourceType: "020", SourceSubType: "020",
			Actor1: "Aso Taro", Actor2: "United States",
			Goldstein: gdeltFloat(3), SourceRef: "Kyodo News (story 47400361)",
		},
		"32891065:2018-06-01": {
			Source: event.ICEWS, SourceID: "32891065:2018-06-01",
			DateStart: gdeltDay(2018, 6, 1), DateEnd: gdeltDay(2018, 6, 1), DatePrecision: event.Day,
			Country: "JPN", Latitude: gdeltFloat(35.6149), Longitude: gdeltFloat(139.581), GeoPrecision: event.CountryWide,
			Category: event.DiplomaticCooperation, SourceType: "032", SourceSubType: "032",
			Actor1: "Japan", Actor2: "Vietnam",
			Goldstein: gdeltFloat(4.5), SourceRef: "Vietnam News Agency Bulletin (story 47400359)",
		},
		"32899480:2018-06-02": {
			Source: event.ICEWS, SourceID: "32899480:2018-06-02",
			DateStart: gdeltDay(2018, 6, 2), DateEnd: gdeltDay(2018, 6, 2), DatePrecision: event.Day,
			Country: "MYS", Place: "Langkawi",
			Latitude: gdeltFloat(6.33333), Longitude: gdeltFloat(99.75), GeoPrecision: event.Admin2Area,
			Category: event.DiplomaticCooperation, SourceType: "036", SourceSubType: "036",
			Actor1: "Head of Government (Malaysia)", Actor2: "Japan",
			Goldstein: gdeltFloat(4), SourceRef: "Straits Times (story 47408709)",
		},
	}
	spotRejects := map[string]string{"32891407": "country"} // no location at all

	decoded, rejected := 0, 0
	reasons := map[string]int{}
	ids := map[string]bool{}
	categories := map[event.Category]int{}
	for i, row := range rows {
		e, err := d.Decode(row)
		if err != nil {
			rejected++
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Errorf("row %d (%s): error %v does not name a field and a reason", i+2, row[0], err)
				continue
			}
			reasons[fe.Field+": "+fe.Reason]++
			if want, ok := spotRejects[row[0]]; ok && fe.Field != want {
				t.Errorf("row %s rejected on %s, want %s", row[0], fe.Field, want)
			}
			continue
		}
		decoded++
		if err := e.Validate(); err != nil {
			t.Errorf("row %d (%s): decoded event invalid: %v", i+2, row[0], err)
		}
		if ids[e.SourceID] {
			t.Errorf("row %d: duplicate SourceID %s", i+2, e.SourceID)
		}
		ids[e.SourceID] = true
		categories[e.Category]++
		if want, ok := spot[e.SourceID]; ok {
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("row %s mismatch (-want +got):\n%s", e.SourceID, diff)
			}
			delete(spot, e.SourceID)
		}
		if _, ok := spotRejects[row[0]]; ok {
			t.Errorf("row %s decoded, want it rejected", row[0])
		}
	}
	if decoded+rejected != len(rows) {
		t.Errorf("decoded %d + rejected %d != %d rows", decoded, rejected, len(rows))
	}
	if rejected != wantRejects {
		t.Errorf("rejected %d rows, want %d (rows with no or unknown country); reasons %v", rejected, wantRejects, reasons)
	}
	for id := range spot {
		t.Errorf("spot-checked row %s not decoded", id)
	}
	t.Logf("%s: %d rows, %d decoded, %d rejected: %v; categories %v", name, len(rows), decoded, rejected, reasons, categories)
}

// TestICEWSConcurrent decodes the sample from several goroutines with one
// fresh decoder, so that they fill its country name cache together; run
// with -race.
func TestICEWSConcurrent(t *testing.T) {
	const name = "icews_events_sample_2018-06-01_03.csv"
	header, rows := readICEWSFile(t, testenv.SharedData(t, "icews", name))
	want := make([]event.Event, len(rows))
	wantErr := make([]bool, len(rows))
	serial := newICEWSTestDecoder(t, name, header)
	for i, r := range rows {
		var err error
		want[i], err = serial.Decode(r)
		wantErr[i] = err != nil
	}
	d := newICEWSTestDecoder(t, name, header)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := g; i < len(rows); i += 4 {
				got, err := d.Decode(rows[i])
				if (err != nil) != wantErr[i] || !cmp.Equal(want[i], got) {
					t.Errorf("row %d decoded differently under concurrency", i+2)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestICEWSCountryNames(t *testing.T) {
	c := &countryNames{geo: gdeltGeoTable(t)}
	for range 2 { // the second round reads the cache
		if iso, ok := c.resolve("Vietnam"); !ok || iso != "VNM" {
			t.Errorf("resolve(Vietnam) = %q, %v, want VNM", iso, ok)
		}
		if iso, ok := c.resolve("Atlantis"); ok {
			t.Errorf("resolve(Atlantis) = %q, want unknown", iso)
		}
	}
	if n := len(*c.m.Load()); n != 2 {
		t.Errorf("cache holds %d names, want 2", n)
	}

	// A full cache still resolves, but grows no more.
	full := map[string]string{}
	for i := range maxCountryNames {
		full[fmt.Sprint("Nowhere ", i)] = ""
	}
	c.m.Store(&full)
	if iso, ok := c.resolve("Japan"); !ok || iso != "JPN" {
		t.Errorf("resolve(Japan) with a full cache = %q, %v, want JPN", iso, ok)
	}
	if n := len(*c.m.Load()); n != maxCountryNames {
		t.Errorf("full cache grew to %d names, want the bound %d", n, maxCountryNames)
	}
}

func BenchmarkICEWSDecode(b *testing.B) {
	const name = "icews_events_sample_2018-06-01_03.csv"
	header, rows := readICEWSFile(b, testenv.SharedData(b, "icews", name))
	d := newICEWSTestDecoder(b, name, header)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rows {
			_, _ = d.Decode(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

// FuzzICEWS decodes arbitrary CSV lines under the R export's header. Seeds
// are a few real rows, in testdata/icews/seed.csv (see its README.md).
func FuzzICEWS(f *testing.F) {
	header, rows := readICEWSFile(f, "testdata/icews/seed.csv")
	for _, r := range rows {
		var b strings.Builder
		w := csv.NewWriter(&b)
		if err := w.Write(r); err != nil {
			f.Fatal(err)
		}
		w.Flush()
		f.Add(b.String())
	}
	d := newICEWSTestDecoder(f, "seed.csv", header)
	f.Fuzz(func(t *testing.T, line string) {
		cr := csv.NewReader(strings.NewReader(line))
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		for {
			row, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			e, err := d.Decode(row)
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
					t.Fatalf("Decode(%q) error %v does not name a field and a reason", row, err)
				}
				continue
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("Decode(%q) = %+v, an invalid event: %v", row, e, err)
			}
		}
	})
}
