package panel

import (
	"fmt"
	"strings"
)

// Format is one published country-year layout.
type Format struct {
	Name        string
	Description string
	// aggregate marks conflict-year and dyad-year sources, aggregated per
	// country-year: a bad row refuses the file.
	aggregate  bool
	match      func(c columns) bool
	newDecoder func(f *File, c columns, r *resolver) decoder
}

// decoder turns a format's rows into values.
type decoder interface {
	// row reads one data row, whose field count matches the header; it
	// returns a Reject (without Line and Raw) for a bad row.
	row(line int, rec []string) *Reject
	// finish adds what needs the whole file (aggregates) to the File.
	finish() error
	// refused reports a bad row whose effect on the aggregates is
	// unknown, so that the file must not be stored.
	refused() bool
}

// Formats returns the known formats in detection order.
func Formats() []Format {
	return []Format{
		acdFormat(),
		brdFormat(),
		wideFormat(ewpBase),
		wideFormat(ewpPredictors),
		wideFormat(ewpFOOS),
		wideFormat(ptCoups),
		wideFormat(ewpCoups),
		wideFormat(population),
		wideFormat(gdp),
		wideFormat(infmort),
		wideFormat(ewpWDI),
	}
}

// FormatNames returns the names of the known formats.
func FormatNames() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, f.Name)
	}
	return out
}

// Detect returns the format whose header this is.
func Detect(header []string) (Format, bool) {
	c := newColumns(header)
	for _, f := range Formats() {
		if f.match(c) {
			return f, true
		}
	}
	return Format{}, false
}

// wide describes a layout with one row per country-year and one column
// per variable.
type wide struct {
	name, dataset, description string
	scheme                     Scheme
	code, year                 string   // columns of the state number and year
	iso3                       string   // column of an ISO alpha-3 code, used when code is NA
	ids                        []string // further identifying columns, not stored as values (names, ISO codes, R's row index "")
	require                    []string // columns that, with code and year, identify the layout
	roles                      map[string]Role
	text                       []string // columns of text values
	descriptions               map[string]string
}

func wideFormat(w wide) Format {
	return Format{
		Name:        w.name,
		Description: w.description,
		match: func(c columns) bool {
			return c.has(w.code, w.year) && c.has(w.require...)
		},
		newDecoder: func(f *File, c columns, r *resolver) decoder {
			return newWideDecoder(w, f, c, r)
		},
	}
}

type wideCol struct {
	index int
	v     Variable
}

type wideDecoder struct {
	w          wide
	f          *File
	r          *resolver
	code, year int
	iso3       int // -1 if none
	vars       []wideCol
	seen       map[[2]int]int // (state number, year) -> line of its row
	seenISO    map[string]int // "ISO3 year" -> line, for rows without a number
}

func newWideDecoder(w wide, f *File, c columns, r *resolver) *wideDecoder {
	d := &wideDecoder{w: w, f: f, r: r, code: c[w.code], year: c[w.year], iso3: -1,
		seen: map[[2]int]int{}, seenISO: map[string]int{}}
	if w.iso3 != "" {
		if i, ok := c[w.iso3]; ok {
			d.iso3 = i
		}
	}
	f.Dataset, f.Scheme = w.dataset, w.scheme
	skip := map[string]bool{w.code: true, w.year: true, w.iso3: true}
	for _, id := range w.ids {
		skip[id] = true
	}
	text := map[string]bool{}
	for _, t := range w.text {
		text[t] = true
	}
	for i, h := range f.Header {
		n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if skip[n] || c[n] != i { // identifiers, and repeated names after the first
			continue
		}
		role := w.roles[n]
		if role == "" {
			role = Input
		}
		v := Variable{Dataset: w.dataset, Name: n, Role: role, Text: text[n], Description: w.descriptions[n]}
		d.vars = append(d.vars, wideCol{i, v})
		f.Variables = append(f.Variables, v)
	}
	return d
}

func (d *wideDecoder) row(line int, rec []string) *Reject {
	year, err := parseYear(rec[d.year])
	if err != nil {
		return &Reject{Column: d.f.Header[d.year], Value: rec[d.year], Reason: err.Error()}
	}
	var (
		code int
		iso3 string
	)
	switch {
	case !isNA(rec[d.code]):
		if code, err = parseInt(rec[d.code]); err != nil || code <= 0 {
			return &Reject{Column: d.f.Header[d.code], Value: rec[d.code], Reason: "not a state number"}
		}
		if iso3, err = d.r.resolve(d.w.scheme, code, year, true); err != nil {
			return &Reject{Column: d.f.Header[d.code], Value: rec[d.code],
				Reason: fmt.Sprintf("%s state number in %d: %v", d.w.scheme, year, err)}
		}
		if prev, dup := d.seen[[2]int{code, year}]; dup {
			return &Reject{Column: d.f.Header[d.code], Value: rec[d.code],
				Reason: fmt.Sprintf("country-year %d %d repeated (first on line %d)", code, year, prev)}
		}
		d.seen[[2]int{code, year}] = line
	case d.iso3 >= 0:
		// No state number (territories, regional aggregates): the ISO
		// code, if it is a country the table knows.
		c, ok := d.r.codes.Lookup(strings.TrimSpace(rec[d.iso3]))
		if !ok {
			return &Reject{Column: d.f.Header[d.iso3], Value: rec[d.iso3],
				Reason: "no state number and not a country in the code table (a regional aggregate?)"}
		}
		iso3 = c.ISO3
		k := fmt.Sprintf("%s %d", iso3, year)
		if prev, dup := d.seenISO[k]; dup {
			return &Reject{Column: d.f.Header[d.iso3], Value: rec[d.iso3],
				Reason: fmt.Sprintf("country-year %s repeated (first on line %d)", k, prev)}
		}
		d.seenISO[k] = line
	default:
		return &Reject{Column: d.f.Header[d.code], Value: rec[d.code], Reason: "no state number"}
	}
	start := len(d.f.Values)
	for _, c := range d.vars {
		s := rec[c.index]
		v := Value{Dataset: d.w.dataset, Variable: c.v.Name, ISO3: iso3, Code: code, Year: year, Line: line}
		switch {
		case c.v.Text:
			v.Text = strings.TrimSpace(s)
			v.Missing = v.Text == "" || v.Text == "NA"
		case isNA(s):
			v.Missing = true
		default:
			x, err := parseNumber(s)
			if err != nil {
				d.f.Values = d.f.Values[:start] // the whole row or none of it
				return &Reject{Column: d.f.Header[c.index], Value: s, Reason: err.Error()}
			}
			v.Num = x
		}
		d.f.Values = append(d.f.Values, v)
	}
	return nil
}

func (d *wideDecoder) finish() error { return nil }

func (d *wideDecoder) refused() bool { return false }
