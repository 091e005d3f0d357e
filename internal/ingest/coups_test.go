package ingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
)

const powellThyneHeader = "country,ccode,ccode_gw,ccode_polity,year,month,day,coup,version"

const powellThyneName = "powell_thyne_coups_v2022.11.29.csv"

// The real row of the 2003 coup in the Central African Republic.
var ptRow = map[string]string{
	"country": "Central African Republic", "ccode": "482", "ccode_gw": "NA", "ccode_polity": "NA",
	"year": "2003", "month": "3", "day": "15", "coup": "2", "version": "V2022.11.29",
}

var ptEvent = event.Event{
	Source: event.PowellThyne, SourceID: "482-2003-03-15", Version: "2022.11.29",
	DateStart: ucdpCivil("2003-03-15"), DateEnd: ucdpCivil("2003-03-15"), DatePrecision: event.Day,
	Country: "CAF", Place: "Central African Republic", GeoPrecision: event.CountryWide,
	Category: event.Coup, SourceType: "successful",
	SourceRef: "Powell & Thyne (2011), Journal of Peace Research 48(2)",
}

func TestPowellThyneDecode(t *testing.T) {
	tests := []struct {
		name string
		row  map[string]string
		want func(e *event.Event)
	}{
		{name: "successful", row: ptRow},
		{name: "failed attempt", row: ucdpWith(ptRow, "coup", "1"),
			want: func(e *event.Event) { e.SourceType = "attempt" }},
		{name: "COW code of a state gone by the date resolves undated",
			row: ucdpWith(ptRow, "country", "Yemen People's Republic; S. Yemen", "ccode", "680", "year", "1986", "month", "1", "day", "13"),
			want: func(e *event.Event) {
				e.SourceID, e.Country, e.Place = "680-1986-01-13", "YEM", "Yemen People's Republic; S. Yemen"
				e.DateStart, e.DateEnd = ucdpCivil("1986-01-13"), ucdpCivil("1986-01-13")
			}},
		{name: "ccode NA falls back to the name", row: ucdpWith(ptRow, "ccode", "NA"),
			want: func(e *event.Event) { e.SourceID = "Central_African_Republic-2003-03-15" }},
		{name: "no version", row: ucdpWith(ptRow, "version", ""),
			want: func(e *event.Event) { e.Version = "" }},
	}
	dec := ucdpTestDecoder(t, "powell-thyne", powellThyneName, powellThyneHeader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dec.Decode(ucdpRow(powellThyneHeader, tt.row))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := ptEvent
			if tt.want != nil {
				tt.want(&want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPowellThyneDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		row  map[string]string
		want string // the error's text
	}{
		{"year NA", ucdpWith(ptRow, "year", "NA"), `field year: not a whole number: "NA"`},
		{"month 13", ucdpWith(ptRow, "month", "13"), `field month: out of range: "13"`},
		{"day 0", ucdpWith(ptRow, "day", "0"), `field day: out of range: "0"`},
		{"31 February", ucdpWith(ptRow, "month", "2", "day", "31"), `field day: no such day in 2003-02: "31"`},
		{"coup 3", ucdpWith(ptRow, "coup", "3"), `field coup: want 1 (failed attempt) or 2 (successful): "3"`},
		{"unknown COW code", ucdpWith(ptRow, "ccode", "9999", "country", "Atlantis"), `field ccode: unknown country: "9999"`},
		{"bad COW code", ucdpWith(ptRow, "ccode", "48x"), `field ccode: not a Correlates of War code: "48x"`},
		{"no country at all", ucdpWith(ptRow, "ccode", "NA", "country", ""), `field ccode: missing, and so is country`},
		{"unknown name", ucdpWith(ptRow, "ccode", "NA", "country", "Atlantis"), `field country: unknown country: "Atlantis"`},
	}
	dec := ucdpTestDecoder(t, "powell-thyne", powellThyneName, powellThyneHeader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dec.Decode(ucdpRow(powellThyneHeader, tt.row))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Decode error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestPowellThyneMatch(t *testing.T) {
	pt := NewColumns(strings.Split(powellThyneHeader, ","))
	if got := ucdpDetect(File{Name: powellThyneName, Columns: pt}); got != "powell-thyne" {
		t.Errorf("the Powell & Thyne header is detected as %q", got)
	}
	for _, h := range []string{ucdpDECOHeader, ucdpGED49Header} {
		if powellThyneFormat().Match(File{Name: "x.csv", Columns: NewColumns(strings.Split(h, ","))}) {
			t.Errorf("Powell & Thyne Match accepts the header %.40s...", h)
		}
	}
	if _, err := powellThyneFormat().New(File{Name: "x.csv", Columns: NewColumns([]string{"country", "year"}), Geo: ucdpTestGeo(t)}); err == nil ||
		err.Error() != "powell-thyne: missing column(s) ccode, month, day, coup" {
		t.Errorf("New without columns: %v", err)
	}
}

func TestPowellThyneRealFile(t *testing.T) {
	res := ucdpDecodeFile(t, "powell-thyne", "coups", powellThyneName)
	if len(res.rows) != 488 {
		t.Errorf("%d rows, SOURCE.md says 488", len(res.rows))
	}
	if len(res.rejected) != 0 {
		t.Errorf("rejections: %v, want none", res.rejected)
	}
	byKey := map[string]event.Event{}
	outcomes := map[string]int{}
	for _, e := range res.events {
		if _, dup := byKey[e.SourceID]; dup {
			t.Errorf("SourceID %s is not unique", e.SourceID)
		}
		byKey[e.SourceID] = e
		outcomes[e.SourceType]++
	}
	// SOURCE.md's checks, and the Central African Republic's coups.
	for _, tt := range []struct {
		id, country, outcome string
	}{
		{"775-2021-02-01", "MMR", "successful"}, // Myanmar
		{"436-2021-03-31", "NER", "attempt"},    // Niger
		{"625-2021-09-21", "SDN", "attempt"},    // Sudan, September
		{"625-2021-10-25", "SDN", "successful"}, // Sudan, October
		{"482-2003-03-15", "CAF", "successful"}, // Bozizé takes Bangui
		{"482-2001-05-28", "CAF", "attempt"},
		{"437-1999-12-24", "CIV", "successful"}, // Côte d'Ivoire
		{"817-1963-11-01", "VNM", "successful"}, // Republic of Vietnam resolves to VNM
	} {
		e, ok := byKey[tt.id]
		if !ok || e.Country != tt.country || e.SourceType != tt.outcome {
			t.Errorf("%s: %+v (present %v), want %s %s", tt.id, e, ok, tt.country, tt.outcome)
		}
	}
	// Powell & Thyne do not code the Seleka's seizure of Bangui on
	// 2013-03-24 as a coup: it was a rebel victory, not a coup by the
	// state's own elites or military, which is their definition.
	for _, e := range res.events {
		if e.Country == "CAF" && e.DateStart.Year() >= 2004 {
			t.Errorf("unexpected CAR coup %s: the list has none after 2003", e.SourceID)
		}
	}
	if outcomes["successful"]+outcomes["attempt"] != 488 || outcomes["successful"] < 200 {
		t.Errorf("outcomes %v", outcomes)
	}
}

// FuzzPowellThyne decodes arbitrary rows under the Powell & Thyne header.
func FuzzPowellThyne(f *testing.F) {
	dec := ucdpTestDecoder(f, "powell-thyne", powellThyneName, powellThyneHeader)
	f.Add(ucdpCSVLine(ucdpRow(powellThyneHeader, ptRow)))
	f.Add("Haiti,41,NA,NA,1950,5,10,2,V2022.11.29")
	f.Add("Sudan,625,NA,626,2021,2,29,1,V2022.11.29")
	f.Fuzz(func(t *testing.T, line string) {
		ucdpFuzzDecodeLine(t, dec, line)
	})
}
