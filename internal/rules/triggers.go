package rules

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// coupRule fires for each country with coup events in the period, reported
// by at least MinSources sources.
func (e *evaluator) coupRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	_, win := e.period(r)
	q := EventQuery{Countries: countries, Categories: []event.Category{event.Coup}, From: win.Start, To: win.End}
	evs, err := e.src.RuleEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	// Reports in verification are not events yet: they count, and are
	// named in the explanation, but not listed among the firing's events.
	pending, err := e.unverifiedReports(ctx, q)
	if err != nil {
		return nil, err
	}
	unverified := map[event.Key]bool{}
	for _, ev := range pending {
		unverified[ev.Key()] = true
	}
	evs = append(evs, pending...)
	byCountry := map[string][]event.Event{}
	for _, ev := range evs {
		if ev.Category != event.Coup || ev.DateStart.After(e.asOf) {
			continue
		}
		byCountry[ev.Country] = append(byCountry[ev.Country], ev)
	}
	var out []alert.Firing
	for _, c := range sortedKeys(byCountry) {
		evs := byCountry[c]
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].DateStart.Before(evs[j].DateStart) })
		sources := map[event.Source]bool{}
		var what []string
		f := alert.Firing{Country: c, Window: alert.Window{Start: evs[0].DateStart, End: evs[0].DateStart}}
		for _, ev := range evs {
			sources[ev.Source] = true
			if ev.DateStart.After(f.Window.End) {
				f.Window.End = ev.DateStart
			}
			if len(what) < maxEvents {
				if unverified[ev.Key()] {
					what = append(what, coupPhrase(ev)+" (field report "+ev.SourceID+", not yet verified)")
				} else {
					f.Events = append(f.Events, ev.Key())
					what = append(what, coupPhrase(ev))
				}
			}
		}
		if len(sources) < r.Coup.MinSources {
			continue
		}
		place := e.placeName(indicator.Place{Country: c})
		f.Score = float64(len(evs))
		f.Title = fmt.Sprintf("%s in %s", r.Name, place)
		f.Explanation = fmt.Sprintf("%s: %s.", place, strings.Join(what, "; "))
		if len(evs) > len(what) {
			f.Explanation += fmt.Sprintf(" %d more coup events in the period.", len(evs)-len(what))
		}
		out = append(out, f)
	}
	return out, nil
}

