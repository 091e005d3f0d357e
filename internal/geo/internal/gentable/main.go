// Command gentable builds the code table that package geo embeds, from the
// country-code concordances in the shared data directory:
//
//	countrycode_codelist.csv        Arel-Bundock et al. (2018), one row per country
//	countrycode_codelist_panel.csv  the same, one row per country-year
//	gw_states.csv                   Gleditsch & Ward (1999) state list
//	cow_states.csv                  Correlates of War (2017) state list
//
// It writes four CSV files into -out (see ../../SOURCE.md for their columns):
// countries.csv, states.csv, names.csv and aliases.csv. Every manual
// decision is a literal in this file, next to its reason, and is repeated in
// SOURCE.md. Run it through go generate in internal/geo:
//
//	go generate ./internal/geo
package main

import (
	"cmp"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// kosovo is the row added for Kosovo, which has no ISO 3166-1 code. XK/XKX
// are the user-assigned codes the European Commission and the World Bank
// use; there is no numeric code.
// Its regions are Serbia's: the UN M49 standard does not list Kosovo,
// and the World Bank puts it in Europe & Central Asia.
var kosovo = country{ISO3: "XKX", ISO2: "XK", FIPS: "KV", Name: "Kosovo",
	Region: "Europe", Subregion: "Southern Europe", WBRegion: "Europe & Central Asia"}

// successors maps concordance entities without an ISO code to the present
// ISO3 that continues them, so their names, GW and COW codes resolve. Only
// states with a single continuator, or that merged whole into one state, are
// listed; the others (Austria-Hungary, Czechoslovakia, the United Provinces
// of Central America, the pre-1871 German and pre-1861 Italian states,
// Transvaal, Orange Free State, Tibet) are left unknown.
var successors = map[string]string{
	"Kosovo":                     "XKX", // own user-assigned code, see kosovo
	"Yugoslavia":                 "SRB", // FRY / Serbia and Montenegro continued by Serbia; ISO YUG and SCG are withdrawn
	"Serbia and Montenegro":      "SRB", // same
	"Yemen Arab Republic":        "YEM", // North Yemen; unified with the south on 1990-05-22
	"Yemen People's Republic":    "YEM", // South Yemen; same unification
	"German Democratic Republic": "DEU", // acceded to the Federal Republic on 1990-10-03
	"Republic of Vietnam":        "VNM", // South Vietnam; unified with the north in 1976
	"Zanzibar":                   "TZA", // united with Tanganyika on 1964-04-26
}

// stateOverrides sets the ISO3 of GW or COW codes that neither the panel nor
// the code list resolves, keyed by system and code.
var stateOverrides = map[stateKey]string{
	// countrycode gives Vietnam the GW code 815, GW's pre-1893 Vietnam; GW
	// codes the Democratic Republic of Vietnam, later unified
	// Vietnam, as 816 from 1954, and so does ACLED's gwcode column.
	{"GW", 816}: "VNM",
}

// openEnded lists state-list rows whose end date is ignored. UCDP keeps
// coding Serbia as GW 345 "Serbia (Yugoslavia)" after GW's own 345 ends on
// 2006-06-04, as COW does, so GW 345 stays valid after that date.
var openEnded = map[stateKey]bool{
	{"GW", 345}: true,
}

// listEnd is the last date of each state list as packaged: a row ending on
// it means "still a member", not the end of the state.
var listEnd = map[string]string{
	"GW":  "2017-12-31",
	"COW": "2016-12-31",
}

// alias is an extra code or name that the concordance lacks.
type alias struct {
	Scheme string // FIPS, ISON (ISO 3166-1 numeric) or NAME
	Code   string // code, or the name as written by the source
	ISO3   string
	Note   string
}

// aliases are the manual additions. Each note says why.
var aliases = []alias{
	{"FIPS", "OD", "SSD", "South Sudan; FIPS 10-4 code GDELT uses, blank in the concordance"},
	{"FIPS", "YI", "SRB", "withdrawn FIPS code of Yugoslavia / Serbia and Montenegro, still in GDELT; SRB by the package's successor convention"},
	{"FIPS", "RB", "SRB", "withdrawn FIPS code of Serbia (2006, before RI)"},
	{"FIPS", "GZ", "PSE", "Gaza Strip; FIPS has separate codes for Gaza (GZ) and the West Bank (WE), ISO one code"},
	{"ISON", "736", "SDN", "Sudan's ISO numeric code before South Sudan's independence (729 since 2011)"},
	{"ISON", "891", "SRB", "withdrawn ISO numeric code of Yugoslavia / Serbia and Montenegro (YUG, SCG)"},
	{"ISON", "720", "YEM", "withdrawn ISO numeric code of Democratic Yemen (South Yemen, YMD)"},
	{"ISON", "886", "YEM", "withdrawn ISO numeric code of the Yemen Arab Republic (North Yemen)"},
	{"ISON", "278", "DEU", "withdrawn ISO numeric code of the German Democratic Republic (DDR)"},
	{"ISON", "280", "DEU", "withdrawn ISO numeric code of the Federal Republic of Germany before 1990"},
	{"ISON", "810", "RUS", "withdrawn ISO numeric code of the USSR (SUN); Russia is its continuator"},
	{"ISON", "230", "ETH", "Ethiopia's ISO numeric code before Eritrea's independence (231 since 1993)"},
	{"NAME", "England", "GBR", "constituent country; the concordance regex only knows the UK and Britain"},
	{"NAME", "Scotland", "GBR", "same"},
	{"NAME", "Wales", "GBR", "same"},
	{"NAME", "Micronesia", "FSM", "as ACLED writes the Federated States; the regex needs 'federated'"},
	{"NAME", "Saint-Martin", "MAF", "as ACLED writes the French part; the regex needs 'French'"},
}

type stateKey struct {
	System string
	Code   int
}

type country struct {
	ISO3, ISO2, ISON, FIPS, Name string
	// Region, Subregion and Intermediate are the UN M49 region,
	// sub-region and intermediate region (un.region.name,
	// un.regionsub.name, un.regionintermediate.name); WBRegion is the
	// World Bank region (region).
	Region, Subregion, Intermediate, WBRegion string
}

type state struct {
	System     string
	Code       int
	ISO3       string
	Start, End string // YYYY-MM-DD; End "" when open
	Name       string
}

type nameRegex struct {
	ISO3, Entity, Regex string
}

func main() {
	shared := flag.String("shared", "../../../shared/data", "shared data directory (holds country-codes/)")
	out := flag.String("out", ".", "directory to write the CSV files into")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gentable: ")
	if err := run(filepath.Join(*shared, "country-codes"), *out, os.Stderr); err != nil {
		log.Fatal(err)
	}
}

func run(dir, out string, logw io.Writer) error {
	codelist, err := readCSV(filepath.Join(dir, "countrycode_codelist.csv"))
	if err != nil {
		return err
	}
	panel, err := readCSV(filepath.Join(dir, "countrycode_codelist_panel.csv"))
	if err != nil {
		return err
	}
	gw, err := readCSV(filepath.Join(dir, "gw_states.csv"))
	if err != nil {
		return err
	}
	cow, err := readCSV(filepath.Join(dir, "cow_states.csv"))
	if err != nil {
		return err
	}

	countries, err := buildCountries(codelist)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(countries))
	for _, c := range countries {
		known[c.ISO3] = true
	}
	names, err := buildNames(codelist, known, logw)
	if err != nil {
		return err
	}
	states, err := buildStates(codelist, panel, gw, cow, known, logw)
	if err != nil {
		return err
	}
	if err := checkPanel(panel, states); err != nil {
		return err
	}
	if err := checkAliases(countries, known); err != nil {
		return err
	}

	var rows [][]string
	for _, c := range countries {
		rows = append(rows, []string{c.ISO3, c.ISO2, c.ISON, c.FIPS, c.Name, c.Region, c.Subregion, c.Intermediate, c.WBRegion})
	}
	head := []string{"iso3", "iso2", "iso_numeric", "fips", "name", "un_region", "un_subregion", "un_intermediate_region", "wb_region"}
	if err := writeCSV(filepath.Join(out, "countries.csv"), head, rows); err != nil {
		return err
	}
	rows = nil
	for _, s := range states {
		rows = append(rows, []string{s.System, strconv.Itoa(s.Code), s.ISO3, s.Start, s.End, s.Name})
	}
	if err := writeCSV(filepath.Join(out, "states.csv"), []string{"system", "code", "iso3", "start", "end", "name"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, n := range names {
		rows = append(rows, []string{n.ISO3, n.Entity, n.Regex})
	}
	if err := writeCSV(filepath.Join(out, "names.csv"), []string{"iso3", "entity", "regex"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, a := range aliases {
		rows = append(rows, []string{a.Scheme, a.Code, a.ISO3, a.Note})
	}
	return writeCSV(filepath.Join(out, "aliases.csv"), []string{"scheme", "code", "iso3", "note"}, rows)
}

// buildCountries keeps one row per ISO3 code in the code list, plus Kosovo.
func buildCountries(codelist []map[string]string) ([]country, error) {
	var out []country
	seenFIPS := map[string]string{}
	seenISON := map[string]string{}
	for _, r := range codelist {
		if r["iso3c"] == "" {
			continue
		}
		c := country{ISO3: r["iso3c"], ISO2: r["iso2c"], ISON: r["iso3n"], FIPS: r["fips"], Name: r["country.name.en"],
			Region: r["un.region.name"], Subregion: r["un.regionsub.name"], Intermediate: r["un.regionintermediate.name"],
			WBRegion: r["region"]}
		out = append(out, c)
	}
	out = append(out, kosovo)
	slices.SortFunc(out, func(a, b country) int { return cmp.Compare(a.ISO3, b.ISO3) })
	for i, c := range out {
		if i > 0 && out[i-1].ISO3 == c.ISO3 {
			return nil, fmt.Errorf("duplicate ISO3 %s", c.ISO3)
		}
		if c.FIPS != "" {
			if prev, ok := seenFIPS[c.FIPS]; ok {
				return nil, fmt.Errorf("FIPS %s used by %s and %s", c.FIPS, prev, c.ISO3)
			}
			seenFIPS[c.FIPS] = c.ISO3
		}
		if c.ISON != "" {
			if prev, ok := seenISON[c.ISON]; ok {
				return nil, fmt.Errorf("ISO numeric %s used by %s and %s", c.ISON, prev, c.ISO3)
			}
			seenISON[c.ISON] = c.ISO3
		}
	}
	return out, nil
}

// buildNames keeps the English-name regex of every code-list entity that
// has an ISO3 of its own or a successor.
func buildNames(codelist []map[string]string, known map[string]bool, logw io.Writer) ([]nameRegex, error) {
	var out []nameRegex
	for _, r := range codelist {
		entity, re := r["country.name.en"], r["country.name.en.regex"]
		iso3 := r["iso3c"]
		if iso3 == "" {
			iso3 = successors[entity]
		}
		if iso3 == "" {
			fmt.Fprintf(logw, "name left unknown: %s\n", entity)
			continue
		}
		if !known[iso3] {
			return nil, fmt.Errorf("entity %s: successor %s not in the table", entity, iso3)
		}
		if re == "" {
			return nil, fmt.Errorf("entity %s: no regex", entity)
		}
		out = append(out, nameRegex{ISO3: iso3, Entity: entity, Regex: re})
	}
	return out, nil
}

// buildStates resolves every row of the GW and COW state lists to an ISO3:
// by an override, else by the panel's ISO3 for that code during the row's
// years, else by the code list, else by the successor of the code list's
// entity. Rows that resolve to nothing are left out.
func buildStates(codelist, panel, gw, cow []map[string]string, known map[string]bool, logw io.Writer) ([]state, error) {
	var rows []state
	for _, r := range gw {
		code, err := strconv.Atoi(r["gwcode"])
		if err != nil {
			return nil, fmt.Errorf("gw_states: %w", err)
		}
		rows = append(rows, state{System: "GW", Code: code, Start: r["startdate"], End: r["enddate"], Name: r["statename"]})
	}
	for _, r := range cow {
		code, err := strconv.Atoi(r["ccode"])
		if err != nil {
			return nil, fmt.Errorf("cow_states: %w", err)
		}
		start, err := ymd(r["styear"], r["stmonth"], r["stday"])
		if err != nil {
			return nil, fmt.Errorf("cow_states %d: %w", code, err)
		}
		end, err := ymd(r["endyear"], r["endmonth"], r["endday"])
		if err != nil {
			return nil, fmt.Errorf("cow_states %d: %w", code, err)
		}
		rows = append(rows, state{System: "COW", Code: code, Start: start, End: end, Name: r["statenme"]})
	}

	col := map[string]string{"GW": "gwn", "COW": "cown"}
	byCode := map[stateKey][]map[string]string{} // panel rows by code
	for _, p := range panel {
		for system, c := range col {
			if code, err := strconv.Atoi(p[c]); err == nil {
				k := stateKey{system, code}
				byCode[k] = append(byCode[k], p)
			}
		}
	}
	var out []state
	for _, s := range rows {
		k := stateKey{s.System, s.Code}
		iso3 := stateOverrides[k]
		how := "override"
		if iso3 == "" {
			how = "panel"
			from, _ := strconv.Atoi(s.Start[:4])
			to, _ := strconv.Atoi(s.End[:4])
			set := map[string]bool{}
			for _, p := range byCode[k] {
				y, _ := strconv.Atoi(p["year"])
				if p["iso3c"] != "" && y >= from && y <= to {
					set[p["iso3c"]] = true
				}
			}
			if len(set) > 1 {
				return nil, fmt.Errorf("%s %d: panel gives several ISO3 codes %v; add an override", s.System, s.Code, set)
			}
			for c := range set {
				iso3 = c
			}
		}
		if iso3 == "" {
			how = "code list"
			for _, c := range codelist {
				if c[col[s.System]] == strconv.Itoa(s.Code) {
					iso3 = c["iso3c"]
					if iso3 == "" {
						iso3 = successors[c["country.name.en"]]
						how = "successor of " + c["country.name.en"]
					}
				}
			}
		}
		if iso3 == "" {
			fmt.Fprintf(logw, "state left unknown: %s %d %s %s..%s\n", s.System, s.Code, s.Name, s.Start, s.End)
			continue
		}
		if !known[iso3] {
			return nil, fmt.Errorf("%s %d: %s (%s) not in the table", s.System, s.Code, iso3, how)
		}
		s.ISO3 = iso3
		if s.End == listEnd[s.System] || openEnded[k] {
			s.End = ""
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b state) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Start, b.Start))
	})
	// A code must not mean two countries at once.
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if a.System == b.System && a.Code == b.Code && a.ISO3 != b.ISO3 && (a.End == "" || a.End >= b.Start) {
			return nil, fmt.Errorf("%s %d: overlapping rows map to %s and %s", a.System, a.Code, a.ISO3, b.ISO3)
		}
	}
	return out, nil
}

