package forecast

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"threshold/internal/election"
	"threshold/internal/geo"
	"threshold/internal/indicator"
)

// Country-month and admin-1-month targets and features.
//
// A monthly panel is built from the stored month indicators (package
// indicator) of every place with at least one event: countries for
// country-month, admin-1 areas for admin1-month. Months without a stored
// cell count as zero (indicators are sparse: an absent count is zero),
// from the first month with any event in the store to the cut-off.
//
// A forecast made at the end of month t for month t+H (H = 1..6) uses
// only months up to t (MonthlyPanel.Row; the leakage test checks it by
// building the panel cut at t), and the election calendar, whose dates are
// scheduled in advance. The targets:
//
//   - active: the place's month has ActiveThreshold or more best-estimate
//     fatalities (25 for a country, 1 for an admin-1 area). Every place is
//     at risk.
//   - onset: active after at least QuietMonths months that were not (12
//     for a country, 6 for an admin-1 area). A place is at risk at t when
//     none of the months t+H-Quiet..t was active: what the forecaster
//     knows that rules an onset in t+H out. Rows needing months before the
//     panel's first are left out.
//   - fatalities: the month's best-estimate fatalities, forecast as a
//     predictive distribution.

// The monthly targets.
const (
	Active     Target = "active"
	Onset      Target = "onset"
	Fatalities Target = "fatalities"
)

// ErrNoPlaces is returned for a monthly panel without any place: no
// event of the unit's places (for admin-1, none placed in an area) is
// stored.
var ErrNoPlaces = errors.New("no places with events")

// Unit is the place and period of a monthly target.
type Unit string

// The monthly units.
const (
	CountryMonth Unit = "country-month"
	Admin1Month  Unit = "admin1-month"
)

// ActiveThreshold is the least monthly fatalities of an active month.
func (u Unit) ActiveThreshold() float64 {
	if u == Admin1Month {
		return 1
	}
	return 25
}

// QuietMonths is the least number of inactive months before an onset.
func (u Unit) QuietMonths() int {
	if u == Admin1Month {
		return 6
	}
	return 12
}

// MonthlyDefaults returns the learners' default settings for target on
// unit: the logistic regression's L2 penalty and the trees'
// configuration. For onset they were chosen on outcome months 1998-01 to
// 2004-12 only (before the 2005-2020 test period; training from 1989-12),
// by log loss and Brier score of each learner at horizons 1 and 3, among
// penalties 30 to 3000 and trees of depth 2 to 4, 100 to 300 rounds,
// rates 0.025 to 0.1 and leaves of at least 1 to 100 in summed p(1-p):
// the admin-1 panel (CAR and Mexico, fewer rows and onsets) wants a
// larger penalty than the country panel, and both want larger leaves
// than the country-year trees (at a base rate near 0.5%, a leaf of 5
// holds about 1,000 rows; of 20, about 4,000). active and fatalities keep
// the country-year defaults (DefaultLambda, DefaultGBT): they were not
// tuned on monthly data.
func MonthlyDefaults(target Target, unit Unit) (lambda float64, gbt GBTConfig) {
	if target != Onset {
		return DefaultLambda, DefaultGBT
	}
	gbt = DefaultGBT
	gbt.Trees, gbt.Depth, gbt.LearningRate, gbt.MinHessian = 100, 3, 0.05, 20
	if unit == Admin1Month {
		return 300, gbt
	}
	return 50, gbt
}

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool { return u == CountryMonth || u == Admin1Month }

// monthlySeries are the indicators a monthly panel reads, by index.
var monthlySeries = []string{
	indicator.FatalitiesBest, indicator.ViolentEvents,
	"events.battle", "events.violence-against-civilians", "events.explosion-remote-violence",
	"events.protest", "events.riot", "events.coup",
	indicator.GoldsteinMean, indicator.GoldsteinEvents, indicator.FatalEvents,
	"nb." + indicator.FatalitiesBest, "nb." + indicator.ViolentEvents,
	"nb.events.protest", "nb.events.riot",
}

