package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/indicator"
	"threshold/internal/store"
)

// The stored forecasts' targets, units and the map layer that shows them
// (package forecast's names; web does not import it).
const (
	targetActive     = "active"
	targetOnset      = "onset"
	targetFatalities = "fatalities"
	unitCountryMonth = "country-month"
	unitAdmin1Month  = "admin1-month"
	layerForecast    = "forecast"
	layerViolence    = "violence"
)

// forecastTargets are the targets in the order the pages show them.
var forecastTargets = []string{targetActive, targetOnset, targetFatalities}

// targetTitle says what a target forecasts, for a unit; the thresholds
// are package forecast's (ActiveThreshold, QuietMonths).
func targetTitle(target, unit string) string {
	if unit == unitAdmin1Month {
		switch target {
		case targetActive:
			return "Active violence: 1 or more deaths in the month"
		case targetOnset:
			return "Onset: 1 or more deaths in the month after 6 months without"
		}
		return "Deaths in the month"
	}
	switch target {
	case targetActive:
		return "Active violence: 25 or more deaths in the month"
	case targetOnset:
		return "Onset: 25 or more deaths in the month after 12 months with fewer"
	}
	return "Deaths in the month"
}

// probClasses is the forecast layer's colour scale, the map's classes
// relabelled: probabilities span orders of magnitude as deaths do.
var probClasses = []class{
	{"c0", "under 1%", 0},
	{"c1", "1–5%", 1},
	{"c2", "5–10%", 5},
	{"c3", "10–25%", 10},
	{"c4", "25–50%", 25},
	{"c5", "50% or more", 50},
}

var noForecast = class{Name: "nodata", Label: "No forecast stored"}

// probClassOf returns the class of probability p (0 to 1).
func probClassOf(p float64) class {
	c := probClasses[0]
	for _, s := range probClasses {
		if p*100 >= float64(s.Min) {
			c = s
		}
	}
	return c
}

