package web

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/web/atlas"
)

// Every country's map is drawn in one piece: no line of its shape or its
// neighbours' jumps across the map, as a country astride the antimeridian
// or a neighbour astride Greenwich would if longitudes were mishandled.
func TestCountryMapsHaveNoJumps(t *testing.T) {
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	d, err := atlas.Detailed(g)
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{detailed: d}
	seen := map[string]bool{}
	for _, s := range d.Shapes {
		if s.ISO3 == "" || s.ISO3 == "ATA" || seen[s.ISO3] {
			continue // Antarctica's ring runs round the pole: no country map would show it well
		}
		seen[s.ISO3] = true
		m := h.newCountryMap(s.ISO3, newPlaceCollector())
		if m.Shape == "" || m.Height < 260 || m.Height > 560 {
			t.Errorf("%s: shape %d bytes, height %g", s.ISO3, len(m.Shape), m.Height)
		}
		// A line jumping across the world spans some 360°; no border or
		// coast of the 1:50m shapes has a straight stretch of 90°.
		for _, p := range append([]string{m.Shape}, m.Neighbours...) {
			if deg := widestStep(p) / m.Width * m.lonSpan; deg > 90 {
				t.Errorf("%s: a line across %.0f° of longitude", s.ISO3, deg)
				break
			}
		}
	}
}

// widestStep returns the widest horizontal step of an SVG path of
// relative lines, as View.Path writes them.
func widestStep(p string) float64 {
	widest := 0.0
	for _, ring := range strings.Split(p, "M")[1:] {
		_, rel, _ := strings.Cut(ring, "l")
		nums := strings.Fields(strings.ReplaceAll(strings.TrimSuffix(rel, "z"), "-", " -"))
		for j := 0; j+1 < len(nums); j += 2 {
			dx, _ := strconv.ParseFloat(nums[j], 64)
			widest = max(widest, math.Abs(dx))
		}
	}
	return widest
}

// An event west of the antimeridian is drawn beside the rest of its
// country: Alaska's Aleutians next to Alaska, not across the map.
func TestCountryMapPlacesAcrossTheAntimeridian(t *testing.T) {
	g, _ := geo.Load()
	d, _ := atlas.Detailed(g)
	h := &handler{detailed: d}
	pc := newPlaceCollector()
	for _, ll := range [][2]float64{{-149.9, 61.2}, {178.9, 51.6}, {-77.0, 38.9}} { // Anchorage, Amchitka, Washington
		lon, lat := ll[0], ll[1]
		pc.add(&event.Event{Longitude: &lon, Latitude: &lat, GeoPrecision: event.Exact, Place: strconv.FormatFloat(lon, 'f', 1, 64)})
	}
	m := h.newCountryMap("USA", pc)
	x := map[string]float64{}
	for _, p := range m.Places {
		x[p.Name] = p.X
		if p.X < 0 || p.X > m.Width || p.Y < 0 || p.Y > m.Height {
			t.Errorf("place %s at (%g, %g), off the %gx%g map", p.Name, p.X, p.Y, m.Width, m.Height)
		}
	}
	if !(x["178.9"] < x["-149.9"] && x["-149.9"] < x["-77.0"]) {
		t.Errorf("west to east should be Amchitka, Anchorage, Washington: x = %v", x)
	}
}

// A country's map frames its main parts: metropolitan France, not the
// Pacific; the United States with Alaska; Equatorial Guinea with Bioko.
// Events beyond the frame are counted, not drawn.
func TestCountryMapFrame(t *testing.T) {
	g, _ := geo.Load()
	d, _ := atlas.Detailed(g)
	h := &handler{detailed: d}
	pc := newPlaceCollector()
	for _, ll := range [][2]float64{{2.35, 48.86}, {-52.33, 4.94}} { // Paris, Cayenne
		lon, lat := ll[0], ll[1]
		pc.add(&event.Event{Longitude: &lon, Latitude: &lat, GeoPrecision: event.Exact})
	}
	m := h.newCountryMap("FRA", pc)
	if m.lonSpan > 25 {
		t.Errorf("France's map spans %.0f° of longitude", m.lonSpan)
	}
	if m.Plotted != 1 || m.OffMap != 1 || len(m.Places) != 1 {
		t.Errorf("France: %d drawn, %d off the map, %d places; want 1, 1, 1", m.Plotted, m.OffMap, len(m.Places))
	}
	if m := h.newCountryMap("USA", newPlaceCollector()); m.lonSpan < 100 || m.lonSpan > 150 {
		t.Errorf("the United States' map spans %.0f° of longitude, want Alaska to Maine", m.lonSpan)
	}
	pc = newPlaceCollector()
	lon, lat := 8.78, 3.75 // Malabo, on Bioko
	pc.add(&event.Event{Longitude: &lon, Latitude: &lat, GeoPrecision: event.Exact})
	if m := h.newCountryMap("GNQ", pc); len(m.Places) != 1 {
		t.Errorf("Malabo is not on Equatorial Guinea's map")
	}
}
