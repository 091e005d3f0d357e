package rules

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// evidencePeriods is how many periods of an indicator a firing shows as
// evidence: two years of months.
const evidencePeriods = 24

// maxEvents is how many events a firing lists.
const maxEvents = 10

// Evaluate runs the rules of f over the data of src known on s.AsOf and
// returns what fires, ordered by country, admin-1 area and rule id. Each
// rule looks at its period (day, ISO week or month) that contains AsOf,
// and reads nothing dated after AsOf: indicator values of periods starting
// on or before it, events starting on or before it; only the election
// calendar is read ahead, because elections are scheduled in advance.
//
// A week or month that AsOf ends early (AsOf before its last day) is cut
// at AsOf: its counts are summed from the day values up to AsOf, and the
// figures that cannot be cut at a day (violent_share, goldstein_mean,
// days_since_fatal and the neighbour nb. figures) are missing for it.
func Evaluate(ctx context.Context, src Source, f *File, s Scope) ([]alert.Firing, error) {
	if s.AsOf.IsZero() {
		return nil, fmt.Errorf("evaluate rules: AsOf is zero")
	}
	if f == nil {
		return nil, fmt.Errorf("evaluate rules: no rules file")
	}
	tab := s.Geo
	if tab == nil {
		var err error
		if tab, err = geo.Load(); err != nil {
			return nil, fmt.Errorf("evaluate rules: %w", err)
		}
	}
	if s.Countries != nil {
		cs := make([]string, len(s.Countries))
		for i, c := range s.Countries {
			cs[i] = strings.ToUpper(strings.TrimSpace(c))
		}
		s.Countries = cs
	}
	y, m, d := s.AsOf.Date()
	e := &evaluator{src: src, file: f, asOf: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), geo: tab}
	if err := e.prefetch(ctx, s.Countries); err != nil {
		return nil, fmt.Errorf("evaluate rules: %w", err)
	}
	var out []alert.Firing
	for i := range f.Rules {
		r := &f.Rules[i]
		countries, ok := intersect(r.Scope, s.Countries)
		if !ok {
			continue
		}
		e.unverified = r.IncludeUnverified
		fs, err := e.rule(ctx, r, countries)
		if err != nil {
			return nil, fmt.Errorf("evaluate rule %s: %w", r.ID, err)
		}
		for j := range fs {
			fs[j].Rule, fs[j].RuleVersion, fs[j].Severity, fs[j].AsOf = r.ID, f.Version, r.Severity, e.asOf
			fs[j].Labels = map[string]string{}
			for k, v := range r.Labels {
				fs[j].Labels[k] = v
			}
			fs[j].Labels["kind"] = r.Kind()
			if err := e.noteUnverified(ctx, &fs[j]); err != nil {
				return nil, fmt.Errorf("evaluate rule %s: %w", r.ID, err)
			}
		}
		out = append(out, fs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		if a.Admin1 != b.Admin1 {
			return a.Admin1 < b.Admin1
		}
		return a.Rule < b.Rule
	})
	return out, nil
}

// intersect combines a rule's scope with an evaluation's countries: nil
// means all; ok is false when nothing is left.
func intersect(scope, countries []string) ([]string, bool) {
	switch {
	case scope == nil:
		return countries, countries == nil || len(countries) > 0
	case countries == nil:
		return scope, len(scope) > 0
	}
	var out []string
	for _, c := range countries {
		if slices.Contains(scope, c) {
			out = append(out, c)
		}
	}
	return out, len(out) > 0
}

type evaluator struct {
	src  Source
	file *File
	asOf time.Time
	geo  *geo.Table
	memo map[indicator.Kind]*prefetched
	// unverified is the evaluated rule's IncludeUnverified: values and
	// coup events then take in the field reports still in verification.
	unverified bool
}

// prefetched holds the indicator values of one period kind that the rules
// need, read in one query.
type prefetched struct {
	countries map[string]bool // nil: all
	from      time.Time       // the first period start read
	byName    map[string][]indicator.Value
}

