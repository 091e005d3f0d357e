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
)

// gedHeader is the 49-column layout of the yearly GED releases (23.1).
const gedHeader = "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id," +
	"conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id," +
	"side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,source_headline," +
	"source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt," +
	"priogrid_gid,country,country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b," +
	"deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob\n"

// gedWriter writes GED rows.
type gedWriter struct {
	t      *tables
	r      *rand.Rand
	years  *alias
	places map[string]*alias // by ISO3
	types  []*alias          // by country index
	deaths *alias
	sides  [][3][3]gedSides // by country index, type-1, group-1
	bursts burstSizer
	buf    []byte
}

func newGEDWriter(t *tables, r *rand.Rand) *gedWriter {
	w := &gedWriter{t: t, r: r, places: map[string]*alias{}, bursts: newBurstSizer(r)}
	yw := make([]float64, len(t.gedYears))
	for i, y := range t.gedYears {
		yw[i] = y.weight
	}
	w.years = newAlias(yw)
	for _, c := range t.gedCountries {
		ps := t.gedPlaces[c.iso3]
		pw := make([]float64, len(ps))
		for i, p := range ps {
			pw[i] = p.weight
		}
		w.places[c.iso3] = newAlias(pw)
		w.types = append(w.types, newAlias(c.types[:]))
	}
	w.sides = make([][3][3]gedSides, len(t.gedCountries))
	for ci := range t.gedCountries {
		for typ := 1; typ <= 3; typ++ {
			for group := 1; group <= 3; group++ {
				w.sides[ci][typ-1][group-1] = sidesOf(&t.gedCountries[ci], ci, typ, group)
			}
		}
	}
	w.deaths = newAlias(t.gedDeathsFreq)
	return w
}

// gedBurst is what the events of one burst share.
type gedBurst struct {
	c     *gedCountry
	ci    int
	place *gedPlace
	typ   int // 1, 2, 3
	group int // the synthetic armed group, 1..3
	start time.Time
	end   time.Time // the year's last day
	*gedSides
}

// gedSides names a conflict, its dyad and sides, and its id.
type gedSides struct {
	conflict, sideA, sideB string
	id                     int
	gov                    bool // side_a is the government
}

func (w *gedWriter) write(ctx context.Context, out *bufio.Writer, n int64) error {
	if _, err := out.WriteString(gedHeader); err != nil {
		return fmt.Errorf("synth: write: %w", err)
	}
	var i int64
	for i < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := w.bursts.draw(n - i)
		cy := w.t.gedYears[w.years.draw(w.r)]
		c := &w.t.gedCountries[cy.country]
		jan1 := time.Date(cy.year, 1, 1, 0, 0, 0, 0, time.UTC)
		b := gedBurst{
			c: c, ci: cy.country,
			place: &w.t.gedPlaces[c.iso3][w.places[c.iso3].draw(w.r)],
			typ:   1 + w.types[cy.country].draw(w.r),
			group: 1 + w.r.IntN(3),
			start: jan1.AddDate(0, 0, w.r.IntN(time.Date(cy.year, 12, 31, 0, 0, 0, 0, time.UTC).YearDay())),
			end:   time.Date(cy.year, 12, 31, 0, 0, 0, 0, time.UTC),
		}
		b.gedSides = &w.sides[b.ci][b.typ-1][b.group-1]
		for range size {
			i++
			w.buf = w.buf[:0]
			w.row(gedIDBase+i, &b)
			if _, err := out.Write(w.buf); err != nil {
				return fmt.Errorf("synth: write: %w", err)
			}
		}
	}
	return nil
}

// sidesOf names the conflict of a country, type of violence and synthetic
// group: all marked synthetic but the government.
func sidesOf(c *gedCountry, ci, typ, g int) gedSides {
	group := "Synthetic armed group " + strconv.Itoa(g) + " (" + c.iso3 + ")"
	govName := "Government of " + c.name
	id := 900_000 + ci*16 + typ*4 + g
	switch typ {
	case 1:
		return gedSides{c.name + ": Synthetic armed group " + strconv.Itoa(g), govName, group, id, true}
	case 2:
		other := "Synthetic armed group " + strconv.Itoa(g%3+1) + " (" + c.iso3 + ")"
		return gedSides{group + " - " + other, group, other, id, false}
	}
	if g == 1 {
		return gedSides{govName + " - Civilians", govName, "Civilians", id, true}
	}
	return gedSides{group + " - Civilians", group, "Civilians", id, false}
}

