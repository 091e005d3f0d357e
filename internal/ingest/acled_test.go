package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/testenv"
)

// ACLED headers (column names only). ACLED rows are not openly licensed:
// every row in this file is SYNTHETIC, written for the tests, and the real
// sample is read from the shared data directory, never copied.
const (
	// The 2019-2022 export set, as in the shared sample (plus the gwcode
	// column its packager added).
	acledHeader2019 = "iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,gwcode"
	// The current export set, with population columns.
	acledHeaderCurrent = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp,population_1km,population_2km,population_5km,population_best"
)

// SYNTHETIC ACLED row: invented values, not ACLED data.
var acledSyntheticRow = map[string]string{
	"iso": "562", "event_id_cnty": "NIG99001", "event_id_no_cnty": "99001", "event_date": "2019-06-19",
	"year": "2019", "time_precision": "1", "disorder_type": "Political violence", "event_type": "Battles",
	"sub_event_type": "Armed clash", "actor1": "Synthetic Armed Group A", "inter1": "2",
	"actor2": "Synthetic Armed Group B", "inter2": "2", "interaction": "22", "civilian_targeting": "",
	"region": "Western Africa", "country": "Niger", "admin1": "Synthetic Region", "admin2": "Synthetic District",
	"location": "Synthetic Village", "latitude": "14.5", "longitude": "2.25", "geo_precision": "2",
	"source": "Synthetic Source", "source_scale": "National", "notes": "SYNTHETIC test row, not ACLED data.",
	"fatalities": "3", "tags": "", "timestamp": "1561465333", "population_best": "1200", "gwcode": "436",
}

var acledSyntheticEvent = event.Event{
	Source: event.ACLED, SourceID: "NIG99001",
	DateStart: ucdpCivil("2019-06-19"), DateEnd: ucdpCivil("2019-06-19"), DatePrecision: event.Day,
	Country: "NER", Admin1: "Synthetic Region", Place: "Synthetic Village",
	Latitude: ucdpFloat(14.5), Longitude: ucdpFloat(2.25), GeoPrecision: event.Near,
	Category: event.Battle, SourceType: "Battles", SourceSubType: "Armed clash",
	Actor1: "Synthetic Armed Group A", Actor2: "Synthetic Armed Group B",
	Fatalities: event.Fatalities{Best: ucdpInt(3)}, SourceRef: "Synthetic Source",
}

