// Package report drafts the monthly tracker report from the database:
// per country in scope, the month's events and fatalities against the
// twelve months before, the alerts whose data window falls in the month,
// the cases and actions the reader may see, the latest stored forecasts,
// and the data sources with their citations and where their data ends.
// Every figure is read from the store; nothing is estimated here.
package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/casework"
	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/store"
)

// Source is what the report reads from the database (a *store.DB).
type Source interface {
	Indicators(ctx context.Context, q store.IndicatorQuery) ([]indicator.Value, error)
	Alerts(ctx context.Context, q alert.Query) ([]alert.Alert, error)
	Forecasts(ctx context.Context, q store.ForecastQuery) ([]store.Forecast, error)
	Stats(ctx context.Context, by store.Grouping, f event.Filter) ([]event.Period, error)
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
	Cases     Cases     // nil leaves casework out
	Viewer    casework.Viewer
	Now       time.Time // when the report was generated, printed in it
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
	// Months are the month reported and the twelve before it, oldest
	// first; the last is the month reported.
	Months []Month
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
	Forecasts []store.Forecast
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
	Viewer    string // whose need-to-know applied; "" when casework is left out
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
	r := Monthly{Month: month, Generated: o.Now.UTC(), Casework: o.Cases != nil}
	if o.Cases != nil {
		r.Viewer = o.Viewer.Email
		if r.Viewer == "" {
			r.Viewer = "the database operator"
		}
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
	codes, err := geo.Load()
	if err != nil {
		return Monthly{}, fmt.Errorf("report: country names: %w", err)
	}
	for _, iso := range countries {
		c, err := buildCountry(ctx, src, o, codes, strings.ToUpper(iso), month, end)
		if err != nil {
			return Monthly{}, err
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
	}
	first := month.AddDate(0, -12, 0)
	whole := ""
	vals, err := src.Indicators(ctx, store.IndicatorQuery{Country: iso, Admin1: &whole, Kind: indicator.Month, From: first, To: month})
	if err != nil {
		return Country{}, fmt.Errorf("report: %s indicators: %w", iso, err)
	}
	byStart := map[time.Time]*Month{}
	for m := first; !m.After(month); m = m.AddDate(0, 1, 0) {
		c.Months = append(c.Months, Month{Start: m})
	}
	for i := range c.Months {
		byStart[c.Months[i].Start] = &c.Months[i]
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
	c.Forecasts = fs
	return c, nil
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
