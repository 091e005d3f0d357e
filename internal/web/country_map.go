package web

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"threshold/internal/event"
	"threshold/internal/web/atlas"
)

// countryMap is a map of one country's events: its shape and its
// neighbours' from the 1:50m atlas, in an equirectangular projection true
// at the country's middle latitude, with a circle per place sized by
// deaths.
type countryMap struct {
	Width, Height float64
	Shape         string   // the country's path; "" when the atlas has no shape for it
	Neighbours    []string // paths of the shapes around it
	Places        []mapPlace
	Plotted       int  // events drawn
	Unplotted     int  // events selected but too vaguely located to draw
	Capped        bool // more events were selected than MaxEvents
	MaxEvents     int
	Legend        []legendCircle // example circles
}

// mapPlace is one circle: the events at one place (coordinates rounded to
// about a kilometre).
type mapPlace struct {
	X, Y, R    float64
	Name       string
	Events     int
	Fatalities int
	Title      string
}

// legendCircle is an example circle of the map's legend, standing on a
// baseline, with its label to the right.
type legendCircle struct {
	X, Y, R, LabelX float64
	Label           string
}

// maxMapEvents bounds the events read to draw a country's map.
const maxMapEvents = 20000

// mappable reports whether an event is located precisely enough to draw
// as a point: to a place, near one, or to a district (admin-2) centroid.
// Province and country centroids would pile events where nothing happened.
func mappable(e *event.Event) bool {
	return e.Latitude != nil && e.Longitude != nil &&
		e.GeoPrecision >= event.Exact && e.GeoPrecision <= event.Admin2Area
}

// placeKey groups events at one place.
type placeKey struct{ lat, lon int64 }

// placeCollector groups events by place as they stream past.
type placeCollector struct {
	places map[placeKey]*mapPlace
	lonLat map[placeKey][2]float64
	n, off int
}

func newPlaceCollector() *placeCollector {
	return &placeCollector{places: map[placeKey]*mapPlace{}, lonLat: map[placeKey][2]float64{}}
}

func (pc *placeCollector) add(e *event.Event) {
	if !mappable(e) {
		pc.off++
		return
	}
	pc.n++
	k := placeKey{int64(math.Round(*e.Latitude * 100)), int64(math.Round(*e.Longitude * 100))}
	p, ok := pc.places[k]
	if !ok {
		name := e.Place
		if name == "" {
			name = e.Admin1
		}
		p = &mapPlace{Name: name}
		pc.places[k] = p
		pc.lonLat[k] = [2]float64{*e.Longitude, *e.Latitude}
	}
	p.Events++
	if e.Fatalities.Best != nil {
		p.Fatalities += *e.Fatalities.Best
	}
}

// radius makes a circle's area proportional to deaths, with a floor so that
// places without deaths still show.
func radius(fatalities int) float64 {
	return round1(math.Min(2.5+math.Sqrt(float64(fatalities))*0.9, 22))
}

