package geo

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// tableFiles holds the generated code table; see SOURCE.md for the columns.
//
//go:embed countries.csv states.csv names.csv aliases.csv
var tableFiles embed.FS

// parse builds a Table from the four CSV files in fsys.
func parse(fsys fs.FS) (*Table, error) {
	t := &Table{
		countries: map[string]Country{},
		fips:      map[string]string{},
		isoNum:    map[int]string{},
		gw:        map[int][]span{},
		cow:       map[int][]span{},
		aliases:   map[string]string{},
	}

	rows, err := readTable(fsys, "countries.csv", "iso3", "iso2", "iso_numeric", "fips", "name",
		"un_region", "un_subregion", "un_intermediate_region", "wb_region")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		iso3, ison, fips, name := r[0], r[2], r[3], r[4]
		if len(iso3) != 3 || name == "" {
			return nil, fmt.Errorf("countries.csv: bad row %q", r)
		}
		t.countries[iso3] = Country{ISO3: iso3, Name: name,
			Region: r[5], Subregion: r[6], IntermediateRegion: r[7], WBRegion: r[8]}
		if fips != "" {
			t.fips[fips] = iso3
		}
		if ison != "" {
			n, err := strconv.Atoi(ison)
			if err != nil {
				return nil, fmt.Errorf("countries.csv: %s: %w", iso3, err)
			}
			t.isoNum[n] = iso3
		}
	}

	rows, err = readTable(fsys, "states.csv", "system", "code", "iso3", "start", "end", "name")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		code, err := strconv.Atoi(r[1])
		if err != nil {
			return nil, fmt.Errorf("states.csv: %w", err)
		}
		s := span{iso3: r[2]}
		if s.from, err = day(r[3]); err != nil {
			return nil, fmt.Errorf("states.csv: %s %d: %w", r[0], code, err)
		}
		if s.to, err = day(r[4]); err != nil {
			return nil, fmt.Errorf("states.csv: %s %d: %w", r[0], code, err)
		}
		if err := t.known("states.csv", s.iso3); err != nil {
			return nil, err
		}
		switch r[0] {
		case "GW":
			t.gw[code] = append(t.gw[code], s)
		case "COW":
			t.cow[code] = append(t.cow[code], s)
		default:
			return nil, fmt.Errorf("states.csv: unknown system %q", r[0])
		}
	}

	for _, m := range []map[int][]span{t.gw, t.cow} {
		for _, ss := range m {
			slices.SortFunc(ss, func(a, b span) int { return cmp.Compare(a.from, b.from) })
		}
	}

	rows, err = readTable(fsys, "names.csv", "iso3", "entity", "regex")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if err := t.known("names.csv", r[0]); err != nil {
			return nil, err
		}
		// The countrycode regexes are R (PCRE) patterns matched
		// case-insensitively; several need lookarounds, which the standard
		// regexp package lacks.
		re, err := regexp2.Compile(r[2], regexp2.IgnoreCase)
		if err != nil {
			return nil, fmt.Errorf("names.csv: %s: %w", r[1], err)
		}
		t.names = append(t.names, namePattern{iso3: r[0], entity: r[1], re: re})
	}

	rows, err = readTable(fsys, "aliases.csv", "scheme", "code", "iso3", "note")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		scheme, code, iso3 := r[0], r[1], r[2]
		if err := t.known("aliases.csv", iso3); err != nil {
			return nil, err
		}
		switch scheme {
		case "FIPS":
			t.fips[code] = iso3
		case "ISON":
			n, err := strconv.Atoi(code)
			if err != nil {
				return nil, fmt.Errorf("aliases.csv: %w", err)
			}
			t.isoNum[n] = iso3
		case "NAME":
			t.aliases[normalize(code)] = iso3
		default:
			return nil, fmt.Errorf("aliases.csv: unknown scheme %q", scheme)
		}
	}
	return t, nil
}

// known reports an error if iso3 has no countries.csv row.
func (t *Table) known(file, iso3 string) error {
	if _, ok := t.countries[iso3]; !ok {
		return fmt.Errorf("%s: ISO3 %q not in countries.csv", file, iso3)
	}
	return nil
}

// readTable reads a headed CSV file from fsys, checking that its header is
// want, and returns the rows after it.
func readTable(fsys fs.FS, name string, want ...string) ([][]string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = len(want)
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("%s: header is not %s", name, strings.Join(want, ","))
	}
	return recs[1:], nil
}

// day parses a YYYY-MM-DD date into its yyyymmdd number; "" is 0.
func day(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return dayOf(d), nil
}

// dayOf is the calendar date of t, in t's location, as yyyymmdd.
func dayOf(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}
