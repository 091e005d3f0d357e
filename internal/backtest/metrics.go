package backtest

import (
	"slices"
	"sort"
	"time"
)

// Horizon is the lead window matching alerts and episodes, in months: an
// alert raised at the end of month A warns of an episode in its country in
// month E when MinLead <= E-A <= MaxLead.
type Horizon struct {
	MinLead int `json:"min_lead_months"`
	MaxLead int `json:"max_lead_months"`
}

// DefaultHorizon warns 1 to 3 months ahead: an alert at the end of March
// warns of an escalation in April, May or June.
var DefaultHorizon = Horizon{MinLead: 1, MaxLead: 3}

// Metrics are one rule set's scores over a run.
type Metrics struct {
	Name string `json:"name,omitempty"`
	// Alerts is the number raised at month ends in [from, to]; Followed
	// of them were followed by an episode (precision's numerator).
	Alerts   int `json:"alerts"`
	Followed int `json:"followed"`
	// Episodes in [from, to]; Warned of them had an alert in the lead
	// window (recall's numerator).
	Episodes int `json:"episodes"`
	Warned   int `json:"warned"`
	// Recall is Warned/Episodes, Precision Followed/Alerts (0 when the
	// denominator is 0).
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
	// MedianLeadDays is the median over warned episodes of the days from
	// the earliest alert in the lead window (its month end) to the first
	// day of the episode month; 0 when no episode was warned.
	MedianLeadDays float64 `json:"median_lead_days"`
	// LeadMonths counts the warned episodes by how many months before
	// the episode month their earliest alert came: LeadMonths[i] is
	// Horizon.MinLead+i months ahead. Month-end alerts make lead days
	// come in steps (1, about 31, about 62), so medians often tie.
	LeadMonths []int `json:"lead_months"`
	// MedianDaysToDeaths is the median over warned episodes of the days
	// from the earliest alert in the window to the first deadly event of
	// the escalation month (Episode.FirstDeaths): a lead that does not
	// come in month steps. 0 when none is known.
	MedianDaysToDeaths float64 `json:"median_days_to_deaths"`
	// Detected counts the episodes in [from, to] with an alert raised in
	// the episode month itself: seen, but too late to warn.
	Detected int `json:"detected"`
	// FalseAlarms are the alerts not followed by an episode, per
	// country-year of the run (countries watched × years in [from, to]).
	FalseAlarms               int     `json:"false_alarms"`
	CountryYears              float64 `json:"country_years"`
	FalseAlarmsPerCountryYear float64 `json:"false_alarms_per_country_year"`
}

// Warning is how one rule set warned of one episode.
type Warning struct {
	Warned bool `json:"warned"`
	// FirstAlert is the month end of the earliest alert in the lead
	// window, LeadDays the days from it to the episode month's first day.
	FirstAlert *time.Time `json:"first_alert,omitempty"`
	LeadDays   int        `json:"lead_days,omitempty"`
	// DaysToDeaths are the days from FirstAlert to the episode's first
	// deadly event, when known.
	DaysToDeaths int `json:"days_to_deaths,omitempty"`
	// Rules are the rules whose alerts fell in the lead window.
	Rules []string `json:"rules,omitempty"`
}

// Score matches alerts with episodes over the months [from, to].
//
// It counts the alerts raised at month ends in [from, to] and the episodes
// in [from, to]; alerts may come from before from (they can warn of the
// first episodes) and episodes from after to (they can follow the last
// alerts). An episode is warned when an alert in its country (on the
// country or one of its admin-1 areas) was raised in the lead window h
// before it; an alert is followed when an episode in its country comes
// within h after it. Each alert's Escalation is set; warnings[i] is how
// episodes[i] was warned. countryYears is the denominator of the
// false-alarm rate.
func Score(alerts []Alert, episodes []Episode, from, to time.Time, h Horizon, countryYears float64) (m Metrics, warnings []Warning) {
	from, to = monthStart(from), monthStart(to)
	in := func(month time.Time) bool { return !month.Before(from) && !month.After(to) }

	byCountry := map[string][]Episode{}
	for _, e := range episodes {
		byCountry[e.Country] = append(byCountry[e.Country], e)
	}
	for i := range alerts {
		a := &alerts[i]
		a.Escalation = false
		for _, e := range byCountry[a.Country] {
			if d := monthsBetween(a.month(), e.Month); d >= h.MinLead && d <= h.MaxLead {
				a.Escalation = true
				break
			}
		}
		if !in(a.month()) {
			continue
		}
		m.Alerts++
		if a.Escalation {
			m.Followed++
		} else {
			m.FalseAlarms++
		}
	}

	alertsBy := map[string][]Alert{}
	for _, a := range alerts {
		alertsBy[a.Country] = append(alertsBy[a.Country], a)
	}
	type countryMonth struct {
		country string
		month   time.Time
	}
	seen := map[countryMonth]bool{}
	for _, a := range alerts {
		seen[countryMonth{a.Country, a.month()}] = true
	}
	warnings = make([]Warning, len(episodes))
	m.LeadMonths = make([]int, h.MaxLead-h.MinLead+1)
	var leads, toDeaths []float64
	for i, e := range episodes {
		if !in(e.Month) {
			continue
		}
		m.Episodes++
		if seen[countryMonth{e.Country, e.Month}] {
			m.Detected++
		}
		w := &warnings[i]
		for _, a := range alertsBy[e.Country] {
			d := monthsBetween(a.month(), e.Month)
			if d < h.MinLead || d > h.MaxLead {
				continue
			}
			w.Warned = true
			if w.FirstAlert == nil || a.AsOf.Before(*w.FirstAlert) {
				t := a.AsOf
				w.FirstAlert = &t
			}
			if !slices.Contains(w.Rules, a.Rule) {
				w.Rules = append(w.Rules, a.Rule)
			}
		}
		if w.Warned {
			m.Warned++
			w.LeadDays = int(e.Month.Sub(*w.FirstAlert).Hours() / 24)
			leads = append(leads, float64(w.LeadDays))
			m.LeadMonths[monthsBetween(*w.FirstAlert, e.Month)-h.MinLead]++
			if !e.FirstDeaths.IsZero() {
				w.DaysToDeaths = int(e.FirstDeaths.Sub(*w.FirstAlert).Hours() / 24)
				toDeaths = append(toDeaths, float64(w.DaysToDeaths))
			}
			sort.Strings(w.Rules)
		}
	}
	m.Recall = ratio(m.Warned, m.Episodes)
	m.Precision = ratio(m.Followed, m.Alerts)
	m.MedianLeadDays = median(leads)
	m.MedianDaysToDeaths = median(toDeaths)
	m.CountryYears = countryYears
	if countryYears > 0 {
		m.FalseAlarmsPerCountryYear = float64(m.FalseAlarms) / countryYears
	}
	return m, warnings
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// median of xs (0 for none); xs is sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
