//go:build ignore

// gen_tables derives the synthetic generator's embedded tables from the real
// samples in shared/data, once: go generate ./internal/synth (with the
// shared data found above the working directory or in
// $THRESHOLD_SHARED_DATA). It writes, in tables/:
//
//	cameo.tsv          code, Goldstein (CAMEO Goldstein table), events in the
//	                   two GDELT samples
//	gdelt_places.tsv   ActionGeo places of the two GDELT samples: FIPS, type,
//	                   FullName, ADM1Code, lat, long, FeatureID, events
//	ged_countries.tsv  countries of the GED 21.1 global subset: ISO3, GW code,
//	                   UCDP name, region, events by type of violence
//	ged_country_years.tsv  events per country and year of the global subset
//	ged_places.tsv     named places per GED country, lat, long, where_prec,
//	                   events (see placesFor)
//	ged_deaths.tsv     the best_death histogram of the global subset
//
// Only counts and real place names with their coordinates are kept: no
// event of the samples is copied.
package main

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
	"threshold/internal/testenv"
)

const maxPlacesPerCountry = 40

func main() {
	dir := testenv.SharedDataDir()
	if dir == "" {
		log.Fatal("shared data not found: set THRESHOLD_SHARED_DATA")
	}
	g, err := geo.Load()
	if err != nil {
		log.Fatal(err)
	}
	if err := run(dir, g); err != nil {
		log.Fatal(err)
	}
}

type gdeltPlace struct {
	fips, iso3, typ, fullName, adm1Code, lat, lon, featureID string
	n                                                        int
}

type gedPlace struct {
	adm1, name, lat, lon, prec string
	n                          int
}

