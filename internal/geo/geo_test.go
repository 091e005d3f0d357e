package geo_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/geo"
)

// load returns the embedded table or stops the test.
func load(tb testing.TB) *geo.Table {
	tb.Helper()
	t, err := geo.Load()
	if err != nil {
		tb.Fatalf("Load() error: %v", err)
	}
	return t
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// checkResult compares a resolver's answer with want; want "" means the
// error must wrap geo.ErrUnknown.
func checkResult(t *testing.T, call string, got string, err error, want string) {
	t.Helper()
	if want == "" {
		if !errors.Is(err, geo.ErrUnknown) {
			t.Errorf("%s = %q, %v; want error wrapping ErrUnknown", call, got, err)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s = %q, %v; want %q", call, got, err, want)
	}
}

func TestFromGW(t *testing.T) {
	tb := load(t)
	tests := []struct {
		name string
		code int
		on   string // "" for the zero time
		want string // "" for ErrUnknown
	}{
		{name: "Sudan before the split", code: 625, on: "2005-01-01", want: "SDN"},
		{name: "Sudan after the split", code: 625, on: "2015-01-01", want: "SDN"},
		{name: "South Sudan on independence day", code: 626, on: "2011-07-09", want: "SSD"},
		{name: "South Sudan the day before", code: 626, on: "2011-07-08"},
		{name: "South Sudan in 2005", code: 626, on: "2005-06-01"},
		{name: "South Sudan undated", code: 626, want: "SSD"},
		{name: "Yugoslavia", code: 345, on: "1995-01-01", want: "SRB"},
		{name: "Serbia and Montenegro", code: 345, on: "2004-01-01", want: "SRB"},
		{name: "345 after 2006 as UCDP uses it", code: 345, on: "2015-01-01", want: "SRB"},
		{name: "Serbia", code: 340, on: "2015-01-01", want: "SRB"},
		{name: "Serbia 340 while 345 applied", code: 340, on: "2000-01-01"},
		{name: "Montenegro", code: 341, on: "2010-01-01", want: "MNE"},
		{name: "Montenegro inside Yugoslavia", code: 341, on: "2000-01-01"},
		{name: "Kosovo", code: 347, on: "2010-01-01", want: "XKX"},
		{name: "Kosovo before independence", code: 347, on: "1999-01-01"},
		{name: "North Yemen", code: 678, on: "1985-01-01", want: "YEM"},
		{name: "unified Yemen keeps 678", code: 678, on: "2015-01-01", want: "YEM"},
		{name: "South Yemen", code: 680, on: "1985-01-01", want: "YEM"},
		{name: "South Yemen after unification", code: 680, on: "2000-01-01"},
		{name: "West Germany", code: 260, on: "1980-01-01", want: "DEU"},
		{name: "Germany", code: 260, on: "2015-01-01", want: "DEU"},
		{name: "East Germany", code: 265, on: "1980-01-01", want: "DEU"},
		{name: "East Germany after unification", code: 265, on: "1991-01-01"},
		{name: "Germany before 1945", code: 255, on: "1900-01-01", want: "DEU"},
		{name: "DR Congo", code: 490, on: "2015-01-01", want: "COD"},
		{name: "Republic of Congo", code: 484, on: "2015-01-01", want: "COG"},
		{name: "USSR", code: 365, on: "1980-01-01", want: "RUS"},
		{name: "Russia", code: 365, on: "2015-01-01", want: "RUS"},
		{name: "Vietnam", code: 816, on: "2015-01-01", want: "VNM"},
		{name: "South Vietnam", code: 817, on: "1970-01-01", want: "VNM"},
		{name: "Czechoslovakia has no successor", code: 315, on: "1980-01-01"},
		{name: "no such code", code: 999, on: "2015-01-01"},
		{name: "zero", code: 0},
		{name: "negative", code: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var on time.Time
			if tt.on != "" {
				on = date(tt.on)
			}
			got, err := tb.FromGW(tt.code, on)
			checkResult(t, "FromGW("+tt.name+")", got, err, tt.want)
		})
	}
}

func TestFromCOW(t *testing.T) {
	tb := load(t)
	tests := []struct {
		name string
		code int
		on   string
		want string
	}{
		{name: "unified Yemen", code: 679, on: "2015-01-01", want: "YEM"},
		{name: "unified Yemen on unification day", code: 679, on: "1990-05-22", want: "YEM"},
		{name: "679 before unification", code: 679, on: "1985-01-01"},
		{name: "North Yemen", code: 678, on: "1985-01-01", want: "YEM"},
		{name: "678 after unification", code: 678, on: "2015-01-01"},
		{name: "South Yemen", code: 680, on: "1985-01-01", want: "YEM"},
		{name: "Germany", code: 255, on: "2015-01-01", want: "DEU"},
		{name: "255 while divided", code: 255, on: "1980-01-01"},
		{name: "West Germany", code: 260, on: "1980-01-01", want: "DEU"},
		{name: "260 after unification", code: 260, on: "2015-01-01"},
		{name: "Serbia keeps 345", code: 345, on: "2015-01-01", want: "SRB"},
		{name: "no COW 340", code: 340, on: "2015-01-01"},
		{name: "Montenegro", code: 341, on: "2010-01-01", want: "MNE"},
		{name: "Kosovo", code: 347, on: "2010-01-01", want: "XKX"},
		{name: "Sudan", code: 625, on: "2015-01-01", want: "SDN"},
		{name: "South Sudan", code: 626, on: "2015-01-01", want: "SSD"},
		{name: "South Sudan before independence", code: 626, on: "2010-01-01"},
		{name: "DR Congo", code: 490, on: "2015-01-01", want: "COD"},
		{name: "Republic of Congo", code: 484, on: "2015-01-01", want: "COG"},
		{name: "Russia", code: 365, on: "2015-01-01", want: "RUS"},
		{name: "Vietnam", code: 816, on: "2015-01-01", want: "VNM"},
		{name: "Yemen undated", code: 679, want: "YEM"},
		{name: "no such code", code: 999, on: "2015-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var on time.Time
			if tt.on != "" {
				on = date(tt.on)
			}
			got, err := tb.FromCOW(tt.code, on)
			checkResult(t, "FromCOW("+tt.name+")", got, err, tt.want)
		})
	}
}

