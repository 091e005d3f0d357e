package report

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/casework"
	"threshold/internal/detect"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/store"
	"threshold/internal/web/atlas"
)

// Source is what the report reads from the database (a *store.DB).
type Source interface {
	Indicators(ctx context.Context, q store.IndicatorQuery) ([]indicator.Value, error)
	Alerts(ctx context.Context, q alert.Query) ([]alert.Alert, error)
	Forecasts(ctx context.Context, q store.ForecastQuery) ([]store.Forecast, error)
	Stats(ctx context.Context, by store.Grouping, f event.Filter) ([]event.Period, error)
	Events(ctx context.Context, f event.Filter, p store.Page, fn func(event.Stored) error) error
}

// Agreements are the peace agreements the report reads as its viewer (a
// *store.DB): an agreement linked to a case the viewer may not see is
// not in the report.
type Agreements interface {
	Agreements(ctx context.Context, v casework.Viewer, q agreement.Query) ([]agreement.Agreement, error)
	Agreement(ctx context.Context, v casework.Viewer, id int64) (agreement.Agreement, error)
}

// Overrides are analysts' reviews of the tracker's calls (a *store.DB).
type Overrides interface {
	TrackerOverrides(ctx context.Context, month time.Time, countries []string) ([]store.TrackerOverride, error)
}

// Cases is the casework the report reads as its viewer (a
// *casework.Service), so that need-to-know applies: a case the viewer may
// not see is not in the report.
type Cases interface {
	List(ctx context.Context, v casework.Viewer, q casework.Query) ([]casework.Case, int, error)
	Actions(ctx context.Context, v casework.Viewer, q casework.ActionQuery) ([]casework.Action, error)
}

// Options select the report.
type Options struct {
	Month     time.Time // any day of the month reported; its first day is used
	Countries []string  // ISO alpha-3; nil is every country with events in the month
	// Region keeps the countries of a UN M49 region, subregion or
	// intermediate region ("Africa", "Middle Africa"); "" keeps all.
	Region     string
	Agreements Agreements // nil leaves agreement milestones out
	Overrides  Overrides  // nil prints the drafts
	// Maps draws each country's map of recent events.
	Maps bool
	// Brief titles a one-country report as the country brief.
	Brief  bool
	Cases  Cases // nil leaves casework out
	Viewer casework.Viewer
	Now    time.Time // when the report was generated, printed in it
}

// Month is one month's figures for a country, from the stored monthly
// country indicators (a month without a stored value had none).
type Month struct {
	Start      time.Time
	Events     int
	Fatalities int
}

// Country is one country's section of the report.
type Country struct {
	ISO3 string
	Name string
	// Region is the country's UN M49 region and subregion, spelled out.
	Region string
	// Months are the month reported and the twelve before it, oldest
	// first; the last is the month reported.
	Months []Month
	// History is the month reported and the 24 before it, oldest first,
	// which the detectors score.
	History []Month
	// Mean12Events and Mean12Fatalities average the twelve months before.
	Mean12Events, Mean12Fatalities float64
	// Alerts are the alerts whose episode meets the month: opened on
	// data of the month or before, and firing on data of the month or
	// after.
	Alerts []Alert
	// LastData is the last month with any event stored for the country
	// ("2022-12"); "" when none is.
	LastData  string
	Cases     []CaseActions
	Forecasts []Forecast
	// Detections are the surprise and CUSUM detectors' verdicts on the
	// month's deaths (and events), over the 24 months before.
	Detections []detect.Detection
	// Milestones are agreement signings and provisions' progress in the
	// month.
	Milestones []Milestone
	// Call is the tracker's call for the month.
	Call Call
	// Map is the map of the events of the month and the two before; nil
	// unless Options.Maps.
	Map *Map
}

// Chart24 is the 24 months to the month reported.
func (c Country) Chart24() []Month { return c.History[len(c.History)-24:] }