// checkPanel verifies that every GW and COW code the panel gives an ISO3
// for resolves to that ISO3 in the state table.
func checkPanel(panel []map[string]string, states []state) error {
	iso := map[stateKey]map[string]bool{}
	for _, s := range states {
		k := stateKey{s.System, s.Code}
		if iso[k] == nil {
			iso[k] = map[string]bool{}
		}
		iso[k][s.ISO3] = true
	}
	var errs []error
	seen := map[string]bool{}
	for _, p := range panel {
		for system, c := range map[string]string{"GW": p["gwn"], "COW": p["cown"]} {
			if c == "" || p["iso3c"] == "" {
				continue
			}
			code, err := strconv.Atoi(c)
			if err != nil {
				return fmt.Errorf("panel %s %s: %w", system, c, err)
			}
			got := iso[stateKey{system, code}]
			if got == nil || !got[p["iso3c"]] || len(got) != 1 {
				msg := fmt.Sprintf("panel %s %s %d -> %s, state table has %v", p["country.name.en"], system, code, p["iso3c"], got)
				if !seen[msg] {
					seen[msg] = true
					errs = append(errs, errors.New(msg))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// checkAliases verifies that every alias points into the table and does not
// shadow a code the concordance already assigns.
func checkAliases(countries []country, known map[string]bool) error {
	fips := map[string]bool{}
	ison := map[string]bool{}
	for _, c := range countries {
		fips[c.FIPS] = true
		ison[c.ISON] = true
	}
	for _, a := range aliases {
		if !known[a.ISO3] {
			return fmt.Errorf("alias %s %s: %s not in the table", a.Scheme, a.Code, a.ISO3)
		}
		switch a.Scheme {
		case "FIPS":
			if fips[a.Code] {
				return fmt.Errorf("alias FIPS %s shadows a concordance code", a.Code)
			}
		case "ISON":
			if ison[a.Code] {
				return fmt.Errorf("alias ISON %s shadows a concordance code", a.Code)
			}
		case "NAME":
		default:
			return fmt.Errorf("alias %s: unknown scheme %s", a.Code, a.Scheme)
		}
	}
	return nil
}

func ymd(y, m, d string) (string, error) {
	yi, err1 := strconv.Atoi(y)
	mi, err2 := strconv.Atoi(m)
	di, err3 := strconv.Atoi(d)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d-%02d-%02d", yi, mi, di), nil
}

// readCSV reads a headed CSV file into one map per row.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("read %s: empty", path)
	}
	head := recs[0]
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, m)
	}
	return out, nil
}

func writeCSV(path string, head []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.Write(head); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
