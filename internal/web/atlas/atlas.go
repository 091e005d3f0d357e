// Package atlas holds real country shapes and draws them as SVG: Natural
// Earth's Admin 0 boundaries (public domain, naturalearthdata.com) as the
// npm package world-atlas 2.0.2 redistributes them in TopoJSON, vendored
// into data/ by vendor.sh and embedded in the binary, so maps need no
// network.
//
// World uses the 1:110m shapes (177 countries, small enough to inline in a
// page); Detailed uses the 1:50m shapes (241, including small island
// states) for maps of one country. Each shape carries Natural Earth's ISO
// 3166-1 numeric id, resolved to alpha-3 with geo.Table.FromISONumeric.
// Natural Earth gives no id to a few shapes; they are resolved by name:
//
//	Kosovo            -> XKX (the code event sources and geo use)
//	Somaliland        -> SOM (events there are coded to Somalia)
//	N. Cyprus         -> CYP (events there are coded to Cyprus)
//	Indian Ocean Ter. -> none (Australian external territories, 50m only)
//	Siachen Glacier   -> none (disputed by India and Pakistan, 50m only)
//
// Shapes that resolve to no country are drawn but link nowhere.
package atlas

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"threshold/internal/geo"
)

//go:generate ./vendor.sh

//go:embed data/countries-110m.json data/countries-50m.json
var data embed.FS

// byName resolves the shapes Natural Earth gives no ISO numeric id.
var byName = map[string]string{
	"Kosovo":     "XKX",
	"Somaliland": "SOM",
	"N. Cyprus":  "CYP",
}

// Point is a position in degrees (WGS84).
type Point struct{ Lon, Lat float64 }

// Ring is a closed line: its last point equals its first.
type Ring []Point

// Polygon is an outer ring followed by its holes.
type Polygon []Ring

// Box is a longitude-latitude bounding box.
type Box struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// Intersects reports whether b and o overlap.
func (b Box) Intersects(o Box) bool {
	return b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon && b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat
}

// Shape is one Natural Earth country (or territory) outline.
type Shape struct {
	ID       string // TopoJSON id: the ISO 3166-1 numeric code as three digits; "" for a few
	Name     string // Natural Earth's short name, e.g. "Central African Rep."
	ISO3     string // ISO 3166-1 alpha-3 (XKX for Kosovo); "" when the shape is no country
	Polygons []Polygon
	Box      Box
}

// Atlas is a set of shapes. It is read-only and safe for concurrent use.
type Atlas struct {
	Shapes []Shape
	byISO3 map[string][]int
}

// World returns the 1:110m shapes without Antarctica, which holds no
// events and would take a fifth of a world map.
func World(g *geo.Table) (*Atlas, error) {
	a, err := load("data/countries-110m.json", g)
	if err != nil {
		return nil, err
	}
	shapes := a.Shapes[:0]
	for _, s := range a.Shapes {
		if s.ID != "010" { // Antarctica
			shapes = append(shapes, s)
		}
	}
	return newAtlas(shapes), nil
}

// Detailed returns the 1:50m shapes.
func Detailed(g *geo.Table) (*Atlas, error) {
	return load("data/countries-50m.json", g)
}

func load(name string, g *geo.Table) (*Atlas, error) {
	b, err := data.ReadFile(name)
	if err != nil {
		return nil, err
	}
	shapes, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range shapes {
		shapes[i].ISO3 = Resolve(g, shapes[i].ID, shapes[i].Name)
	}
	return newAtlas(shapes), nil
}

// Resolve returns the ISO alpha-3 code of a shape from its numeric id, or
// from its name for the shapes Natural Earth leaves without one; "" if it
// has none.
func Resolve(g *geo.Table, id, name string) string {
	if id == "" {
		return byName[name]
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return ""
	}
	iso3, err := g.FromISONumeric(n)
	if err != nil {
		return ""
	}
	return iso3
}

func newAtlas(shapes []Shape) *Atlas {
	a := &Atlas{Shapes: shapes, byISO3: map[string][]int{}}
	for i, s := range shapes {
		if s.ISO3 != "" {
			a.byISO3[s.ISO3] = append(a.byISO3[s.ISO3], i)
		}
	}
	return a
}

