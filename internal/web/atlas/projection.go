package atlas

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Projection maps longitude and latitude in degrees to a plane, x east and
// y north, in the projection's own units.
type Projection func(lon, lat float64) (x, y float64)

// Equal Earth constants (Šavrič, Patterson and Jenny 2018).
const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

// EqualEarth is the Equal Earth projection centred on Greenwich: equal
// area, so that large countries do not look more violent than they are,
// with the familiar shapes of Robinson's. x is in [-2.7066, 2.7066] and y
// in [-1.3174, 1.3174] on the unit sphere.
func EqualEarth(lon, lat float64) (x, y float64) {
	l := lon * math.Pi / 180
	p := lat * math.Pi / 180
	th := math.Asin(math.Sqrt(3) / 2 * math.Sin(p))
	th2 := th * th
	th6 := th2 * th2 * th2
	x = 2 * math.Sqrt(3) * l * math.Cos(th) / (3 * (eeA1 + 3*eeA2*th2 + th6*(7*eeA3+9*eeA4*th2)))
	y = th * (eeA1 + eeA2*th2 + th6*(eeA3+eeA4*th2))
	return x, y
}

// Equirectangular returns the plate carrée projection with true scale at
// latitude lat0, in degrees: good enough for one country.
func Equirectangular(lat0 float64) Projection {
	k := math.Cos(lat0 * math.Pi / 180)
	return func(lon, lat float64) (float64, float64) { return lon * k, lat }
}

// View draws projected shapes on an SVG canvas of Width by Height user
// units, with y pointing down.
type View struct {
	Width, Height float64
	proj          Projection
	scale, x0, y0 float64 // canvas = (x-x0)*scale, (y0-y)*scale
	center        float64 // the longitude the map is centred on; see Centered
}

// Fit returns a view of box under proj, Width wide, with pad units of
// margin on every side. The height follows from the box's projected
// aspect, clamped to [minH, maxH]; when clamped, the box is widened (or
// heightened) around its centre rather than distorted.
func Fit(proj Projection, box Box, width, minH, maxH, pad float64) View {
	x0, y0, x1, y1 := projectedBounds(proj, box)
	inner := width - 2*pad
	scale := inner / (x1 - x0)
	h := (y1-y0)*scale + 2*pad
	switch {
	case h > maxH:
		h = maxH
		scale = (h - 2*pad) / (y1 - y0)
		cx := (x0 + x1) / 2
		x0 = cx - inner/scale/2
	case h < minH:
		h = minH
		cy := (y0 + y1) / 2
		y1 = cy + (h-2*pad)/scale/2
	}
	return View{Width: width, Height: h, proj: proj, scale: scale, x0: x0 - pad/scale, y0: y1 + pad/scale}
}

// projectedBounds samples the edges of box, since a projection may bend
// them.
func projectedBounds(proj Projection, b Box) (x0, y0, x1, y1 float64) {
	x0, y0, x1, y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	const n = 16
	for i := 0; i <= n; i++ {
		f := float64(i) / n
		lon := b.MinLon + f*(b.MaxLon-b.MinLon)
		lat := b.MinLat + f*(b.MaxLat-b.MinLat)
		for _, p := range [][2]float64{{lon, b.MinLat}, {lon, b.MaxLat}, {b.MinLon, lat}, {b.MaxLon, lat}} {
			x, y := proj(p[0], p[1])
			x0, x1 = min(x0, x), max(x1, x)
			y0, y1 = min(y0, y), max(y1, y)
		}
	}
	return x0, y0, x1, y1
}

// XY returns the canvas position of a point.
func (v View) XY(lon, lat float64) (x, y float64) {
	px, py := v.proj(lon+turns(v.center, lon), lat)
	return (px - v.x0) * v.scale, (v.y0 - py) * v.scale
}

// Centered returns the view with longitudes taken within 180° of lon0,
// for a map of a country astride the antimeridian: with lon0 = 170,
// Alaska's -170° is drawn at 190°, east of Chukotka, not across the
// world. The view's box (see Fit) must then be given in those terms, e.g.
// 20° to 200° for Russia.
func (v View) Centered(lon0 float64) View {
	v.center = lon0
	return v
}

// turns returns the multiple of 360° that brings lon within 180° of
// center.
func turns(center, lon float64) float64 {
	return 360 * math.Round((center-lon)/360)
}

