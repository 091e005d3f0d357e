package synth

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The tables are derived once from the real samples in shared/data by
// gen_tables.go (go generate ./internal/synth) and embedded: the generator
// needs no data at run time. They hold counts and real place names with
// their coordinates, never an event of the samples.
//
//go:generate go run gen_tables.go
//go:embed tables/*.tsv
var tableFS embed.FS

// cameoCode is one CAMEO event code with its Goldstein score (from the
// CAMEO Goldstein table GDELT codes with) and its frequency in the GDELT
// samples.
type cameoCode struct {
	code      string
	goldstein float64
	weight    float64
}

// gdeltPlace is a real ActionGeo place of the GDELT samples.
type gdeltPlace struct {
	iso3, fips, typ, fullName, adm1Code, lat, lon, featureID string
	weight                                                   float64
}

// gedCountry is a country of the GED 21.1 global subset.
type gedCountry struct {
	iso3, name, region string
	gw                 int
	types              [3]float64 // events by type of violence 1, 2, 3
}

// gedPlace is a place of a GED country: named (adm_1, where_coordinates)
// where a sample names it, else only real event coordinates.
type gedPlace struct {
	adm1, name, lat, lon, prec string
	latF, lonF                 float64
	weight                     float64
}

// gedCountryYear is one country-year of the global subset.
type gedCountryYear struct {
	country int // index into tables.gedCountries
	year    int
	weight  float64
}

// tables holds the embedded tables, parsed.
type tables struct {
	cameo         []cameoCode
	gdeltPlaces   []gdeltPlace
	gedCountries  []gedCountry
	gedYears      []gedCountryYear
	gedPlaces     map[string][]gedPlace // by ISO3
	gedDeaths     []int                 // best values
	gedDeathsFreq []float64             // their frequencies
}

var loadTables = sync.OnceValues(parseTables)

func parseTables() (*tables, error) {
	t := &tables{gedPlaces: map[string][]gedPlace{}}
	err := eachRow("cameo.tsv", 3, func(f []string) error {
		g, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		w, err := strconv.ParseFloat(f[2], 64)
		t.cameo = append(t.cameo, cameoCode{f[0], g, w})
		return err
	})
	if err == nil {
		err = eachRow("gdelt_places.tsv", 9, func(f []string) error {
			w, err := strconv.ParseFloat(f[8], 64)
			t.gdeltPlaces = append(t.gdeltPlaces, gdeltPlace{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], w})
			return err
		})
	}
	index := map[string]int{}
	if err == nil {
		err = eachRow("ged_countries.tsv", 7, func(f []string) error {
			c := gedCountry{iso3: f[0], name: f[2], region: f[3]}
			var err error
			if c.gw, err = strconv.Atoi(f[1]); err != nil {
				return err
			}
			for i := range 3 {
				if c.types[i], err = strconv.ParseFloat(f[4+i], 64); err != nil {
					return err
				}
			}
			index[c.iso3] = len(t.gedCountries)
			t.gedCountries = append(t.gedCountries, c)
			return nil
		})
	}
	if err == nil {
		err = eachRow("ged_country_years.tsv", 3, func(f []string) error {
			i, ok := index[f[0]]
			if !ok {
				return fmt.Errorf("unknown country %q", f[0])
			}
			y, err := strconv.Atoi(f[1])
			if err != nil {
				return err
			}
			w, err := strconv.ParseFloat(f[2], 64)
			t.gedYears = append(t.gedYears, gedCountryYear{i, y, w})
			return err
		})
	}
	if err == nil {
		err = eachRow("ged_places.tsv", 7, func(f []string) error {
			p := gedPlace{adm1: f[1], name: f[2], lat: f[3], lon: f[4], prec: f[5]}
			var err error
			if p.latF, err = strconv.ParseFloat(p.lat, 64); err != nil {
				return err
			}
			if p.lonF, err = strconv.ParseFloat(p.lon, 64); err != nil {
				return err
			}
			if p.weight, err = strconv.ParseFloat(f[6], 64); err != nil {
				return err
			}
			t.gedPlaces[f[0]] = append(t.gedPlaces[f[0]], p)
			return nil
		})
	}
	if err == nil {
		err = eachRow("ged_deaths.tsv", 2, func(f []string) error {
			b, err := strconv.Atoi(f[0])
			if err != nil {
				return err
			}
			w, err := strconv.ParseFloat(f[1], 64)
			t.gedDeaths = append(t.gedDeaths, b)
			t.gedDeathsFreq = append(t.gedDeathsFreq, w)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	for _, c := range t.gedCountries {
		if len(t.gedPlaces[c.iso3]) == 0 {
			return nil, fmt.Errorf("synth: ged_places.tsv: no place in %s", c.iso3)
		}
	}
	return t, nil
}

// eachRow calls fn with the fields of every data row of an embedded table,
// which must have n fields.
func eachRow(name string, n int, fn func([]string) error) error {
	b, err := tableFS.ReadFile("tables/" + name)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		if line == 1 {
			continue // header
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != n {
			return fmt.Errorf("synth: tables/%s:%d: %d fields, want %d", name, line, len(f), n)
		}
		if err := fn(f); err != nil {
			return fmt.Errorf("synth: tables/%s:%d: %w", name, line, err)
		}
	}
	return sc.Err()
}
