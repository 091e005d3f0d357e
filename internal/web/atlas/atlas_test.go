package atlas

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"threshold/internal/geo"
)

func loadGeo(t *testing.T) *geo.Table {
	t.Helper()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEqualEarth(t *testing.T) {
	tests := []struct {
		lon, lat float64
		x, y     float64
	}{
		{0, 0, 0, 0},
		{180, 0, 2.7066, 0},
		{-180, 0, -2.7066, 0},
		{0, 90, 0, 1.3174},
		{0, -90, 0, -1.3174},
		// The pole is a line, 0.59 times as long as the equator.
		{180, 90, 1.6036, 1.3174},
	}
	for _, tt := range tests {
		x, y := EqualEarth(tt.lon, tt.lat)
		if math.Abs(x-tt.x) > 1e-4 || math.Abs(y-tt.y) > 1e-4 {
			t.Errorf("EqualEarth(%g, %g) = (%.4f, %.4f), want (%.4f, %.4f)", tt.lon, tt.lat, x, y, tt.x, tt.y)
		}
	}
	// Equal area: a 10x10 degree cell has the same area wherever it is
	// along a parallel, and latitude bands keep the sphere's proportions.
	area := func(lat float64) float64 {
		x0, y0 := EqualEarth(0, lat)
		x1, _ := EqualEarth(1, lat)
		_, y1 := EqualEarth(0, lat+1)
		return (x1 - x0) * (y1 - y0)
	}
	sphere := func(lat float64) float64 {
		r := math.Pi / 180
		return (math.Sin((lat+1)*r) - math.Sin(lat*r)) * r
	}
	for _, lat := range []float64{0, 30, 60, 80} {
		if got, want := area(lat)/area(0), sphere(lat)/sphere(0); math.Abs(got-want) > 0.01 {
			t.Errorf("area of a 1-degree cell at %g° relative to the equator = %.3f, want %.3f", lat, got, want)
		}
	}
}

// A 2x1 topology: two squares sharing an edge (arc 1), the second using it
// reversed, quantized with a transform.
const tiny = `{"type":"Topology",
 "transform":{"scale":[1,1],"translate":[10,20]},
 "arcs":[[[1,0],[-1,0],[0,1],[1,0]],[[1,1],[0,-1]],[[1,1],[1,0],[0,-1],[-1,0]]],
 "objects":{"countries":{"type":"GeometryCollection","geometries":[
  {"type":"Polygon","arcs":[[0,1]],"id":"001","properties":{"name":"West"}},
  {"type":"MultiPolygon","arcs":[[[2,-2]]],"properties":{"name":"East"}}]}}}`

func TestDecode(t *testing.T) {
	shapes, err := Decode([]byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	want := []Shape{
		{ID: "001", Name: "West", Polygons: []Polygon{{{{11, 20}, {10, 20}, {10, 21}, {11, 21}, {11, 20}}}},
			Box: Box{10, 20, 11, 21}},
		{Name: "East", Polygons: []Polygon{{{{11, 21}, {12, 21}, {12, 20}, {11, 20}, {11, 21}}}},
			Box: Box{11, 20, 12, 21}},
	}
	if diff := cmp.Diff(want, shapes); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`{"type":"FeatureCollection"}`,
		`{"type":"Topology","arcs":[],"objects":{"countries":{"geometries":[{"type":"Polygon","arcs":[[0]]}]}}}`,
		`{"type":"Topology","arcs":[[[0,0],[1,1]]],"objects":{"countries":{"geometries":[{"type":"Polygon","arcs":[[0]]}]}}}`,
		`{"type":"Topology","arcs":[],"objects":{"countries":{"geometries":[{"type":"Point","arcs":[]}]}}}`,
	} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) succeeded, want an error", in)
		}
	}
}

// Every shape resolves to a country in the geo table, except those the
// package doc lists.
func TestShapesResolve(t *testing.T) {
	g := loadGeo(t)
	tests := []struct {
		name       string
		load       func(*geo.Table) (*Atlas, error)
		shapes     int
		unresolved []string
		antarctica int
	}{
		{"World", World, 176, nil, 0},
		{"Detailed", Detailed, 241, []string{"Indian Ocean Ter.", "Siachen Glacier"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.load(g)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Shapes) != tt.shapes {
				t.Errorf("%d shapes, want %d", len(a.Shapes), tt.shapes)
			}
			var unresolved []string
			for _, s := range a.Shapes {
				if s.ISO3 == "" {
					unresolved = append(unresolved, s.Name)
					continue
				}
				if _, ok := g.Lookup(s.ISO3); !ok {
					t.Errorf("shape %s %q resolved to %s, which geo does not know", s.ID, s.Name, s.ISO3)
				}
				if len(s.Polygons) == 0 || !(s.Box.MinLon < s.Box.MaxLon) {
					t.Errorf("shape %s %q is empty: box %v", s.ID, s.Name, s.Box)
				}
			}
			slices.Sort(unresolved)
			if diff := cmp.Diff(tt.unresolved, unresolved, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("unresolved shapes (-want +got):\n%s", diff)
			}
			for iso3, n := range map[string]int{"CAF": 1, "XKX": 1, "SOM": 2, "CYP": 2, "ATA": tt.antarctica} {
				if got := len(a.Country(iso3)); got != n {
					t.Errorf("Country(%s) has %d shapes, want %d", iso3, got, n)
				}
			}
		})
	}
}

