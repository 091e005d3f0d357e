package indicator

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// streamBatch is how many values a stream hands to its sink at a time.
const streamBatch = 4096

// periodKey is a cell of one place: its kind (an index into Kinds) and
// start day.
type periodKey struct {
	kind  uint8
	start int32
}

// lagSums is what a country's week or month cell gives its neighbours'
// spatial lag (see cell.emitLag).
type lagSums struct {
	periodKey
	violent, best, protest, riot, gn int
	gsum                             float64
}

// feeder is a country whose week and month cells of one year add to a
// target's spatial lag.
type feeder struct {
	country string
	year    int
}

// stream computes the values Compute would from aggregates that arrive
// grouped by place: every aggregate of a country before the next
// country's, and within a country every aggregate of an admin-1 area
// before the next area's (in any order of countries, areas, days and
// categories). It holds the cells of one admin-1 area and of one country
// at a time, hands their values to the sink as each closes, and keeps of
// every country only the week and month sums its neighbours' spatial lag
// needs, whose values it hands over at the end. So its memory is bounded
// by the places and periods, whatever the number of events.
type stream struct {
	isTarget func(string) bool
	last     map[Place]time.Time
	nb       func(string, int) []string
	from, to time.Time
	sink     func([]Value) error
	buf      []Value
	n        int // values handed over

	country   string
	whole     map[periodKey]*cell // the current country's own cells
	area      Place               // the current admin-1 area, or the country's "" group
	cells     map[periodKey]*cell // the current admin-1 area's cells
	countries map[string]bool     // countries seen
	areas     map[string]bool     // admin-1 areas of the current country seen
	lag       map[string][]lagSums
}

func newStream(in Input, sink func([]Value) error) *stream {
	s := &stream{
		isTarget:  func(string) bool { return true },
		last:      in.LastFatal,
		nb:        in.Neighbours,
		from:      in.From,
		to:        in.To,
		sink:      sink,
		whole:     map[periodKey]*cell{},
		cells:     map[periodKey]*cell{},
		countries: map[string]bool{},
		areas:     map[string]bool{},
		lag:       map[string][]lagSums{},
	}
	if s.nb == nil {
		s.nb = func(iso3 string, year int) []string { return geo.Neighbours(iso3, year, geo.Land) }
	}
	if in.Targets != nil {
		targets := make(map[string]bool, len(in.Targets))
		for _, c := range in.Targets {
			targets[c] = true
		}
		s.isTarget = func(c string) bool { return targets[c] }
	}
	return s
}

// add folds one aggregate in. It fails when the aggregates are not
// grouped by country and admin-1 area.
func (s *stream) add(a *Aggregate) error {
	if a.Country != s.country || len(s.countries) == 0 {
		if err := s.endCountry(); err != nil {
			return err
		}
		if s.countries[a.Country] {
			return fmt.Errorf("aggregates of %s are not grouped by country", a.Country)
		}
		s.countries[a.Country] = true
		s.country = a.Country
		s.area = a.Place
		s.areas[a.Admin1] = true
	} else if a.Admin1 != s.area.Admin1 {
		if err := s.endArea(); err != nil {
			return err
		}
		if s.areas[a.Admin1] {
			return fmt.Errorf("aggregates of %s %q are not grouped by admin-1 area", a.Country, a.Admin1)
		}
		s.areas[a.Admin1] = true
		s.area = a.Place
	}
	area := a.Admin1 != "" && s.isTarget(a.Country)
	for i, k := range kinds {
		pk := periodKey{uint8(i), day(k.Start(a.Day))}
		get(s.whole, pk).add(a)
		if area {
			get(s.cells, pk).add(a)
		}
	}
	return nil
}

var kinds = Kinds()

func get(cells map[periodKey]*cell, k periodKey) *cell {
	c := cells[k]
	if c == nil {
		c = &cell{}
		cells[k] = c
	}
	return c
}

// endArea hands over the values of the current admin-1 area.
func (s *stream) endArea() error {
	if len(s.cells) == 0 {
		return nil
	}
	err := s.emitPlace(s.area, s.cells)
	clear(s.cells)
	return err
}

