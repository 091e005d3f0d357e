package geo

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Admin1NearDegrees is how far, in degrees of latitude and longitude taken
// as a plane, a point outside every area of its country may lie from the
// nearest one and still be given it. 0.1° is about 11 km at the equator:
// enough for coastal points that the simplified coastline leaves in the
// sea, for islands too small to survive simplification and for coordinates
// rounded off-shore, and far less than a typical admin-1 area, so that a
// point in the wrong country stays unplaced.
const Admin1NearDegrees = 0.1

// Admin1BorderDegrees is the same distance for a point that lies in
// another country's area: about 1 km. Natural Earth's 1:10m boundaries are
// accurate to about that, and sources geocode border towns to points a few
// hundred metres across the line (in the GED extract, 423 Syrian events
// fall in Turkey's Şanlıurfa within 0.005° of Syria, 200 Central African
// ones in DR Congo's Équateur within 0.01° of CAR); a point farther inside
// the neighbour (Gaza, for events a source files under Israel) is not
// placed.
const Admin1BorderDegrees = 0.01

// Admin1 is a first-level administrative area: a state, province, region
// or governorate.
type Admin1 struct {
	Country string // ISO 3166-1 alpha-3 (XKX for Kosovo)
	Code    string // ISO 3166-2 as Natural Earth gives it, e.g. "CF-BGF"; "" when it has none
	Name    string // Natural Earth's name, e.g. "Distrito Federal"
}

// Admin1Table finds the first-level administrative area of a point. It is
// read-only once built and safe for concurrent use.
type Admin1Table struct {
	areas     []Admin1
	countries map[string]*admin1Country
	world     *admin1Country // every polygon, for Containing
}

// admin1Country holds one country's polygons and a grid over them: each
// cell of admin1Cell degrees lists the polygons whose bounding box, widened
// by Admin1NearDegrees, meets the cell, so a lookup tests only those.
type admin1Country struct {
	areas  []int // indexes into Admin1Table.areas, in table order
	polys  []admin1Polygon
	x0, y0 int // the grid's south-west corner, in whole degrees
	w, h   int // cells across and up
	start  []int32
	items  []int32 // polygons of cell c: items[start[c]:start[c+1]]
}

type admin1Polygon struct {
	area  int // index into Admin1Table.areas
	poly  orb.Polygon
	bound orb.Bound
}

// admin1Cell is the grid's cell size in degrees.
const admin1Cell = 1.0

//go:embed admin1.bin.gz
var admin1Data []byte

// LoadAdmin1 returns the admin-1 table embedded in the binary (Natural
// Earth's states and provinces, simplified; see SOURCE.md). It decodes the
// table on every call, so call it once and share the *Admin1Table.
func LoadAdmin1() (*Admin1Table, error) {
	t, err := DecodeAdmin1(admin1Data)
	if err != nil {
		return nil, fmt.Errorf("load admin1 table: %w", err)
	}
	return t, nil
}

// At returns the area of country (ISO3) that contains the point. If none
// does, it returns the nearest area of that country within
// Admin1NearDegrees when the point is on no country's land (a coastal
// point that the simplified coastline leaves in the sea, a small island),
// or within Admin1BorderDegrees when it is in another country's area. It
// looks only among the areas of country, so a point near a border never
// goes to the neighbour's area; a point farther inside another country, or
// of a country the table does not have, gives false.
func (t *Admin1Table) At(country string, lat, lon float64) (Admin1, bool) {
	a, _, ok := t.Locate(country, lat, lon)
	return a, ok
}

// Locate is At that also returns the distance in degrees from the point to
// the area it gives: 0 when the point is inside it, more when the area is
// only the nearest.
func (t *Admin1Table) Locate(country string, lat, lon float64) (Admin1, float64, bool) {
	c := t.countries[country]
	if c == nil || !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) { // also rejects NaN
		return Admin1{}, 0, false
	}
	p := orb.Point{lon, lat}
	if a := c.containing(p); a >= 0 {
		return t.areas[a], 0, true
	}
	// Outside every area of country: take the nearest, from farther off
	// when the point is on no country's land.
	limit := Admin1NearDegrees
	if t.world.containing(p) >= 0 {
		limit = Admin1BorderDegrees
	}
	a, d := c.nearest(p)
	if a < 0 || d > limit {
		return Admin1{}, 0, false
	}
	return t.areas[a], d, true
}

// Containing returns the area of any country that contains the point, with
// no nearest-area fallback. It tells where a point that At does not place
// for its country lies, e.g. an event that a source files under Serbia in
// what is now Kosovo.
func (t *Admin1Table) Containing(lat, lon float64) (Admin1, bool) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return Admin1{}, false
	}
	if a := t.world.containing(orb.Point{lon, lat}); a >= 0 {
		return t.areas[a], true
	}
	return Admin1{}, false
}