// Forecast is a stored forecast with its drivers decoded.
type Forecast struct {
	store.Forecast
	Drivers []Driver
}

// Driver is one of a forecast's contributing factors (forecast.Factor).
type Driver struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
	Effect  float64 `json:"effect"`
	Text    string  `json:"text"`
}

// Alert is an alert in the report.
type Alert struct {
	alert.Alert
	New bool // opened on data of the month reported
}

// AfterData reports whether the month reported is after the country's
// last month of stored events, so that its zeros are no data, not calm.
func (c Country) AfterData() bool {
	return c.LastData == "" || c.Current().Start.Format("2006-01") > c.LastData
}

// Current is the month reported.
func (c Country) Current() Month { return c.Months[len(c.Months)-1] }

// CaseActions is a case in the country with its actions taken in the month.
type CaseActions struct {
	Case    casework.Case
	Actions []casework.Action
}

// Coverage is where one source's stored data begins and ends.
type Coverage struct {
	Source      event.Source
	Name        string // "UCDP GED"
	First, Last string // months, "2006-01"
	Citation    string
}

// Monthly is the monthly tracker report.
type Monthly struct {
	Month     time.Time
	Generated time.Time
	// Scope says which countries, spelled out: "Africa", "Central African
	// Republic", "every country with events in the month".
	Scope     string
	Viewer    string // whose need-to-know applied; "" when casework is left out
	Brief     bool
	Casework  bool
	Countries []Country
	Sources   []Coverage
}

// names are the sources' names as reports spell them.
var names = map[event.Source]string{
	event.UCDPGED:       "UCDP GED",
	event.UCDPCandidate: "UCDP Candidate Events",
	event.UCDPDECO:      "UCDP DECO",
	event.GDELT:         "GDELT",
	event.ACLED:         "ACLED",
	event.ICEWS:         "ICEWS",
	event.PowellThyne:   "Powell & Thyne coups",
	event.FieldReport:   "Field reports",
}

// Citations of the event sources, as the README's licences section gives
// them.
var citations = map[event.Source]string{
	event.UCDPGED:       "Uppsala Conflict Data Program (UCDP) Georeferenced Event Dataset, CC BY 4.0. Sundberg & Melander (2013), Introducing the UCDP Georeferenced Event Dataset, Journal of Peace Research 50(4); Davies, Pettersson & Öberg (2023), Organized violence 1989–2022, JPR 60(4).",
	event.UCDPCandidate: "UCDP Candidate Events Dataset, CC BY 4.0, preliminary monthly releases.",
	event.UCDPDECO:      "UCDP Deadly Electoral Conflict Dataset (DECO), CC BY 4.0. Fjelde & Höglund (2022), Journal of Conflict Resolution 66(1).",
	event.GDELT:         "The GDELT Project (https://www.gdeltproject.org/), free and open with citation. Leetaru & Schrodt (2013), GDELT: Global Data on Events, Location and Tone.",
	event.ACLED:         "ACLED, used under the user's own account terms. Raleigh, Linke, Hegre & Karlsen (2010), Introducing ACLED, JPR 47(5).",
	event.ICEWS:         "Boschee et al., ICEWS Coded Event Data, Harvard Dataverse, doi:10.7910/DVN/28075.",
	event.PowellThyne:   "Powell & Thyne (2011), Global instances of coups from 1950 to 2010, JPR 48(2).",
	event.FieldReport:   "Verified reports of Threshold's own field monitors and partners.",
}