func TestFromGWUsesLocalDate(t *testing.T) {
	tb := load(t)
	// 2011-07-09 00:30 in Juba is still 2011-07-08 in UTC; the caller's
	// calendar date is the one that counts.
	juba := time.FixedZone("EAT", 3*60*60)
	on := time.Date(2011, 7, 9, 0, 30, 0, 0, juba)
	if got, err := tb.FromGW(626, on); err != nil || got != "SSD" {
		t.Errorf("FromGW(626, %v) = %q, %v; want SSD", on, got, err)
	}
}

func TestFromFIPS(t *testing.T) {
	tb := load(t)
	tests := []struct {
		code string
		want string
	}{
		{"OD", "SSD"}, // South Sudan: absent from the concordance
		{"SU", "SDN"}, // Sudan, not the Soviet Union
		{"KV", "XKX"},
		{"CG", "COD"}, // DR Congo, not the Republic of Congo
		{"CF", "COG"}, // Republic of Congo, not the Central African Republic
		{"CT", "CAF"},
		{"UP", "UKR"},
		{"RS", "RUS"}, // Russia, not Serbia
		{"RI", "SRB"},
		{"RB", "SRB"},
		{"YI", "SRB"},
		{"MJ", "MNE"},
		{"NG", "NER"}, // Niger, not Nigeria
		{"NI", "NGA"}, // Nigeria, not Nicaragua
		{"NU", "NIC"},
		{"GM", "DEU"}, // Germany, not Gambia
		{"GA", "GMB"},
		{"AU", "AUT"}, // Austria, not Australia
		{"AS", "AUS"},
		{"CH", "CHN"}, // China, not Switzerland
		{"SZ", "CHE"},
		{"YM", "YEM"},
		{"IZ", "IRQ"},
		{"WE", "PSE"},
		{"GZ", "PSE"},
		{"od", "SSD"},
		{" SU ", "SDN"},
		{"OS", ""}, // GDELT's "Oceans (general)"
		{"", ""},
		{"XX", ""},
		{"USA", ""},
	}
	for _, tt := range tests {
		got, err := tb.FromFIPS(tt.code)
		checkResult(t, "FromFIPS("+tt.code+")", got, err, tt.want)
	}
}

func TestFromISONumeric(t *testing.T) {
	tb := load(t)
	tests := []struct {
		n    int
		want string
	}{
		{729, "SDN"},
		{736, "SDN"}, // Sudan before 2011
		{728, "SSD"},
		{180, "COD"},
		{178, "COG"},
		{140, "CAF"},
		{688, "SRB"},
		{891, "SRB"},
		{499, "MNE"},
		{887, "YEM"},
		{720, "YEM"},
		{276, "DEU"},
		{278, "DEU"},
		{643, "RUS"},
		{810, "RUS"},
		{384, "CIV"},
		{4, "AFG"},
		{0, ""},
		{-4, ""},
		{999, ""},
	}
	for _, tt := range tests {
		got, err := tb.FromISONumeric(tt.n)
		checkResult(t, fmt.Sprintf("FromISONumeric(%d)", tt.n), got, err, tt.want)
	}
}