// prefetch reads, for each period kind the rules use, every indicator they
// need over the longest span any of them looks at, in one query per kind,
// so that a Source scans its indicators once per kind and evaluation
// rather than once per rule. series falls back to its own query for what
// this does not cover (a border rule's neighbours outside the scope).
func (e *evaluator) prefetch(ctx context.Context, countries []string) error {
	type need struct {
		names   map[string]bool
		periods int
	}
	needs := map[indicator.Kind]*need{}
	for i := range e.file.Rules {
		r := &e.file.Rules[i]
		names, periods := r.span()
		if len(names) == 0 {
			continue
		}
		n := needs[r.Period]
		if n == nil {
			n = &need{names: map[string]bool{}}
			needs[r.Period] = n
		}
		for _, name := range names {
			n.names[name] = true
		}
		n.periods = max(n.periods, periods)
		// A week or month that AsOf ends early is cut at AsOf from the
		// day values of its counts (see cutAtAsOf).
		if cur := r.Period.Start(e.asOf); r.Period != indicator.Day && r.Period.Next(cur).AddDate(0, 0, -1).After(e.asOf) {
			d := needs[indicator.Day]
			if d == nil {
				d = &need{names: map[string]bool{}}
				needs[indicator.Day] = d
			}
			for _, name := range names {
				if isCount(name) && !strings.HasPrefix(name, indicator.NeighbourPrefix) {
					d.names[name] = true
				}
			}
			d.periods = max(d.periods, int(e.asOf.Sub(cur).Hours()/24)+1)
		}
	}
	e.memo = map[indicator.Kind]*prefetched{}
	for k, n := range needs {
		if len(n.names) == 0 {
			continue
		}
		cur := k.Start(e.asOf)
		from := cur
		for range n.periods - 1 {
			from = k.Start(from.AddDate(0, 0, -1))
		}
		q := IndicatorQuery{Countries: countries, Kind: k, From: from, To: cur}
		for name := range n.names {
			q.Names = append(q.Names, name)
		}
		slices.Sort(q.Names)
		vs, err := e.src.RuleIndicators(ctx, q)
		if err != nil {
			return err
		}
		p := &prefetched{from: from, byName: map[string][]indicator.Value{}}
		if countries != nil {
			p.countries = map[string]bool{}
			for _, c := range countries {
				p.countries[strings.ToUpper(c)] = true
			}
		}
		for _, v := range vs {
			p.byName[v.Name] = append(p.byName[v.Name], v)
		}
		for name := range n.names {
			if p.byName[name] == nil {
				p.byName[name] = []indicator.Value{}
			}
		}
		e.memo[k] = p
	}
	return nil
}

// values returns the values of one indicator of kind k for the countries
// (nil: all) and their areas, of the periods starting in [from, to]:
// from the prefetched values when they cover the query, else from the
// Source; with the evaluated rule's unverified field reports added if it
// includes them. Callers filter by period.
func (e *evaluator) values(ctx context.Context, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error) {
	vs, err := e.storedValues(ctx, countries, k, name, from, to)
	if err != nil {
		return nil, err
	}
	return e.withUnverified(ctx, vs, countries, k, name, from, to)
}

func (e *evaluator) storedValues(ctx context.Context, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error) {
	p := e.memo[k]
	if p == nil || !p.covers(name, from, countries) {
		return e.src.RuleIndicators(ctx, IndicatorQuery{Countries: countries, Kind: k, Names: []string{name}, From: from, To: to})
	}
	var want map[string]bool
	if countries != nil {
		want = map[string]bool{}
		for _, c := range countries {
			want[c] = true
		}
	}
	var out []indicator.Value
	for _, v := range p.byName[name] {
		if want == nil || want[v.Country] {
			out = append(out, v)
		}
	}
	return out, nil
}

// covers reports whether the prefetched values answer a query for name
// over periods from on, for the countries (nil: all).
func (p *prefetched) covers(name string, from time.Time, countries []string) bool {
	if _, ok := p.byName[name]; !ok || from.Before(p.from) {
		return false
	}
	if p.countries == nil {
		return true
	}
	if countries == nil {
		return false
	}
	for _, c := range countries {
		if !p.countries[c] {
			return false
		}
	}
	return true
}