func run(dir string, g *geo.Table) error {
	// CAMEO codes and ActionGeo places of the GDELT samples.
	gold, err := goldstein(filepath.Join(dir, "gdelt", "cameo_goldstein_mappings.csv"))
	if err != nil {
		return err
	}
	codes := map[string]int{}
	places := map[string]*gdeltPlace{}
	for _, f := range []struct {
		name                                                 string
		typ, full, cc, adm1, lat, lon, feature, wantedFields int
	}{
		{"20191024143000.export.CSV", 51, 52, 53, 54, 56, 57, 58, 61},
		{"gdelt1_events_sample_20160728.tsv", 49, 50, 51, 52, 53, 54, 55, 0},
	} {
		err := eachLine(filepath.Join(dir, "gdelt", f.name), func(line string) error {
			fs := strings.Split(line, "\t")
			if f.wantedFields != 0 && len(fs) != f.wantedFields || len(fs) < 57 {
				return nil
			}
			code := fs[26]
			if _, ok := gold[code]; !ok {
				return fmt.Errorf("%s: EventCode %q not in the Goldstein table", f.name, code)
			}
			codes[code]++
			p := gdeltPlace{fips: fs[f.cc], typ: fs[f.typ], fullName: fs[f.full], adm1Code: fs[f.adm1],
				lat: fs[f.lat], lon: fs[f.lon], featureID: fs[f.feature]}
			if p.typ < "1" || p.typ > "5" || p.lat == "" || p.lon == "" || p.fullName == "" {
				return nil
			}
			iso, err := g.FromFIPS(p.fips)
			if err != nil {
				return nil
			}
			p.iso3 = iso
			key := strings.Join([]string{p.fips, p.typ, p.fullName, p.adm1Code, p.lat, p.lon, p.featureID}, "\t")
			if q, ok := places[key]; ok {
				q.n++
			} else {
				p.n = 1
				places[key] = &p
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// GED countries, types and deaths from the global subset.
	type country struct {
		iso3, name string
		types      [4]int
		years      map[string]int
		coords     map[string]int
	}
	countries := map[string]*country{}
	deaths := map[int]int{}
	err = eachCSV(filepath.Join(dir, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz"), func(c map[string]int, r []string) error {
		name := r[c["country"]]
		iso, err := g.FromName(name)
		if err != nil {
			return fmt.Errorf("country %q: %w", name, err)
		}
		k := countries[iso]
		if k == nil {
			k = &country{iso3: iso, name: name, years: map[string]int{}, coords: map[string]int{}}
			countries[iso] = k
		}
		switch r[c["type_of_violence"]] {
		case "State-based violence":
			k.types[1]++
		case "Non-state violence":
			k.types[2]++
		case "One-sided violence":
			k.types[3]++
		default:
			return fmt.Errorf("type_of_violence %q", r[c["type_of_violence"]])
		}
		k.coords[r[c["latitude"]]+"\t"+r[c["longitude"]]]++
		k.years[r[c["year"]]]++
		b, err := strconv.Atoi(r[c["best_death"]])
		if err != nil {
			return err
		}
		deaths[b]++
		return nil
	})
	if err != nil {
		return err
	}

	// Named admin-1 places of the full releases.
	named := map[string]map[string]*gedPlace{}
	for _, f := range []string{"GEDEvent_v23_1_central_african_republic.csv", "GEDEvent_v23_1_mexico.csv", "GEDEvent_syria_652.1601.1911.csv.gz"} {
		err := eachCSV(filepath.Join(dir, "ucdp-ged", f), func(c map[string]int, r []string) error {
			gw, err := strconv.Atoi(r[c["country_id"]])
			if err != nil {
				return err
			}
			iso, err := g.FromGW(gw, time.Time{})
			if err != nil {
				return err
			}
			p := gedPlace{adm1: r[c["adm_1"]], name: r[c["where_coordinates"]], lat: r[c["latitude"]], lon: r[c["longitude"]], prec: r[c["where_prec"]]}
			if p.adm1 == "" || p.name == "" {
				return nil
			}
			if named[iso] == nil {
				named[iso] = map[string]*gedPlace{}
			}
			key := p.adm1 + "\t" + p.name + "\t" + p.lat + "\t" + p.lon + "\t" + p.prec
			if q := named[iso][key]; q != nil {
				q.n++
			} else {
				p.n = 1
				named[iso][key] = &p
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// GW codes: the state each ISO3 code stood for at the end of the
	// subset, else at any time.
	gwOf := map[string]int{}
	for _, on := range []time.Time{time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC), {}} {
		for code := 1; code < 1000; code++ {
			iso, err := g.FromGW(code, on)
			if err != nil {
				continue
			}
			if _, ok := gwOf[iso]; !ok {
				gwOf[iso] = code
			}
		}
	}

	out := filepath.Join("tables")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	// cameo.tsv
	var rows [][]string
	for _, code := range slices.Sorted(maps.Keys(codes)) {
		rows = append(rows, []string{code, strconv.FormatFloat(gold[code], 'f', -1, 64), strconv.Itoa(codes[code])})
	}
	if err := writeTSV(filepath.Join(out, "cameo.tsv"), "code\tgoldstein\tevents", rows); err != nil {
		return err
	}

	// gdelt_places.tsv, most frequent first within a country.
	ps := slices.Collect(maps.Values(places))
	slices.SortFunc(ps, func(a, b *gdeltPlace) int {
		return cmp.Or(cmp.Compare(a.iso3, b.iso3), cmp.Compare(b.n, a.n), cmp.Compare(a.fullName, b.fullName), cmp.Compare(a.featureID, b.featureID))
	})
	rows = nil
	perCountry := map[string]int{}
	for _, p := range ps {
		if perCountry[p.iso3]++; perCountry[p.iso3] > maxPlacesPerCountry {
			continue
		}
		rows = append(rows, []string{p.iso3, p.fips, p.typ, p.fullName, p.adm1Code, p.lat, p.lon, p.featureID, strconv.Itoa(p.n)})
	}
	if err := writeTSV(filepath.Join(out, "gdelt_places.tsv"), "iso3\tfips\ttype\tfull_name\tadm1_code\tlat\tlong\tfeature_id\tevents", rows); err != nil {
		return err
	}

	// ged_countries.tsv and ged_places.tsv
	rows = nil
	var prows, yrows [][]string
	for _, iso := range slices.Sorted(maps.Keys(countries)) {
		k := countries[iso]
		gw, ok := gwOf[iso]
		if !ok {
			return fmt.Errorf("%s: no Gleditsch-Ward code", iso)
		}
		c, _ := g.Lookup(iso)
		region := c.Region
		if c.Subregion == "Western Asia" || c.WBRegion == "Middle East & North Africa" && c.Region == "Asia" {
			region = "Middle East"
		}
		rows = append(rows, []string{iso, strconv.Itoa(gw), k.name, region,
			strconv.Itoa(k.types[1]), strconv.Itoa(k.types[2]), strconv.Itoa(k.types[3])})
		for _, y := range slices.Sorted(maps.Keys(k.years)) {
			yrows = append(yrows, []string{iso, y, strconv.Itoa(k.years[y])})
		}
		for _, p := range placesFor(iso, named[iso], ps, k.coords) {
			prows = append(prows, []string{iso, p.adm1, p.name, p.lat, p.lon, p.prec, strconv.Itoa(p.n)})
		}
	}
	if err := writeTSV(filepath.Join(out, "ged_countries.tsv"), "iso3\tgw\tname\tregion\tstate_based\tnon_state\tone_sided", rows); err != nil {
		return err
	}
	if err := writeTSV(filepath.Join(out, "ged_country_years.tsv"), "iso3\tyear\tevents", yrows); err != nil {
		return err
	}
	if err := writeTSV(filepath.Join(out, "ged_places.tsv"), "iso3\tadm1\tname\tlat\tlong\twhere_prec\tevents", prows); err != nil {
		return err
	}

	rows = nil
	for _, b := range slices.Sorted(maps.Keys(deaths)) {
		rows = append(rows, []string{strconv.Itoa(b), strconv.Itoa(deaths[b])})
	}
	return writeTSV(filepath.Join(out, "ged_deaths.tsv"), "best\tevents", rows)
}

// placesFor gives a GED country's places, most frequent first, from the
// best source it has: the named admin-1 places of a full GED release
// (CAF, MEX, SYR), weighed by their events; else the GDELT samples' cities
// and admin-1 areas in the country (where_prec 1 for a city, 4 for an
// admin-1 area), then the subset's most frequent event coordinates,
// unnamed (where_prec 1), up to maxPlacesPerCountry, weighed 1000/rank
// since the counts of two samples do not compare.
func placesFor(iso string, named map[string]*gedPlace, gdelt []*gdeltPlace, coords map[string]int) []*gedPlace {
	var out []*gedPlace
	if len(named) > 0 {
		out = slices.Collect(maps.Values(named))
	} else {
		seen := map[string]*gedPlace{}
		for _, p := range gdelt {
			if p.iso3 != iso {
				continue
			}
			parts := strings.Split(p.fullName, ", ")
			var q gedPlace
			switch {
			case (p.typ == "3" || p.typ == "4") && len(parts) >= 3:
				q = gedPlace{name: parts[0], adm1: parts[1], prec: "1"}
			case p.typ == "5" && len(parts) >= 2:
				q = gedPlace{name: parts[0], adm1: parts[0], prec: "4"}
			default:
				continue
			}
			if strings.HasSuffix(q.adm1, "(general)") {
				continue
			}
			q.lat, q.lon, q.n = p.lat, p.lon, p.n
			key := q.adm1 + "\t" + q.name
			if r := seen[key]; r != nil {
				r.n += q.n
			} else {
				seen[key] = &q
			}
		}
		out = sortPlaces(slices.Collect(maps.Values(seen)))
		var unnamed []*gedPlace
		for k, n := range coords {
			lat, lon, _ := strings.Cut(k, "\t")
			unnamed = append(unnamed, &gedPlace{lat: lat, lon: lon, prec: "1", n: n})
		}
		out = append(out, sortPlaces(unnamed)...)
		if len(out) > maxPlacesPerCountry {
			out = out[:maxPlacesPerCountry]
		}
		// Counts of two samples do not compare: weigh by rank.
		for i, p := range out {
			p.n = int(math.Round(1000 / float64(i+1)))
		}
		return out
	}
	out = sortPlaces(out)
	if len(out) > maxPlacesPerCountry {
		out = out[:maxPlacesPerCountry]
	}
	return out
}

// sortPlaces sorts places most frequent first.
func sortPlaces(out []*gedPlace) []*gedPlace {
	slices.SortFunc(out, func(a, b *gedPlace) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.adm1, b.adm1), cmp.Compare(a.name, b.name), cmp.Compare(a.lat, b.lat), cmp.Compare(a.lon, b.lon))
	})
	return out
}

func goldstein(path string) (map[string]float64, error) {
	m := map[string]float64{}
	err := eachCSV(path, func(c map[string]int, r []string) error {
		v, err := strconv.ParseFloat(r[c["goldstein"]], 64)
		if err != nil || math.Abs(v) > 10 {
			return fmt.Errorf("goldstein %q", r[c["goldstein"]])
		}
		m[r[c["code"]]] = v
		return nil
	})
	return m, err
}

func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

func eachLine(path string, fn func(string) error) error {
	f, err := open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if err := fn(strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	return sc.Err()
}

func eachCSV(path string, fn func(map[string]int, []string) error) error {
	f, err := open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(cols, rec); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
}

func writeTSV(path, header string, rows [][]string) error {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, r := range rows {
		for _, f := range r {
			if strings.ContainsAny(f, "\t\n\r") {
				return fmt.Errorf("%s: field %q has a tab or newline", path, f)
			}
		}
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