const (
	sFat = iota
	sViolent
	sBattle
	sVAC
	sERV
	sProtest
	sRiot
	sCoup
	sGoldMean
	sGoldEvents
	sFatEvents
	sNbFat
	sNbViolent
	sNbProtest
	sNbRiot
	seriesCount
)

// MonthlyPanel holds a unit's month series, dense from First for Months
// months, and computes targets and features from them. It is safe for
// concurrent use once built.
type MonthlyPanel struct {
	Unit   Unit
	First  time.Time // the first month
	Months int
	Places []indicator.Place
	// data[p][s][m]: place p's series s in month m; for an admin-1 area,
	// the nb.* series are its country's.
	data [][seriesCount][]float32
	// country[p] indexes place p's country series (country-month: p).
	country []int
	// areas[c] are the admin-1 places of country series c (admin1-month).
	areas     map[int][]int
	elections map[string][]int // country -> election month indices, sorted
	cov       *FeatureSet      // country-year covariates, may be nil
	covCols   []int            // indices of Row's cov.* columns in cov
}

// covNames are the country-year structural covariates a monthly row takes
// from the year before its month.
var covNames = []string{"cov.log_pop", "cov.log_gdppc", "cov.gdppc_growth", "cov.log_infmort"}

// BuildMonthly builds unit's panel from month indicator values (other
// kinds are ignored) up to the month of cutoff (zero: all), with the
// election calendar and, if not nil, the country-year covariates.
func BuildMonthly(unit Unit, values []indicator.Value, elections []election.Election, cutoff time.Time, cov *FeatureSet) (*MonthlyPanel, error) {
	return BuildMonthlyAreas(unit, values, elections, cutoff, cov, nil)
}

// BuildMonthlyAreas is BuildMonthly with areas, admin-1 places that are
// units of an admin1-month panel whether or not they have events (their
// months count as zero), for countries that have an area with events.
// Given every area of such a country, the panel's places no longer
// depend on which areas have events later (see CompleteAreas).
func BuildMonthlyAreas(unit Unit, values []indicator.Value, elections []election.Election, cutoff time.Time, cov *FeatureSet, areas []indicator.Place) (*MonthlyPanel, error) {
	if !unit.Valid() {
		return nil, fmt.Errorf("monthly panel: unknown unit %q", unit)
	}
	idx := map[string]int{}
	for i, n := range monthlySeries {
		idx[n] = i
	}
	var first, last time.Time
	places := map[indicator.Place]bool{}
	for _, v := range values {
		if v.Kind != indicator.Month || (!cutoff.IsZero() && v.Start.After(cutoff)) {
			continue
		}
		if first.IsZero() || v.Start.Before(first) {
			first = v.Start
		}
		if v.Start.After(last) {
			last = v.Start
		}
		if v.Name == indicator.Events && v.Value > 0 && (v.Admin1 != "") == (unit == Admin1Month) {
			places[v.Place] = true
		}
	}
	if len(places) == 0 {
		return nil, fmt.Errorf("monthly panel: %w (%s): ingest events and compute indicators", ErrNoPlaces, unit)
	}
	if unit == Admin1Month {
		has := map[string]bool{}
		for p := range places {
			has[p.Country] = true
		}
		for _, a := range areas {
			if a.Admin1 != "" && has[a.Country] {
				places[a] = true
			}
		}
	}
	if !cutoff.IsZero() {
		last = indicator.Month.Start(cutoff)
	}
	mp := &MonthlyPanel{Unit: unit, First: first, Months: monthIndex(first, last) + 1, cov: cov}
	for p := range places {
		mp.Places = append(mp.Places, p)
	}
	sort.Slice(mp.Places, func(i, j int) bool {
		a, b := mp.Places[i], mp.Places[j]
		if a.Country != b.Country {
			return a.Country < b.Country
		}
		return a.Admin1 < b.Admin1
	})
	// Countries' series are needed for admin-1 areas' context too.
	pi := map[indicator.Place]int{}
	for i, p := range mp.Places {
		pi[p] = i
	}
	ci := map[string]int{} // country -> index into data
	alloc := func() [seriesCount][]float32 {
		var s [seriesCount][]float32
		for k := range s {
			s[k] = make([]float32, mp.Months)
		}
		return s
	}
	mp.data = make([][seriesCount][]float32, len(mp.Places))
	for i := range mp.data {
		mp.data[i] = alloc()
	}
	if unit == CountryMonth {
		for i, p := range mp.Places {
			ci[p.Country] = i
		}
	} else {
		for _, p := range mp.Places {
			if _, ok := ci[p.Country]; !ok {
				ci[p.Country] = len(mp.data)
				mp.data = append(mp.data, alloc())
			}
		}
	}
	mp.country = make([]int, len(mp.Places))
	mp.areas = map[int][]int{}
	for i, p := range mp.Places {
		mp.country[i] = ci[p.Country]
		if unit == Admin1Month {
			mp.areas[mp.country[i]] = append(mp.areas[mp.country[i]], i)
		}
	}
	for _, v := range values {
		s, ok := idx[v.Name]
		if v.Kind != indicator.Month || !ok || v.Start.Before(first) || (!cutoff.IsZero() && v.Start.After(cutoff)) {
			continue
		}
		m := monthIndex(first, v.Start)
		if v.Admin1 == "" {
			if c, ok := ci[v.Country]; ok {
				mp.data[c][s][m] = float32(v.Value)
			}
			continue
		}
		if p, ok := pi[v.Place]; ok && unit == Admin1Month {
			mp.data[p][s][m] = float32(v.Value)
		}
	}
	// An admin-1 area's neighbour series are its country's.
	if unit == Admin1Month {
		for i := range mp.Places {
			for _, s := range []int{sNbFat, sNbViolent, sNbProtest, sNbRiot} {
				mp.data[i][s] = mp.data[mp.country[i]][s]
			}
		}
	}
	mp.elections = map[string][]int{}
	for _, e := range elections {
		m := monthIndex(first, e.Date)
		mp.elections[e.Country] = append(mp.elections[e.Country], m)
	}
	for _, ms := range mp.elections {
		slices.Sort(ms)
	}
	if cov != nil {
		names := cov.Names()
		for _, n := range covNames {
			mp.covCols = append(mp.covCols, slices.Index(names, n))
		}
	}
	return mp, nil
}