func TestACLEDDecode(t *testing.T) {
	tests := []struct {
		name string
		row  map[string]string
		want func(e *event.Event)
	}{
		{name: "battle", row: acledSyntheticRow},
		{name: "export-tool date", row: ucdpWith(acledSyntheticRow, "event_date", "19 June 2019")},
		{name: "zero-padded day", row: ucdpWith(acledSyntheticRow, "event_date", "09 June 2019"),
			want: func(e *event.Event) { e.DateStart, e.DateEnd = ucdpCivil("2019-06-09"), ucdpCivil("2019-06-09") }},
		{name: "older hyphenated date", row: ucdpWith(acledSyntheticRow, "event_date", "19-June-2019")},
		{name: "week precision", row: ucdpWith(acledSyntheticRow, "time_precision", "2"),
			want: func(e *event.Event) { e.DatePrecision = event.Week }},
		{name: "month precision", row: ucdpWith(acledSyntheticRow, "time_precision", "3"),
			want: func(e *event.Event) { e.DatePrecision = event.Month }},
		{name: "exact place", row: ucdpWith(acledSyntheticRow, "geo_precision", "1"),
			want: func(e *event.Event) { e.GeoPrecision = event.Exact }},
		{name: "region", row: ucdpWith(acledSyntheticRow, "geo_precision", "3"),
			want: func(e *event.Event) { e.GeoPrecision = event.Region }},
		{name: "zero-padded iso", row: ucdpWith(acledSyntheticRow, "iso", "004", "country", "Afghanistan"),
			want: func(e *event.Event) { e.Country = "AFG" }},
		{name: "iso 0 falls back to name", row: ucdpWith(acledSyntheticRow, "iso", "0")},
		{name: "no iso falls back to name", row: ucdpWith(acledSyntheticRow, "iso", "")},
		{name: "no actor2", row: ucdpWith(acledSyntheticRow, "actor2", ""),
			want: func(e *event.Event) { e.Actor2 = "" }},
		{name: "explosion", row: ucdpWith(acledSyntheticRow, "event_type", "Explosions/Remote violence", "sub_event_type", "Air/drone strike"),
			want: func(e *event.Event) {
				e.Category, e.SourceType, e.SourceSubType = event.ExplosionRemoteViolence, "Explosions/Remote violence", "Air/drone strike"
			}},
		{name: "violence against civilians", row: ucdpWith(acledSyntheticRow, "event_type", "Violence against civilians", "sub_event_type", "Attack"),
			want: func(e *event.Event) {
				e.Category, e.SourceType, e.SourceSubType = event.ViolenceAgainstCivilians, "Violence against civilians", "Attack"
			}},
		{name: "riot", row: ucdpWith(acledSyntheticRow, "event_type", "Riots", "sub_event_type", "Mob violence"),
			want: func(e *event.Event) { e.Category, e.SourceType, e.SourceSubType = event.Riot, "Riots", "Mob violence" }},
		{name: "protest", row: ucdpWith(acledSyntheticRow, "event_type", "Protests", "sub_event_type", "Peaceful protest", "fatalities", "0"),
			want: func(e *event.Event) {
				e.Category, e.SourceType, e.SourceSubType = event.Protest, "Protests", "Peaceful protest"
				e.Fatalities.Best = ucdpInt(0)
			}},
		{name: "agreement", row: ucdpWith(acledSyntheticRow, "event_type", "Strategic developments", "sub_event_type", "Agreement"),
			want: func(e *event.Event) {
				e.Category, e.SourceType, e.SourceSubType = event.DiplomaticCooperation, "Strategic developments", "Agreement"
			}},
		{name: "other strategic development", row: ucdpWith(acledSyntheticRow, "event_type", "Strategic developments", "sub_event_type", "Arrests"),
			want: func(e *event.Event) {
				e.Category, e.SourceType, e.SourceSubType = event.Other, "Strategic developments", "Arrests"
			}},
		{name: "event type in other case", row: ucdpWith(acledSyntheticRow, "event_type", "BATTLES"),
			want: func(e *event.Event) { e.SourceType = "BATTLES" }},
		{name: "no fatalities value", row: ucdpWith(acledSyntheticRow, "fatalities", ""),
			want: func(e *event.Event) { e.Fatalities.Best = nil }},
		{name: "no coordinates", row: ucdpWith(acledSyntheticRow, "latitude", "", "longitude", ""),
			want: func(e *event.Event) { e.Latitude, e.Longitude = nil, nil }},
	}
	for _, header := range []string{acledHeader2019, acledHeaderCurrent} {
		dec := ucdpTestDecoder(t, "acled", "acled_export.csv", header)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := dec.Decode(ucdpRow(header, tt.row))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				want := acledSyntheticEvent
				if tt.want != nil {
					tt.want(&want)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Decode mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestACLEDDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		row   map[string]string
		field string
	}{
		{"missing id", ucdpWith(acledSyntheticRow, "event_id_cnty", ""), "event_id_cnty"},
		{"missing date", ucdpWith(acledSyntheticRow, "event_date", ""), "event_date"},
		{"slashed date", ucdpWith(acledSyntheticRow, "event_date", "06/07/2019"), "event_date"},
		{"bad date", ucdpWith(acledSyntheticRow, "event_date", "31 June 2019"), "event_date"},
		{"year 1", ucdpWith(acledSyntheticRow, "event_date", "1 January 0001"), "event_date"},
		{"ISO year 1", ucdpWith(acledSyntheticRow, "event_date", "0001-01-01"), "event_date"},
		{"time_precision off scale", ucdpWith(acledSyntheticRow, "time_precision", "4"), "time_precision"},
		{"unknown event type", ucdpWith(acledSyntheticRow, "event_type", "Remote violence"), "event_type"},
		{"missing event type", ucdpWith(acledSyntheticRow, "event_type", ""), "event_type"},
		{"iso not numeric", ucdpWith(acledSyntheticRow, "iso", "NER"), "iso"},
		{"unknown iso and name", ucdpWith(acledSyntheticRow, "iso", "999", "country", "Atlantis"), "iso"},
		{"unknown name without iso", ucdpWith(acledSyntheticRow, "iso", "", "country", "Atlantis"), "country"},
		{"no country at all", ucdpWith(acledSyntheticRow, "iso", "", "country", ""), "iso"},
		{"geo_precision off scale", ucdpWith(acledSyntheticRow, "geo_precision", "0"), "geo_precision"},
		{"latitude out of range", ucdpWith(acledSyntheticRow, "latitude", "-91"), "latitude"},
		{"longitude missing", ucdpWith(acledSyntheticRow, "longitude", ""), "longitude"},
		{"fatalities negative", ucdpWith(acledSyntheticRow, "fatalities", "-1"), "fatalities"},
		{"fatalities not a number", ucdpWith(acledSyntheticRow, "fatalities", "dozens"), "fatalities"},
	}
	for _, header := range []string{acledHeader2019, acledHeaderCurrent} {
		dec := ucdpTestDecoder(t, "acled", "acled_export.csv", header)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e, err := dec.Decode(ucdpRow(header, tt.row))
				if err == nil {
					t.Fatalf("Decode = %+v, nil error; want a *FieldError for %s", e, tt.field)
				}
				ucdpWantFieldError(t, err, tt.field)
			})
		}
	}
}

