package election

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
)

// columns are the columns of a calendar CSV file. country, date, kind and
// source are required; round (default 1) and note may be left out of the
// header.
var columns = []string{"country", "date", "kind", "round", "source", "note"}

// maxErrors is how many problems ParseCSV reports before giving up.
const maxErrors = 50

// ParseError lists the problems ParseCSV found, each naming file, line and
// field: "calendar.csv:12: date: ...".
type ParseError struct {
	Problems []string
}

// Error lists the problems, one a line.
func (e *ParseError) Error() string { return strings.Join(e.Problems, "\n") }

// ParseCSV reads an election calendar: a CSV file with a header row naming
// the columns country (ISO 3166-1 alpha-3 code or English name, resolved
// with the geo table), date (YYYY-MM-DD), kind (presidential, legislative,
// general, referendum or local), round (1 when empty), source (a public URL
// or citation; required) and note. It reports every bad row at once (up to
// 50) as a *ParseError naming the file (name), line and field; unknown
// columns and repeated elections (same country, date, kind and round) are
// errors. Lines starting with '#' are comments.
func ParseCSV(name string, r io.Reader) ([]Election, error) {
	tab, err := geo.Load()
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	pe := &ParseError{}
	fail := func(line int, field, format string, args ...any) {
		if len(pe.Problems) < maxErrors {
			pe.Problems = append(pe.Problems, fmt.Sprintf("%s:%d: %s: %s", name, line, field, fmt.Sprintf(format, args...)))
		}
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want a header row %s", name, strings.Join(columns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	hline, _ := cr.FieldPos(0)
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(columns, h):
			fail(hline, "header", "unknown column %q (want %s)", h, strings.Join(columns, ", "))
		case hasIndex(col, h):
			fail(hline, "header", "repeated column %q", h)
		default:
			col[h] = i
		}
	}
	for _, need := range []string{"country", "date", "kind", "source"} {
		if _, ok := col[need]; !ok {
			fail(hline, "header", "missing column %q", need)
		}
	}
	if len(pe.Problems) > 0 {
		return nil, pe
	}
	get := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []Election
	seen := map[string]int{} // key → line
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				line = perr.Line
			}
			fail(line, "row", "%v", errors.Unwrap(err))
			if errors.As(err, &perr) && perr.Err != csv.ErrFieldCount {
				break // the reader cannot resynchronise after a quoting error
			}
			continue
		}
		if len(rec) > len(header) {
			fail(line, "row", "%d fields, the header has %d", len(rec), len(header))
			continue
		}
		e, ok := Election{Round: 1}, true
		if v := get(rec, "country"); v == "" {
			fail(line, "country", "missing")
			ok = false
		} else if e.Country, err = resolveCountry(tab, v); err != nil {
			fail(line, "country", "%v", err)
			ok = false
		}
		if v := get(rec, "date"); v == "" {
			fail(line, "date", "missing")
			ok = false
		} else if e.Date, err = time.Parse(time.DateOnly, v); err != nil {
			fail(line, "date", "%q is not a date YYYY-MM-DD", v)
			ok = false
		} else if e.Date.Year() < 1800 || e.Date.Year() > 2200 {
			fail(line, "date", "%q is out of range", v)
			ok = false
		}
		if e.Kind, err = ParseKind(strings.ToLower(get(rec, "kind"))); err != nil {
			fail(line, "kind", "%v", err)
			ok = false
		}
		if v := get(rec, "round"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 9 {
				fail(line, "round", "%q: want a whole number from 1 to 9", v)
				ok = false
			}
			e.Round = n
		}
		if e.Source, err = checkSource(get(rec, "source")); err != nil {
			fail(line, "source", "%v", err)
			ok = false
		}
		e.Note = get(rec, "note")
		if !ok {
			continue
		}
		key := fmt.Sprintf("%s %s %s %d", e.Country, e.Date.Format(time.DateOnly), e.Kind, e.Round)
		if first, dup := seen[key]; dup {
			fail(line, "row", "repeats the election on line %d (%s)", first, key)
			continue
		}
		seen[key] = line
		out = append(out, e)
	}
	if len(pe.Problems) > 0 {
		return nil, pe
	}
	return out, nil
}

func hasIndex(col map[string]int, h string) bool {
	_, ok := col[h]
	return ok
}

// resolveCountry accepts an ISO alpha-3 code or a name the geo table knows.
func resolveCountry(tab *geo.Table, v string) (string, error) {
	if len(v) == 3 {
		if c, ok := tab.Lookup(strings.ToUpper(v)); ok {
			return c.ISO3, nil
		}
	}
	iso, err := tab.FromName(v)
	if err != nil || len(iso) != 3 {
		return "", fmt.Errorf("unknown country %q: want an ISO 3166-1 alpha-3 code such as CIV, or an English name", v)
	}
	return iso, nil
}

// checkSource requires a citation: an http(s) URL with a host, or a
// written reference of at least a few words.
func checkSource(s string) (string, error) {
	switch {
	case s == "":
		return "", errors.New("missing: every election needs its public source (a URL or a citation)")
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%q is not a valid URL", s)
		}
	case len(strings.Fields(s)) < 3:
		return "", fmt.Errorf("%q: want a URL or a citation of at least three words", s)
	}
	return s, nil
}