// Path returns the SVG path data of polygons, rounded to a tenth of a unit,
// with repeated points dropped; draw it with fill-rule evenodd so holes
// stay holes whatever their winding.
//
// A ring that crosses the antimeridian (Fiji, Chukotka) is unwrapped into
// one continuous line, reaching past ±180°, and drawn a second time 360°
// away: clip the drawing to the map's Outline and each half shows on its
// side of the map.
func (v View) Path(polys []Polygon) string {
	var b strings.Builder
	for _, p := range polys {
		for _, r := range p {
			u, lo, hi := unwrap(r)
			// The whole ring moves by whole turns towards the centre, so
			// that it stays in one piece.
			d := turns(v.center, (lo+hi)/2)
			v.ring(&b, u, d)
			switch {
			case hi+d > v.center+180:
				v.ring(&b, u, d-360)
			case lo+d < v.center-180:
				v.ring(&b, u, d+360)
			}
		}
	}
	return b.String()
}

// unwrap returns r with longitudes made continuous, never jumping by more
// than 180° between neighbours, and its least and greatest longitude. A
// ring that does not cross the antimeridian is returned as it is.
func unwrap(r Ring) (Ring, float64, float64) {
	var u Ring
	off := 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, pt := range r {
		if i > 0 {
			prev := r[i-1]
			// At a pole longitude means nothing: Antarctica's ring runs
			// along the pole from 180° to -180°, which is no crossing.
			if d := pt.Lon - prev.Lon; math.Abs(d) > 180 && math.Abs(pt.Lat) != 90 {
				if u == nil {
					u = slices.Clone(r)
				}
				off -= 360 * math.Copysign(1, d)
			}
		}
		lon := pt.Lon + off
		if u != nil {
			u[i].Lon = lon
		}
		lo, hi = min(lo, lon), max(hi, lon)
	}
	if u == nil {
		return r, lo, hi
	}
	return u, lo, hi
}

// Outline returns the path of box's edge under the view's projection: the
// shape of the map, to draw the sea and clip the countries.
func (v View) Outline(box Box) string {
	const n = 90
	var r Ring
	for i := 0; i <= n; i++ { // up the western edge
		r = append(r, Point{box.MinLon, box.MinLat + float64(i)/n*(box.MaxLat-box.MinLat)})
	}
	for i := 1; i <= n; i++ { // east along the top
		r = append(r, Point{box.MinLon + float64(i)/n*(box.MaxLon-box.MinLon), box.MaxLat})
	}
	for i := 1; i <= n; i++ { // down the eastern edge
		r = append(r, Point{box.MaxLon, box.MaxLat - float64(i)/n*(box.MaxLat-box.MinLat)})
	}
	for i := 1; i <= n; i++ { // west along the bottom, back to the start
		r = append(r, Point{box.MaxLon - float64(i)/n*(box.MaxLon-box.MinLon), box.MinLat})
	}
	var b strings.Builder
	v.ring(&b, r, 0)
	return b.String()
}

// ring writes one ring, its longitudes moved by dlon (and not otherwise
// centred, so that it stays in one piece): an absolute move,
// then relative lines between positions rounded to tenths, so that
// rounding errors never accumulate.
func (v View) ring(b *strings.Builder, r Ring, dlon float64) {
	var px, py int64 // previous position, in tenths of a unit
	n := 0
	if len(r) > 1 && r[0] == r[len(r)-1] {
		r = r[:len(r)-1] // z closes the ring
	}
	for i, pt := range r {
		ux, uy := v.proj(pt.Lon+dlon, pt.Lat)
		x, y := (ux-v.x0)*v.scale, (v.y0-uy)*v.scale
		tx, ty := int64(math.Round(x*10)), int64(math.Round(y*10))
		if i == 0 {
			b.WriteString("M")
			b.WriteString(tenths(tx))
			b.WriteString(" ")
			b.WriteString(tenths(ty))
		} else {
			dx, dy := tx-px, ty-py
			if dx == 0 && dy == 0 {
				continue
			}
			if n == 0 {
				b.WriteString("l")
			} else if dx >= 0 {
				b.WriteString(" ")
			}
			b.WriteString(tenths(dx))
			if dy >= 0 {
				b.WriteString(" ")
			}
			b.WriteString(tenths(dy))
			n++
		}
		px, py = tx, ty
	}
	b.WriteString("z")
}

// tenths formats n/10 with at most one decimal: 123 -> "12.3", 120 -> "12",
// -5 -> "-.5".
func tenths(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n/10, 10)
	if d := n % 10; d != 0 {
		if s == "0" {
			s = ""
		}
		s += "." + strconv.FormatInt(d, 10)
	}
	if neg {
		s = "-" + s
	}
	return s
}
