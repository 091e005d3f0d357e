package panel

import (
	"fmt"
	"sort"
	"strings"
)

// ACDVariables are the country-year variables read from the UCDP/PRIO
// Armed Conflict Dataset. A conflict counts in every country of its
// gwno_loc (the territory it is fought on); conflicts_party counts it in
// the countries of its primary parties (gwno_a, gwno_b) instead. Every
// country-year with a located conflict or a primary party has all of
// them, zeros included.
var ACDVariables = []Variable{
	{Name: "conflicts", Role: Outcome, Description: "state-based armed conflicts (25+ battle-related deaths in the year) on the country's territory"},
	{Name: "conflicts_extrasystemic", Description: "of which extrasystemic (type_of_conflict 1)"},
	{Name: "conflicts_interstate", Description: "of which interstate (type 2)"},
	{Name: "conflicts_intrastate", Description: "of which intrastate, internationalised or not (types 3 and 4)"},
	{Name: "conflicts_internationalized", Description: "of which internationalised intrastate (type 4)"},
	{Name: "conflicts_government", Description: "of which over government (incompatibility 2 or 3)"},
	{Name: "conflicts_territory", Description: "of which over territory (incompatibility 1 or 3)"},
	{Name: "wars", Description: "of which at war intensity (1,000+ battle-related deaths in the year, intensity_level 2)"},
	{Name: "max_intensity", Description: "highest intensity_level of them: 0 none, 1 minor (25-999), 2 war"},
	{Name: "conflicts_party", Description: "conflicts, anywhere, with the country's government as a primary party (gwno_a or gwno_b)"},
}

// BRDVariables are the country-year variables read from UCDP Battle-Related
// Deaths: sums over dyad-years by country of battle location
// (gwno_battle). A dyad-year fought in several countries cannot be split
// between them, so its deaths go, whole, to each of them in the *_multi
// variables and not at all into bd_best, bd_low and bd_high, which therefore
// add up across countries.
var BRDVariables = []Variable{
	{Name: "bd_best", Description: "battle-related deaths (best estimate) of dyad-years fought in this country alone"},
	{Name: "bd_low", Description: "low estimate, as bd_best"},
	{Name: "bd_high", Description: "high estimate, as bd_best"},
	{Name: "bd_best_multi", Description: "best estimate of dyad-years fought in this and other countries, whole"},
	{Name: "bd_low_multi", Description: "low estimate, as bd_best_multi"},
	{Name: "bd_high_multi", Description: "high estimate, as bd_best_multi"},
	{Name: "dyads", Description: "dyad-years with battles in the country"},
}

func acdFormat() Format {
	return Format{
		Name:        "ucdp-acd",
		Description: "UCDP/PRIO Armed Conflict Dataset (conflict-year), aggregated per country-year of location",
		aggregate:   true,
		match: func(c columns) bool {
			return c.has("conflict_id", "year", "gwno_loc", "intensity_level", "type_of_conflict", "incompatibility", "gwno_a", "gwno_b", "version") &&
				!c.has("dyad_id")
		},
		newDecoder: func(f *File, c columns, r *resolver) decoder {
			return &ucdpDecoder{f: f, c: c, r: r, kind: "acd", vars: ACDVariables, cells: map[cell]*agg{}, seen: map[string]int{}}
		},
	}
}

func brdFormat() Format {
	return Format{
		Name:        "ucdp-brd",
		Description: "UCDP Battle-Related Deaths (dyad-year), summed per country-year of battle location",
		aggregate:   true,
		match: func(c columns) bool {
			return c.has("conflict_id", "dyad_id", "year", "bd_best", "bd_low", "bd_high", "gwno_battle", "version")
		},
		newDecoder: func(f *File, c columns, r *resolver) decoder {
			return &ucdpDecoder{f: f, c: c, r: r, kind: "brd", vars: BRDVariables, cells: map[cell]*agg{}, seen: map[string]int{}}
		},
	}
}

// cell is one country-year of an aggregate.
type cell struct {
	code, year int
}

type agg struct {
	iso3 string
	line int // first contributing row
	sums map[string]float64
}

