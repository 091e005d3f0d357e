package ingest

import (
	"strings"
	"sync"
	"testing"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// TestUCDPAdmin1FromCoordinates checks that events of a UCDP file with
// coordinates but no adm_1 column (the 14-column GED extract) get the
// admin-1 area containing them, and that files with an adm_1 column keep
// the source's own (even empty) value.
func TestUCDPAdmin1FromCoordinates(t *testing.T) {
	areas := sync.OnceValues(geo.LoadAdmin1)
	tests := []struct {
		name, file, header string
		row                map[string]string
		want               string
	}{
		// Natural Earth keeps the eleven provinces the DRC had before 2015.
		{name: "extract row in Ituri", file: gedName14, header: ucdpGED14Header, row: gedRow14, want: "Orientale"},
		{name: "extract row in Mexico City", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "country", "Mexico", "latitude", "19.4326", "longitude", "-99.1332"), want: "Distrito Federal"},
		{name: "extract row placed in another country has none", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "latitude", "48.8566", "longitude", "2.3522"), want: ""},
		{name: "extract row without coordinates has none", file: gedName14, header: ucdpGED14Header,
			row: ucdpWith(gedRow14, "latitude", "", "longitude", ""), want: ""},
		{name: "49 columns keep adm_1", file: gedName49, header: ucdpGED49Header, row: gedRow49, want: gedEvent49.Admin1},
		{name: "49 columns keep an empty adm_1", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "adm_1", ""), want: ""},
		{name: "49 columns region-precise, adm_1 empty, stays empty", file: gedName49, header: ucdpGED49Header,
			row: ucdpWith(gedRow49, "adm_1", "", "where_prec", "5"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := FormatByName("ucdp-ged")
			dec, err := f.New(File{Name: tt.file, Columns: NewColumns(strings.Split(tt.header, ",")), Geo: ucdpTestGeo(t), Admin1: areas})
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.Decode(ucdpRow(tt.header, tt.row))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Admin1 != tt.want {
				t.Errorf("Admin1 = %q, want %q", got.Admin1, tt.want)
			}
		})
	}
}

func TestAdmin1OfPrecision(t *testing.T) {
	tab, err := geo.LoadAdmin1()
	if err != nil {
		t.Fatal(err)
	}
	lat, lon := 19.4326, -99.1332
	for _, tt := range []struct {
		prec event.GeoPrecision
		want bool
	}{
		{event.GeoUnknown, true}, {event.Exact, true}, {event.Near, true}, {event.Admin2Area, true}, {event.Admin1Area, true},
		{event.Region, false}, {event.CountryWide, false}, {event.SeaOrAir, false},
	} {
		e := event.Event{Country: "MEX", Latitude: &lat, Longitude: &lon, GeoPrecision: tt.prec}
		if got := admin1Of(tab, &e) != ""; got != tt.want {
			t.Errorf("precision %v: area found %v, want %v", tt.prec, got, tt.want)
		}
	}
}
