package agreement

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
)

// ParseError is one bad field of an input file: the file, the line the
// field starts on (1-based; a quoted cell may span lines), the column as
// the file's header names it, and what is wrong.
type ParseError struct {
	File   string
	Line   int
	Column string
	Value  string
	Reason string
}

func (e *ParseError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: column %s: %s %q", e.File, e.Line, e.Column, e.Reason, e.Value)
}

// ucdpRequired are the columns ParseUCDP cannot do without; the provision
// flags it reads when present.
var ucdpRequired = []string{"paid", "gwno", "conflict_id", "actor_name", "pa_name", "pa_date"}

// IsUCDP reports whether header (a CSV file's first record) is a UCDP
// Peace Agreement Dataset header.
func IsUCDP(header []string) bool {
	idx := columns(header)
	for _, c := range ucdpRequired {
		if _, ok := idx[c]; !ok {
			return false
		}
	}
	return true
}

// columns maps trimmed header names to their indexes: the v22.1 export
// has "ref " and "return " with a trailing space.
func columns(header []string) map[string]int {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := idx[h]; !dup && h != "" {
			idx[h] = i
		}
	}
	return idx
}

// ParseUCDP reads the UCDP Peace Agreement Dataset as CSV from r (name is
// the file name errors give) into agreements, one per row, with one
// provision per provision flag set (see the package doc). Countries are
// the gwno codes resolved through g on the signing day. Every bad field
// is reported, as *ParseError values joined (the first 20); with any, no
// agreement is returned.
func ParseUCDP(name string, r io.Reader, g *geo.Table) ([]Agreement, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ParseError{File: name, Line: 1, Reason: "empty file"}
	} else if err != nil {
		return nil, csvErr(name, err)
	}
	if !IsUCDP(header) {
		return nil, &ParseError{File: name, Line: 1, Reason: "not a UCDP Peace Agreement Dataset file: want the columns " +
			strings.Join(ucdpRequired, ", ")}
	}
	idx := columns(header)
	var (
		out  []Agreement
		errs []error
		seen = map[string]int{}
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvErr(name, err))
			break
		}
		line, _ := cr.FieldPos(0)
		row := ucdpRow{file: name, rec: rec, idx: idx, cr: cr}
		a := row.agreement(g)
		if len(row.errs) == 0 {
			if prev, dup := seen[a.SourceID]; dup {
				row.fail("paid", a.SourceID, fmt.Sprintf("duplicate agreement id (also on line %d)", prev))
			}
			seen[a.SourceID] = line
		}
		if len(row.errs) > 0 {
			errs = append(errs, row.errs...)
			if len(errs) >= 20 {
				errs = errs[:20]
				break
			}
			continue
		}
		out = append(out, a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line, Reason: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// ucdpRow reads one record, collecting every bad field.
type ucdpRow struct {
	file string
	rec  []string
	idx  map[string]int
	cr   *csv.Reader
	errs []error
}

// get is a column's trimmed value, "" when the column or cell is absent.
func (r *ucdpRow) get(col string) string {
	i, ok := r.idx[col]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r *ucdpRow) fail(col, value, reason string) {
	line, _ := r.cr.FieldPos(0)
	if i, ok := r.idx[col]; ok && i < len(r.rec) {
		line, _ = r.cr.FieldPos(i)
	}
	r.errs = append(r.errs, &ParseError{File: r.file, Line: line, Column: col, Value: value, Reason: reason})
}

// ints reads a comma-separated list of integers.
func (r *ucdpRow) ints(col string, required bool) []int64 {
	v := r.get(col)
	var out []int64
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			r.fail(col, v, "want comma-separated whole numbers")
			return nil
		}
		out = append(out, n)
	}
	if required && len(out) == 0 {
		r.fail(col, v, "missing")
	}
	return out
}

func (r *ucdpRow) agreement(g *geo.Table) Agreement {
	a := Agreement{Source: SourceUCDP, Kind: PeaceAgreement, Name: r.get("pa_name"), Conflict: r.get("conflict_name"),
		ThirdParties: r.get("pa_3rd"), URL: r.get("linktofulltextagreement")}
	if id := r.get("paid"); id == "" {
		r.fail("paid", id, "missing")
	} else if n, err := strconv.ParseInt(id, 10, 64); err != nil || n < 1 {
		r.fail("paid", id, "want a positive whole number")
	} else {
		a.SourceID = strconv.FormatInt(n, 10)
	}
	if a.Name == "" {
		r.fail("pa_name", "", "missing")
	}
	d := r.get("pa_date")
	signed, err := time.Parse(time.DateOnly, d)
	if err != nil {
		r.fail("pa_date", d, "want a date YYYY-MM-DD")
	}
	a.Signed = signed
	for _, p := range strings.Split(r.get("actor_name"), ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(a.Parties, p) {
			a.Parties = append(a.Parties, p)
		}
	}
	if len(a.Parties) == 0 {
		r.fail("actor_name", "", "missing")
	}
	for _, gw := range r.ints("gwno", true) {
		if err != nil {
			break // no date to resolve on
		}
		iso, gerr := g.FromGW(int(gw), signed)
		if gerr != nil {
			r.fail("gwno", r.get("gwno"), fmt.Sprintf("Gleditsch-Ward code %d on %s: %v", gw, d, gerr))
			continue
		}
		if !slices.Contains(a.Countries, iso) {
			a.Countries = append(a.Countries, iso)
		}
	}
	slices.Sort(a.Countries)
	a.ConflictIDs = r.ints("conflict_id", true)
	switch e := strings.ToLower(r.get("ended")); e {
	case "true", "1":
		a.Ended = true
	case "false", "0", "":
	default:
		r.fail("ended", e, "want True or False")
	}
	if du := r.get("duration"); du != "" {
		t, err := time.Parse(time.DateOnly, du)
		if err != nil {
			r.fail("duration", du, "want a date YYYY-MM-DD")
		}
		a.EndedOn = t
	}
	a.Provisions = r.provisions()
	return a
}

// provisions are the row's set flags as provisions; a summary flag only
// when no specific flag of its group is set.
func (r *ucdpRow) provisions() []Provision {
	set := map[string]bool{}
	groups := map[string]bool{}
	for _, c := range Categories() {
		v := r.get(c.Code)
		switch v {
		case "1":
			set[c.Code] = true
			if !c.Summary {
				groups[c.Group] = true
			}
		case "0", "":
		default:
			r.fail(c.Code, v, "want 0 or 1")
		}
	}
	var out []Provision
	for _, c := range Categories() {
		if !set[c.Code] || (c.Summary && groups[c.Group]) {
			continue
		}
		out = append(out, Provision{Category: c.Code, Text: c.Label, Status: NotStarted})
	}
	return out
}
