package rules_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/election"
	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

// memSource is a synthetic in-memory rules.Source: the values and events
// in these tests are made up to exercise one rule each.
type memSource struct {
	values    []indicator.Value
	events    []event.Event
	elections []election.Election
	forecasts []rules.Forecast
}

func (m *memSource) RuleIndicators(_ context.Context, q rules.IndicatorQuery) ([]indicator.Value, error) {
	var out []indicator.Value
	for _, v := range m.values {
		if (q.Countries == nil || slices.Contains(q.Countries, v.Country)) && v.Kind == q.Kind && slices.Contains(q.Names, v.Name) &&
			!v.Start.Before(q.From) && !v.Start.After(q.To) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (m *memSource) RuleEvents(_ context.Context, q rules.EventQuery) ([]event.Event, error) {
	var out []event.Event
	for _, e := range m.events {
		if (q.Countries == nil || slices.Contains(q.Countries, e.Country)) && (q.Categories == nil || slices.Contains(q.Categories, e.Category)) &&
			!e.DateStart.Before(q.From) && !e.DateStart.After(q.To) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memSource) Elections(_ context.Context, countries []string, from, to time.Time) ([]election.Election, error) {
	var out []election.Election
	for _, e := range m.elections {
		if (countries == nil || slices.Contains(countries, e.Country)) && !e.Date.Before(from) && !e.Date.After(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

// forecastSource adds forecasts to a memSource.
type forecastSource struct{ memSource }

func (m *forecastSource) RuleForecasts(_ context.Context, target string, countries []string, asOf time.Time) ([]rules.Forecast, error) {
	var out []rules.Forecast
	for _, f := range m.forecasts {
		if f.Target == target && (countries == nil || slices.Contains(countries, f.Country)) && !f.Issued.After(asOf) {
			out = append(out, f)
		}
	}
	return out, nil
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// monthly returns synthetic monthly values of one indicator for a place.
func monthly(country, admin1, name string, vals map[time.Time]float64) []indicator.Value {
	var out []indicator.Value
	for m, v := range vals {
		out = append(out, indicator.Value{Place: indicator.Place{Country: country, Admin1: admin1}, Kind: indicator.Month, Start: m, Name: name, Value: v})
	}
	return out
}

func mustParse(t *testing.T, yaml string) *rules.File {
	t.Helper()
	f, err := rules.Parse("synthetic.yaml", []byte("version: synthetic\nrules:\n"+yaml))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEvaluateSynthetic(t *testing.T) {
	asOf := monthEnd(2020, time.June)
	jun, may, apr := month(2020, time.June), month(2020, time.May), month(2020, time.April)
	tests := []struct {
		name  string
		rule  string
		src   rules.Source
		scope []string
		want  []string // "COUNTRY/ADMIN1: explanation substring"; none means nothing fires
	}{
		{
			name: "indicator for 2 months",
			rule: "  - {id: r, name: R, severity: info, indicator: {name: events.protest, op: '>=', value: 5, for: 2}}\n",
			src: &memSource{values: append(
				monthly("AAA", "", "events.protest", map[time.Time]float64{may: 6, jun: 9}),
				monthly("BBB", "", "events.protest", map[time.Time]float64{apr: 9, jun: 9})...)},
			want: []string{"AAA/: protest events in AAA in 2020-06: 9, >= 5 for 2 months running"},
		},
		{
			name: "indicator below, absent counts are zero",
			rule: "  - {id: r, name: R, severity: info, indicator: {name: events, op: '<', value: 1}}\n",
			src:  &memSource{values: monthly("AAA", "", "events", map[time.Time]float64{apr: 3})},
			want: []string{"AAA/: events in AAA in 2020-06: 0 (< 1)"},
		},
		{
			name:  "scope",
			rule:  "  - {id: r, name: R, severity: info, scope: [TCD], indicator: {name: events, op: '>', value: 0}}\n",
			src:   &memSource{values: append(monthly("TCD", "", "events", map[time.Time]float64{jun: 1}), monthly("CAF", "", "events", map[time.Time]float64{jun: 1})...)},
			scope: []string{"caf", "TCD"},
			want:  []string{"TCD/: events in Chad in 2020-06: 1"},
		},
		{
			name:  "scope and evaluation scope do not meet",
			rule:  "  - {id: r, name: R, severity: info, scope: [TCD], indicator: {name: events, op: '>', value: 0}}\n",
			src:   &memSource{values: monthly("TCD", "", "events", map[time.Time]float64{jun: 1})},
			scope: []string{"CAF"},
		},
		{
			name: "spread across a border",
			rule: "  - {id: r, name: R, severity: warning, spread_border: {quiet_months: 12, neighbour_months: 3, min_fatalities: 1}}\n",
			src: &memSource{values: slices.Concat(
				monthly("CMR", "", "violent_events", map[time.Time]float64{jun: 2}),
				monthly("CMR", "", "fatalities_best", map[time.Time]float64{jun: 4}),
				monthly("CAF", "", "violent_events", map[time.Time]float64{apr: 30, may: 20}),
				// Chad, also a neighbour, had violence only in 2019: not named.
				monthly("TCD", "", "violent_events", map[time.Time]float64{month(2019, time.January): 5}),
			)},
			want: []string{"CMR/: violent events in Cameroon in 2020-06: 2 (4 deaths), none in the 12 months before, while its neighbours had violence in the last 3 months: Central African Republic (50 violent events)"},
		},
		{
			name: "no spread when the country was not quiet",
			rule: "  - {id: r, name: R, severity: warning, spread_border: {quiet_months: 12, neighbour_months: 3}}\n",
			src: &memSource{values: slices.Concat(
				monthly("CMR", "", "violent_events", map[time.Time]float64{jun: 2, month(2019, time.December): 1}),
				monthly("CAF", "", "violent_events", map[time.Time]float64{may: 20}),
			)},
		},
		{
			name: "election with rising protest, admin1 level",
			rule: "  - {id: r, name: R, severity: warning, level: admin1, election: {within_days: 30, indicator: events.protest, ratio: 2, baseline: 3, min_value: 2}}\n",
			src: &memSource{
				values: slices.Concat(
					monthly("CIV", "Abidjan", "events.protest", map[time.Time]float64{month(2020, time.March): 1, apr: 1, may: 1, jun: 4}),
					monthly("CIV", "Bouaké", "events.protest", map[time.Time]float64{jun: 1}),
					monthly("CIV", "", "events.protest", map[time.Time]float64{jun: 5})),
				elections: []election.Election{{Country: "CIV", Date: time.Date(2020, 7, 12, 0, 0, 0, 0, time.UTC), Kind: election.Presidential, Round: 1, Source: "synthetic"}},
			},
			want: []string{"CIV/Abidjan: presidential election in Côte d’Ivoire on 2020-07-12, 12 days ahead; protest events in Abidjan (Côte d’Ivoire) in 2020-06: 4, 4.0x the monthly mean of the 3 months before (1)."},
		},
		{
			name: "election too far ahead",
			rule: "  - {id: r, name: R, severity: warning, election: {within_days: 10, indicator: events.protest, ratio: 2}}\n",
			src: &memSource{
				values:    monthly("CIV", "", "events.protest", map[time.Time]float64{jun: 9}),
				elections: []election.Election{{Country: "CIV", Date: time.Date(2020, 7, 12, 0, 0, 0, 0, time.UTC), Kind: election.Presidential, Round: 1, Source: "synthetic"}},
			},
		},
		{
			name: "coup needs two sources",
			rule: "  - {id: r, name: R, severity: critical, coup: {min_sources: 2}}\n",
			src: &memSource{events: []event.Event{
				{Source: event.PowellThyne, SourceID: "1", Country: "MLI", DateStart: month(2020, time.June).AddDate(0, 0, 17), Category: event.Coup, SourceType: "successful"},
				{Source: event.ACLED, SourceID: "2", Country: "MLI", DateStart: month(2020, time.June).AddDate(0, 0, 17), Category: event.Coup},
				{Source: event.PowellThyne, SourceID: "3", Country: "NER", DateStart: month(2020, time.June).AddDate(0, 0, 2), Category: event.Coup, SourceType: "attempt"},
				{Source: event.PowellThyne, SourceID: "4", Country: "TCD", DateStart: month(2020, time.July), Category: event.Coup, SourceType: "attempt"},
			}},
			want: []string{"MLI/: Mali: successful coup on 2020-06-18 (powell-thyne); coup or coup attempt on 2020-06-18 (acled)."},
		},
		{
			name: "forecast without forecasts is a no-op",
			rule: "  - {id: r, name: R, severity: info, forecast: {target: fatalities_25, probability: 0.5}}\n",
			src:  &memSource{},
		},
		{
			name: "forecast",
			rule: "  - {id: r, name: R, severity: info, forecast: {target: fatalities_25, probability: 0.5}}\n",
			src: &forecastSource{memSource{forecasts: []rules.Forecast{
				{Country: "SDN", Target: "fatalities_25", Issued: month(2020, time.June), Window: [2]time.Time{month(2020, time.July), monthEnd(2020, time.September)}, Probability: 0.7},
				{Country: "SSD", Target: "fatalities_25", Issued: month(2020, time.June), Probability: 0.2},
				{Country: "ETH", Target: "fatalities_25", Issued: month(2020, time.July), Probability: 0.9},
			}}},
			want: []string{"SDN/: The forecast issued 2020-06-01 gives fatalities_25 in Sudan from 2020-07-01 to 2020-09-30 a probability of 70% (alert at 50%)."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.rule)
			got, err := rules.Evaluate(context.Background(), tt.src, f, rules.Scope{Countries: tt.scope, AsOf: asOf})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d firings, want %d: %s", len(got), len(tt.want), describe(got))
			}
			for i, w := range tt.want {
				place, expl, _ := strings.Cut(w, ": ")
				if p := got[i].Country + "/" + got[i].Admin1; p != place || !strings.Contains(got[i].Explanation, expl) {
					t.Errorf("firing %d: %s: %q\nwant %s: %q", i, p, got[i].Explanation, place, expl)
				}
				if got[i].RuleVersion != "synthetic" || got[i].Labels["kind"] != f.Rules[0].Kind() || !got[i].AsOf.Equal(asOf) {
					t.Errorf("firing %d: version %q labels %v as of %s", i, got[i].RuleVersion, got[i].Labels, got[i].AsOf)
				}
			}
		})
	}
}

func describe(fs []alert.Firing) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n" + f.Place() + ": " + f.Explanation)
	}
	return b.String()
}

func TestEvaluateNeedsAsOf(t *testing.T) {
	if _, err := rules.Evaluate(context.Background(), &memSource{}, rules.Default(), rules.Scope{}); err == nil {
		t.Error("Evaluate without AsOf: no error")
	}
}
