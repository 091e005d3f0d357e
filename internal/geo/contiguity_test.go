package geo_test

import (
	"slices"
	"testing"

	"threshold/internal/geo"
)

func TestNeighbours(t *testing.T) {
	tests := []struct {
		iso3    string
		year    int
		maxType int
		want    []string
	}{
		{"CAF", 2015, geo.Land, []string{"CMR", "COD", "COG", "SDN", "SSD", "TCD"}},
		{"CAF", 2010, geo.Land, []string{"CMR", "COD", "COG", "SDN", "TCD"}},
		{"SSD", 2010, geo.Land, nil},
		{"KEN", 2016, geo.Land, []string{"ETH", "SOM", "SSD", "TZA", "UGA"}},
		{"KEN", 2024, geo.Land, []string{"ETH", "SOM", "SSD", "TZA", "UGA"}},
		{"XXX", 2016, geo.Sea400, nil},
	}
	for _, tt := range tests {
		got := geo.Neighbours(tt.iso3, tt.year, tt.maxType)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Neighbours(%q, %d, %d) = %q, want %q", tt.iso3, tt.year, tt.maxType, got, tt.want)
		}
	}
}

func TestNeighboursPairs(t *testing.T) {
	tests := []struct {
		a, b    string
		year    int
		maxType int
		want    bool
	}{
		{"SDN", "SSD", 2011, geo.Land, true},
		{"SDN", "SSD", 2010, geo.Land, false},
		{"SDN", "TCD", 1990, geo.Land, true},
		{"CAF", "TCD", 2013, geo.Land, true},
		{"RUS", "UKR", 2014, geo.Land, true},
		{"RUS", "UKR", 1990, geo.Land, false}, // Ukraine a state from 1991
		{"SYR", "TUR", 2015, geo.Land, true},
		{"GBR", "FRA", 2015, geo.Land, false},
		{"GBR", "FRA", 2015, geo.Sea24, true},
		{"MEX", "USA", 2015, geo.Land, true},
	}
	for _, tt := range tests {
		for _, p := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			got := slices.Contains(geo.Neighbours(p[0], tt.year, tt.maxType), p[1])
			if got != tt.want {
				t.Errorf("%s in Neighbours(%q, %d, %d) = %v, want %v", p[1], p[0], tt.year, tt.maxType, got, tt.want)
			}
		}
	}
}
