package indicator

import (
	"cmp"
	"slices"
	"time"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// Place is a country, or an admin-1 area in it.
type Place struct {
	Country string // ISO alpha-3
	Admin1  string // "" for the whole country
}

// Aggregate sums the events of one place, day and category. The store
// computes them in SQL; Compute rolls them up. Admin1 is "" for events not
// placed in an admin-1 area (see the package doc); those count only in their
// country.
type Aggregate struct {
	Place
	Day      time.Time // the events' start date, midnight UTC
	Category event.Category

	Events          int
	FatalEvents     int // events with a best fatality estimate above zero
	FatalitiesBest  int
	FatalitiesLow   int // an event without a low estimate adds its best
	FatalitiesHigh  int // likewise
	GoldsteinSum    float64
	GoldsteinEvents int // events carrying a Goldstein score
}

// Value is one indicator in one cell.
type Value struct {
	Place
	Kind  Kind
	Start time.Time // the period's first day
	Name  string
	Value float64
}

// Input is what Compute works on.
type Input struct {
	// Aggregates of the targets and of their land neighbours, over the
	// window (any order).
	Aggregates []Aggregate
	// LastFatal gives, for places of the targets, the latest day with a
	// fatal event before the window; places without one are absent.
	LastFatal map[Place]time.Time
	// Targets are the countries whose cells to produce (own values for
	// the country and its admin-1 areas, and the spatial lag); nil means
	// every country in Aggregates.
	Targets []string
	// Neighbours returns a country's land neighbours in a year; nil means
	// geo.Neighbours(iso3, year, geo.Land).
	Neighbours func(iso3 string, year int) []string
	// From and To limit the output to the periods containing a day in
	// [From, To] (zero: unbounded). Aggregates must cover those periods
	// whole: from Window(From, To).
	From, To time.Time
}

// inRange reports whether the period of kind k starting on day start
// contains a day of [from, to].
func inRange(k Kind, start int32, from, to time.Time) bool {
	return (from.IsZero() || start >= day(k.Start(from))) && (to.IsZero() || start <= day(k.Start(to)))
}

// Names of the indicators; see the package doc.
const (
	Events          = "events"
	ViolentEvents   = "violent_events"
	ViolentShare    = "violent_share"
	FatalEvents     = "fatal_events"
	FatalitiesBest  = "fatalities_best"
	FatalitiesLow   = "fatalities_low"
	FatalitiesHigh  = "fatalities_high"
	GoldsteinEvents = "goldstein_events"
	GoldsteinMean   = "goldstein_mean"
	DaysSinceFatal  = "days_since_fatal"
	Protests        = "events.protest"
	Riots           = "events.riot"
	// NeighbourPrefix starts the names of spatial-lag indicators.
	NeighbourPrefix = "nb."
)

// CategoryEvents names the count of events of category c.
func CategoryEvents(c event.Category) string { return "events." + string(c) }

var categories = event.Categories()

func categoryIndex(c event.Category) int {
	for i, k := range categories {
		if k == c {
			return i
		}
	}
	return len(categories) - 1 // Other; the store only holds valid categories
}

type cellKey struct {
	Place
	kind  Kind
	start int32 // day number
}

type cell struct {
	events, violent, fatal int
	best, low, high        int
	byCat                  [10]int
	gsum                   float64
	gn                     int
	lastFatal              int32 // latest day with a fatal event in the cell; 0 if none
	hasFatal               bool
}

func (c *cell) add(a *Aggregate) {
	c.events += a.Events
	if a.Category.Violent() {
		c.violent += a.Events
	}
	c.byCat[categoryIndex(a.Category)] += a.Events
	c.fatal += a.FatalEvents
	c.best += a.FatalitiesBest
	c.low += a.FatalitiesLow
	c.high += a.FatalitiesHigh
	c.gsum += a.GoldsteinSum
	c.gn += a.GoldsteinEvents
	if a.FatalEvents > 0 {
		if d := day(a.Day); !c.hasFatal || d > c.lastFatal {
			c.lastFatal, c.hasFatal = d, true
		}
	}
}

// Compute turns aggregates into indicator values, ordered by place, kind,
// period start, then name in a fixed order.
func Compute(in Input) []Value {
	nb := in.Neighbours
	if nb == nil {
		nb = func(iso3 string, year int) []string { return geo.Neighbours(iso3, year, geo.Land) }
	}
	var targets map[string]bool
	if in.Targets != nil {
		targets = make(map[string]bool, len(in.Targets))
		for _, c := range in.Targets {
			targets[c] = true
		}
	}
	isTarget := func(c string) bool { return targets == nil || targets[c] }

	cells := map[cellKey]*cell{}
	get := func(k cellKey) *cell {
		c := cells[k]
		if c == nil {
			c = &cell{}
			cells[k] = c
		}
		return c
	}
	for i := range in.Aggregates {
		a := &in.Aggregates[i]
		for _, k := range Kinds() {
			start := day(k.Start(a.Day))
			get(cellKey{Place{a.Country, ""}, k, start}).add(a)
			if a.Admin1 != "" && isTarget(a.Country) {
				get(cellKey{a.Place, k, start}).add(a)
			}
		}
	}

	keys := make([]cellKey, 0, len(cells))
	for k := range cells {
		if isTarget(k.Country) {
			keys = append(keys, k)
		}
	}
	lag := spatialLag(cells, isTarget, nb)
	for k := range lag {
		if cells[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(a.Country, b.Country), cmp.Compare(a.Admin1, b.Admin1),
			cmp.Compare(a.kind, b.kind), cmp.Compare(a.start, b.start))
	})

	out := make([]Value, 0, len(keys)*8)
	var (
		prev      cellKey
		lastFatal int32
		hasFatal  bool
	)
	for i, k := range keys {
		if i == 0 || k.Place != prev.Place || k.kind != prev.kind {
			t, ok := in.LastFatal[k.Place]
			lastFatal, hasFatal = day(t), ok
		}
		prev = k
		start := dayTime(k.start)
		emit := func(name string, v float64) {
			out = append(out, Value{Place: k.Place, Kind: k.kind, Start: start, Name: name, Value: v})
		}
		c := cells[k]
		if c != nil && c.hasFatal {
			lastFatal, hasFatal = c.lastFatal, true
		}
		if !inRange(k.kind, k.start, in.From, in.To) {
			continue
		}
		if c != nil {
			c.emit(emit)
			if hasFatal {
				end := day(k.kind.Next(start)) - 1
				emit(DaysSinceFatal, float64(end-lastFatal))
			}
		}
		if l := lag[k]; l != nil {
			l.emitLag(emit)
		}
	}
	return out
}