// The Central African Republic's shape lies where it should.
func TestCentralAfricanRepublic(t *testing.T) {
	a, err := Detailed(loadGeo(t))
	if err != nil {
		t.Fatal(err)
	}
	s := a.Country("CAF")[0]
	b := s.Box
	if b.MinLon < 14 || b.MinLon > 15 || b.MaxLon < 27 || b.MaxLon > 28 || b.MinLat < 2 || b.MinLat > 2.5 || b.MaxLat < 10.9 || b.MaxLat > 11.1 {
		t.Errorf("CAF box = %+v, want about 14.4..27.5 E, 2.2..11 N", b)
	}
	if s.Name != "Central African Rep." {
		t.Errorf("CAF name = %q", s.Name)
	}
}

func TestFitAndPath(t *testing.T) {
	// A square of 10 degrees at the equator, drawn 100 wide with a pad of
	// 10: 80x80 inside.
	v := Fit(Equirectangular(0), Box{0, 0, 10, 10}, 100, 50, 200, 10)
	if v.Height != 100 {
		t.Errorf("height = %g, want 100", v.Height)
	}
	sq := []Polygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}}
	if got, want := v.Path(sq), "M10 90l80 0 0-80-80 0z"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	// Clamped to a maximum height, the square stays square and centred.
	v = Fit(Equirectangular(0), Box{0, 0, 10, 10}, 100, 20, 60, 10)
	if got, want := v.Path(sq), "M30 50l40 0 0-40-40 0z"; got != want {
		t.Errorf("clamped Path = %q, want %q", got, want)
	}
	// Clamped to a minimum height, a flat box is centred vertically.
	v = Fit(Equirectangular(0), Box{0, 0, 10, 1}, 100, 60, 200, 10)
	x, y := v.XY(0, 0.5)
	if v.Height != 60 || x != 10 || math.Abs(y-30) > 1e-9 {
		t.Errorf("flat box: height %g, XY(0, 0.5) = (%g, %g), want 60, (10, 30)", v.Height, x, y)
	}
}

func TestPathRounding(t *testing.T) {
	v := Fit(Equirectangular(0), Box{0, 0, 1, 1}, 10, 0, 100, 0)
	// Points closer than a tenth of a unit collapse; negative deltas need
	// no separator.
	r := []Polygon{{{{0, 0}, {0.001, 0}, {0.55, 0.33}, {1, 1}, {0, 0}}}}
	if got, want := v.Path(r), "M0 10l5.5-3.3 4.5-6.7z"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	for n, want := range map[int64]string{0: "0", 5: ".5", -5: "-.5", 120: "12", 123: "12.3", -1234: "-123.4"} {
		if got := tenths(n); got != want {
			t.Errorf("tenths(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWorldPathSize(t *testing.T) {
	a, err := World(loadGeo(t))
	if err != nil {
		t.Fatal(err)
	}
	var all []Polygon
	for _, s := range a.Shapes {
		all = append(all, s.Polygons...)
	}
	v := Fit(EqualEarth, Box{-180, -58, 180, 84}, 1000, 0, 1000, 0)
	p := v.Path(all)
	// The whole world must stay small enough to inline in every map page.
	if len(p) > 120_000 {
		t.Errorf("world path is %d bytes, want under 120 kB", len(p))
	}
	if strings.Contains(p, "NaN") || strings.Contains(p, "Inf") {
		t.Errorf("world path holds NaN or Inf")
	}
}

func TestUnwrap(t *testing.T) {
	// A square astride the antimeridian, as Natural Earth writes Fiji.
	r := Ring{{179, -17}, {-179, -17}, {-179, -16}, {179, -16}, {179, -17}}
	u, lo, hi := unwrap(r)
	want := Ring{{179, -17}, {181, -17}, {181, -16}, {179, -16}, {179, -17}}
	if diff := cmp.Diff(want, u); diff != "" || lo != 179 || hi != 181 {
		t.Errorf("unwrap: lo %g hi %g, ring (-want +got):\n%s", lo, hi, diff)
	}
	if r[1].Lon != -179 {
		t.Errorf("unwrap changed its argument")
	}
	// Natural Earth closes rings on the antimeridian with a zero-length
	// jump from 180 to -180.
	r = Ring{{-180, -16}, {-179, -16}, {-180, -17}, {179, -17}, {180, -16}, {-180, -16}}
	u, lo, hi = unwrap(r)
	if lo != -181 || hi != -179 || u[len(u)-1].Lon != -180 {
		t.Errorf("unwrap(closed on the antimeridian) = %v, lo %g, hi %g", u, lo, hi)
	}
	// Antarctica's ring runs along the pole: no crossing.
	r = Ring{{-180, -90}, {-180, -80}, {0, -70}, {180, -80}, {180, -90}, {-180, -90}}
	if _, lo, hi := unwrap(r); lo != -180 || hi != 180 {
		t.Errorf("unwrap(Antarctica): lo %g hi %g, want -180 180", lo, hi)
	}
}

// No line of the world map jumps across it: rings astride the antimeridian
// are drawn as two continuous halves.
func TestWorldNoJumps(t *testing.T) {
	a, err := World(loadGeo(t))
	if err != nil {
		t.Fatal(err)
	}
	v := Fit(EqualEarth, Box{-180, -57, 180, 84}, 1000, 0, 1000, 0)
	for _, s := range a.Shapes {
		p := v.Path(s.Polygons)
		for _, ring := range strings.Split(p, "M")[1:] {
			_, rel, _ := strings.Cut(ring, "l")
			nums := strings.FieldsFunc(strings.ReplaceAll(strings.TrimSuffix(rel, "z"), "-", " -"), func(r rune) bool { return r == ' ' })
			for i := 0; i+1 < len(nums); i += 2 {
				if dx, _ := strconv.ParseFloat(nums[i], 64); math.Abs(dx) > 100 {
					t.Errorf("%s (%s): a line %g units wide", s.Name, s.ISO3, dx)
					break
				}
			}
		}
	}
}