func TestACLEDNewAndMatch(t *testing.T) {
	g := ucdpTestGeo(t)
	tests := []struct {
		name    string
		header  string
		match   bool
		wantErr string
	}{
		{"2019 set", acledHeader2019, true, ""},
		{"current set", acledHeaderCurrent, true, ""},
		{"reordered minimal", "fatalities,country,event_type,event_date,event_id_cnty", true, ""},
		{"no fatalities", "event_id_cnty,event_date,event_type,iso", true, "fatalities"},
		{"no country", "event_id_cnty,event_date,event_type,fatalities", true, "iso"},
		{"no id", "event_id_no_cnty,event_date,event_type,iso,fatalities", false, "event_id_cnty"},
		{"GED header", ucdpGED49Header, false, "event_id_cnty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{Name: "x.csv", Columns: NewColumns(strings.Split(tt.header, ",")), Geo: g}
			if got := acledFormat().Match(f); got != tt.match {
				t.Errorf("Match = %v, want %v", got, tt.match)
			}
			_, err := acledFormat().New(f)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("New = %v, want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("New = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestACLEDRealFile(t *testing.T) {
	res := ucdpDecodeFile(t, "acled", "acled", "acled_sample_100.csv")
	if len(res.rows) != 100 {
		t.Errorf("%d rows, SOURCE.md says 100", len(res.rows))
	}
	if rej := len(res.rows) - len(res.events); rej != 0 {
		t.Errorf("%d rows rejected: %v", rej, res.rejected)
	}
	// Fatalities and categories survive: decoded sums equal the raw column.
	fi, ti := res.header.Index("fatalities"), res.header.Index("event_type")
	rawByType, gotByType := map[string]int{}, map[string]int{}
	for i, row := range res.rows {
		if !res.ok[i] {
			continue
		}
		n, ok := intDigits(row[fi])
		if !ok {
			t.Fatalf("row %d: fatalities %q", i+2, row[fi])
		}
		rawByType[row[ti]] += n
	}
	categories := map[event.Category]int{}
	for i := range res.events {
		e := &res.events[i]
		gotByType[e.SourceType] += *e.Fatalities.Best
		categories[e.Category]++
		if e.Source != event.ACLED || e.DatePrecision == event.DateUnknown || e.GeoPrecision == event.GeoUnknown {
			t.Errorf("event %s: source %s, precisions %d/%d", e.SourceID, e.Source, e.DatePrecision, e.GeoPrecision)
		}
	}
	if diff := cmp.Diff(rawByType, gotByType); diff != "" {
		t.Errorf("fatalities by event_type, decoded vs raw (-raw +decoded):\n%s", diff)
	}
	// Counts by event type from the sample's own column.
	want := map[event.Category]int{event.Protest: 35, event.Battle: 25, event.ExplosionRemoteViolence: 24,
		event.ViolenceAgainstCivilians: 10, event.Riot: 5, event.Other: 1}
	if diff := cmp.Diff(want, categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
}

func TestACLEDCurrentExportHeaderReadsSample(t *testing.T) {
	// The same real rows, rearranged into the current export's column set,
	// decode to the same events: columns are found by name.
	path := testenv.SharedData(t, "acled", "acled_sample_100.csv")
	header, rows := ucdpReadCSV(t, path)
	src := NewColumns(header)
	g := ucdpTestGeo(t)
	old, err := acledFormat().New(File{Name: "acled_sample_100.csv", Columns: src, Geo: g})
	if err != nil {
		t.Fatal(err)
	}
	cur := strings.Split(acledHeaderCurrent, ",")
	dec, err := acledFormat().New(File{Name: "acled_export.csv", Columns: NewColumns(cur), Geo: g})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		moved := make([]string, len(cur))
		for j, name := range cur {
			if k := src.Index(name); k >= 0 {
				moved[j] = row[k]
			}
		}
		want, werr := old.Decode(row)
		got, gerr := dec.Decode(moved)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("row %d: errors differ: %v vs %v", i+2, werr, gerr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("row %d mismatch (-2019 layout +current layout):\n%s", i+2, diff)
		}
	}
}

// FuzzACLED decodes arbitrary rows under both ACLED headers. Its seeds are
// SYNTHETIC rows built here; no ACLED row may enter the corpus.
func FuzzACLED(f *testing.F) {
	headers := []string{acledHeader2019, acledHeaderCurrent}
	decs := make([]Decoder, len(headers))
	for i, h := range headers {
		decs[i] = ucdpTestDecoder(f, "acled", "acled_export.csv", h)
	}
	for i, h := range headers {
		f.Add(uint8(i), ucdpCSVLine(ucdpRow(h, acledSyntheticRow)))
		f.Add(uint8(i), ucdpCSVLine(ucdpRow(h, ucdpWith(acledSyntheticRow, "event_date", "19 June 2019", "iso", "0"))))
	}
	f.Fuzz(func(t *testing.T, layout uint8, line string) {
		ucdpFuzzDecodeLine(t, decs[int(layout)%len(decs)], line)
	})
}
