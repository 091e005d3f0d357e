package forecast

import (
	"slices"
	"testing"
	"time"

	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// TestCompleteAreas: a country whose areas with events all carry Natural
// Earth names gets every Natural Earth area as a place of the admin-1
// panel, with zero months where it had no events; a country named
// otherwise (UCDP's full files) gets none, nor does a country without
// events in any area.
func TestCompleteAreas(t *testing.T) {
	tab, err := geo.LoadAdmin1()
	if err != nil {
		t.Fatal(err)
	}
	jan := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(country, area string, n float64) indicator.Value {
		return indicator.Value{Place: indicator.Place{Country: country, Admin1: area}, Kind: indicator.Month, Start: jan,
			Name: indicator.Events, Value: n}
	}
	values := []indicator.Value{
		ev("CAF", "Bangui", 3),           // a Natural Earth name
		ev("CAF", "", 3),                 // the country's own row
		ev("MEX", "Michoacán state", 2),  // UCDP's name, not Natural Earth's
		ev("MEX", "Distrito Federal", 1), // Natural Earth's
		ev("COL", "", 4),                 // events, none placed in an area
		ev("NGA", "Borno", 0),            // a zero count is no event
	}
	areas := CompleteAreas(values, tab)
	byCountry := map[string]int{}
	for _, a := range areas {
		byCountry[a.Country]++
	}
	if want := len(tab.Areas("CAF")); byCountry["CAF"] != want || want < 10 {
		t.Errorf("CAF: %d areas completed, want all %d of the table", byCountry["CAF"], want)
	}
	for _, c := range []string{"MEX", "COL", "NGA"} {
		if byCountry[c] != 0 {
			t.Errorf("%s: %d areas completed, want none", c, byCountry[c])
		}
	}

	mp, err := BuildMonthlyAreas(Admin1Month, values, nil, time.Time{}, nil, areas)
	if err != nil {
		t.Fatal(err)
	}
	var caf []string
	for _, p := range mp.Places {
		if p.Country == "CAF" {
			caf = append(caf, p.Admin1)
		}
	}
	if len(caf) != byCountry["CAF"] || !slices.Contains(caf, "Bangui") || !slices.Contains(caf, "Vakaga") {
		t.Errorf("CAF places of the panel: %q; want the %d Natural Earth areas", caf, byCountry["CAF"])
	}
	if !slices.Contains(mp.Places, indicator.Place{Country: "MEX", Admin1: "Michoacán state"}) ||
		slices.Contains(mp.Places, indicator.Place{Country: "MEX", Admin1: "Jalisco"}) {
		t.Errorf("MEX places of the panel: want only its areas with events, got %v", mp.Places)
	}
	// An area of a country without any area with events stays out.
	mp, err = BuildMonthlyAreas(Admin1Month, values, nil, time.Time{}, nil, []indicator.Place{{Country: "COL", Admin1: "Antioquia"}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(mp.Places, indicator.Place{Country: "COL", Admin1: "Antioquia"}) {
		t.Errorf("an area of a country without placed events entered the panel")
	}
}