// monthIndex is the number of months from the month of a to the month of b.
func monthIndex(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// Month returns the first day of month index m.
func (mp *MonthlyPanel) Month(m int) time.Time { return mp.First.AddDate(0, m, 0) }

// MonthOf returns the index of t's month (negative before First).
func (mp *MonthlyPanel) MonthOf(t time.Time) int { return monthIndex(mp.First, t) }

func (mp *MonthlyPanel) at(p, s, m int) float64 {
	if m < 0 || m >= mp.Months {
		return 0
	}
	return float64(mp.data[p][s][m])
}

// sum is the sum of series s over months a..b.
func (mp *MonthlyPanel) sum(p, s, a, b int) float64 {
	t := 0.0
	for m := max(a, 0); m <= b && m < mp.Months; m++ {
		t += float64(mp.data[p][s][m])
	}
	return t
}

// Fatalities returns place p's best-estimate fatalities in month m.
func (mp *MonthlyPanel) Fatalities(p, m int) float64 { return mp.at(p, sFat, m) }

// active reports whether place p's month m reached the active threshold.
func (mp *MonthlyPanel) active(p, m int) bool {
	return mp.at(p, sFat, m) >= mp.Unit.ActiveThreshold()
}

// MonthlyOutcome is one place's outcome H months after origin month T.
type MonthlyOutcome struct {
	Place   int  // index into Places
	Origin  int  // month index t: the forecast uses months up to t
	Horizon int  // H
	AtRisk  bool // in the target's at-risk set
	// Value is 0 or 1 for active and onset, the fatalities for
	// fatalities.
	Value float64
}

// Outcome returns target's outcome for place p, origin month t and
// horizon h, and whether it is known (t+h within the panel; for onset,
// the quiet months within it too).
func (mp *MonthlyPanel) Outcome(target Target, p, t, h int) (MonthlyOutcome, bool) {
	o := MonthlyOutcome{Place: p, Origin: t, Horizon: h, AtRisk: true}
	T := t + h
	if t < 0 || T >= mp.Months {
		return o, false
	}
	switch target {
	case Active:
		if mp.active(p, T) {
			o.Value = 1
		}
	case Fatalities:
		o.Value = mp.at(p, sFat, T)
	case Onset:
		q := mp.Unit.QuietMonths()
		if T-q < 0 {
			return o, false
		}
		for m := T - q; m <= t; m++ {
			if mp.active(p, m) {
				o.AtRisk = false
			}
		}
		if mp.active(p, T) {
			o.Value = 1
			for m := T - q; m < T; m++ {
				if mp.active(p, m) {
					o.Value = 0
				}
			}
		}
	default:
		return o, false
	}
	return o, true
}

// monthlyFeatures are the features' names, in Row's order.
var monthlyFeatures = []string{
	"fat.t", "fat.t1", "fat.t2", "fat.t3_5", "fat.t6_11",
	"fat.decay3", "fat.decay12",
	"active.months_since", "active.months_12", "active.months_60",
	"violent.t", "battle.3", "civilians.3", "remote.3",
	"nb.fat.t", "nb.fat.3", "nb.violent.3",
	"unrest.3", "unrest.trend", "nb.unrest.3",
	"goldstein.mean_3", "goldstein.events_3",
	"coup.12",
	"election.next_6", "election.months_to_next",
	"country.fat.t", "country.fat.3", "country.months_since_active",
	// Sub-threshold violence, recency and trends.
	"fat.12", "fat.max12", "fat.trend", "fatal_months.3", "fatal_months.12",
	"fatal_events.t", "fatal_events.3", "fatal_events.12",
	"violent.3", "violent.12", "violent.trend", "violent_months.12",
	"battle.t", "battle.12", "civilians.t", "civilians.12",
	"violent.months_since", "fatal.months_since", "active.months_120",
	"nb.fat.12", "nb.violent.12", "nb.fat.trend",
	// Admin-1 areas: the rest of the country and the spread between areas.
	"others.fat.3", "others.fat.12", "country.violent.3", "country.fat.12", "country.fat.trend",
	"areas.fatal_3", "areas.new_3",
}

// MaxMonthsSince caps the months-since features.
const MaxMonthsSince = 120

// FeatureNames returns the features' names in Row's order.
func (mp *MonthlyPanel) FeatureNames() []string {
	out := slices.Clone(monthlyFeatures)
	if mp.cov != nil {
		out = append(out, covNames...)
	}
	return out
}

// Row returns place p's features at the end of month t, from months up to
// t only (and the election calendar; the covariates of the year before
// t's year). Counts enter as log1p.
func (mp *MonthlyPanel) Row(p, t int) []float64 {
	l := math.Log1p
	row := make([]float64, 0, len(monthlyFeatures)+len(covNames))
	row = append(row, l(mp.at(p, sFat, t)), l(mp.at(p, sFat, t-1)), l(mp.at(p, sFat, t-2)),
		l(mp.sum(p, sFat, t-5, t-3)), l(mp.sum(p, sFat, t-11, t-6)))
	d3, d12 := 0.0, 0.0
	for k := 0; k < 60 && t-k >= 0; k++ {
		f := mp.at(p, sFat, t-k)
		d3 += f * math.Exp2(-float64(k)/3)
		d12 += f * math.Exp2(-float64(k)/12)
	}
	row = append(row, l(d3), l(d12))
	row = append(row, mp.activeHistory(p, t)...)
	row = append(row, l(mp.at(p, sViolent, t)), l(mp.sum(p, sBattle, t-2, t)), l(mp.sum(p, sVAC, t-2, t)),
		l(mp.sum(p, sERV, t-2, t)))
	row = append(row, l(mp.at(p, sNbFat, t)), l(mp.sum(p, sNbFat, t-2, t)), l(mp.sum(p, sNbViolent, t-2, t)))
	unrest3 := mp.sum(p, sProtest, t-2, t) + mp.sum(p, sRiot, t-2, t)
	unrestBefore := mp.sum(p, sProtest, t-11, t-3) + mp.sum(p, sRiot, t-11, t-3)
	row = append(row, l(unrest3), l(unrest3/3)-l(unrestBefore/9),
		l(mp.sum(p, sNbProtest, t-2, t)+mp.sum(p, sNbRiot, t-2, t)))
	// Goldstein: the volume-weighted mean of the last three months, NaN
	// where no scored event (GED carries none).
	gs, gn := 0.0, 0.0
	for m := max(t-2, 0); m <= t; m++ {
		n := mp.at(p, sGoldEvents, m)
		gs += n * mp.at(p, sGoldMean, m)
		gn += n
	}
	gm := math.NaN()
	if gn > 0 {
		gm = gs / gn
	}
	row = append(row, gm, l(gn))
	c := mp.country[p]
	row = append(row, l(mp.sum(c, sCoup, t-11, t)))
	// Elections are scheduled in advance: the calendar after t is known.
	next6, until := 0.0, float64(MaxMonthsSince)
	for _, m := range mp.elections[mp.Places[p].Country] {
		if m > t {
			until = math.Min(until, float64(m-t))
			if m-t <= 6 {
				next6 = 1
			}
			break
		}
	}
	row = append(row, next6, l(until))
	if mp.Unit == Admin1Month {
		since := MaxMonthsSince
		for m := t; m >= 0 && t-m < MaxMonthsSince; m-- {
			if mp.at(c, sFat, m) >= CountryMonth.ActiveThreshold() {
				since = t - m
				break
			}
		}
		row = append(row, l(mp.at(c, sFat, t)), l(mp.sum(c, sFat, t-2, t)), l(float64(since)))
	} else {
		row = append(row, math.NaN(), math.NaN(), math.NaN())
	}
	row = mp.recentViolence(row, p, t)
	if mp.cov != nil {
		y := mp.Month(t).Year() - 1
		cr := mp.cov.Row(mp.Places[p].Country, y)
		for _, j := range mp.covCols {
			v := math.NaN()
			if j >= 0 {
				v = cr[j]
			}
			row = append(row, v)
		}
	}
	return row
}

// trend is log1p of the mean of series s over the last 3 months to t
// minus log1p of its mean over the 9 months before.
func (mp *MonthlyPanel) trend(p, s, t int) float64 {
	return math.Log1p(mp.sum(p, s, t-2, t)/3) - math.Log1p(mp.sum(p, s, t-11, t-3)/9)
}

// months returns the months among a..b whose series s is above 0.
func (mp *MonthlyPanel) months(p, s, a, b int) float64 {
	n := 0.0
	for m := max(a, 0); m <= b && m < mp.Months; m++ {
		if mp.data[p][s][m] > 0 {
			n++
		}
	}
	return n
}

// monthsSince returns the months from the last month to t whose series
// s is above 0 (0 for t itself), capped at MaxMonthsSince.
func (mp *MonthlyPanel) monthsSince(p, s, t int) float64 {
	for m := t; m >= 0 && t-m < MaxMonthsSince; m-- {
		if mp.at(p, s, m) > 0 {
			return float64(t - m)
		}
	}
	return MaxMonthsSince
}

// recentViolence appends the features from "fat.12" on: the place's
// violence below the active threshold (deaths, fatal events, events by
// UCDP violence type: battle is state-based and non-state, civilians
// one-sided), months since its last event and death, trends (last 3
// against the 9 months before), its neighbours' violence, and for an
// admin-1 area the rest of its country and the spread between its
// areas (NaN for country-month).
func (mp *MonthlyPanel) recentViolence(row []float64, p, t int) []float64 {
	l := math.Log1p
	mx := 0.0
	for m := max(t-11, 0); m <= t; m++ {
		mx = math.Max(mx, mp.at(p, sFat, m))
	}
	active120 := 0.0
	for m := max(t-MaxMonthsSince+1, 0); m <= t; m++ {
		if mp.active(p, m) {
			active120++
		}
	}
	row = append(row, l(mp.sum(p, sFat, t-11, t)), l(mx), mp.trend(p, sFat, t),
		mp.months(p, sFat, t-2, t), mp.months(p, sFat, t-11, t),
		l(mp.at(p, sFatEvents, t)), l(mp.sum(p, sFatEvents, t-2, t)), l(mp.sum(p, sFatEvents, t-11, t)),
		l(mp.sum(p, sViolent, t-2, t)), l(mp.sum(p, sViolent, t-11, t)), mp.trend(p, sViolent, t), mp.months(p, sViolent, t-11, t),
		l(mp.at(p, sBattle, t)), l(mp.sum(p, sBattle, t-11, t)), l(mp.at(p, sVAC, t)), l(mp.sum(p, sVAC, t-11, t)),
		l(mp.monthsSince(p, sViolent, t)), l(mp.monthsSince(p, sFat, t)), active120,
		l(mp.sum(p, sNbFat, t-11, t)), l(mp.sum(p, sNbViolent, t-11, t)), mp.trend(p, sNbFat, t))
	if mp.Unit != Admin1Month {
		nan := math.NaN()
		return append(row, nan, nan, nan, nan, nan, nan, nan)
	}
	c := mp.country[p]
	others := func(a, b int) float64 { return math.Max(mp.sum(c, sFat, a, b)-mp.sum(p, sFat, a, b), 0) }
	fatal3, new3 := 0.0, 0.0
	for _, q := range mp.areas[c] {
		if q != p && mp.sum(q, sFat, t-2, t) > 0 {
			fatal3++
		}
		if mp.sum(q, sViolent, t-2, t) > 0 && mp.sum(q, sViolent, t-14, t-3) == 0 {
			new3++
		}
	}
	return append(row, l(others(t-2, t)), l(others(t-11, t)), l(mp.sum(c, sViolent, t-2, t)), l(mp.sum(c, sFat, t-11, t)),
		mp.trend(c, sFat, t), l(fatal3), l(new3))
}

// activeHistory returns log1p months since the last active month (capped
// at MaxMonthsSince) and the active months among the last 12 and 60.
func (mp *MonthlyPanel) activeHistory(p, t int) []float64 {
	since := MaxMonthsSince
	n12, n60 := 0.0, 0.0
	for m := t; m >= 0 && t-m < MaxMonthsSince; m-- {
		if mp.active(p, m) {
			since = min(since, t-m)
			if t-m < 12 {
				n12++
			}
			if t-m < 60 {
				n60++
			}
		}
	}
	return []float64{math.Log1p(float64(since)), n12, n60}
}

// PlaceName is a place's label: ISO alpha-3, or "ISO3/admin-1".
func (mp *MonthlyPanel) PlaceName(p int) string {
	pl := mp.Places[p]
	if pl.Admin1 == "" {
		return pl.Country
	}
	return pl.Country + "/" + pl.Admin1
}

// CompleteAreas returns, for the admin1-month panel of values, every
// Natural Earth area (geo.Admin1Table) of each country whose admin-1
// areas with events all have Natural Earth names: the areas of a store
// whose admin-1 areas come from coordinates (the GED extract's). Without
// them the panel's places would be the areas with at least one event at
// any time, chosen with data later than most of the panel's months.
// Countries named otherwise by their source (UCDP's "Michoacán state")
// get none, so that no area enters twice under two names.
func CompleteAreas(values []indicator.Value, tab *geo.Admin1Table) []indicator.Place {
	named := map[string]map[string]bool{} // country -> admin-1 names with events
	for _, v := range values {
		if v.Kind != indicator.Month || v.Admin1 == "" || v.Name != indicator.Events || v.Value <= 0 {
			continue
		}
		if named[v.Country] == nil {
			named[v.Country] = map[string]bool{}
		}
		named[v.Country][v.Admin1] = true
	}
	var out []indicator.Place
	for _, c := range slices.Sorted(maps.Keys(named)) {
		areas := tab.Areas(c)
		ne := map[string]bool{}
		for _, a := range areas {
			ne[a.Name] = true
		}
		all := len(ne) > 0
		for n := range named[c] {
			all = all && ne[n]
		}
		if !all {
			continue
		}
		for _, a := range areas {
			out = append(out, indicator.Place{Country: c, Admin1: a.Name})
		}
	}
	return out
}