// candidates returns the polygons that may contain p or lie within
// Admin1NearDegrees of it.
func (c *admin1Country) candidates(p orb.Point) []int32 {
	x := int(math.Floor(p[0]/admin1Cell)) - c.x0
	y := int(math.Floor(p[1]/admin1Cell)) - c.y0
	if x < 0 || x >= c.w || y < 0 || y >= c.h {
		return nil
	}
	cell := y*c.w + x
	return c.items[c.start[cell]:c.start[cell+1]]
}

// containing returns the area of the first polygon containing p, or -1.
func (c *admin1Country) containing(p orb.Point) int {
	for _, i := range c.candidates(p) {
		q := &c.polys[i]
		if q.bound.Contains(p) && polygonContains(q.poly, p) {
			return q.area
		}
	}
	return -1
}

// polygonContains reports whether p is inside the outer ring of poly and
// in none of its holes, by the even-odd rule. It is planar.PolygonContains
// without the bounding box that orb recomputes for every ring on every
// call, which took 80% of a lookup's time; points exactly on an edge may
// fall either way.
func polygonContains(poly orb.Polygon, p orb.Point) bool {
	if !ringContains(poly[0], p) {
		return false
	}
	for _, hole := range poly[1:] {
		if ringContains(hole, p) {
			return false
		}
	}
	return true
}

// ringContains is the crossing-number test (W. R. Franklin's PNPOLY) on a
// closed ring.
func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// nearest returns the area of the polygon nearest to p among those within
// Admin1NearDegrees of its bounding box, and the distance, or -1.
func (c *admin1Country) nearest(p orb.Point) (int, float64) {
	best, bestDist := -1, math.Inf(1)
	for _, i := range c.candidates(p) {
		q := &c.polys[i]
		if !q.bound.Pad(Admin1NearDegrees).Contains(p) {
			continue
		}
		if d := planar.DistanceFrom(q.poly, p); d < bestDist {
			best, bestDist = q.area, d
		}
	}
	return best, bestDist
}

// Areas returns the areas of country (ISO3), sorted by name; nil when the
// table has none.
func (t *Admin1Table) Areas(country string) []Admin1 {
	c := t.countries[country]
	if c == nil {
		return nil
	}
	out := make([]Admin1, len(c.areas))
	for i, a := range c.areas {
		out[i] = t.areas[a]
	}
	return out
}

// Countries returns the ISO3 codes the table has areas for, sorted.
func (t *Admin1Table) Countries() []string {
	out := make([]string, 0, len(t.countries))
	for iso3 := range t.countries {
		out = append(out, iso3)
	}
	slices.Sort(out)
	return out
}

// The embedded format (written by internal/genadmin1), gzip-compressed:
//
//	"THA1"                   magic
//	uvarint version          admin1Version
//	uvarint scale            coordinate units per degree
//	uvarint areas
//	per area:   string country, string code, string name, uvarint polygons
//	per polygon: uvarint rings (the outer ring, then its holes)
//	per ring:   uvarint points (at least 3; the closing point is implied),
//	            then per point varint Δlon, varint Δlat (zigzag), in units
//	            of 1/scale degree, relative to the previous point of the
//	            file (0, 0 before the first)
//
// A string is a uvarint length and that many bytes of UTF-8.
const (
	admin1Magic   = "THA1"
	admin1Version = 1
	// admin1MaxDecoded bounds the decompressed size, so that a corrupt or
	// hostile file cannot exhaust memory.
	admin1MaxDecoded = 256 << 20
	admin1MaxString  = 1 << 10
)

// DecodeAdmin1 decodes a gzip-compressed admin-1 table in the format that
// LoadAdmin1 embeds. Corrupt input gives an error.
func DecodeAdmin1(gz []byte) (*Admin1Table, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("admin1: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, admin1MaxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("admin1: %w", err)
	}
	if len(raw) > admin1MaxDecoded {
		return nil, fmt.Errorf("admin1: decoded size over %d bytes", admin1MaxDecoded)
	}
	return decodeAdmin1(raw)
}

var errAdmin1Corrupt = errors.New("admin1: corrupt table")

// admin1Reader reads the uncompressed format; the first error sticks.
type admin1Reader struct {
	b      []byte
	err    error
	x, y   int64
	maxLon int64
	maxLat int64
}

func (r *admin1Reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s (%d bytes left)", errAdmin1Corrupt, fmt.Sprintf(format, args...), len(r.b))
	}
}

func (r *admin1Reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *admin1Reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads a count of items that take at least min bytes each, so that a
// corrupt count cannot make the decoder allocate more than the input.
func (r *admin1Reader) count(what string, min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.fail("%s count %d", what, n)
		return 0
	}
	return int(n)
}

func (r *admin1Reader) string(what string) string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > admin1MaxString || n > uint64(len(r.b)) {
		r.fail("%s length %d", what, n)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *admin1Reader) point() orb.Point {
	r.x += r.varint()
	r.y += r.varint()
	if r.err == nil && (r.x < -r.maxLon || r.x > r.maxLon || r.y < -r.maxLat || r.y > r.maxLat) {
		r.fail("point (%d, %d) off the globe", r.x, r.y)
	}
	return orb.Point{float64(r.x), float64(r.y)}
}

