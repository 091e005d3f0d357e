package synth

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
)

// gdeltWriter writes GDELT 2.0 export rows.
type gdeltWriter struct {
	t          *tables
	r          *rand.Rand
	from       time.Time
	days       int
	places     *alias
	coop, conf *alias // CAMEO codes of quad classes 1-2 and 3-4
	coopCodes  []cameoCode
	confCodes  []cameoCode
	pConflict  float64
	names      map[string]string // ISO3 -> upper-case country name, as GDELT writes actors
	bursts     burstSizer
	buf        []byte
}

func newGDELTWriter(t *tables, r *rand.Rand, from, to time.Time) *gdeltWriter {
	w := &gdeltWriter{t: t, r: r, from: from, days: int(to.Sub(from).Hours()/24) + 1,
		names: map[string]string{}, bursts: newBurstSizer(r)}
	pw := make([]float64, len(t.gdeltPlaces))
	g, _ := geo.Load() // the embedded table; a failure leaves bare codes
	for i, p := range t.gdeltPlaces {
		pw[i] = p.weight
		name := p.iso3
		if g != nil {
			if c, ok := g.Lookup(p.iso3); ok {
				name = c.Name
			}
		}
		w.names[p.iso3] = strings.ToUpper(name)
	}
	w.places = newAlias(pw)
	var cw, fw []float64
	var sum, conflict float64
	for _, c := range t.cameo {
		sum += c.weight
		if quadClass(c.code) >= 3 {
			conflict += c.weight
			w.confCodes, fw = append(w.confCodes, c), append(fw, c.weight)
		} else {
			w.coopCodes, cw = append(w.coopCodes, c), append(cw, c.weight)
		}
	}
	w.coop, w.conf = newAlias(cw), newAlias(fw)
	w.pConflict = conflict / sum
	return w
}

// quadClass is CAMEO's quad class of a code's root.
func quadClass(code string) int {
	root := int(code[0]-'0')*10 + int(code[1]-'0')
	switch {
	case root <= 5:
		return 1
	case root <= 9:
		return 2
	case root <= 14:
		return 3
	}
	return 4
}

// actorTypes are CAMEO actor type codes an actor is given, with weights.
var actorTypes = []string{"GOV", "MIL", "POL", "CVL", "BUS", "MED", "JUD", "COP", "OPP", "REB"}

func (w *gdeltWriter) write(ctx context.Context, out *bufio.Writer, n int64) error {
	var i int64
	for i < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := w.bursts.draw(n - i)
		p := &w.t.gdeltPlaces[w.places.draw(w.r)]
		start := int(i * int64(w.days) / max(n, 1))
		conflict := w.r.Float64() < w.pConflict
		for range size {
			i++
			day := min(start+dayOffset(w.r), w.days-1)
			var c *cameoCode
			if conflict {
				c = &w.confCodes[w.conf.draw(w.r)]
			} else {
				c = &w.coopCodes[w.coop.draw(w.r)]
			}
			w.buf = w.row(w.buf[:0], gdeltIDBase+i, w.from.AddDate(0, 0, day), p, c)
			if _, err := out.Write(w.buf); err != nil {
				return fmt.Errorf("synth: write: %w", err)
			}
		}
	}
	return nil
}

// row appends one 61-column row.
func (w *gdeltWriter) row(b []byte, id int64, day time.Time, p *gdeltPlace, c *cameoCode) []byte {
	r := w.r
	tab := func() { b = append(b, '\t') }
	b = strconv.AppendInt(b, id, 10)
	tab()
	b = day.AppendFormat(b, "20060102")
	tab()
	b = day.AppendFormat(b, "200601")
	tab()
	b = strconv.AppendInt(b, int64(day.Year()), 10)
	tab()
	b = strconv.AppendFloat(b, float64(day.Year())+float64(day.YearDay())/365, 'f', 4, 64)
	// Actors: present with GDELT's usual odds, of the place's country.
	a1 := r.Float64() < 0.9
	a2 := r.Float64() < 0.7
	for _, present := range []bool{a1, a2} {
		tab()
		if !present {
			b = append(b, "\t\t\t\t\t\t\t\t\t"...)
			continue
		}
		typ := actorTypes[r.IntN(len(actorTypes))]
		b = append(b, p.iso3...)
		b = append(b, typ...)
		tab()
		b = append(b, w.names[p.iso3]...)
		tab()
		b = append(b, p.iso3...)
		b = append(b, "\t\t\t\t\t"...)
		b = append(b, typ...)
		b = append(b, "\t\t"...)
	}
	tab()
	b = strconv.AppendInt(b, int64(r.IntN(2)), 10) // IsRootEvent
	tab()
	b = append(b, c.code...)
	tab()
	b = append(b, c.code[:min(3, len(c.code))]...)
	tab()
	b = append(b, c.code[:2]...)
	tab()
	b = strconv.AppendInt(b, int64(quadClass(c.code)), 10)
	tab()
	b = strconv.AppendFloat(b, c.goldstein, 'f', 1, 64)
	mentions := 1 + int64(r.ExpFloat64()*4)
	sources := 1 + r.Int64N(mentions)
	tab()
	b = strconv.AppendInt(b, mentions, 10)
	tab()
	b = strconv.AppendInt(b, sources, 10)
	tab()
	b = strconv.AppendInt(b, mentions, 10)
	tab()
	tone := math.Max(-30, math.Min(30, c.goldstein*0.4-1.5+r.NormFloat64()*2.5))
	b = strconv.AppendFloat(b, tone, 'f', 6, 64)
	// Actor1Geo, Actor2Geo, ActionGeo.
	for _, present := range []bool{a1, a2, true} {
		tab()
		if !present {
			b = append(b, "0\t\t\t\t\t\t\t"...)
			continue
		}
		b = append(b, p.typ...)
		tab()
		b = append(b, p.fullName...)
		tab()
		b = append(b, p.fips...)
		tab()
		b = append(b, p.adm1Code...)
		tab() // ADM2Code: not in the tables
		tab()
		b = append(b, p.lat...)
		tab()
		b = append(b, p.lon...)
		tab()
		b = append(b, p.featureID...)
	}
	// DATEADDED: the same day mostly, else up to three days later, in a
	// 15-minute slot.
	added := day.AddDate(0, 0, max(0, r.IntN(8)-4)).Add(time.Duration(r.IntN(96)) * 15 * time.Minute)
	tab()
	b = added.AppendFormat(b, "20060102150405")
	tab()
	b = append(b, "https://synthetic.invalid/gdelt/"...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '\n')
}
