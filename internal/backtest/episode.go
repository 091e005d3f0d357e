package backtest

import (
	"slices"
	"sort"
	"time"

	"threshold/internal/event"
	"threshold/internal/indicator"
)

// EpisodeRule defines an escalation episode. See FindEpisodes.
type EpisodeRule struct {
	// Threshold is the least number of deaths (fatalities_best) in a month
	// that makes it an escalation month: 25, UCDP's threshold for an
	// active conflict-year, applied to a month.
	Threshold float64 `json:"threshold"`
	// QuietMonths is the number of consecutive months, just before the
	// escalation month, each of which must stay below Threshold.
	QuietMonths int `json:"quiet_months"`
	// CountryOnly counts only whole countries crossing the threshold, not
	// admin-1 areas: for data that place few events in areas (the GED
	// extract without adm_1), where area episodes would exist only in the
	// few countries that have them.
	CountryOnly bool `json:"country_only"`
}

// DefaultEpisodeRule is 25 or more deaths in a month after 6 months each
// below 25.
var DefaultEpisodeRule = EpisodeRule{Threshold: 25, QuietMonths: 6}

// Episode is one escalation episode: a country-month in which the country,
// or one of its admin-1 areas, reached the episode threshold after the
// quiet months (see FindEpisodes).
type Episode struct {
	Country string
	Month   time.Time // the escalation month's first day
	// Places are what crossed: "" for the whole country, else admin-1
	// area names, sorted.
	Places []string
	// Fatalities is the country's best fatality estimate in the month.
	Fatalities float64
	// FirstDeaths is the day of the month's first deadly event in the
	// places that crossed (zero when unknown; see FirstDeaths).
	FirstDeaths time.Time
}

// FirstDeaths sets each episode's FirstDeaths from the events by country
// (each sorted by start date): the start of the first event with deaths in
// the episode month, in the country when the whole country crossed, else
// in the admin-1 areas that did (events placed in the area or finer, as
// the indicators count them).
func FirstDeaths(episodes []Episode, events map[string][]event.Event) {
	for i := range episodes {
		e := &episodes[i]
		whole := slices.Contains(e.Places, "")
		end := e.Month.AddDate(0, 1, 0)
		es := events[e.Country]
		j := sort.Search(len(es), func(j int) bool { return !es[j].DateStart.Before(e.Month) })
		for ; j < len(es) && es[j].DateStart.Before(end); j++ {
			x := es[j]
			if x.Fatalities.Best == nil || *x.Fatalities.Best <= 0 {
				continue
			}
			if whole || x.GeoPrecision <= event.Admin1Area && slices.Contains(e.Places, x.Admin1) {
				e.FirstDeaths = x.DateStart
				break
			}
		}
	}
}

// FindEpisodes finds the escalation episodes of r in monthly best fatality
// figures (fatalities_best values of kind Month, for countries and their
// admin-1 areas, sparse: an absent month is zero).
//
// A place (a country, or an admin-1 area unless r.CountryOnly) escalates in month M when its
// deaths in M are at least r.Threshold and its deaths in each of the
// r.QuietMonths months M-QuietMonths .. M-1 are below it. Every such month
// is an episode, so a place that calms down for QuietMonths and flares
// again has a second episode. The episode is the country-month: a country
// whose whole and whose areas escalate in the same month has one episode
// listing each place. Months before dataStart (the first month with data)
// are unknown rather than quiet, so no episode is found before
// dataStart+QuietMonths. Episodes are returned by month, then country, for
// months in [from, to] (zero: unbounded).
func FindEpisodes(values []indicator.Value, r EpisodeRule, dataStart, from, to time.Time) []Episode {
	series := map[indicator.Place]map[time.Time]float64{}
	for _, v := range values {
		if v.Kind != indicator.Month || v.Name != indicator.FatalitiesBest || r.CountryOnly && v.Admin1 != "" {
			continue
		}
		m := series[v.Place]
		if m == nil {
			m = map[time.Time]float64{}
			series[v.Place] = m
		}
		m[monthStart(v.Start)] += v.Value
	}
	earliest := time.Time{}
	if !dataStart.IsZero() {
		earliest = monthStart(dataStart).AddDate(0, r.QuietMonths, 0)
	}
	type key struct {
		country string
		month   time.Time
	}
	found := map[key]*Episode{}
	for p, m := range series {
		for month, f := range m {
			if f < r.Threshold || month.Before(earliest) {
				continue
			}
			if !from.IsZero() && month.Before(monthStart(from)) || !to.IsZero() && month.After(to) {
				continue
			}
			quiet := true
			for k := 1; k <= r.QuietMonths && quiet; k++ {
				quiet = m[month.AddDate(0, -k, 0)] < r.Threshold
			}
			if !quiet {
				continue
			}
			k := key{p.Country, month}
			e := found[k]
			if e == nil {
				e = &Episode{Country: p.Country, Month: month, Fatalities: series[indicator.Place{Country: p.Country}][month]}
				found[k] = e
			}
			e.Places = append(e.Places, p.Admin1)
		}
	}
	out := make([]Episode, 0, len(found))
	for _, e := range found {
		sort.Strings(e.Places)
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Month.Equal(out[j].Month) {
			return out[i].Month.Before(out[j].Month)
		}
		return out[i].Country < out[j].Country
	})
	return out
}

// monthStart is the first day of t's month, midnight UTC.
func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// monthEnd is the last day of t's month, midnight UTC.
func monthEnd(t time.Time) time.Time {
	return monthStart(t).AddDate(0, 1, -1)
}

// monthsBetween is the number of months from a's month to b's month
// (negative when b is earlier).
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}