func (h *handler) newCountryMap(iso3 string, pc *placeCollector) countryMap {
	m := countryMap{Width: 640, Plotted: pc.n, Unplotted: pc.off, MaxEvents: maxMapEvents}
	shapes := h.detailed.Country(iso3)
	var box atlas.Box
	if len(shapes) > 0 {
		box = shapes[0].Box
		for _, s := range shapes[1:] {
			box = union(box, s.Box)
		}
	} else if len(pc.lonLat) > 0 {
		first := true
		for _, ll := range pc.lonLat {
			b := atlas.Box{MinLon: ll[0] - 0.5, MinLat: ll[1] - 0.5, MaxLon: ll[0] + 0.5, MaxLat: ll[1] + 0.5}
			if first {
				box, first = b, false
			} else {
				box = union(box, b)
			}
		}
	} else {
		return m
	}
	// Countries astride the antimeridian (Russia, Fiji, the United States)
	// are drawn with western longitudes moved east of 180.
	shift := len(shapes) > 0 && box.MaxLon-box.MinLon > 180
	if shift {
		box = shiftedBox(shapes)
	}
	lon := func(l float64) float64 {
		if shift && l < 0 {
			return l + 360
		}
		return l
	}
	lat0 := (box.MinLat + box.MaxLat) / 2
	eq := atlas.Equirectangular(lat0)
	proj := func(lo, la float64) (float64, float64) { return eq(lon(lo), la) }
	// A margin of a tenth of the country, at least half a degree, shows
	// the neighbours.
	mx := math.Max((box.MaxLon-box.MinLon)*0.1, 0.5)
	my := math.Max((box.MaxLat-box.MinLat)*0.1, 0.5)
	view := atlas.Box{MinLon: box.MinLon - mx, MinLat: box.MinLat - my, MaxLon: box.MaxLon + mx, MaxLat: box.MaxLat + my}
	v := atlas.Fit(proj, view, m.Width, 260, 560, 0)
	m.Height = round1(v.Height)

	var own []atlas.Polygon
	for _, s := range shapes {
		own = append(own, s.Polygons...)
	}
	if len(own) > 0 {
		m.Shape = v.Path(own)
	}
	for i := range h.detailed.Shapes {
		s := &h.detailed.Shapes[i]
		if s.ISO3 == iso3 {
			continue
		}
		b := s.Box
		if shift && b.MaxLon < 0 {
			b.MinLon, b.MaxLon = b.MinLon+360, b.MaxLon+360
		}
		if b.Intersects(view) || (shift && s.Box.Intersects(view)) {
			m.Neighbours = append(m.Neighbours, v.Path(s.Polygons))
		}
	}

	keys := make([]placeKey, 0, len(pc.places))
	for k := range pc.places {
		keys = append(keys, k)
	}
	// Big circles first, so that small ones stay visible on top.
	slices.SortFunc(keys, func(a, b placeKey) int {
		pa, pb := pc.places[a], pc.places[b]
		return cmp.Or(cmp.Compare(pb.Fatalities, pa.Fatalities), cmp.Compare(pb.Events, pa.Events),
			cmp.Compare(a.lat, b.lat), cmp.Compare(a.lon, b.lon))
	})
	for _, k := range keys {
		p := *pc.places[k]
		ll := pc.lonLat[k]
		x, y := v.XY(ll[0], ll[1])
		p.X, p.Y, p.R = round1(x), round1(y), radius(p.Fatalities)
		p.Title = fmt.Sprintf("%s: %s events, %s deaths", placeName(p.Name), formatInt(p.Events), formatInt(p.Fatalities))
		m.Places = append(m.Places, p)
	}
	x := 2.0
	for _, n := range []int{0, 10, 100, 400} {
		r := radius(n)
		label := formatInt(n)
		m.Legend = append(m.Legend, legendCircle{X: round1(x + r), Y: round1(44 - r), R: r, LabelX: round1(x + 2*r + 4), Label: label})
		x += 2*r + 4 + float64(len(label))*7 + 14
	}
	return m
}

func placeName(s string) string {
	if s == "" {
		return "Unnamed place"
	}
	return s
}

func union(a, b atlas.Box) atlas.Box {
	return atlas.Box{MinLon: min(a.MinLon, b.MinLon), MinLat: min(a.MinLat, b.MinLat),
		MaxLon: max(a.MaxLon, b.MaxLon), MaxLat: max(a.MaxLat, b.MaxLat)}
}

// shiftedBox is the bounding box of shapes with western longitudes moved
// east of 180.
func shiftedBox(shapes []*atlas.Shape) atlas.Box {
	b := atlas.Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
	for _, s := range shapes {
		for _, p := range s.Polygons {
			for _, r := range p {
				for _, pt := range r {
					lon := pt.Lon
					if lon < 0 {
						lon += 360
					}
					b.MinLon, b.MaxLon = min(b.MinLon, lon), max(b.MaxLon, lon)
					b.MinLat, b.MaxLat = min(b.MinLat, pt.Lat), max(b.MaxLat, pt.Lat)
				}
			}
		}
	}
	return b
}