// formatProb writes a probability as a percentage people read: "0.4%",
// "12%", "<0.1%", ">99.9%"; near 0 and 1 with a decimal, so that a
// forecast of 99.6% does not read as a certainty.
func formatProb(p float64) string {
	switch pc := p * 100; {
	case math.IsNaN(p):
		return "–"
	case pc < 0.1:
		return "<0.1%"
	case pc > 99.9:
		return ">99.9%"
	case pc < 10 || pc >= 99.5:
		return strconv.FormatFloat(pc, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(pc, 'f', 0, 64) + "%"
	}
}

// formatDeaths writes a predicted number of deaths, rounded.
func formatDeaths(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return formatInt(int(math.Round(v)))
}

func monthLabel(t time.Time) string { return t.Format("Jan 2006") }

// forecastLayer is the world map's forecast layer: countries shaded by
// the probability of Target in the month after their latest data cut-off.
type forecastLayer struct {
	Target   string
	Title    string   // what the probability is of
	Targets  []option // the targets the layer can show
	Versions []string // model versions of the forecasts shown
	Cutoffs  []mapDate
	Months   []string // the months forecast
	None     bool     // no forecast of Target is stored
	Ranked   []forecastRank
}

// forecastRank is a row of the forecast layer's table.
type forecastRank struct {
	ISO3, Name  string
	Month       string
	Probability string
	Class       class
	p           float64
}

// applyForecastLayer colours v's countries by the latest stored
// horizon-1 country-month forecast of target (active unless onset).
func (h *handler) applyForecastLayer(ctx context.Context, target string, v *worldMapView) error {
	if target != targetOnset {
		target = targetActive
	}
	fs, err := h.Forecasts.Forecasts(ctx, store.ForecastQuery{Target: target, Unit: unitCountryMonth, Latest: true})
	if err != nil {
		return err
	}
	l := &forecastLayer{Target: target, Title: targetTitle(target, unitCountryMonth)}
	for _, t := range []string{targetActive, targetOnset} {
		l.Targets = append(l.Targets, option{Value: t, Label: t, Selected: t == target})
	}
	byCountry := map[string]store.Forecast{}
	versions, cutoffs, months := map[string]bool{}, map[time.Time]bool{}, map[time.Time]bool{}
	for _, f := range fs {
		if f.Horizon != 1 || math.IsNaN(f.Probability) {
			continue
		}
		// Two model versions at one cut-off: the one stored last.
		if old, ok := byCountry[f.Country]; ok && old.CreatedAt.After(f.CreatedAt) {
			continue
		}
		byCountry[f.Country] = f
	}
	for iso3, f := range byCountry {
		versions[f.ModelVersion], cutoffs[f.Cutoff], months[f.Period] = true, true, true
		name := iso3
		if c, ok := h.Geo.Lookup(iso3); ok {
			name = c.Name
		}
		l.Ranked = append(l.Ranked, forecastRank{ISO3: iso3, Name: name, Month: monthLabel(f.Period),
			Probability: formatProb(f.Probability), Class: probClassOf(f.Probability), p: f.Probability})
	}
	slices.SortFunc(l.Ranked, func(a, b forecastRank) int {
		return cmp.Or(cmp.Compare(b.p, a.p), strings.Compare(a.Name, b.Name))
	})
	for s := range versions {
		l.Versions = append(l.Versions, s)
	}
	slices.Sort(l.Versions)
	for _, t := range sortedTimes(cutoffs) {
		l.Cutoffs = append(l.Cutoffs, dateOf(t))
	}
	for _, t := range sortedTimes(months) {
		l.Months = append(l.Months, monthLabel(t))
	}
	l.None = len(byCountry) == 0
	for i := range v.Countries {
		c := &v.Countries[i]
		c.Class, c.Forecast = noForecast, ""
		if f, ok := byCountry[c.ISO3]; ok && c.ISO3 != "" {
			c.Class = probClassOf(f.Probability)
			c.Forecast = fmt.Sprintf("%s probability, %s", formatProb(f.Probability), monthLabel(f.Period))
		}
	}
	v.Scale, v.NoData, v.Forecast, v.Layer = probClasses, noForecast, l, layerForecast
	return nil
}

func sortedTimes(set map[time.Time]bool) []time.Time {
	out := make([]time.Time, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// countryForecast is the country page's forecasts section: the latest
// forecasts with their factors, the provinces' next month, and the history
// of past forecasts beside what happened.
type countryForecast struct {
	None bool // no forecast is stored for the country
	// NoOnset: the latest run forecast active but not onset, which is
	// forecast only for places at risk of one.
	NoOnset bool
	Latest  []forecastTable
	Areas   []areaForecast
	History []forecastHistory
}

// forecastTable is one target's latest forecasts, one row per horizon.
type forecastTable struct {
	Target, Title  string
	Model, Version string
	Cutoff         mapDate
	Rows           []forecastRow
}

type forecastRow struct {
	Horizon     int
	Month       string
	Probability string // active and onset
	Mean        string // fatalities: the predictive mean
	Interval    string // fatalities: the central 80% interval, "3–120"
	Factors     []string
}

// areaForecast is a province's forecasts for the month after the cut-off.
type areaForecast struct {
	Name           string
	Month          string
	Active, Onset  string // "–" when not forecast
	ActiveClass    string
	OnsetNotAtRisk bool // no onset forecast: the area had deaths in its quiet months
}

// forecastHistory is one target's 1-month-ahead forecasts of the past
// beside what happened.
type forecastHistory struct {
	Target, Title string
	Chart         *historyChart     // nil for fatalities
	Rows          []pastForecastRow // newest first
	Scored        int               // months whose outcome is known
	Brier         string            // mean squared error of those; "" when none
	Inside        string            // fatalities: the months inside the 80% interval, "7 of 9"
}

type pastForecastRow struct {
	Month    string
	Cutoff   string
	Forecast string // "12%" or "40 (10–90)"
	Observed string // "yes", "no", "212 deaths", "not known yet"
}

// maxHistory is the most months of past forecasts shown.
const maxHistory = 36

// countryForecasts builds the forecasts section for country iso3 from
// the stored country-month and admin-1-month forecasts and the country's
// month indicators.
func (h *handler) countryForecasts(ctx context.Context, iso3 string) (*countryForecast, error) {
	fs, err := h.Forecasts.Forecasts(ctx, store.ForecastQuery{Country: iso3, Unit: unitCountryMonth})
	if err != nil {
		return nil, err
	}
	areas, err := h.Forecasts.Forecasts(ctx, store.ForecastQuery{Country: iso3, Unit: unitAdmin1Month, Latest: true})
	if err != nil {
		return nil, err
	}
	cf := &countryForecast{None: len(fs) == 0 && len(areas) == 0}
	if cf.None {
		return cf, nil
	}
	whole := ""
	vals, err := h.Forecasts.Indicators(ctx, store.IndicatorQuery{Country: iso3, Admin1: &whole, Kind: indicator.Month, Name: indicator.FatalitiesBest})
	if err != nil {
		return nil, err
	}
	obs := newObserved(vals, fs)
	var onsetAt, activeAt time.Time
	for _, f := range fs {
		switch {
		case f.Target == targetOnset && f.Cutoff.After(onsetAt):
			onsetAt = f.Cutoff
		case f.Target == targetActive && f.Cutoff.After(activeAt):
			activeAt = f.Cutoff
		}
	}
	cf.NoOnset = !activeAt.IsZero() && onsetAt.Before(activeAt)
	for _, t := range forecastTargets {
		var mine []store.Forecast
		for _, f := range fs {
			if f.Target == t {
				mine = append(mine, f)
			}
		}
		if len(mine) == 0 {
			continue
		}
		// Onset forecasts of an older cut-off are not the latest: the
		// latest run found the country not at risk (NoOnset).
		if t != targetOnset || !cf.NoOnset {
			cf.Latest = append(cf.Latest, latestTable(t, mine))
		}
		cf.History = append(cf.History, historyOf(t, mine, obs))
	}
	cf.Areas = areaForecasts(areas)
	return cf, nil
}

// latestTable is the forecasts of target at its latest cut-off (of the
// model version stored last there).
func latestTable(target string, fs []store.Forecast) forecastTable {
	var last store.Forecast
	for _, f := range fs {
		if f.Cutoff.After(last.Cutoff) || (f.Cutoff.Equal(last.Cutoff) && f.CreatedAt.After(last.CreatedAt)) {
			last = f
		}
	}
	t := forecastTable{Target: target, Title: targetTitle(target, unitCountryMonth), Model: last.Model,
		Version: last.ModelVersion, Cutoff: dateOf(last.Cutoff)}
	for _, f := range fs {
		if !f.Cutoff.Equal(last.Cutoff) || f.ModelVersion != last.ModelVersion {
			continue
		}
		r := forecastRow{Horizon: f.Horizon, Month: monthLabel(f.Period), Factors: factorTexts(f.Factors)}
		if target == targetFatalities {
			r.Mean = formatDeaths(f.Mean)
			r.Interval = formatDeaths(f.Lo80) + "–" + formatDeaths(f.Hi80)
		} else {
			r.Probability = formatProb(f.Probability)
		}
		t.Rows = append(t.Rows, r)
	}
	slices.SortFunc(t.Rows, func(a, b forecastRow) int { return cmp.Compare(a.Horizon, b.Horizon) })
	return t
}

// factorTexts returns the plain-language texts of a stored forecast's
// factors; factors that do not decode are left out.
func factorTexts(raw json.RawMessage) []string {
	var fs []struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &fs); err != nil {
		return nil
	}
	var out []string
	for _, f := range fs {
		if f.Text != "" {
			out = append(out, f.Text)
		}
	}
	return out
}

// areaForecasts is the provinces' horizon-1 active and onset forecasts,
// most likely to be active first.
func areaForecasts(fs []store.Forecast) []areaForecast {
	type both struct{ active, onset *store.Forecast }
	byArea := map[string]*both{}
	for i := range fs {
		f := &fs[i]
		if f.Horizon != 1 || f.Admin1 == "" {
			continue
		}
		b := byArea[f.Admin1]
		if b == nil {
			b = &both{}
			byArea[f.Admin1] = b
		}
		switch f.Target {
		case targetActive:
			b.active = f
		case targetOnset:
			b.onset = f
		}
	}
	var out []areaForecast
	var ps []float64
	for name, b := range byArea {
		if b.active == nil && b.onset == nil {
			continue
		}
		a := areaForecast{Name: name, Active: "–", Onset: "–"}
		p := -1.0
		if b.active != nil {
			a.Month, a.Active, p = monthLabel(b.active.Period), formatProb(b.active.Probability), b.active.Probability
			a.ActiveClass = probClassOf(b.active.Probability).Name
		}
		if b.onset != nil {
			a.Month, a.Onset = monthLabel(b.onset.Period), formatProb(b.onset.Probability)
		} else {
			a.OnsetNotAtRisk = b.active != nil
		}
		out = append(out, a)
		ps = append(ps, p)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		return cmp.Or(cmp.Compare(ps[j], ps[i]), strings.Compare(out[i].Name, out[j].Name))
	})
	sorted := make([]areaForecast, len(out))
	for k, i := range idx {
		sorted[k] = out[i]
	}
	return sorted
}

// observed is what happened: a country's deaths per month from its month
// indicators, known up to Through.
type observed struct {
	fatalities map[time.Time]float64
	through    time.Time // the last month whose data is in
}

// newObserved reads the month indicator values (fatalities_best). The
// months known run to the later of the last month with a value and the
// last month before the latest forecast cut-off: that run had the data
// of every month up to it, months without events having no value.
func newObserved(vals []indicator.Value, fs []store.Forecast) observed {
	o := observed{fatalities: map[time.Time]float64{}}
	for _, v := range vals {
		o.fatalities[v.Start] += v.Value
		if v.Start.After(o.through) {
			o.through = v.Start
		}
	}
	for _, f := range fs {
		m := time.Date(f.Cutoff.Year(), f.Cutoff.Month(), 1, 0, 0, 0, 0, time.UTC)
		if m.After(o.through) {
			o.through = m
		}
	}
	return o
}

// outcome returns target's observed value in month m (0 or 1 for active
// and onset, the deaths for fatalities) and whether it is known.
func (o observed) outcome(target string, m time.Time) (float64, bool) {
	if o.through.IsZero() || m.After(o.through) {
		return 0, false
	}
	th := 25.0
	active := func(m time.Time) bool { return o.fatalities[m] >= th }
	switch target {
	case targetFatalities:
		return o.fatalities[m], true
	case targetActive:
		return b2f(active(m)), true
	case targetOnset:
		if !active(m) {
			return 0, true
		}
		for k := 1; k <= 12; k++ {
			if active(m.AddDate(0, -k, 0)) {
				return 0, true
			}
		}
		return 1, true
	}
	return 0, false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// historyOf is target's 1-month-ahead forecasts beside the outcomes, the
// last maxHistory months forecast. For a month forecast by several model
// versions, the one stored last is shown.
func historyOf(target string, fs []store.Forecast, obs observed) forecastHistory {
	hs := forecastHistory{Target: target, Title: targetTitle(target, unitCountryMonth)}
	byMonth := map[time.Time]store.Forecast{}
	for _, f := range fs {
		if f.Horizon != 1 {
			continue
		}
		if old, ok := byMonth[f.Period]; ok && old.CreatedAt.After(f.CreatedAt) {
			continue
		}
		byMonth[f.Period] = f
	}
	months := make([]time.Time, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	slices.SortFunc(months, func(a, b time.Time) int { return a.Compare(b) })
	if len(months) > maxHistory {
		months = months[len(months)-maxHistory:]
	}
	var pts []historyPoint
	var sq float64
	inside := 0
	for _, m := range months {
		f := byMonth[m]
		y, known := obs.outcome(target, m)
		r := pastForecastRow{Month: monthLabel(m), Cutoff: dateOf(f.Cutoff).Text, Observed: "not known yet"}
		if target == targetFatalities {
			r.Forecast = fmt.Sprintf("%s (%s–%s)", formatDeaths(f.Mean), formatDeaths(f.Lo80), formatDeaths(f.Hi80))
			if known {
				r.Observed = formatInt(int(y)) + " deaths"
				hs.Scored++
				if y >= f.Lo80 && y <= f.Hi80 {
					inside++
				}
			}
		} else {
			r.Forecast = formatProb(f.Probability)
			if known {
				r.Observed = map[bool]string{true: "yes", false: "no"}[y == 1]
				hs.Scored++
				sq += (f.Probability - y) * (f.Probability - y)
			}
			pts = append(pts, historyPoint{Month: m, P: f.Probability, Outcome: y, Known: known})
		}
		hs.Rows = append(hs.Rows, r)
	}
	slices.Reverse(hs.Rows)
	if hs.Scored > 0 {
		if target == targetFatalities {
			hs.Inside = fmt.Sprintf("%d of %d", inside, hs.Scored)
		} else {
			hs.Brier = strconv.FormatFloat(sq/float64(hs.Scored), 'f', 3, 64)
		}
	}
	if target != targetFatalities && len(pts) > 0 {
		hs.Chart = newHistoryChart(pts)
	}
	return hs
}

// historyPoint is one month forecast, and what happened.
type historyPoint struct {
	Month   time.Time
	P       float64
	Outcome float64
	Known   bool
}

// historyChart draws forecast probabilities per month as a line with
// dots, and under it a strip marking each month's outcome: a filled box
// when it happened, an empty one when it did not, none when not known.
type historyChart struct {
	Width, Height float64
	Left, Right   float64
	Top, Bottom   float64 // the probability plot
	StripY        float64 // the outcome strip's top
	StripH        float64
	Line          string // polyline points
	Points        []historyDot
	Outcomes      []historyBox
	YTicks        []chartTick
	XTicks        []chartTick
	XAxisY        float64
	YLabelX       float64
}

type historyDot struct {
	X, Y  float64
	Title string
}

type historyBox struct {
	X, W     float64
	Happened bool
	Title    string
}

const (
	historyWidth  = 720.0
	historyLeft   = 72.0 // room for the outcome strip's label
	historyPlotH  = 120.0
	historyTop    = 12.0
	historyStripH = 12.0
)

func newHistoryChart(pts []historyPoint) *historyChart {
	c := &historyChart{Width: historyWidth, Left: historyLeft, Right: historyWidth - chartRight, Top: historyTop,
		Bottom: historyTop + historyPlotH, YLabelX: historyLeft - 6, StripH: historyStripH}
	c.StripY = c.Bottom + 10
	c.XAxisY = c.StripY + c.StripH + 16
	c.Height = c.XAxisY + 10
	step := (c.Right - c.Left) / float64(len(pts))
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.YTicks = append(c.YTicks, chartTick{Pos: round1(c.Bottom - t*historyPlotH), Label: strconv.Itoa(int(t*100)) + "%"})
	}
	var line []string
	months := make([]monthly, len(pts))
	for i, p := range pts {
		months[i] = monthly{Month: p.Month}
		x := round1(c.Left + (float64(i)+0.5)*step)
		y := round1(c.Bottom - p.P*historyPlotH)
		line = append(line, strconv.FormatFloat(x, 'f', -1, 64)+","+strconv.FormatFloat(y, 'f', -1, 64))
		what := "not known yet"
		if p.Known {
			what = map[bool]string{true: "it happened", false: "it did not happen"}[p.Outcome == 1]
		}
		title := fmt.Sprintf("%s: forecast %s; %s", monthLabel(p.Month), formatProb(p.P), what)
		c.Points = append(c.Points, historyDot{X: x, Y: y, Title: title})
		if p.Known {
			gap := math.Min(step*0.2, 2)
			c.Outcomes = append(c.Outcomes, historyBox{X: round1(c.Left + float64(i)*step + gap/2), W: round1(math.Max(step-gap, 0.6)),
				Happened: p.Outcome == 1, Title: title})
		}
	}
	c.Line = strings.Join(line, " ")
	c.XTicks = monthTicks(months, c.Left, step)
	return c
}