// Country returns the shapes of a country (Somalia has two: Somalia and
// Somaliland), or nil.
func (a *Atlas) Country(iso3 string) []*Shape {
	var out []*Shape
	for _, i := range a.byISO3[iso3] {
		out = append(out, &a.Shapes[i])
	}
	return out
}

// topology is the part of a TopoJSON document this package reads.
type topology struct {
	Type      string `json:"type"`
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string          `json:"type"`
				ID         string          `json:"id"`
				Arcs       json.RawMessage `json:"arcs"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// Decode reads the "countries" object of a TopoJSON topology: its arcs are
// decoded (delta-encoded and quantized when the topology has a transform)
// and stitched into rings. It leaves ISO3 empty.
func Decode(b []byte) ([]Shape, error) {
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("decode topojson: %w", err)
	}
	if t.Type != "Topology" {
		return nil, fmt.Errorf("decode topojson: type %q, want Topology", t.Type)
	}
	arcs := make([][]Point, len(t.Arcs))
	for i, arc := range t.Arcs {
		pts := make([]Point, len(arc))
		var x, y float64
		for j, p := range arc {
			if t.Transform != nil {
				x, y = x+p[0], y+p[1]
				pts[j] = Point{
					Lon: x*t.Transform.Scale[0] + t.Transform.Translate[0],
					Lat: y*t.Transform.Scale[1] + t.Transform.Translate[1],
				}
			} else {
				pts[j] = Point{Lon: p[0], Lat: p[1]}
			}
		}
		arcs[i] = pts
	}
	ring := func(idx []int) (Ring, error) {
		var r Ring
		for k, i := range idx {
			reverse := i < 0
			if reverse {
				i = ^i // TopoJSON writes arc i reversed as ^i, i.e. -i-1
			}
			if i >= len(arcs) {
				return nil, fmt.Errorf("arc %d out of range (%d arcs)", i, len(arcs))
			}
			a := arcs[i]
			start := len(r)
			r = append(r, a...)
			if reverse {
				for x, y := start, len(r)-1; x < y; x, y = x+1, y-1 {
					r[x], r[y] = r[y], r[x]
				}
			}
			if k > 0 && len(a) > 0 { // each arc begins where the previous ended
				r = append(r[:start], r[start+1:]...)
			}
		}
		if len(r) < 4 {
			return nil, fmt.Errorf("ring of %d points", len(r))
		}
		return r, nil
	}
	polygon := func(rings [][]int) (Polygon, error) {
		var p Polygon
		for _, idx := range rings {
			r, err := ring(idx)
			if err != nil {
				return nil, err
			}
			p = append(p, r)
		}
		return p, nil
	}
	var shapes []Shape
	for _, g := range t.Objects.Countries.Geometries {
		s := Shape{ID: g.ID, Name: g.Properties.Name}
		var err error
		switch g.Type {
		case "Polygon":
			var rings [][]int
			if err = json.Unmarshal(g.Arcs, &rings); err == nil {
				var p Polygon
				if p, err = polygon(rings); err == nil {
					s.Polygons = []Polygon{p}
				}
			}
		case "MultiPolygon":
			var polys [][][]int
			if err = json.Unmarshal(g.Arcs, &polys); err == nil {
				for _, rings := range polys {
					var p Polygon
					if p, err = polygon(rings); err != nil {
						break
					}
					s.Polygons = append(s.Polygons, p)
				}
			}
		default:
			err = fmt.Errorf("geometry type %q", g.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("decode topojson: %s %q: %w", g.ID, g.Properties.Name, err)
		}
		s.Box = bounds(s.Polygons)
		shapes = append(shapes, s)
	}
	return shapes, nil
}

func bounds(polys []Polygon) Box {
	b := Box{MinLon: math.Inf(1), MinLat: math.Inf(1), MaxLon: math.Inf(-1), MaxLat: math.Inf(-1)}
	for _, p := range polys {
		for _, r := range p {
			for _, pt := range r {
				b.MinLon, b.MaxLon = min(b.MinLon, pt.Lon), max(b.MaxLon, pt.Lon)
				b.MinLat, b.MaxLat = min(b.MinLat, pt.Lat), max(b.MaxLat, pt.Lat)
			}
		}
	}
	return b
}