// Build reads the report's figures from src.
func Build(ctx context.Context, src Source, o Options) (Monthly, error) {
	month := time.Date(o.Month.Year(), o.Month.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := month.AddDate(0, 1, -1)
	r := Monthly{Month: month, Generated: o.Now.UTC(), Casework: o.Cases != nil, Brief: o.Brief}
	if o.Cases != nil {
		r.Viewer = o.Viewer.Email
		if r.Viewer == "" {
			r.Viewer = "the database operator"
		}
	}
	codes, err := geo.Load()
	if err != nil {
		return Monthly{}, fmt.Errorf("report: country names: %w", err)
	}
	countries := o.Countries
	if len(countries) == 0 {
		ps, err := src.Stats(ctx, store.CountryMonth, event.Filter{From: month, To: end})
		if err != nil {
			return Monthly{}, fmt.Errorf("report: countries with events in %s: %w", month.Format("2006-01"), err)
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if !seen[p.Country] {
				seen[p.Country] = true
				countries = append(countries, p.Country)
			}
		}
		sort.Strings(countries)
	}
	r.Scope = scope(codes, o.Countries, o.Region)
	if o.Region != "" {
		if !KnownRegion(codes, o.Region) {
			return Monthly{}, fmt.Errorf("report: region %q is not a UN M49 region, subregion or intermediate region", o.Region)
		}
		var in []string
		for _, iso := range countries {
			if gc, ok := codes.Lookup(iso); ok && inRegion(gc, o.Region) {
				in = append(in, iso)
			}
		}
		countries = in
	}
	var overrides map[string]store.TrackerOverride
	if o.Overrides != nil && len(countries) > 0 {
		os, err := o.Overrides.TrackerOverrides(ctx, month, countries)
		if err != nil {
			return Monthly{}, fmt.Errorf("report: tracker overrides: %w", err)
		}
		overrides = map[string]store.TrackerOverride{}
		for _, ov := range os {
			overrides[ov.Country] = ov // the last is in force
		}
	}
	var atl *atlas.Atlas
	if o.Maps {
		if atl, err = atlas.Detailed(codes); err != nil {
			return Monthly{}, fmt.Errorf("report: atlas: %w", err)
		}
	}
	for _, iso := range countries {
		c, err := buildCountry(ctx, src, o, codes, strings.ToUpper(iso), month, end)
		if err != nil {
			return Monthly{}, err
		}
		c.Call = draft(&c)
		if ov, ok := overrides[c.ISO3]; ok {
			c.Call.Override = &Override{Verdict: Verdict{Trend: Trend(ov.Trend), RiskAlert: ov.RiskAlert,
				ResolutionOpportunity: ov.Opportunity}, Reason: ov.Reason, By: ov.Actor, At: ov.At}
		}
		if atl != nil {
			m, err := buildMap(ctx, src, atl, c.ISO3, month.AddDate(0, -2, 0), end)
			if err != nil {
				return Monthly{}, err
			}
			c.Map = &m
		}
		r.Countries = append(r.Countries, c)
	}
	cov, err := coverage(ctx, src)
	if err != nil {
		return Monthly{}, err
	}
	r.Sources = cov
	return r, nil
}

func buildCountry(ctx context.Context, src Source, o Options, codes *geo.Table, iso string, month, end time.Time) (Country, error) {
	c := Country{ISO3: iso, Name: iso}
	if gc, ok := codes.Lookup(iso); ok {
		c.Name = gc.Name
		c.Region = strings.Join(nonEmpty(gc.Region, gc.Subregion, gc.IntermediateRegion), ", ")
	}
	first := month.AddDate(0, -24, 0)
	whole := ""
	vals, err := src.Indicators(ctx, store.IndicatorQuery{Country: iso, Admin1: &whole, Kind: indicator.Month, From: first, To: month})
	if err != nil {
		return Country{}, fmt.Errorf("report: %s indicators: %w", iso, err)
	}
	byStart := map[time.Time]*Month{}
	for m := first; !m.After(month); m = m.AddDate(0, 1, 0) {
		c.History = append(c.History, Month{Start: m})
	}
	for i := range c.History {
		byStart[c.History[i].Start] = &c.History[i]
	}
	for _, v := range vals {
		m := byStart[v.Start]
		if m == nil {
			continue
		}
		switch v.Name {
		case indicator.Events:
			m.Events = int(v.Value)
		case indicator.FatalitiesBest:
			m.Fatalities = int(v.Value)
		}
	}
	c.Months = c.History[len(c.History)-13:]
	c.Detections = detections(c)
	for _, m := range c.Months[:12] {
		c.Mean12Events += float64(m.Events) / 12
		c.Mean12Fatalities += float64(m.Fatalities) / 12
	}
	as, err := src.Alerts(ctx, alert.Query{Country: iso})
	if err != nil {
		return Country{}, fmt.Errorf("report: %s alerts: %w", iso, err)
	}
	for _, a := range as {
		// An alert's episode runs from the data that opened it to the
		// latest data it fired on; it is in the report when that span
		// meets the month.
		if !a.FirstWindow.End.After(end) && !a.Window.End.Before(month) {
			c.Alerts = append(c.Alerts, Alert{Alert: a, New: !a.FirstWindow.End.Before(month)})
		}
	}
	sort.SliceStable(c.Alerts, func(i, j int) bool {
		if !c.Alerts[i].FirstWindow.End.Equal(c.Alerts[j].FirstWindow.End) {
			return c.Alerts[i].FirstWindow.End.Before(c.Alerts[j].FirstWindow.End)
		}
		return c.Alerts[i].ID < c.Alerts[j].ID
	})
	ps, err := src.Stats(ctx, store.CountryMonth, event.Filter{Country: iso})
	if err != nil {
		return Country{}, fmt.Errorf("report: %s months with events: %w", iso, err)
	}
	for _, p := range ps {
		c.LastData = max(c.LastData, p.Period)
	}
	if o.Cases != nil {
		cs, _, err := o.Cases.List(ctx, o.Viewer, casework.Query{Country: iso})
		if err != nil {
			return Country{}, fmt.Errorf("report: %s cases: %w", iso, err)
		}
		for _, cs := range cs {
			acts, err := o.Cases.Actions(ctx, o.Viewer, casework.ActionQuery{CaseID: cs.ID})
			if err != nil {
				return Country{}, fmt.Errorf("report: case %d actions: %w", cs.ID, err)
			}
			ca := CaseActions{Case: cs}
			for _, a := range acts {
				if !a.At.Before(month) && !a.At.After(end) {
					ca.Actions = append(ca.Actions, a)
				}
			}
			c.Cases = append(c.Cases, ca)
		}
	}
	fs, err := src.Forecasts(ctx, store.ForecastQuery{Country: iso, Unit: "country-month", AsOf: end, Latest: true})
	if err != nil {
		return Country{}, fmt.Errorf("report: %s forecasts: %w", iso, err)
	}
	for _, f := range fs {
		fc := Forecast{Forecast: f}
		if len(f.Factors) > 0 {
			if err := json.Unmarshal(f.Factors, &fc.Drivers); err != nil {
				return Country{}, fmt.Errorf("report: %s forecast %s %s: factors: %w", iso, f.Target, f.Period.Format("2006-01"), err)
			}
		}
		c.Forecasts = append(c.Forecasts, fc)
	}
	if o.Agreements != nil {
		ms, err := milestones(ctx, o.Agreements, o.Viewer, iso, month, end)
		if err != nil {
			return Country{}, err
		}
		c.Milestones = ms
	}
	return c, nil
}

// detections scores the month's deaths and events against the 24 months
// before with the surprise and CUSUM detectors (detect.Detect, monthly
// defaults).
func detections(c Country) []detect.Detection {
	var out []detect.Detection
	for _, what := range []struct {
		noun  string
		value func(Month) int
	}{{"deaths", func(m Month) int { return m.Fatalities }}, {"events", func(m Month) int { return m.Events }}} {
		s := detect.Series{Subject: what.noun + " in " + c.Name, Period: detect.Month}
		for _, m := range c.History {
			s.Labels = append(s.Labels, m.Start.Format("2006-01"))
			s.Values = append(s.Values, float64(what.value(m)))
		}
		ds, err := detect.Detect(s, detect.DefaultConfig(detect.Month))
		if err != nil {
			continue // a short history is scored by the figures alone
		}
		out = append(out, ds...)
	}
	return out
}

// milestones finds the agreements of a country signed in the month and
// the provisions that moved to a higher status in it, as v may see them.
func milestones(ctx context.Context, ag Agreements, v casework.Viewer, iso string, month, end time.Time) ([]Milestone, error) {
	as, err := ag.Agreements(ctx, v, agreement.Query{Country: iso})
	if err != nil {
		return nil, fmt.Errorf("report: %s agreements: %w", iso, err)
	}
	in := func(t time.Time) bool { return !t.Before(month) && !t.After(end) }
	var out []Milestone
	for _, a := range as {
		if a.Signed.After(end) {
			continue
		}
		if in(a.Signed) {
			out = append(out, Milestone{AgreementID: a.ID, Agreement: a.Name, On: a.Signed,
				Text: fmt.Sprintf("%s signed on %s", a.Name, a.Signed.Format("2 January 2006"))})
		}
		if a.ProvisionCount == 0 {
			continue
		}
		full, err := ag.Agreement(ctx, v, a.ID)
		if err != nil {
			return nil, fmt.Errorf("report: agreement %d: %w", a.ID, err)
		}
		for _, p := range full.Provisions {
			for _, h := range p.History {
				if h.From != "" && h.To.Rank() > h.From.Rank() && in(h.On) {
					out = append(out, Milestone{AgreementID: a.ID, Agreement: a.Name, On: h.On,
						Text: fmt.Sprintf("%s: provision %q moved from %s to %s on %s", a.Name, p.Text, h.From, h.To, h.On.Format("2 January 2006"))})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].On.Before(out[j].On) })
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// inRegion reports whether c is in the UN M49 region, subregion or
// intermediate region named (case-insensitive).
func inRegion(c geo.Country, region string) bool {
	for _, r := range []string{c.Region, c.Subregion, c.IntermediateRegion} {
		if r != "" && strings.EqualFold(r, strings.TrimSpace(region)) {
			return true
		}
	}
	return false
}

// KnownRegion reports whether some country is in the region named.
func KnownRegion(codes *geo.Table, region string) bool {
	for _, c := range codes.Countries() {
		if inRegion(c, region) {
			return true
		}
	}
	return false
}

// scope spells out which countries a report covers.
func scope(codes *geo.Table, countries []string, region string) string {
	var names []string
	for _, iso := range countries {
		n := strings.ToUpper(iso)
		if gc, ok := codes.Lookup(iso); ok {
			n = gc.Name
		}
		names = append(names, n)
	}
	switch {
	case len(names) > 0 && region != "":
		return strings.Join(names, ", ") + " (in " + region + ")"
	case len(names) > 0:
		return strings.Join(names, ", ")
	case region != "":
		return "every country in " + region + " with events in the month"
	}
	return "every country with events in the month"
}

// coverage finds each source's first and last month of stored events.
func coverage(ctx context.Context, src Source) ([]Coverage, error) {
	var out []Coverage
	for _, s := range event.Sources() {
		ps, err := src.Stats(ctx, store.CountryMonth, event.Filter{Source: s})
		if err != nil {
			return nil, fmt.Errorf("report: coverage of %s: %w", s, err)
		}
		if len(ps) == 0 {
			continue
		}
		cv := Coverage{Source: s, First: ps[0].Period, Last: ps[0].Period, Name: names[s], Citation: citations[s]}
		if cv.Name == "" {
			cv.Name = string(s)
		}
		for _, p := range ps {
			cv.First = min(cv.First, p.Period)
			cv.Last = max(cv.Last, p.Period)
		}
		out = append(out, cv)
	}
	return out, nil
}