func (e *evaluator) rule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	switch {
	case r.Indicator != nil:
		return e.indicatorRule(ctx, r, countries)
	case r.Detector != nil:
		return e.detectorRule(ctx, r, countries)
	case r.Forecast != nil:
		return e.forecastRule(ctx, r, countries)
	case r.Coup != nil:
		return e.coupRule(ctx, r, countries)
	case r.FirstFatal != nil:
		return e.firstFatalRule(ctx, r, countries)
	case r.Election != nil:
		return e.electionRule(ctx, r, countries)
	case r.SpreadAdmin1 != nil:
		return e.spreadAdmin1Rule(ctx, r, countries)
	case r.SpreadBorder != nil:
		return e.spreadBorderRule(ctx, r, countries)
	}
	return nil, nil
}

// period returns the start of the rule's period containing AsOf and the
// firing window: that period, ending on AsOf at the latest.
func (e *evaluator) period(r *Rule) (time.Time, alert.Window) {
	k := r.Period
	cur := k.Start(e.asOf)
	end := k.Next(cur).AddDate(0, 0, -1)
	if end.After(e.asOf) {
		end = e.asOf
	}
	return cur, alert.Window{Start: cur, End: end}
}

// placeName names a place for people: "Ouham (Central African Republic)"
// or "Central African Republic".
func (e *evaluator) placeName(p indicator.Place) string {
	name := p.Country
	if c, ok := e.geo.Lookup(p.Country); ok {
		name = c.Name
	}
	if p.Admin1 != "" {
		return p.Admin1 + " (" + name + ")"
	}
	return name
}

// label names a period as detect and the dashboard do: "2013-12",
// "2024-W05", "2024-02-01".
func label(k indicator.Kind, start time.Time) string {
	switch k {
	case indicator.Month:
		return start.Format("2006-01")
	case indicator.Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	}
	return start.Format(time.DateOnly)
}

// periodWord is the period's noun: "month", "week", "day".
func periodWord(k indicator.Kind) string { return string(k) }

// series is one indicator for many places over n periods ending with the
// evaluated one, dense: a count missing from the store is zero, any other
// missing value NaN.
type series struct {
	kind   indicator.Kind
	starts []time.Time
	values map[indicator.Place][]float64
}