// endCountry hands over the values of the current country's last admin-1
// area and of the country, and keeps the sums its neighbours' lag needs.
func (s *stream) endCountry() error {
	if s.country == "" {
		return nil
	}
	if err := s.endArea(); err != nil {
		return err
	}
	if s.isTarget(s.country) {
		if err := s.emitPlace(Place{Country: s.country}, s.whole); err != nil {
			return err
		}
	}
	var sums []lagSums
	for k, c := range s.whole {
		if kinds[k.kind] == Day {
			continue
		}
		sums = append(sums, lagSums{periodKey: k, violent: c.violent, best: c.best,
			protest: c.byCat[categoryIndex(event.Protest)], riot: c.byCat[categoryIndex(event.Riot)], gn: c.gn, gsum: c.gsum})
	}
	slices.SortFunc(sums, func(a, b lagSums) int { return comparePeriods(a.periodKey, b.periodKey) })
	if len(sums) > 0 {
		s.lag[s.country] = sums
	}
	clear(s.whole)
	clear(s.areas)
	s.country = ""
	return nil
}

// comparePeriods orders cells as Compute does: by kind name, then start.
func comparePeriods(a, b periodKey) int {
	return cmp.Or(cmp.Compare(kinds[a.kind], kinds[b.kind]), cmp.Compare(a.start, b.start))
}

// emitPlace hands over the values of place p's cells (not its lag), with
// days since the last fatal event carried through each kind's periods in
// order, as Compute does.
func (s *stream) emitPlace(p Place, cells map[periodKey]*cell) error {
	keys := slices.SortedFunc(maps.Keys(cells), comparePeriods)
	var (
		lastFatal int32
		hasFatal  bool
	)
	for i, k := range keys {
		kind := kinds[k.kind]
		if i == 0 || k.kind != keys[i-1].kind {
			t, ok := s.last[p]
			lastFatal, hasFatal = day(t), ok
		}
		c := cells[k]
		if c.hasFatal {
			lastFatal, hasFatal = c.lastFatal, true
		}
		if !inRange(kind, k.start, s.from, s.to) {
			continue
		}
		start := dayTime(k.start)
		emit := func(name string, v float64) {
			s.buf = append(s.buf, Value{Place: p, Kind: kind, Start: start, Name: name, Value: v})
		}
		c.emit(emit)
		if hasFatal {
			end := day(kind.Next(start)) - 1
			emit(DaysSinceFatal, float64(end-lastFatal))
		}
		if len(s.buf) >= streamBatch {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *stream) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	s.n += len(s.buf)
	err := s.sink(s.buf)
	// The sink owns the batch now.
	s.buf = make([]Value, 0, streamBatch+64)
	return err
}

// finish hands over the last country's values and then every target's
// spatial lag: the sums of its land neighbours' week and month cells.
func (s *stream) finish() error {
	if err := s.endCountry(); err != nil {
		return err
	}
	// Contiguity is symmetric, but the lag is computed as Compute does,
	// from each country's neighbours, in case nb is not.
	feeders := map[string][]feeder{}
	for _, c := range slices.Sorted(maps.Keys(s.lag)) {
		year := 0
		for _, l := range s.lag[c] {
			y := dayTime(l.start).Year()
			if y == year {
				continue
			}
			// Week cells come before month cells: a year may recur.
			year = y
			for _, n := range s.nb(c, y) {
				if s.isTarget(n) && !slices.Contains(feeders[n], feeder{c, y}) {
					feeders[n] = append(feeders[n], feeder{c, y})
				}
			}
		}
	}
	sums := map[periodKey]*lagSums{}
	for _, n := range slices.Sorted(maps.Keys(feeders)) {
		clear(sums)
		for _, f := range feeders[n] {
			for _, l := range s.lag[f.country] {
				if dayTime(l.start).Year() != f.year {
					continue
				}
				t := sums[l.periodKey]
				if t == nil {
					t = &lagSums{periodKey: l.periodKey}
					sums[l.periodKey] = t
				}
				t.violent += l.violent
				t.best += l.best
				t.protest += l.protest
				t.riot += l.riot
				t.gn += l.gn
				t.gsum += l.gsum
			}
		}
		p := Place{Country: n}
		for _, k := range slices.SortedFunc(maps.Keys(sums), comparePeriods) {
			kind := kinds[k.kind]
			if !inRange(kind, k.start, s.from, s.to) {
				continue
			}
			start := dayTime(k.start)
			sums[k].emit(func(name string, v float64) {
				s.buf = append(s.buf, Value{Place: p, Kind: kind, Start: start, Name: name, Value: v})
			})
			if len(s.buf) >= streamBatch {
				if err := s.flush(); err != nil {
					return err
				}
			}
		}
	}
	return s.flush()
}

// emit gives the spatial-lag values of l, as cell.emitLag does.
func (l *lagSums) emit(emit func(string, float64)) {
	c := cell{violent: l.violent, best: l.best, gsum: l.gsum, gn: l.gn}
	c.byCat[categoryIndex(event.Protest)] = l.protest
	c.byCat[categoryIndex(event.Riot)] = l.riot
	c.emitLag(emit)
}
