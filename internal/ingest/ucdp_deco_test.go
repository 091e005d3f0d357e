package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
)

const ucdpDECOHeader = "id,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,side_a_new_id,side_a,side_b_new_id,side_b,country_id,country,region,source_article,year,date_start,date_end,deaths_a,deaths_b,civilian_deaths,unknown,best,high,low,latitude,longitude,electoral_vio,electoral_vio_uncertainty,electoral_vio_source,electoral_purpose,electoral_side_a,electoral_side_a_2,electoral_side_a_inc,electoral_side_b,electoral_side_b_2,electoral_side_b_inc,electoral_perpetrator,electoral_targets,electoral_type,electoral_timing,relid,ucdp_ged"

const decoName = "DECO_v1.0_excl_kenya_southsudan.csv"

// A hand-written DECO row (not a real event).
var decoRow = map[string]string{
	"id": "900010", "type_of_violence": "3", "conflict_name": "Example militia - Civilians",
	"side_a": "Example militia", "side_b": "Civilians", "country_id": "437", "country": "Ivory Coast",
	"region": "Africa", "source_article": "Example Wire, 2011-03-02, Post-election clashes",
	"year": "2011", "date_start": "3/1/2011", "date_end": "3/2/2011",
	"deaths_a": "0", "deaths_b": "0", "civilian_deaths": "5", "unknown": "1", "best": "6", "high": "8", "low": "6",
	"latitude": "5.35", "longitude": "-4.0", "electoral_vio": "1", "ucdp_ged": "1",
}

var decoEvent = event.Event{
	Source: event.UCDPDECO, SourceID: "900010", Version: "1.0",
	DateStart: ucdpCivil("2011-03-01"), DateEnd: ucdpCivil("2011-03-02"),
	Country: "CIV", Latitude: ucdpFloat(5.35), Longitude: ucdpFloat(-4.0),
	Category: event.ViolenceAgainstCivilians, SourceType: "3",
	Actor1: "Example militia", Actor2: "Civilians", Fatalities: ucdpDeaths(6, 6, 8),
	Electoral: true, SourceRef: "Example Wire, 2011-03-02, Post-election clashes",
}

func TestUCDPDECODecode(t *testing.T) {
	tests := []struct {
		name string
		row  map[string]string
		want func(e *event.Event)
	}{
		{name: "one-sided", row: decoRow},
		{name: "state-based", row: ucdpWith(decoRow, "type_of_violence", "1"),
			want: func(e *event.Event) { e.Category, e.SourceType = event.Battle, "1" }},
		{name: "type 4 is a riot", row: ucdpWith(decoRow, "type_of_violence", "4", "side_a", "Government of Ivory Coast", "side_b", "Opponents of Gbagbo"),
			want: func(e *event.Event) {
				e.Category, e.SourceType = event.Riot, "4"
				e.Actor1, e.Actor2 = "Government of Ivory Coast", "Opponents of Gbagbo"
			}},
		{name: "NA coordinates", row: ucdpWith(decoRow, "latitude", "NA", "longitude", "NA"),
			want: func(e *event.Event) { e.Latitude, e.Longitude = nil, nil }},
		{name: "NA source_article", row: ucdpWith(decoRow, "source_article", "NA"),
			want: func(e *event.Event) { e.SourceRef = "" }},
		{name: "two-digit month and day", row: ucdpWith(decoRow, "date_start", "12/31/2010", "date_end", "01/02/2011"),
			want: func(e *event.Event) { e.DateStart, e.DateEnd = ucdpCivil("2010-12-31"), ucdpCivil("2011-01-02") }},
		{name: "band not bracketing best is kept", row: ucdpWith(decoRow, "low", "7", "high", "2"),
			want: func(e *event.Event) { e.Fatalities = ucdpDeaths(6, 7, 2) }},
	}
	dec := ucdpTestDecoder(t, "ucdp-deco", decoName, ucdpDECOHeader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dec.Decode(ucdpRow(ucdpDECOHeader, tt.row))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := decoEvent
			if tt.want != nil {
				tt.want(&want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUCDPDECODecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		row   map[string]string
		field string
	}{
		{"missing id", ucdpWith(decoRow, "id", ""), "id"},
		{"type 5", ucdpWith(decoRow, "type_of_violence", "5"), "type_of_violence"},
		{"day-first date", ucdpWith(decoRow, "date_start", "31/12/2010"), "date_start"},
		{"no such day", ucdpWith(decoRow, "date_end", "2/30/2011"), "date_end"},
		{"year 1", ucdpWith(decoRow, "date_start", "1/1/0001"), "date_start"},
		{"end before start", ucdpWith(decoRow, "date_end", "2/28/2011"), "date_end"},
		{"unknown country", ucdpWith(decoRow, "country_id", "9998", "country", "Atlantis"), "country_id"},
		{"half coordinates", ucdpWith(decoRow, "longitude", "NA"), "longitude"},
		{"quoted junk coordinate", ucdpWith(decoRow, "latitude", "5.35N"), "latitude"},
		{"best not the sum of its parts", ucdpWith(decoRow, "best", "5"), "best"},
		{"unknown not a number", ucdpWith(decoRow, "unknown", "?"), "unknown"},
		{"negative high", ucdpWith(decoRow, "high", "-8"), "high"},
	}
	dec := ucdpTestDecoder(t, "ucdp-deco", decoName, ucdpDECOHeader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := dec.Decode(ucdpRow(ucdpDECOHeader, tt.row))
			if err == nil {
				t.Fatalf("Decode = %+v, nil error; want a *FieldError for %s", e, tt.field)
			}
			ucdpWantFieldError(t, err, tt.field)
		})
	}
}