// row appends one 49-column row to w.buf.
func (w *gedWriter) row(id int64, b *gedBurst) {
	r := w.r
	start := b.start.AddDate(0, 0, dayOffset(r))
	if start.After(b.end) {
		start = b.end
	}
	end, datePrec := start, 1
	if r.Float64() < 0.1 { // a span of a few days, as GED gives for reports of "this week"
		end = start.AddDate(0, 0, 1+r.IntN(6))
		if end.After(b.end) {
			end = b.end
		}
		datePrec = 2 + r.IntN(2)
	}
	conflict, sideA, sideB, cid, gov := b.conflict, b.sideA, b.sideB, b.id, b.gov
	best := w.t.gedDeaths[w.deaths.draw(r)]
	var parts [4]int // deaths_a, deaths_b, deaths_civilians, deaths_unknown
	if b.typ == 3 {
		parts[2] = best
	} else {
		// Sides a and b take most deaths, civilians and unknown the rest.
		left := best
		for i, share := range [3]float64{0.2 + 0.4*r.Float64(), 0.5 + 0.4*r.Float64(), 0.5 * r.Float64()} {
			parts[i] = int(math.Round(float64(left) * share))
			left -= parts[i]
		}
		parts[3] = left
	}
	low := int(math.Floor(float64(best) * (0.6 + 0.4*r.Float64())))
	high := best + int(math.Floor(float64(best)*0.5*r.Float64()))

	comma, num, str := w.comma, w.num, w.str

	num(id)
	w.buf = append(w.buf, "synthetic-"...)
	w.buf = strconv.AppendInt(w.buf, id, 10)
	comma()
	num(int64(start.Year()))
	str("1")     // active_year
	str("Clear") // code_status
	num(int64(b.typ))
	num(int64(cid)) // conflict_dset_id
	num(int64(cid)) // conflict_new_id
	str(conflict)
	num(int64(cid)) // dyad_dset_id
	num(int64(cid)) // dyad_new_id
	str(conflict)   // dyad_name
	num(int64(cid*2 + 1))
	num(int64(cid*2 + 1))
	str(sideA)
	num(int64(cid*2 + 2))
	num(int64(cid*2 + 2))
	str(sideB)
	num(1 + int64(r.IntN(4))) // number_of_sources
	str("synthetic")          // source_article
	str("synthetic")          // source_office
	w.buf = start.AppendFormat(w.buf, time.DateOnly)
	comma()
	str("synthetic event")
	str("synthetic")
	str(b.place.prec)
	str(b.place.name)
	str(b.place.name)
	str(b.place.adm1)
	str("") // adm_2
	str(b.place.lat)
	str(b.place.lon)
	w.buf = append(w.buf, "POINT ("...)
	w.buf = append(w.buf, b.place.lon...)
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, b.place.lat...)
	w.buf = append(w.buf, ')', ',')
	num(int64(priogrid(b.place.latF, b.place.lonF)))
	str(b.c.name)
	num(int64(b.c.gw))
	str(b.c.region)
	str("1") // event_clarity
	num(int64(datePrec))
	w.buf = start.AppendFormat(w.buf, time.DateOnly)
	comma()
	w.buf = end.AppendFormat(w.buf, time.DateOnly)
	comma()
	for _, d := range parts {
		num(int64(d))
	}
	num(int64(best))
	num(int64(high))
	num(int64(low))
	if gov {
		w.buf = strconv.AppendInt(w.buf, int64(b.c.gw), 10)
	}
	comma() // gwnoa; gwnob empty
	w.buf = append(w.buf, '\n')
}

func (w *gedWriter) comma()       { w.buf = append(w.buf, ',') }
func (w *gedWriter) num(v int64)  { w.buf = strconv.AppendInt(w.buf, v, 10); w.comma() }
func (w *gedWriter) str(s string) { w.buf = appendCSV(w.buf, s); w.comma() }

// priogrid is the PRIO-GRID cell (0.5 degrees) of a point: rows from the
// south, 720 cells a row, numbered from 1.
func priogrid(lat, lon float64) int {
	row := int(math.Floor((lat+90)/0.5)) + 1
	col := int(math.Floor((lon+180)/0.5)) + 1
	return (row-1)*720 + min(col, 720)
}

// appendCSV appends s as a CSV field, quoted when it needs to be.
func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