// ucdpDecoder aggregates ACD conflict-years or BRD dyad-years per
// Gleditsch-Ward country-year.
type ucdpDecoder struct {
	f       *File
	c       columns
	r       *resolver
	kind    string // "acd" or "brd"
	vars    []Variable
	version string
	cells   map[cell]*agg
	seen    map[string]int // conflict (ACD) or dyad (BRD) and year -> line
	// refuse is set by a structurally bad row: one whose effect on the
	// aggregates is unknown.
	refuse bool
}

// field returns a column's value and its name as the header spells it.
func (d *ucdpDecoder) field(rec []string, name string) (string, string) {
	i := d.c[name]
	return rec[i], d.f.Header[i]
}

func (d *ucdpDecoder) int(rec []string, name string, lo, hi int) (int, *Reject) {
	s, col := d.field(rec, name)
	n, err := parseInt(s)
	if err != nil {
		d.refuse = true
		return 0, &Reject{Column: col, Value: s, Reason: err.Error()}
	}
	if n < lo || n > hi {
		d.refuse = true
		return 0, &Reject{Column: col, Value: s, Reason: fmt.Sprintf("out of range %d..%d", lo, hi)}
	}
	return n, nil
}

// countries resolves a list column of GW numbers for the year. A state
// the code table has no country for (Hyderabad, GW 751, in 1948) is left
// out, and noted as a partial reject; a row left with no country is
// rejected, but only a structurally bad row (refuse) refuses the file.
func (d *ucdpDecoder) countries(line int, rec []string, name string, year int, required bool) ([]cell, []string, *Reject) {
	s, col := d.field(rec, name)
	codes, err := parseCodes(s)
	if err != nil {
		d.refuse = true
		return nil, nil, &Reject{Column: col, Value: s, Reason: err.Error()}
	}
	if required && len(codes) == 0 {
		d.refuse = true
		return nil, nil, &Reject{Column: col, Value: s, Reason: "no country"}
	}
	var (
		cells   []cell
		isos    []string
		unknown []string
	)
	for _, code := range codes {
		iso3, err := d.r.resolve(GW, code, year, true)
		if err != nil {
			unknown = append(unknown, fmt.Sprintf("GW state number %d in %d: %v", code, year, err))
			continue
		}
		cells = append(cells, cell{code, year})
		isos = append(isos, iso3)
	}
	if len(unknown) == 0 {
		return cells, isos, nil
	}
	reason := strings.Join(unknown, "; ")
	if len(cells) == 0 && required {
		return nil, nil, &Reject{Column: col, Value: s, Reason: reason}
	}
	d.f.reject(Reject{Line: line, Column: col, Value: s, Partial: true, Raw: clone(rec),
		Reason: reason + "; the row counts for the other countries only"})
	return cells, isos, nil
}

func (d *ucdpDecoder) row(line int, rec []string) *Reject {
	v, col := d.field(rec, "version")
	v = strings.TrimSpace(v)
	switch {
	case v == "" || strings.ContainsAny(v, " /\\"):
		d.refuse = true
		return &Reject{Column: col, Value: v, Reason: "no release version"}
	case d.version == "":
		d.version = v
	case v != d.version:
		d.refuse = true
		return &Reject{Column: col, Value: v, Reason: fmt.Sprintf("release differs from the file's first row (%s)", d.version)}
	}
	year, rj := d.int(rec, "year", minYear, maxYear)
	if rj != nil {
		return rj
	}
	id, rj := d.int(rec, "conflict_id", 1, 1<<31-1)
	if rj != nil {
		return rj
	}
	key := fmt.Sprintf("conflict %d", id)
	if d.kind == "brd" {
		dyad, rj := d.int(rec, "dyad_id", 1, 1<<31-1)
		if rj != nil {
			return rj
		}
		key = fmt.Sprintf("dyad %d", dyad)
	}
	key += fmt.Sprintf(" in %d", year)
	if prev, dup := d.seen[key]; dup {
		d.refuse = true
		return &Reject{Reason: fmt.Sprintf("%s repeated (first on line %d)", key, prev)}
	}
	if d.kind == "acd" {
		rj = d.acd(line, rec, year)
	} else {
		rj = d.brd(line, rec, year)
	}
	if rj == nil {
		d.seen[key] = line
	}
	return rj
}