func TestLookup(t *testing.T) {
	tb := load(t)
	tests := []struct {
		iso3   string
		want   geo.Country
		wantOK bool
	}{
		{"SSD", geo.Country{ISO3: "SSD", Name: "South Sudan", Region: "Africa", Subregion: "Sub-Saharan Africa",
			IntermediateRegion: "Eastern Africa", WBRegion: "Sub-Saharan Africa"}, true},
		{"XKX", geo.Country{ISO3: "XKX", Name: "Kosovo", Region: "Europe", Subregion: "Southern Europe",
			WBRegion: "Europe & Central Asia"}, true},
		{"COD", geo.Country{ISO3: "COD", Name: "Congo - Kinshasa", Region: "Africa", Subregion: "Sub-Saharan Africa",
			IntermediateRegion: "Middle Africa", WBRegion: "Sub-Saharan Africa"}, true},
		{"srb", geo.Country{ISO3: "SRB", Name: "Serbia", Region: "Europe", Subregion: "Southern Europe",
			WBRegion: "Europe & Central Asia"}, true},
		{"MEX", geo.Country{ISO3: "MEX", Name: "Mexico", Region: "Americas", Subregion: "Latin America and the Caribbean",
			IntermediateRegion: "Central America", WBRegion: "Latin America & Caribbean"}, true},
		{"TWN", geo.Country{ISO3: "TWN", Name: "Taiwan", WBRegion: "East Asia & Pacific"}, true},
		{"YUG", geo.Country{}, false},
		{"SCG", geo.Country{}, false},
		{"", geo.Country{}, false},
	}
	for _, tt := range tests {
		got, ok := tb.Lookup(tt.iso3)
		if ok != tt.wantOK {
			t.Errorf("Lookup(%q) ok = %v, want %v", tt.iso3, ok, tt.wantOK)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.iso3, diff)
		}
	}
}

func TestCountries(t *testing.T) {
	tb := load(t)
	cs := tb.Countries()
	if len(cs) < 240 {
		t.Fatalf("Countries() has %d rows, want at least 240", len(cs))
	}
	for i, c := range cs {
		if len(c.ISO3) != 3 || c.Name == "" {
			t.Errorf("Countries()[%d] = %+v, want a 3-letter code and a name", i, c)
		}
		if i > 0 && cs[i-1].ISO3 >= c.ISO3 {
			t.Errorf("Countries() not sorted at %d: %s then %s", i, cs[i-1].ISO3, c.ISO3)
		}
		if got, ok := tb.Lookup(c.ISO3); !ok || got != c {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", c.ISO3, got, ok, c)
		}
	}
}

// Every country's own name must resolve back to it, so names written by
// Threshold itself can be read again.
func TestFromNameRoundTrip(t *testing.T) {
	tb := load(t)
	for _, c := range tb.Countries() {
		if got, err := tb.FromName(c.Name); err != nil || got != c.ISO3 {
			t.Errorf("FromName(%q) = %q, %v; want %q", c.Name, got, err, c.ISO3)
		}
	}
}

func TestLoadIndependentTables(t *testing.T) {
	a, b := load(t), load(t)
	if a == b {
		t.Fatal("Load() returned the same *Table twice; want a fresh table per call")
	}
}

func TestErrNoStateOnDate(t *testing.T) {
	tb := load(t)
	tests := []struct {
		name      string
		resolve   func(int, time.Time) (string, error)
		code      int
		on        time.Time
		notOnDate bool
	}{
		{name: "GW South Sudan before independence", resolve: tb.FromGW, code: 626, on: date("2011-07-08"), notOnDate: true},
		{name: "COW North Yemen after unification", resolve: tb.FromCOW, code: 678, on: date("2000-01-01"), notOnDate: true},
		{name: "GW unknown code", resolve: tb.FromGW, code: 999, on: date("2000-01-01")},
		{name: "COW unknown code", resolve: tb.FromCOW, code: 999, on: date("2000-01-01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.resolve(tt.code, tt.on)
			if !errors.Is(err, geo.ErrUnknown) {
				t.Errorf("error %v does not wrap ErrUnknown", err)
			}
			if got := errors.Is(err, geo.ErrNoStateOnDate); got != tt.notOnDate {
				t.Errorf("errors.Is(%v, ErrNoStateOnDate) = %v, want %v", err, got, tt.notOnDate)
			}
		})
	}
}
