package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
	"threshold/internal/web/atlas"
)

// Map is a country's map of recent events, laid out once and drawn both
// as SVG and as PDF vector graphics: the country's outline and its
// neighbours' from Natural Earth's 1:50m shapes (internal/web/atlas) in an
// equirectangular projection true at the country's middle latitude, and a
// circle per place (coordinates rounded to about a kilometre), its area
// proportional to deaths. Coordinates are map units, y down.
type Map struct {
	Width, Height float64
	Country       [][]XY // the country's rings
	Neighbours    [][]XY // the rings of the shapes around it
	Places        []Place
	From, To      time.Time // the events' days
	Plotted       int       // events drawn
	Unplotted     int       // events located too vaguely to draw (province, country)
}

// XY is a point on the map.
type XY struct{ X, Y float64 }

// Place is one circle: the events at one place.
type Place struct {
	X, Y, R    float64
	Name       string
	Events     int
	Fatalities int
}

// mapEvents bounds the events read for a map.
const mapEvents = 20000

// buildMap reads the country's events from from to to and lays the map
// out.
func buildMap(ctx context.Context, src Source, atl *atlas.Atlas, iso string, from, to time.Time) (Map, error) {
	m := Map{Width: 400, From: from, To: to}
	type key struct{ lat, lon int64 }
	places := map[key]*Place{}
	lonLat := map[key][2]float64{}
	err := src.Events(ctx, event.Filter{Country: iso, From: from, To: to}, store.Page{Limit: mapEvents, NoRaw: true},
		func(e event.Stored) error {
			if e.Latitude == nil || e.Longitude == nil || e.GeoPrecision < event.Exact || e.GeoPrecision > event.Admin2Area {
				m.Unplotted++
				return nil
			}
			k := key{int64(math.Round(*e.Latitude * 100)), int64(math.Round(*e.Longitude * 100))}
			p := places[k]
			if p == nil {
				p = &Place{Name: e.Place}
				if p.Name == "" {
					p.Name = e.Admin1
				}
				places[k] = p
				lonLat[k] = [2]float64{*e.Longitude, *e.Latitude}
			}
			p.Events++
			if e.Fatalities.Best != nil {
				p.Fatalities += *e.Fatalities.Best
			}
			return nil
		})
	if err != nil {
		return Map{}, fmt.Errorf("report: %s events for the map: %w", iso, err)
	}
	var own []atlas.Polygon
	for _, s := range atl.Country(iso) {
		own = append(own, s.Polygons...)
	}
	own = mainPolygons(own)
	box := atlas.Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
	grow := func(lon, lat, d float64) {
		box = atlas.Box{MinLon: min(box.MinLon, lon-d), MinLat: min(box.MinLat, lat-d), MaxLon: max(box.MaxLon, lon+d), MaxLat: max(box.MaxLat, lat+d)}
	}
	for _, p := range own {
		for _, pt := range p[0] {
			grow(pt.Lon, pt.Lat, 0)
		}
	}
	if len(own) == 0 {
		for _, ll := range lonLat {
			grow(ll[0], ll[1], 0.5)
		}
	}
	if math.IsInf(box.MinLon, 1) {
		m.Height = 0
		return m, nil
	}
	mx := math.Max((box.MaxLon-box.MinLon)*0.08, 0.5)
	my := math.Max((box.MaxLat-box.MinLat)*0.08, 0.5)
	view := atlas.Box{MinLon: box.MinLon - mx, MinLat: box.MinLat - my, MaxLon: box.MaxLon + mx, MaxLat: box.MaxLat + my}
	lat0 := (box.MinLat + box.MaxLat) / 2
	v := atlas.Fit(atlas.Equirectangular(lat0), view, m.Width, 180, 360, 0)
	m.Height = round1(v.Height)
	for _, p := range own {
		m.Country = append(m.Country, project(v, p[0]))
	}
	for i := range atl.Shapes {
		s := &atl.Shapes[i]
		if s.ISO3 == iso || !s.Box.Intersects(view) {
			continue
		}
		for _, p := range s.Polygons {
			if len(p) > 0 && ringBox(p[0]).Intersects(view) {
				m.Neighbours = append(m.Neighbours, project(v, p[0]))
			}
		}
	}
	keys := make([]key, 0, len(places))
	for k := range places {
		keys = append(keys, k)
	}
	// Big circles first, so that small ones stay visible on top.
	sort.Slice(keys, func(i, j int) bool {
		a, b := places[keys[i]], places[keys[j]]
		if a.Fatalities != b.Fatalities {
			return a.Fatalities > b.Fatalities
		}
		if a.Events != b.Events {
			return a.Events > b.Events
		}
		return keys[i].lat < keys[j].lat || keys[i].lat == keys[j].lat && keys[i].lon < keys[j].lon
	})
	for _, k := range keys {
		p := *places[k]
		x, y := v.XY(lonLat[k][0], lonLat[k][1])
		if x < 0 || x > m.Width || y < 0 || y > m.Height {
			m.Unplotted += p.Events
			continue
		}
		p.X, p.Y, p.R = round1(x), round1(y), radius(p.Fatalities)
		m.Plotted += p.Events
		m.Places = append(m.Places, p)
	}
	return m, nil
}