// coupPhrase describes one coup event: "successful coup on 2013-03-24
// (powell-thyne)".
func coupPhrase(ev event.Event) string {
	kind := "coup or coup attempt"
	switch strings.ToLower(ev.SourceType) {
	case "successful", "success", "coup":
		kind = "successful coup"
	case "attempt", "failed", "failed attempt", "attempted":
		kind = "coup attempt"
	}
	s := fmt.Sprintf("%s on %s (%s", kind, ev.DateStart.Format(time.DateOnly), ev.Source)
	if ev.Actor1 != "" {
		s += ", by " + ev.Actor1
	}
	return s + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// quietStart returns the first period start of kind k in the quiet span of
// months before cur.
func quietStart(k indicator.Kind, cur time.Time, months int) time.Time {
	return k.Start(cur.AddDate(0, -months, 0))
}

// periodsBetween counts periods of kind k from the one starting at from to
// the one starting at to, both included.
func periodsBetween(k indicator.Kind, from, to time.Time) int {
	n := 0
	for t := from; !t.After(to); t = k.Next(t) {
		n++
	}
	return n
}

// firstFatalRule fires where a place has fatal events in the period and
// none in the QuietMonths before it.
func (e *evaluator) firstFatalRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.FirstFatal
	cur, win := e.period(r)
	n := max(evidencePeriods, periodsBetween(r.Period, quietStart(r.Period, cur, c.QuietMonths), cur))
	quiet := periodsBetween(r.Period, quietStart(r.Period, cur, c.QuietMonths), cur) - 1
	fatal, err := e.series(ctx, countries, r.Period, indicator.FatalitiesBest, cur, n, r.Level)
	if err != nil {
		return nil, err
	}
	var out []alert.Firing
	for _, p := range fatal.places() {
		row := fatal.values[p]
		v := row[n-1]
		if v < float64(c.MinFatalities) || v <= 0 {
			continue
		}
		if slices.ContainsFunc(row[n-1-quiet:n-1], func(x float64) bool { return x > 0 }) {
			continue
		}
		last := -1
		for i := n - 2; i >= 0; i-- {
			if row[i] > 0 {
				last = i
				break
			}
		}
		place := e.placeName(p)
		var b strings.Builder
		fmt.Fprintf(&b, "fatalities in %s in %s: %s, the first since ", place, label(r.Period, cur), num(v))
		if last >= 0 {
			fmt.Fprintf(&b, "%s (%s then)", label(r.Period, fatal.starts[last]), num(row[last]))
		} else {
			fmt.Fprintf(&b, "at least %s", label(r.Period, fatal.starts[0]))
		}
		fmt.Fprintf(&b, ", after %d or more quiet months.", c.QuietMonths)
		f := alert.Firing{
			Country: p.Country, Admin1: p.Admin1, Window: win, Score: v,
			Title:       fmt.Sprintf("%s: %s deaths in %s", r.Name, num(v), place),
			Explanation: b.String(),
			Indicator:   indicator.FatalitiesBest,
			Evidence:    fatal.evidence(p, evidencePeriods),
		}
		if f.Events, err = e.events(ctx, p, nil, 1, win.Start, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// electionRule fires where a national election lies within WithinDays of
// the period and the indicator has risen by Ratio over its baseline mean.
func (e *evaluator) electionRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.Election
	cur, win := e.period(r)
	// Elections ahead of the period's end or just behind its start;
	// calendars are known in advance, so looking ahead is no leak.
	els, err := e.src.Elections(ctx, countries, cur.AddDate(0, 0, -c.WithinDays), win.End.AddDate(0, 0, c.WithinDays))
	if err != nil {
		return nil, err
	}
	if len(els) == 0 {
		return nil, nil
	}
	// The nearest election of each country.
	near := map[string]int{}
	for i, el := range els {
		if countries != nil && !slices.Contains(countries, el.Country) {
			continue
		}
		j, ok := near[el.Country]
		if !ok || dist(el.Date, cur, win.End) < dist(els[j].Date, cur, win.End) {
			near[el.Country] = i
		}
	}
	cs := sortedKeys(near)
	n := c.Baseline + 1
	s, err := e.series(ctx, cs, r.Period, c.Indicator, cur, max(n, evidencePeriods), r.Level)
	if err != nil {
		return nil, err
	}
	var out []alert.Firing
	for _, p := range s.places() {
		i, ok := near[p.Country]
		if !ok {
			continue
		}
		el := els[i]
		row := s.values[p]
		v := row[len(row)-1]
		base := mean(row[len(row)-n : len(row)-1])
		if v < c.MinValue || v < c.Ratio*base || v == 0 {
			continue
		}
		place := e.placeName(p)
		var when string
		switch days := int(el.Date.Sub(e.asOf).Hours() / 24); {
		case days > 0:
			when = fmt.Sprintf("%d days ahead", days)
		case days == 0:
			when = "today"
		default:
			when = fmt.Sprintf("%d days ago", -days)
		}
		round := ""
		if el.Round > 1 {
			round = fmt.Sprintf(" (round %d)", el.Round)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s election%s in %s on %s, %s; %s in %s in %s: %s", el.Kind, round, e.placeNameOf(p.Country),
			el.Date.Format(time.DateOnly), when, subject(c.Indicator), place, label(r.Period, cur), num(v))
		if base > 0 {
			fmt.Fprintf(&b, ", %s the %s mean of the %d %ss before (%s).", ratio(v/base), adjective(r.Period), c.Baseline, periodWord(r.Period), num(base))
		} else {
			fmt.Fprintf(&b, ", against none in the %d %ss before.", c.Baseline, periodWord(r.Period))
		}
		score := v
		if base > 0 {
			score = v / base
		}
		f := alert.Firing{
			Country: p.Country, Admin1: p.Admin1, Window: win, Score: score,
			Title:       fmt.Sprintf("%s: %s in %s, %s election %s", r.Name, subject(c.Indicator), place, el.Kind, el.Date.Format(time.DateOnly)),
			Explanation: b.String(),
			Indicator:   c.Indicator,
			Evidence:    s.evidence(p, evidencePeriods),
		}
		if f.Events, err = e.events(ctx, p, categoriesOf(c.Indicator), 0, win.Start, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// deathsPhrase is "1 death", "12 deaths".
func deathsPhrase(n float64) string { return countPhrase(n, "death") }

// countPhrase is "1 death", "12 deaths", "1,024 violent events".
func countPhrase(n float64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return num(n) + " " + noun + "s"
}

// placeNameOf names a country.
func (e *evaluator) placeNameOf(iso3 string) string {
	return e.placeName(indicator.Place{Country: iso3})
}

// dist is how far day d lies from [from, to], in hours.
func dist(d, from, to time.Time) float64 {
	switch {
	case d.Before(from):
		return from.Sub(d).Hours()
	case d.After(to):
		return d.Sub(to).Hours()
	}
	return 0
}

// violence reads violent_events and fatalities_best of the places at level
// over the n periods ending with cur.
func (e *evaluator) violence(ctx context.Context, countries []string, k indicator.Kind, cur time.Time, n int, level Level) (events, deaths *series, err error) {
	if events, err = e.series(ctx, countries, k, indicator.ViolentEvents, cur, n, level); err != nil {
		return nil, nil, err
	}
	if deaths, err = e.series(ctx, countries, k, indicator.FatalitiesBest, cur, n, level); err != nil {
		return nil, nil, err
	}
	return events, deaths, nil
}

// newViolence reports whether a place's violent events and deaths show
// violence in the last period (at least minDeaths deaths, any violent
// event when minDeaths is 0) and none in the quiet periods before.
func newViolence(ev, deaths []float64, quiet, minDeaths int) bool {
	n := len(ev)
	if ev[n-1] <= 0 || (minDeaths > 0 && (math.IsNaN(deaths[n-1]) || deaths[n-1] < float64(minDeaths))) {
		return false
	}
	for _, x := range ev[n-1-quiet : n-1] {
		if x > 0 {
			return false
		}
	}
	return true
}

// spreadAdmin1Rule fires for an admin-1 area with violence in the period
// and none in the QuietMonths before, while another area of its country
// had violence in those months.
func (e *evaluator) spreadAdmin1Rule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.SpreadAdmin1
	cur, win := e.period(r)
	quiet := periodsBetween(r.Period, quietStart(r.Period, cur, c.QuietMonths), cur) - 1
	n := max(evidencePeriods, quiet+1)
	evs, deaths, err := e.violence(ctx, countries, r.Period, cur, n, Admin1Level)
	if err != nil {
		return nil, err
	}
	// Areas of each country with violence in the quiet span.
	active := map[string][]string{}
	for _, p := range evs.places() {
		row := evs.values[p]
		if slices.ContainsFunc(row[n-1-quiet:n-1], func(x float64) bool { return x > 0 }) {
			active[p.Country] = append(active[p.Country], p.Admin1)
		}
	}
	var out []alert.Firing
	for _, p := range evs.places() {
		if len(active[p.Country]) == 0 {
			continue
		}
		drow := deaths.values[p]
		if drow == nil {
			drow = make([]float64, n)
		}
		if !newViolence(evs.values[p], drow, quiet, c.MinFatalities) {
			continue
		}
		others := active[p.Country]
		shown := others
		if len(shown) > 5 {
			shown = shown[:5]
		}
		v := evs.values[p][n-1]
		place := e.placeName(p)
		expl := fmt.Sprintf("violent events in %s in %s: %s (%s), none in the %d months before, while %s had violence in %s",
			place, label(r.Period, cur), num(v), deathsPhrase(drow[n-1]), c.QuietMonths, e.placeNameOf(p.Country), strings.Join(shown, ", "))
		if len(others) > len(shown) {
			expl += fmt.Sprintf(" and %d more areas", len(others)-len(shown))
		}
		f := alert.Firing{
			Country: p.Country, Admin1: p.Admin1, Window: win, Score: drow[n-1],
			Title:       fmt.Sprintf("%s: %s", r.Name, place),
			Explanation: expl + ".",
			Indicator:   indicator.ViolentEvents,
			Evidence:    evs.evidence(p, evidencePeriods),
		}
		if f.Events, err = e.events(ctx, p, violentCategories(), 0, win.Start, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// spreadBorderRule fires for a country with violence in the period after
// QuietMonths without, while a land neighbour had violence in the
// NeighbourMonths up to the period.
func (e *evaluator) spreadBorderRule(ctx context.Context, r *Rule, countries []string) ([]alert.Firing, error) {
	c := r.SpreadBorder
	cur, win := e.period(r)
	quiet := periodsBetween(r.Period, quietStart(r.Period, cur, c.QuietMonths), cur) - 1
	n := max(evidencePeriods, quiet+1)
	evs, deaths, err := e.violence(ctx, countries, r.Period, cur, n, CountryLevel)
	if err != nil {
		return nil, err
	}
	candidates := map[string][]string{} // country → its land neighbours
	var nbs []string
	for _, p := range evs.places() {
		drow := deaths.values[p]
		if drow == nil {
			drow = make([]float64, n)
		}
		if !newViolence(evs.values[p], drow, quiet, c.MinFatalities) {
			continue
		}
		ns := geo.Neighbours(p.Country, cur.Year(), geo.Land)
		if len(ns) == 0 {
			continue
		}
		candidates[p.Country] = ns
		nbs = append(nbs, ns...)
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	slices.Sort(nbs)
	nbs = slices.Compact(nbs)
	// The neighbours' violence over the last NeighbourMonths: read for all
	// of them, whatever the scope, since spillover ignores desks' borders.
	nm := periodsBetween(r.Period, quietStart(r.Period, cur, c.NeighbourMonths), cur)
	nev, err := e.series(ctx, nbs, r.Period, indicator.ViolentEvents, cur, nm, CountryLevel)
	if err != nil {
		return nil, err
	}
	var out []alert.Firing
	for _, country := range sortedKeys(candidates) {
		var hot []string
		for _, nb := range candidates[country] {
			total := 0.0
			for _, x := range nev.values[indicator.Place{Country: nb}] {
				total += x
			}
			if total > 0 {
				hot = append(hot, fmt.Sprintf("%s (%s)", e.placeNameOf(nb), countPhrase(total, "violent event")))
			}
		}
		if len(hot) == 0 {
			continue
		}
		p := indicator.Place{Country: country}
		v := evs.values[p][n-1]
		d := 0.0
		if row := deaths.values[p]; row != nil {
			d = row[n-1]
		}
		place := e.placeName(p)
		f := alert.Firing{
			Country: country, Window: win, Score: d,
			Title: fmt.Sprintf("%s: %s", r.Name, place),
			Explanation: fmt.Sprintf("violent events in %s in %s: %s (%s), none in the %d months before, while its neighbours had violence in the last %d months: %s.",
				place, label(r.Period, cur), num(v), deathsPhrase(d), c.QuietMonths, c.NeighbourMonths, strings.Join(hot, ", ")),
			Indicator: indicator.ViolentEvents,
			Evidence:  evs.evidence(p, evidencePeriods),
		}
		if f.Events, err = e.events(ctx, p, violentCategories(), 0, win.Start, win.End); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
