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
	OffMap        int  // events located outside the map's frame
	Capped        bool // more events were selected than MaxEvents
	MaxEvents     int
	Legend        []legendCircle // example circles
	lonSpan       float64        // degrees of longitude across the width
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
	var own []atlas.Polygon
	for _, s := range h.detailed.Country(iso3) {
		own = append(own, s.Polygons...)
	}
	main := mainPolygons(own)
	var box atlas.Box
	switch {
	case len(main) > 0:
		box = polygonsBox(main, false)
		// Countries astride the antimeridian (Russia, Fiji, the United
		// States) are drawn centred on their own side of it, with
		// longitudes past 180.
		if box.MaxLon-box.MinLon > 180 {
			box = polygonsBox(main, true)
		}
	case len(pc.lonLat) > 0:
		box = atlas.Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
		for _, ll := range pc.lonLat {
			box = union(box, atlas.Box{MinLon: ll[0] - 0.5, MinLat: ll[1] - 0.5, MaxLon: ll[0] + 0.5, MaxLat: ll[1] + 0.5})
		}
	default:
		return m
	}
	lat0 := (box.MinLat + box.MaxLat) / 2
	// A margin of a tenth of the country, at least half a degree, shows
	// the neighbours.
	mx := math.Max((box.MaxLon-box.MinLon)*0.1, 0.5)
	my := math.Max((box.MaxLat-box.MinLat)*0.1, 0.5)
	view := atlas.Box{MinLon: box.MinLon - mx, MinLat: box.MinLat - my, MaxLon: box.MaxLon + mx, MaxLat: box.MaxLat + my}
	v := atlas.Fit(atlas.Equirectangular(lat0), view, m.Width, 260, 560, 0).Centered((box.MinLon + box.MaxLon) / 2)
	m.Height = round1(v.Height)
	x0, _ := v.XY(view.MinLon, lat0)
	x1, _ := v.XY(view.MinLon+1, lat0)
	m.lonSpan = m.Width / (x1 - x0)

	// Only the polygons in view are drawn: France's neighbours a map of
	// Chad shows need not bring New Caledonia along.
	inView := func(polys []atlas.Polygon) []atlas.Polygon {
		var out []atlas.Polygon
		for _, p := range polys {
			if near(polygonsBox([]atlas.Polygon{p}, false), view) {
				out = append(out, p)
			}
		}
		return out
	}
	if p := inView(own); len(p) > 0 {
		m.Shape = v.Path(p)
	}
	for i := range h.detailed.Shapes {
		s := &h.detailed.Shapes[i]
		if s.ISO3 == iso3 || !near(s.Box, view) {
			continue
		}
		if p := inView(s.Polygons); len(p) > 0 {
			m.Neighbours = append(m.Neighbours, v.Path(p))
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
		if x < 0 || x > m.Width || y < 0 || y > m.Height {
			m.OffMap += p.Events // an overseas territory, or a place coded far away
			continue
		}
		p.X, p.Y, p.R = round1(x), round1(y), radius(p.Fatalities)
		p.Title = fmt.Sprintf("%s: %s events, %s deaths", placeName(p.Name), formatInt(p.Events), formatInt(p.Fatalities))
		m.Places = append(m.Places, p)
	}
	m.Plotted -= m.OffMap
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

// near reports whether b, or b a turn east or west, meets view.
func near(b, view atlas.Box) bool {
	for _, d := range []float64{0, 360, -360} {
		if (atlas.Box{MinLon: b.MinLon + d, MinLat: b.MinLat, MaxLon: b.MaxLon + d, MaxLat: b.MaxLat}).Intersects(view) {
			return true
		}
	}
	return false
}

func union(a, b atlas.Box) atlas.Box {
	return atlas.Box{MinLon: min(a.MinLon, b.MinLon), MinLat: min(a.MinLat, b.MinLat),
		MaxLon: max(a.MaxLon, b.MaxLon), MaxLat: max(a.MaxLat, b.MaxLat)}
}

// mainPolygons returns the polygons of a country that make its map: the
// largest, those at least a sixth of its area, and those close to it. So
// France's map shows France, not French Guiana or the Pacific; the United
// States' shows Alaska; Equatorial Guinea's shows Bioko, where its
// capital is.
func mainPolygons(polys []atlas.Polygon) []atlas.Polygon {
	areas := make([]float64, len(polys))
	largest := -1
	for i, p := range polys {
		if len(p) > 0 {
			areas[i] = ringArea(p[0])
			if largest < 0 || areas[i] > areas[largest] {
				largest = i
			}
		}
	}
	if largest < 0 {
		return nil
	}
	lb := polygonsBox(polys[largest:largest+1], false)
	d := math.Max(2, 0.25*math.Max(lb.MaxLon-lb.MinLon, lb.MaxLat-lb.MinLat))
	around := atlas.Box{MinLon: lb.MinLon - d, MinLat: lb.MinLat - d, MaxLon: lb.MaxLon + d, MaxLat: lb.MaxLat + d}
	var out []atlas.Polygon
	for i, p := range polys {
		if len(p) > 0 && (areas[i] >= areas[largest]/6 || around.Intersects(polygonsBox(polys[i:i+1], false))) {
			out = append(out, p)
		}
	}
	return out
}

// ringArea is a ring's area on the unit sphere, by Green's theorem:
// the area inside a closed line is the integral of sin(latitude) along
// it, over longitude.
func ringArea(r atlas.Ring) float64 {
	const rad = math.Pi / 180
	a := 0.0
	for i := 1; i < len(r); i++ {
		p, q := r[i-1], r[i]
		dlon := q.Lon - p.Lon
		if math.Abs(dlon) > 180 { // across the antimeridian
			dlon -= math.Copysign(360, dlon)
		}
		a += dlon * rad * math.Sin((p.Lat+q.Lat)/2*rad)
	}
	return math.Abs(a)
}

// polygonsBox is the bounding box of polys' outer rings; east moves
// western longitudes past 180.
func polygonsBox(polys []atlas.Polygon, east bool) atlas.Box {
	b := atlas.Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
	for _, p := range polys {
		if len(p) == 0 {
			continue
		}
		for _, pt := range p[0] {
			lon := pt.Lon
			if east && lon < 0 {
				lon += 360
			}
			b.MinLon, b.MaxLon = min(b.MinLon, lon), max(b.MaxLon, lon)
			b.MinLat, b.MaxLat = min(b.MinLat, pt.Lat), max(b.MaxLat, pt.Lat)
		}
	}
	return b
}