// project projects a ring, dropping points closer than half a unit to the
// last one kept, which the eye cannot tell apart.
func project(v atlas.View, r atlas.Ring) []XY {
	var out []XY
	for i, pt := range r {
		x, y := v.XY(pt.Lon, pt.Lat)
		if i > 0 && i < len(r)-1 && len(out) > 0 {
			l := out[len(out)-1]
			if math.Abs(l.X-x) < 0.5 && math.Abs(l.Y-y) < 0.5 {
				continue
			}
		}
		out = append(out, XY{round1(x), round1(y)})
	}
	return out
}

func ringBox(r atlas.Ring) atlas.Box {
	b := atlas.Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
	for _, p := range r {
		b = atlas.Box{MinLon: min(b.MinLon, p.Lon), MinLat: min(b.MinLat, p.Lat), MaxLon: max(b.MaxLon, p.Lon), MaxLat: max(b.MaxLat, p.Lat)}
	}
	return b
}

// mainPolygons keeps the polygons of a country that make its map: those
// whose bounding box is at least a sixth of the largest's, and those
// within a few degrees of it. France's map shows France, not French
// Guiana.
func mainPolygons(polys []atlas.Polygon) []atlas.Polygon {
	area := func(b atlas.Box) float64 { return (b.MaxLon - b.MinLon) * (b.MaxLat - b.MinLat) }
	largest, best := -1, 0.0
	for i, p := range polys {
		if len(p) > 0 {
			if a := area(ringBox(p[0])); largest < 0 || a > best {
				largest, best = i, a
			}
		}
	}
	if largest < 0 {
		return nil
	}
	lb := ringBox(polys[largest][0])
	d := math.Max(2, 0.25*math.Max(lb.MaxLon-lb.MinLon, lb.MaxLat-lb.MinLat))
	around := atlas.Box{MinLon: lb.MinLon - d, MinLat: lb.MinLat - d, MaxLon: lb.MaxLon + d, MaxLat: lb.MaxLat + d}
	var out []atlas.Polygon
	for _, p := range polys {
		if len(p) > 0 && (area(ringBox(p[0])) >= best/6 || around.Intersects(ringBox(p[0]))) {
			out = append(out, p)
		}
	}
	return out
}

// radius makes a circle's area proportional to deaths, with a floor so
// that places without deaths still show.
func radius(fatalities int) float64 {
	return round1(math.Min(2+math.Sqrt(float64(fatalities))*0.7, 16))
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// Path is an SVG path of rings.
func Path(rings [][]XY) string {
	var b strings.Builder
	for _, r := range rings {
		for i, p := range r {
			if i == 0 {
				b.WriteByte('M')
			} else {
				b.WriteByte('L')
			}
			b.WriteString(strconv.FormatFloat(p.X, 'f', -1, 64))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(p.Y, 'f', -1, 64))
		}
		if len(r) > 0 {
			b.WriteByte('Z')
		}
	}
	return b.String()
}

// CountryPath and NeighboursPath are the map's SVG paths.
func (m Map) CountryPath() string    { return Path(m.Country) }
func (m Map) NeighboursPath() string { return Path(m.Neighbours) }

// ViewBox is the map's SVG viewBox attribute.
func (m Map) ViewBox() string {
	return "0 0 " + strconv.FormatFloat(m.Width, 'f', -1, 64) + " " + strconv.FormatFloat(m.Height, 'f', -1, 64)
}
