package geo_test

// These tests run the resolvers over every country code and name in the
// real data sets in shared/data, which are read in place and never copied
// into the repository (ACLED's terms forbid republishing its rows).

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/geo"
	"threshold/internal/testenv"
)

// gdeltNonCountries are the FIPS codes GDELT writes for places that are no
// country; FromFIPS leaves them unknown on purpose.
var gdeltNonCountries = map[string]bool{
	"OS": true, // "Oceans (general)": North Sea, Black Sea ...
}

// eachRow calls fn for every record of the headed CSV file at path (gzipped
// when it ends in .gz), with a getter for columns by name.
func eachRow(t *testing.T, path string, fn func(line int, get func(col string) string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer gz.Close()
		r = gz
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	idx := make(map[string]int, len(head))
	for i, h := range head {
		idx[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fn(line, func(col string) string {
			i, ok := idx[col]
			if !ok {
				t.Fatalf("%s: no column %q", path, col)
			}
			return rec[i]
		})
	}
}

// sharedGlob returns the shared data files matching pattern in dir, or
// skips (fails under THRESHOLD_TEST_REQUIRE_ALL) if there are none.
func sharedGlob(t *testing.T, dir, pattern string) []string {
	t.Helper()
	base := testenv.SharedData(t, dir)
	files, err := filepath.Glob(filepath.Join(base, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		testenv.Unavailable(t, fmt.Sprintf("no %s files in %s", pattern, base))
	}
	return files
}

// nameChecker resolves each distinct name once and reports the failures.
type nameChecker struct {
	tb   *geo.Table
	seen map[string]string // name -> ISO3, "" when unresolved
}

func newNameChecker(tb *geo.Table) *nameChecker {
	return &nameChecker{tb: tb, seen: map[string]string{}}
}

func (c *nameChecker) resolve(t *testing.T, source, name string) string {
	t.Helper()
	if iso3, ok := c.seen[name]; ok {
		return iso3
	}
	iso3, err := c.tb.FromName(name)
	if err != nil {
		t.Errorf("%s: FromName(%q) error: %v", source, name, err)
	}
	c.seen[name] = iso3
	return iso3
}

// preStateCodes are the (source, GW code) pairs a source uses before the
// state existed; they are checked undated. Keep each with its reason.
var preStateCodes = map[string]string{
	"DECO_v1.0_excl_kenya_southsudan.csv 565": "Namibia's 1989 pre-independence election is coded 565; GW's Namibia starts 1990-03-21",
}

// gwChecker checks that each (GW code, date) resolves to the ISO3 of the
// name written next to it, reporting each disagreeing pair once.
type gwChecker struct {
	tb       *geo.Table
	reported map[string]bool
}

func (c *gwChecker) check(t *testing.T, source string, code string, on time.Time, nameISO3, name string) {
	t.Helper()
	if code == "" || nameISO3 == "" {
		return
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		t.Errorf("%s: GW code %q: %v", source, code, err)
		return
	}
	got, err := c.tb.FromGW(n, on)
	if _, ok := preStateCodes[fmt.Sprintf("%s %d", source, n)]; ok && errors.Is(err, geo.ErrNoStateOnDate) {
		got, err = c.tb.FromGW(n, time.Time{})
	}
	if err == nil && got == nameISO3 {
		return
	}
	key := fmt.Sprintf("%s %d %s", source, n, name)
	if c.reported[key] {
		return
	}
	c.reported[key] = true
	t.Errorf("%s: FromGW(%d, %s) = %q, %v; want %q, the ISO3 of %q", source, n, on.Format(time.DateOnly), got, err, nameISO3, name)
}

func TestUCDPNames(t *testing.T) {
	tb := load(t)
	files := sharedGlob(t, "ucdp-ged", "*.csv*")
	files = append(files, testenv.SharedData(t, "ucdp-deco", "DECO_v1.0_excl_kenya_southsudan.csv"))
	names := newNameChecker(tb)
	gw := &gwChecker{tb: tb, reported: map[string]bool{}}
	for _, path := range files {
		file := filepath.Base(path)
		distinct := map[string]bool{}
		eachRow(t, path, func(line int, get func(string) string) {
			name := get("country")
			distinct[name] = true
			iso3 := names.resolve(t, file, name)
			on, code := ucdpDateAndCode(t, file, line, get)
			gw.check(t, file, code, on, iso3, name)
		})
		if file == "ged211_precise_location_subset_global.csv.gz" && len(distinct) != 119 {
			t.Errorf("%s: %d distinct countries, want 119", file, len(distinct))
		}
		t.Logf("%s: %d distinct countries", file, len(distinct))
	}
}

// ucdpDateAndCode returns the event date and GW country_id of a GED or
// DECO row; the global extract has no country_id.
func ucdpDateAndCode(t *testing.T, file string, line int, get func(string) string) (time.Time, string) {
	t.Helper()
	switch {
	case strings.HasPrefix(file, "ged211_precise_location_subset_global"):
		y, _ := strconv.Atoi(get("year"))
		m, _ := strconv.Atoi(get("month"))
		d, _ := strconv.Atoi(get("day"))
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), ""
	case strings.HasPrefix(file, "DECO"):
		on, err := time.Parse("1/2/2006", get("date_start"))
		if err != nil {
			t.Fatalf("%s:%d: date_start: %v", file, line, err)
		}
		return on, get("country_id")
	default:
		s := get("date_start")
		on, err := time.Parse(time.DateOnly, s[:min(len(s), 10)])
		if err != nil {
			t.Fatalf("%s:%d: date_start: %v", file, line, err)
		}
		return on, get("country_id")
	}
}

func TestICEWSNames(t *testing.T) {
	tb := load(t)
	names := newNameChecker(tb)
	path := testenv.SharedData(t, "icews", "icews_events_sample_2018-06-01_03.csv")
	eachRow(t, path, func(line int, get func(string) string) {
		for _, col := range []string{"country", "source_country", "target_country"} {
			// An empty country means ICEWS could not place the actor or
			// event; that is not a name to resolve.
			if name := get(col); name != "" {
				names.resolve(t, "icews events "+col, name)
			}
		}
	})
	t.Logf("ICEWS events: %d distinct names", len(names.seen))
}

// The dyad-year file carries netify's ISO3 (from countrycode) next to each
// ICEWS country name, which FromName must reproduce.
func TestICEWSDyadYearISO3(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 82 MB; skipped in -short mode")
	}
	tb := load(t)
	path := testenv.SharedData(t, "icews", "icews_dyad_year_quadcounts_2002_2014.csv.gz")
	names := newNameChecker(tb)
	want := map[string]string{}
	eachRow(t, path, func(line int, get func(string) string) {
		for _, side := range []string{"i", "j"} {
			want[get(side)] = get(side + "_iso3c")
		}
	})
	for name, iso3 := range want {
		if got := names.resolve(t, "icews dyad-year", name); got != "" && got != iso3 {
			t.Errorf("FromName(%q) = %q, want %q (netify's i_iso3c)", name, got, iso3)
		}
	}
	t.Logf("ICEWS dyad-year: %d distinct names", len(want))
}

func TestACLED(t *testing.T) {
	tb := load(t)
	names := newNameChecker(tb)
	gw := &gwChecker{tb: tb, reported: map[string]bool{}}
	path := testenv.SharedData(t, "acled", "acled_sample_100.csv")
	rows := 0
	eachRow(t, path, func(line int, get func(string) string) {
		rows++
		iso, name := get("iso"), get("country")
		n, err := strconv.Atoi(iso)
		if err != nil {
			t.Errorf("line %d: iso %q: %v", line, iso, err)
			return
		}
		byNum, err := tb.FromISONumeric(n)
		if err != nil {
			t.Errorf("line %d: FromISONumeric(%d) error: %v", line, n, err)
		}
		byName := names.resolve(t, "acled", name)
		if byNum != "" && byName != "" && byNum != byName {
			t.Errorf("line %d: FromISONumeric(%d) = %q but FromName(%q) = %q", line, n, byNum, name, byName)
		}
		on, err := time.Parse(time.DateOnly, get("event_date"))
		if err != nil {
			t.Errorf("line %d: event_date: %v", line, err)
			return
		}
		gw.check(t, "acled", get("gwcode"), on, byNum, name)
	})
	if rows != 100 {
		t.Errorf("read %d ACLED rows, want 100", rows)
	}
}

func TestACLEDCoverage(t *testing.T) {
	tb := load(t)
	names := newNameChecker(tb)
	gw := &gwChecker{tb: tb, reported: map[string]bool{}}
	path := testenv.SharedData(t, "acled", "acled_coverage.csv")
	eachRow(t, path, func(line int, get func(string) string) {
		name := get("country")
		// start is when ACLED's coverage begins, not when the state did
		// (South Sudan is listed from 2011-01-01), so codes are checked
		// undated. Palestine has no GW code.
		gw.check(t, "acled coverage", get("gwcode"), time.Time{}, names.resolve(t, "acled coverage", name), name)
	})
}

// gdeltGeoColumns returns the positions of the three *Geo_CountryCode
// columns from a GDELT column list.
func gdeltGeoColumns(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	i := 0
	eachRow(t, path, func(line int, get func(string) string) {
		switch name := get("name"); name {
		case "Actor1Geo_CountryCode", "Actor2Geo_CountryCode", "ActionGeo_CountryCode":
			out[name] = i
		}
		i++
	})
	if len(out) != 3 {
		t.Fatalf("%s: found columns %v, want the three *Geo_CountryCode", path, out)
	}
	return out
}

func TestGDELTFIPS(t *testing.T) {
	tb := load(t)
	files := []struct {
		events, columns string
		wantAction      int // ActionGeo_CountryCode position, as a cross-check
	}{
		{"20191024143000.export.CSV", "gdelt2_events_columns.csv", 53},
		{"gdelt1_events_sample_20160728.tsv", "gdelt1_events_columns.csv", 51},
	}
	for _, f := range files {
		t.Run(f.events, func(t *testing.T) {
			cols := gdeltGeoColumns(t, testenv.SharedData(t, "gdelt", f.columns))
			if cols["ActionGeo_CountryCode"] != f.wantAction {
				t.Fatalf("%s: ActionGeo_CountryCode at %d, want %d", f.columns, cols["ActionGeo_CountryCode"], f.wantAction)
			}
			path := testenv.SharedData(t, "gdelt", f.events)
			seen := map[string]bool{}
			named := map[string]bool{}
			eachTSVLine(t, path, func(line int, fields []string) {
				for col, i := range cols {
					if i >= len(fields) {
						t.Fatalf("%s:%d: %d fields, no %s", f.events, line, len(fields), col)
					}
					code := fields[i]
					// Each *Geo_CountryCode follows *Geo_Type and
					// *Geo_FullName; for type 1 (a whole country) the full
					// name is GDELT's name for the code, a free check of
					// the FIPS traps against the name regexes.
					if fields[i-2] == "1" && fields[i-1] != "" && !named[code] {
						named[code] = true
						byCode, err1 := tb.FromFIPS(code)
						byName, err2 := tb.FromName(fields[i-1])
						if err1 == nil && (err2 != nil || byName != byCode) {
							t.Errorf("%s:%d: FromFIPS(%q) = %q but FromName(%q) = %q, %v", f.events, line, code, byCode, fields[i-1], byName, err2)
						}
					}
					if code == "" || seen[code] {
						continue
					}
					seen[code] = true
					if gdeltNonCountries[code] {
						if got, err := tb.FromFIPS(code); !errors.Is(err, geo.ErrUnknown) {
							t.Errorf("FromFIPS(%q) = %q, %v; want ErrUnknown for a non-country", code, got, err)
						}
						continue
					}
					if _, err := tb.FromFIPS(code); err != nil {
						t.Errorf("%s:%d %s: FromFIPS(%q) error: %v", f.events, line, col, code, err)
					}
				}
			})
			codes := slices.Sorted(func(yield func(string) bool) {
				for c := range seen {
					if !yield(c) {
						return
					}
				}
			})
			t.Logf("%s: %d distinct FIPS codes (%d checked against GDELT country names): %s", f.events, len(codes), len(named), strings.Join(codes, " "))
		})
	}
}

// eachTSVLine calls fn with the tab-separated fields of every line of a
// GDELT export, which has no header and no quoting.
func eachTSVLine(t *testing.T, path string, fn func(line int, fields []string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		fn(line, strings.Split(sc.Text(), "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