// series fetches the named indicator over the n periods of kind k ending
// with the one starting at cur, for the places at level (admin-1 areas, or
// whole countries).
func (e *evaluator) series(ctx context.Context, countries []string, k indicator.Kind, name string, cur time.Time, n int, level Level) (*series, error) {
	s := &series{kind: k, values: map[indicator.Place][]float64{}}
	starts := make([]time.Time, n)
	t := cur
	for i := n - 1; i >= 0; i-- {
		starts[i] = t
		t = k.Start(t.AddDate(0, 0, -1))
	}
	s.starts = starts
	index := make(map[time.Time]int, n)
	for i, st := range starts {
		index[st] = i
	}
	vs, err := e.values(ctx, countries, k, name, starts[0], cur)
	if err != nil {
		return nil, err
	}
	fill := math.NaN()
	if isCount(name) {
		fill = 0
	}
	for _, v := range vs {
		if v.Name != name || v.Kind != k || (level == Admin1Level) != (v.Admin1 != "") {
			continue
		}
		i, ok := index[v.Start]
		if !ok || v.Start.After(e.asOf) {
			continue
		}
		row := s.values[v.Place]
		if row == nil {
			row = make([]float64, n)
			for j := range row {
				row[j] = fill
			}
			s.values[v.Place] = row
		}
		row[i] = v.Value
	}
	if end := k.Next(cur).AddDate(0, 0, -1); k != indicator.Day && end.After(e.asOf) {
		if err := e.cutAtAsOf(ctx, s, countries, name, cur, level); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// cutAtAsOf replaces the values of the last period of s, which runs past
// AsOf, by what is known on AsOf: counts summed from the day values of
// [its start, AsOf], other figures missing.
func (e *evaluator) cutAtAsOf(ctx context.Context, s *series, countries []string, name string, cur time.Time, level Level) error {
	last := len(s.starts) - 1
	if !isCount(name) || strings.HasPrefix(name, indicator.NeighbourPrefix) {
		for _, row := range s.values {
			row[last] = math.NaN()
		}
		return nil
	}
	days, err := e.values(ctx, countries, indicator.Day, name, cur, e.asOf)
	if err != nil {
		return err
	}
	for _, row := range s.values {
		row[last] = 0
	}
	for _, v := range days {
		if v.Name != name || v.Kind != indicator.Day || v.Start.Before(cur) || v.Start.After(e.asOf) || (level == Admin1Level) != (v.Admin1 != "") {
			continue
		}
		row := s.values[v.Place]
		if row == nil {
			row = make([]float64, len(s.starts))
			s.values[v.Place] = row
		}
		row[last] += v.Value
	}
	return nil
}

// places returns the series' places in order.
func (s *series) places() []indicator.Place {
	out := make([]indicator.Place, 0, len(s.values))
	for p := range s.values {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Country != out[j].Country {
			return out[i].Country < out[j].Country
		}
		return out[i].Admin1 < out[j].Admin1
	})
	return out
}

// evidence returns the last n values of a place as points.
func (s *series) evidence(p indicator.Place, n int) []alert.Point {
	row := s.values[p]
	from := max(0, len(row)-n)
	out := make([]alert.Point, 0, len(row)-from)
	for i := from; i < len(row); i++ {
		v := row[i]
		if math.IsNaN(v) {
			continue
		}
		out = append(out, alert.Point{Label: label(s.kind, s.starts[i]), Start: s.starts[i], Value: v})
	}
	return out
}

// median of the finite values.
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// mean of the finite values.
func mean(xs []float64) float64 {
	sum, n := 0.0, 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// num formats a value for an explanation: whole numbers without decimals.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "none"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return message.NewPrinter(language.English).Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// ratio formats a ratio: "9x", "2.5x".
func ratio(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0fx", r)
	}
	return fmt.Sprintf("%.1fx", r)
}

// subject describes an indicator in words: "fatalities", "protest events".
func subject(name string) string {
	base, nb := strings.CutPrefix(name, indicator.NeighbourPrefix)
	var s string
	switch base {
	case indicator.Events:
		s = "events"
	case indicator.ViolentEvents:
		s = "violent events"
	case indicator.ViolentShare:
		s = "share of violent events"
	case indicator.FatalEvents:
		s = "fatal events"
	case indicator.FatalitiesBest:
		s = "fatalities"
	case indicator.FatalitiesLow:
		s = "fatalities (low estimate)"
	case indicator.FatalitiesHigh:
		s = "fatalities (high estimate)"
	case indicator.GoldsteinEvents:
		s = "events with a Goldstein score"
	case indicator.GoldsteinMean:
		s = "mean Goldstein score"
	case indicator.DaysSinceFatal:
		s = "days since the last fatal event"
	default:
		if c, ok := strings.CutPrefix(base, "events."); ok {
			s = strings.ReplaceAll(c, "-", " ") + " events"
		} else {
			s = base
		}
	}
	if nb {
		s += " in neighbouring countries"
	}
	return s
}

// categoriesOf returns the event categories an indicator counts (nil:
// every category).
func categoriesOf(name string) []event.Category {
	base := strings.TrimPrefix(name, indicator.NeighbourPrefix)
	if c, ok := strings.CutPrefix(base, "events."); ok {
		return []event.Category{event.Category(c)}
	}
	if base == indicator.ViolentEvents {
		return violentCategories()
	}
	return nil
}

func violentCategories() []event.Category {
	var out []event.Category
	for _, c := range event.Categories() {
		if c.Violent() {
			out = append(out, c)
		}
	}
	return out
}

// events returns the keys of the deadliest events of a place in [from,
// to] in the categories (nil: all), at most maxEvents.
func (e *evaluator) events(ctx context.Context, p indicator.Place, cats []event.Category, minFatalities int, from, to time.Time) ([]event.Key, error) {
	limit := maxEvents
	if p.Admin1 != "" {
		limit = 0 // filtered by area below
	}
	evs, err := e.src.RuleEvents(ctx, EventQuery{Countries: []string{p.Country}, Categories: cats, From: from, To: to, MinFatalities: minFatalities, Limit: limit})
	if err != nil {
		return nil, err
	}
	var out []event.Key
	for i := range evs {
		if p.Admin1 != "" && evs[i].Admin1 != p.Admin1 || evs[i].DateStart.After(e.asOf) {
			continue
		}
		out = append(out, evs[i].Key())
		if len(out) == maxEvents {
			break
		}
	}
	return out, nil
}

// adjective is the period's adjective: "monthly", "weekly", "daily".
func adjective(k indicator.Kind) string {
	switch k {
	case indicator.Month:
		return "monthly"
	case indicator.Week:
		return "weekly"
	}
	return "daily"
}