func (c *cell) emit(emit func(string, float64)) {
	nonzero := func(name string, n int) {
		if n != 0 {
			emit(name, float64(n))
		}
	}
	nonzero(Events, c.events)
	for i, n := range c.byCat {
		if i < len(categories) {
			nonzero(CategoryEvents(categories[i]), n)
		}
	}
	nonzero(ViolentEvents, c.violent)
	if c.events > 0 {
		emit(ViolentShare, float64(c.violent)/float64(c.events))
	}
	nonzero(FatalEvents, c.fatal)
	nonzero(FatalitiesBest, c.best)
	nonzero(FatalitiesLow, c.low)
	nonzero(FatalitiesHigh, c.high)
	nonzero(GoldsteinEvents, c.gn)
	if c.gn > 0 {
		emit(GoldsteinMean, c.gsum/float64(c.gn))
	}
}

func (c *cell) emitLag(emit func(string, float64)) {
	nonzero := func(name string, n int) {
		if n != 0 {
			emit(NeighbourPrefix+name, float64(n))
		}
	}
	nonzero(ViolentEvents, c.violent)
	nonzero(FatalitiesBest, c.best)
	nonzero(Protests, c.byCat[categoryIndex(event.Protest)])
	nonzero(Riots, c.byCat[categoryIndex(event.Riot)])
	nonzero(GoldsteinEvents, c.gn)
	if c.gn > 0 {
		emit(NeighbourPrefix+GoldsteinMean, c.gsum/float64(c.gn))
	}
}

// spatialLag sums, for every target country and week or month, its land
// neighbours' country cells.
func spatialLag(cells map[cellKey]*cell, isTarget func(string) bool, nb func(string, int) []string) map[cellKey]*cell {
	type cy struct {
		country string
		year    int
	}
	memo := map[cy][]string{}
	neighbours := func(c string, year int) []string {
		k := cy{c, year}
		n, ok := memo[k]
		if !ok {
			n = nb(c, year)
			memo[k] = n
		}
		return n
	}
	lag := map[cellKey]*cell{}
	for k, c := range cells {
		if k.Admin1 != "" || k.kind == Day {
			continue
		}
		// Contiguity is symmetric: the neighbours of k's country are the
		// countries whose lag k's cell feeds.
		for _, n := range neighbours(k.Country, dayTime(k.start).Year()) {
			if !isTarget(n) {
				continue
			}
			lk := cellKey{Place{n, ""}, k.kind, k.start}
			l := lag[lk]
			if l == nil {
				l = &cell{}
				lag[lk] = l
			}
			l.events += c.events
			l.violent += c.violent
			l.fatal += c.fatal
			l.best += c.best
			l.low += c.low
			l.high += c.high
			for i := range c.byCat {
				l.byCat[i] += c.byCat[i]
			}
			l.gsum += c.gsum
			l.gn += c.gn
		}
	}
	return lag
}