func TestUCDPDECOMatch(t *testing.T) {
	deco := NewColumns(strings.Split(ucdpDECOHeader, ","))
	ged := NewColumns(strings.Split(ucdpGED49Header, ","))
	if !ucdpDECOFormat().Match(File{Name: decoName, Columns: deco}) {
		t.Errorf("DECO Match rejects the DECO header")
	}
	if ucdpDECOFormat().Match(File{Name: "DECO_v1.0.csv", Columns: ged}) {
		t.Errorf("DECO Match accepts a GED header")
	}
}

func TestUCDPDECORealFile(t *testing.T) {
	res := ucdpDecodeFile(t, "ucdp-deco", "ucdp-deco", decoName)
	if len(res.rows) != 3972 {
		t.Errorf("%d rows, SOURCE.md says 3972", len(res.rows))
	}
	// Three rows have a place name glued to the longitude
	// ("123.58333Masbate"); they are quarantined, not guessed at.
	idi, loni := res.header.Index("id"), res.header.Index("longitude")
	rejected := map[string]string{}
	for i, row := range res.rows {
		if !res.ok[i] {
			rejected[row[idi]] = row[loni]
		}
	}
	wantRejected := map[string]string{"128172": "123.58333Masbate", "128456": "124.34139Malangon", "128617": "124.72417Banisilan"}
	if diff := cmp.Diff(wantRejected, rejected); diff != "" {
		t.Errorf("rejected rows (id: longitude) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"longitude: not a number": 3}, res.rejected); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
	}
	for i := range res.events {
		e := &res.events[i]
		if e.Source != event.UCDPDECO || !e.Electoral || e.Version != "1.0" {
			t.Fatalf("event %s: source %s electoral %v version %q, want ucdp-deco, electoral, 1.0", e.SourceID, e.Source, e.Electoral, e.Version)
		}
	}
	raw := res.rawSumByYear(t, "best", "year", nil)
	if diff := cmp.Diff(raw, ucdpSumByYear(res.events, nil)); diff != "" {
		t.Errorf("best deaths by year, decoded vs raw column (-raw +decoded):\n%s", diff)
	}
	ci := res.header.Index("country")
	for _, tt := range []struct {
		iso, name string
		check     map[int]int
	}{
		{"CIV", "Ivory Coast", map[int]int{2011: 1606, 2010: 37}},
		{"ZWE", "Zimbabwe (Rhodesia)", map[int]int{2008: 43}},
	} {
		raw := res.rawSumByYear(t, "best", "year", func(row []string) bool { return row[ci] == tt.name })
		got := ucdpSumByYear(res.events, func(e *event.Event) bool { return e.Country == tt.iso })
		if diff := cmp.Diff(raw, got); diff != "" {
			t.Errorf("%s best deaths by year, decoded vs raw (-raw +decoded):\n%s", tt.iso, diff)
		}
		for y, want := range tt.check {
			if got[y] != want {
				t.Errorf("%s best deaths %d = %d, SOURCE.md says %d", tt.iso, y, got[y], want)
			}
		}
	}
}

// FuzzUCDPDECO decodes arbitrary rows under the DECO header. The seed
// corpus (testdata/fuzz/FuzzUCDPDECO) holds a few real DECO rows, CC BY 4.0
// UCDP data.
func FuzzUCDPDECO(f *testing.F) {
	dec := ucdpTestDecoder(f, "ucdp-deco", decoName, ucdpDECOHeader)
	f.Add(ucdpCSVLine(ucdpRow(ucdpDECOHeader, decoRow)))
	f.Fuzz(func(t *testing.T, line string) {
		ucdpFuzzDecodeLine(t, dec, line)
	})
}