func decodeAdmin1(raw []byte) (*Admin1Table, error) {
	if !bytes.HasPrefix(raw, []byte(admin1Magic)) {
		return nil, fmt.Errorf("%w: no %q header", errAdmin1Corrupt, admin1Magic)
	}
	r := &admin1Reader{b: raw[len(admin1Magic):]}
	if v := r.uvarint(); r.err == nil && v != admin1Version {
		return nil, fmt.Errorf("admin1: format version %d, want %d", v, admin1Version)
	}
	scale := r.uvarint()
	if r.err == nil && (scale == 0 || scale > 1e7) {
		r.fail("scale %d", scale)
	}
	r.maxLon, r.maxLat = 180*int64(scale), 90*int64(scale)
	t := &Admin1Table{countries: make(map[string]*admin1Country)}
	nAreas := r.count("area", 4)
	t.areas = make([]Admin1, 0, nAreas)
	var polys [][]admin1Polygon // per area
	for range nAreas {
		a := Admin1{Country: r.string("country"), Code: r.string("code"), Name: r.string("name")}
		if r.err == nil && a.Country == "" {
			r.fail("area %d has no country", len(t.areas))
		}
		area := len(t.areas)
		var ps []admin1Polygon
		nPolys := r.count("polygon", 1+1+2*3)
		for range nPolys {
			nRings := r.count("ring", 1+2*3)
			poly := make(orb.Polygon, 0, nRings)
			for range nRings {
				n := r.count("point", 2)
				if r.err == nil && n < 3 {
					r.fail("ring of %d points", n)
				}
				ring := make(orb.Ring, 0, n+1)
				for range n {
					p := r.point()
					ring = append(ring, orb.Point{p[0] / float64(scale), p[1] / float64(scale)})
				}
				if r.err != nil {
					break
				}
				poly = append(poly, append(ring, ring[0]))
			}
			if r.err != nil {
				break
			}
			if len(poly) == 0 {
				r.fail("polygon without rings")
				break
			}
			ps = append(ps, admin1Polygon{area: area, poly: poly, bound: poly[0].Bound()})
		}
		if r.err != nil {
			return nil, r.err
		}
		t.areas = append(t.areas, a)
		polys = append(polys, ps)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last area", errAdmin1Corrupt, len(r.b))
	}
	// Areas by country, sorted by name, then code.
	order := make([]int, len(t.areas))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := t.areas[i], t.areas[j]
		if a.Country != b.Country {
			return cmp.Compare(a.Country, b.Country)
		}
		if a.Name != b.Name {
			return cmp.Compare(a.Name, b.Name)
		}
		return cmp.Compare(a.Code, b.Code)
	})
	for _, i := range order {
		iso3 := t.areas[i].Country
		c := t.countries[iso3]
		if c == nil {
			c = &admin1Country{}
			t.countries[iso3] = c
		}
		c.areas = append(c.areas, i)
		c.polys = append(c.polys, polys[i]...)
	}
	t.world = &admin1Country{}
	for _, c := range t.countries {
		c.index()
		t.world.polys = append(t.world.polys, c.polys...)
	}
	t.world.index()
	return t, nil
}

// index builds the grid over c's polygons.
func (c *admin1Country) index() {
	if len(c.polys) == 0 {
		// An area without polygons is listed by Areas but never found.
		c.w, c.h, c.start = 0, 0, []int32{0}
		return
	}
	b := c.polys[0].bound
	for _, q := range c.polys[1:] {
		b = b.Union(q.bound)
	}
	b = b.Pad(Admin1NearDegrees)
	cellOf := func(v float64) int { return int(math.Floor(v / admin1Cell)) }
	c.x0, c.y0 = cellOf(b.Min[0]), cellOf(b.Min[1])
	c.w, c.h = cellOf(b.Max[0])-c.x0+1, cellOf(b.Max[1])-c.y0+1
	counts := make([]int32, c.w*c.h+1)
	each := func(q admin1Polygon, fn func(cell int)) {
		qb := q.bound.Pad(Admin1NearDegrees)
		for y := cellOf(qb.Min[1]) - c.y0; y <= cellOf(qb.Max[1])-c.y0; y++ {
			for x := cellOf(qb.Min[0]) - c.x0; x <= cellOf(qb.Max[0])-c.x0; x++ {
				fn(y*c.w + x)
			}
		}
	}
	for _, q := range c.polys {
		each(q, func(cell int) { counts[cell+1]++ })
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	c.start = counts
	c.items = make([]int32, counts[len(counts)-1])
	next := slices.Clone(counts[:len(counts)-1])
	for i, q := range c.polys {
		each(q, func(cell int) {
			c.items[next[cell]] = int32(i)
			next[cell]++
		})
	}
}
