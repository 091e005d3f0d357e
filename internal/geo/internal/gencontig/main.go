// Command gencontig builds contiguity.csv, the land and sea neighbour table
// that package geo embeds, from the Correlates of War Direct Contiguity data
// v3.2 in the shared data directory (contiguity/cow_direct_contiguity_v3.2.csv,
// directed dyads with dates).
//
// Each COW state code is resolved to ISO 3166-1 alpha-3 with geo's own table
// (Table.FromCOW) on the dyad's start date, or failing that on its end date.
// Dyads with a side that resolves to no ISO code (states absorbed before ISO
// existed, Czechoslovakia, Austria-Hungary ...) are dropped and listed on
// standard error; so are dyads whose two sides resolve to the same country
// (East and West Germany) and dyads of type 0, which the packaged data uses
// for a few pairs without a documented meaning. Dates become years: a dyad
// is valid in every year from its start year to its end year inclusive, and
// an end of 2016-12-01 (the end of the data) is written as an empty "to",
// valid until further notice. Dyads that resolve to the same ISO pair and
// type are merged where their years overlap or touch.
//
// Run it through go generate in internal/geo:
//
//	go generate ./internal/geo
package main

import (
	"cmp"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"threshold/internal/geo"
)

// openEnd is the end date the COW data gives relationships that still held
// when the data ends.
const openEnd = "2016-12-01"

type dyad struct {
	a, b     string
	typ      int
	from, to int // years; to 0 means still valid at the end of the data
}

func main() {
	shared := flag.String("shared", "../../../shared/data", "shared data directory")
	out := flag.String("out", ".", "directory to write contiguity.csv into")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gencontig: ")
	if err := run(filepath.Join(*shared, "contiguity", "cow_direct_contiguity_v3.2.csv"), filepath.Join(*out, "contiguity.csv")); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string) error {
	table, err := geo.Load()
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(rows) < 2 || !slices.Equal(rows[0], []string{"ccode1", "ccode2", "conttype", "stdate", "enddate"}) {
		return fmt.Errorf("%s: unexpected header %q", in, rows[0])
	}
	var dyads []dyad
	unmapped := map[int]bool{}
	for i, r := range rows[1:] {
		line := i + 2
		c1, err1 := strconv.Atoi(r[0])
		c2, err2 := strconv.Atoi(r[1])
		typ, err3 := strconv.Atoi(r[2])
		st, err4 := time.Parse(time.DateOnly, r[3])
		en, err5 := time.Parse(time.DateOnly, r[4])
		if err := cmp.Or(err1, err2, err3, err4, err5); err != nil {
			return fmt.Errorf("%s:%d: %w", in, line, err)
		}
		if typ < 1 || typ > 5 {
			continue
		}
		a, okA := resolve(table, c1, st, en)
		b, okB := resolve(table, c2, st, en)
		if !okA {
			unmapped[c1] = true
		}
		if !okB {
			unmapped[c2] = true
		}
		if !okA || !okB || a == b {
			continue
		}
		d := dyad{a: a, b: b, typ: typ, from: st.Year(), to: en.Year()}
		if r[4] == openEnd {
			d.to = 0
		}
		dyads = append(dyads, d)
	}
	for _, c := range slices.Sorted(maps.Keys(unmapped)) {
		log.Printf("COW %d resolves to no ISO code: its dyads are dropped", c)
	}
	dyads = merge(dyads)

	var w csvWriter
	w.row("iso3_a", "iso3_b", "type", "from", "to")
	for _, d := range dyads {
		to := ""
		if d.to != 0 {
			to = strconv.Itoa(d.to)
		}
		w.row(d.a, d.b, strconv.Itoa(d.typ), strconv.Itoa(d.from), to)
	}
	return os.WriteFile(out, w.buf, 0o644)
}

func resolve(t *geo.Table, code int, st, en time.Time) (string, bool) {
	if iso, err := t.FromCOW(code, st); err == nil {
		return iso, true
	}
	if iso, err := t.FromCOW(code, en); err == nil {
		return iso, true
	}
	return "", false
}

// merge sorts dyads and joins those of the same pair and type whose years
// overlap or touch.
func merge(ds []dyad) []dyad {
	end := func(d dyad) int {
		if d.to == 0 {
			return 1 << 30
		}
		return d.to
	}
	slices.SortFunc(ds, func(x, y dyad) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b), cmp.Compare(x.typ, y.typ), cmp.Compare(x.from, y.from))
	})
	var out []dyad
	for _, d := range ds {
		if n := len(out); n > 0 {
			p := &out[n-1]
			if p.a == d.a && p.b == d.b && p.typ == d.typ && d.from <= end(*p)+1 {
				if end(d) > end(*p) {
					p.to = d.to
				}
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// csvWriter writes plain CSV rows; no field here needs quoting.
type csvWriter struct{ buf []byte }

func (w *csvWriter) row(fields ...string) {
	for i, f := range fields {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, f...)
	}
	w.buf = append(w.buf, '\n')
}