func (d *ucdpDecoder) acd(line int, rec []string, year int) *Reject {
	intensity, rj := d.int(rec, "intensity_level", 1, 2)
	if rj != nil {
		return rj
	}
	typ, rj := d.int(rec, "type_of_conflict", 1, 4)
	if rj != nil {
		return rj
	}
	inc, rj := d.int(rec, "incompatibility", 1, 3)
	if rj != nil {
		return rj
	}
	loc, locISO, rj := d.countries(line, rec, "gwno_loc", year, true)
	if rj != nil {
		return rj
	}
	var party []cell
	var partyISO []string
	for _, col := range []string{"gwno_a", "gwno_b"} {
		c, iso, rj := d.countries(line, rec, col, year, false)
		if rj != nil {
			return rj
		}
		party, partyISO = append(party, c...), append(partyISO, iso...)
	}
	// Only now, with the whole row valid, add it.
	done := map[cell]bool{}
	for i, c := range loc {
		if done[c] { // a country listed twice
			continue
		}
		done[c] = true
		a := d.cell(c, locISO[i], line)
		a.sums["conflicts"]++
		switch typ {
		case 1:
			a.sums["conflicts_extrasystemic"]++
		case 2:
			a.sums["conflicts_interstate"]++
		case 3:
			a.sums["conflicts_intrastate"]++
		case 4:
			a.sums["conflicts_intrastate"]++
			a.sums["conflicts_internationalized"]++
		}
		if inc != 1 {
			a.sums["conflicts_government"]++
		}
		if inc != 2 {
			a.sums["conflicts_territory"]++
		}
		if intensity == 2 {
			a.sums["wars"]++
		}
		a.sums["max_intensity"] = max(a.sums["max_intensity"], float64(intensity))
	}
	done = map[cell]bool{}
	for i, c := range party {
		if !done[c] {
			done[c] = true
			d.cell(c, partyISO[i], line).sums["conflicts_party"]++
		}
	}
	return nil
}

func (d *ucdpDecoder) brd(line int, rec []string, year int) *Reject {
	var est [3]int
	for i, col := range []string{"bd_best", "bd_low", "bd_high"} {
		n, rj := d.int(rec, col, 0, 1<<31-1)
		if rj != nil {
			return rj
		}
		est[i] = n
	}
	// UCDP's best estimate is sometimes outside [low, high] by a few
	// deaths (5 dyad-years in v25.1): kept as published.
	loc, iso, rj := d.countries(line, rec, "gwno_battle", year, true)
	if rj != nil {
		return rj
	}
	suffix := ""
	if len(loc) > 1 {
		suffix = "_multi"
	}
	done := map[cell]bool{}
	for i, c := range loc {
		if done[c] {
			continue
		}
		done[c] = true
		a := d.cell(c, iso[i], line)
		a.sums["bd_best"+suffix] += float64(est[0])
		a.sums["bd_low"+suffix] += float64(est[1])
		a.sums["bd_high"+suffix] += float64(est[2])
		a.sums["dyads"]++
	}
	return nil
}

func (d *ucdpDecoder) refused() bool { return d.refuse }

func (d *ucdpDecoder) cell(c cell, iso3 string, line int) *agg {
	a := d.cells[c]
	if a == nil {
		a = &agg{iso3: iso3, line: line, sums: map[string]float64{}}
		d.cells[c] = a
	}
	return a
}

func (d *ucdpDecoder) finish() error {
	if d.version == "" {
		d.version = "unknown"
	}
	d.f.Dataset, d.f.Scheme = "ucdp-"+d.kind+"-"+d.version, GW
	for _, v := range d.vars {
		v.Dataset = d.f.Dataset
		if v.Role == "" {
			v.Role = Input
		}
		d.f.Variables = append(d.f.Variables, v)
	}
	keys := make([]cell, 0, len(d.cells))
	for c := range d.cells {
		keys = append(keys, c)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].code != keys[j].code {
			return keys[i].code < keys[j].code
		}
		return keys[i].year < keys[j].year
	})
	for _, c := range keys {
		a := d.cells[c]
		for _, v := range d.vars {
			d.f.Values = append(d.f.Values, Value{Dataset: d.f.Dataset, Variable: v.Name, ISO3: a.iso3,
				Code: c.code, Year: c.year, Num: a.sums[v.Name], Line: a.line})
		}
	}
	return nil
}
