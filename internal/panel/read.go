package panel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
)

// MaxFileSize bounds what Read accepts: the largest published panel is
// under 2 MB.
const MaxFileSize = 256 << 20

// Year bounds: the earliest panels start in 1816 (population), forecasts
// run a few years ahead.
const (
	minYear = 1800
	maxYear = 2100
)

// Read reads one panel file, detecting its format from its header. name
// is the file's base name, for messages and the file record. Rejected rows
// are in the File; the error is for a file that cannot be read at all
// (unknown format, no header, too large).
func Read(ctx context.Context, r io.Reader, name string, codes *geo.Table) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, MaxFileSize>>20)
	}
	sum := sha256.Sum256(data)
	cr := newCSV(data)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	header = append([]string(nil), header...)
	cols := newColumns(header)
	format, ok := Detect(header)
	if !ok {
		return nil, fmt.Errorf("%s: not a country-year panel this importer knows (header %s); known formats: %s",
			name, abbreviate(header), strings.Join(FormatNames(), ", "))
	}
	f := &File{Name: name, SHA256: hex.EncodeToString(sum[:]), Format: format.Name, Header: header}
	d := format.newDecoder(f, cols, &resolver{codes: codes, cache: map[resolveKey]resolved{}})
	broken := 0 // rows that could not be split into the header's fields
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			f.Rows++
			f.reject(Reject{Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()})
			broken++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0) // rec has a field: csv never returns an empty record
		if isBlank(rec) {
			continue
		}
		f.Rows++
		if len(rec) != len(header) {
			f.reject(Reject{Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header)), Raw: clone(rec)})
			broken++
			continue
		}
		if rj := d.row(line, rec); rj != nil {
			rj.Line = line
			rj.Raw = clone(rec)
			f.reject(*rj)
		}
	}
	if err := d.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if format.aggregate && (broken > 0 || d.refused()) {
		rj := f.Rejects[0]
		for _, r := range f.Rejects {
			if !r.Partial {
				rj = r
				break
			}
		}
		f.Refused = fmt.Errorf("%w: %d bad rows, the first %v; its country-year aggregates would be incomplete",
			ErrRefused, len(f.Rejects), &RowError{File: name, Reject: rj})
	}
	for _, v := range f.Values {
		if f.FirstYear == 0 || v.Year < f.FirstYear {
			f.FirstYear = v.Year
		}
		if v.Year > f.LastYear {
			f.LastYear = v.Year
		}
	}
	return f, nil
}

// ErrRefused marks a file that is not stored at all (see File.Refused).
var ErrRefused = errors.New("file refused")

func (f *File) reject(r Reject) { f.Rejects = append(f.Rejects, r) }

// newCSV reads comma-separated text, or semicolon-separated when the
// first line has semicolons and no commas (a spreadsheet's re-save).
func newCSV(data []byte) *csv.Reader {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if bytes.Count(first, []byte(";")) > 0 && !bytes.Contains(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

func isBlank(rec []string) bool {
	return len(rec) == 1 && strings.TrimSpace(rec[0]) == ""
}

func clone(rec []string) []string { return append([]string(nil), rec...) }

func abbreviate(header []string) string {
	s := strings.Join(header, ",")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strconv.Quote(s)
}

// columns maps normalised column names to their index.
type columns map[string]int

// newColumns indexes a header: names trimmed and lower-cased, a UTF-8
// byte order mark dropped.
func newColumns(header []string) columns {
	c := make(columns, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := c[h]; !dup {
			c[h] = i
		}
	}
	return c
}

func (c columns) has(names ...string) bool {
	for _, n := range names {
		if _, ok := c[n]; !ok {
			return false
		}
	}
	return true
}

// isNA reports whether a field means "no value", as R and spreadsheets
// write it.
func isNA(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "NA", "NaN", "N/A", "..":
		return true
	}
	return false
}

// parseNumber reads a finite number; TRUE and FALSE (R's logicals) are 1
// and 0.
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "TRUE", "True", "true":
		return 1, nil
	case "FALSE", "False", "false":
		return 0, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if x != x || x > 1e300 || x < -1e300 {
		return 0, errors.New("not a finite number")
	}
	return x, nil
}

// parseYear reads a year in [minYear, maxYear].
func parseYear(s string) (int, error) {
	y, err := parseInt(s)
	if err != nil {
		return 0, err
	}
	if y < minYear || y > maxYear {
		return 0, fmt.Errorf("year out of range %d..%d", minYear, maxYear)
	}
	return y, nil
}

// parseInt reads an integer, also written as a float with no fraction
// ("490.0").
func parseInt(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != float64(int(x)) || x > 1e9 || x < -1e9 {
		return 0, errors.New("not an integer")
	}
	return int(x), nil
}

// parseCodes reads a list of state numbers as UCDP writes them: "490, 516".
func parseCodes(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		n, err := parseInt(p)
		if err != nil || n <= 0 || n > 999 {
			return nil, fmt.Errorf("not a list of state numbers")
		}
		out = append(out, n)
	}
	return out, nil
}

// resolver turns state numbers into ISO alpha-3 codes, once per number and
// year.
type resolver struct {
	codes *geo.Table
	cache map[resolveKey]resolved
}

type resolveKey struct {
	scheme  Scheme
	code    int
	year    int
	lenient bool
}

type resolved struct {
	iso3 string
	err  error
}

// resolve finds the country a state number meant in a year: the state in
// the list on 1 July, else on 31 December, else on 1 January (a state that
// began or ended during the year).
//
// Two fallbacks, documented in the package doc: a GW number the code table
// does not know is read as the COW number of the same state (Gleditsch's
// microstates, such as 54 Dominica or 221 Monaco, carry their COW numbers),
// and, when lenient, a number whose state was not in the list that year
// resolves to its state's latest meaning (WDI and EWP rows for territories
// before independence, such as COW 702 Tajikistan in 1960).
func (r *resolver) resolve(scheme Scheme, code, year int, lenient bool) (string, error) {
	k := resolveKey{scheme, code, year, lenient}
	if c, ok := r.cache[k]; ok {
		return c.iso3, c.err
	}
	from := r.codes.FromCOW
	if scheme == GW {
		from = r.codes.FromGW
	}
	iso3, err := onAnyDay(from, code, year)
	if scheme == GW && err != nil && !errors.Is(err, geo.ErrNoStateOnDate) {
		if alt, cerr := onAnyDay(r.codes.FromCOW, code, year); cerr == nil {
			iso3, err = alt, nil
		}
	}
	if lenient && errors.Is(err, geo.ErrNoStateOnDate) {
		if alt, lerr := from(code, time.Time{}); lerr == nil {
			iso3, err = alt, nil
		}
	}
	r.cache[k] = resolved{iso3, err}
	return iso3, err
}

func onAnyDay(from func(int, time.Time) (string, error), code, year int) (string, error) {
	var (
		iso3 string
		err  error
	)
	for _, d := range []time.Time{
		time.Date(year, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if iso3, err = from(code, d); err == nil {
			return iso3, nil
		}
	}
	return "", err
}
