package backtest

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

func day(s string) time.Time {
	if len(s) == len("2006-01") {
		s += "-01"
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fat is a synthetic monthly fatalities_best value.
func fat(country, admin1, month string, v float64) indicator.Value {
	return indicator.Value{Place: indicator.Place{Country: country, Admin1: admin1}, Kind: indicator.Month,
		Start: day(month), Name: indicator.FatalitiesBest, Value: v}
}

// monthly is a synthetic run of consecutive monthly values from month.
func monthly(country, admin1, month string, vs ...float64) []indicator.Value {
	var out []indicator.Value
	t := day(month)
	for _, v := range vs {
		if v != 0 { // sparse, as stored
			out = append(out, indicator.Value{Place: indicator.Place{Country: country, Admin1: admin1},
				Kind: indicator.Month, Start: t, Name: indicator.FatalitiesBest, Value: v})
		}
		t = t.AddDate(0, 1, 0)
	}
	return out
}

type ep struct {
	country, month string
	places         []string
}

func TestFindEpisodes(t *testing.T) {
	tests := []struct {
		name          string
		values        []indicator.Value
		dataStart     string
		from, to      string
		countryOnly   bool
		want          []ep
		wantFatalites []float64
	}{
		{
			name: "synthetic: 25 after six months each below 25",
			// Jan..Jun 2000 below 25 (24 included), July 25.
			values:    monthly("CAF", "", "2000-01", 0, 3, 24, 0, 0, 10, 25),
			dataStart: "2000-01",
			want:      []ep{{"CAF", "2000-07", []string{""}}},
		},
		{
			name: "synthetic: five quiet months are not enough",
			// Dec 1999 escalates after 11 empty months; June 2000 after
			// only five quiet months (Jan..May) does not.
			values:    monthly("CAF", "", "1999-12", 30, 0, 0, 0, 0, 0, 40),
			dataStart: "1999-01",
			want:      []ep{{"CAF", "1999-12", []string{""}}},
		},
		{
			name: "synthetic: months before the data are unknown, not quiet",
			// July 2000 is the first month with six months of data behind.
			values:    append(monthly("CAF", "", "2000-06", 30), fat("CAF", "", "2000-07", 0)),
			dataStart: "2000-01",
			want:      nil,
		},
		{
			name: "synthetic: a second flare after six calm months",
			// Jul 30 (episode), Aug 50 (still escalated), Sep..Feb quiet,
			// Mar 2001 25 (episode again).
			values:    monthly("TCD", "", "2000-07", 30, 50, 1, 2, 0, 0, 0, 24, 25),
			dataStart: "1990-01",
			want:      []ep{{"TCD", "2000-07", []string{""}}, {"TCD", "2001-03", []string{""}}},
		},
		{
			name: "synthetic: a country and its area in one month are one episode; an area alone is one",
			values: append(append(append(
				monthly("CAF", "", "2000-01", 0, 0, 0, 0, 0, 0, 30, 40, 60),
				monthly("CAF", "Ouham", "2000-01", 0, 0, 0, 0, 0, 0, 25, 10, 10)...),
				// Vakaga escalates in September while the country is
				// already at war: an episode of the area.
				monthly("CAF", "Vakaga", "2000-01", 0, 0, 0, 0, 0, 0, 5, 20, 50)...),
				monthly("TCD", "", "2000-01", 0, 0, 0, 0, 0, 0, 0, 0, 26)...),
			dataStart: "1990-01",
			want: []ep{
				{"CAF", "2000-07", []string{"", "Ouham"}},
				{"CAF", "2000-09", []string{"Vakaga"}},
				{"TCD", "2000-09", []string{""}},
			},
			wantFatalites: []float64{30, 60, 26},
		},
		{
			name: "synthetic: country only leaves out the areas",
			values: append(
				monthly("CAF", "", "2000-01", 0, 0, 0, 0, 0, 0, 30, 40, 60),
				monthly("CAF", "Vakaga", "2000-01", 0, 0, 0, 0, 0, 0, 5, 20, 50)...),
			dataStart:   "1990-01",
			countryOnly: true,
			want:        []ep{{"CAF", "2000-07", []string{""}}},
		},
		{
			name:      "synthetic: from and to bound the months",
			values:    monthly("TCD", "", "2000-07", 30, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 25),
			dataStart: "1990-01",
			from:      "2001-01", to: "2001-08-31",
			want: []ep{{"TCD", "2001-02", []string{""}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var from, to time.Time
			if tt.from != "" {
				from, to = day(tt.from), day(tt.to)
			}
			r := DefaultEpisodeRule
			r.CountryOnly = tt.countryOnly
			got := FindEpisodes(tt.values, r, day(tt.dataStart), from, to)
			var gotEps []ep
			for _, e := range got {
				gotEps = append(gotEps, ep{e.Country, e.Month.Format("2006-01"), e.Places})
			}
			if !reflect.DeepEqual(gotEps, tt.want) {
				t.Errorf("episodes %v, want %v", gotEps, tt.want)
			}
			for i, f := range tt.wantFatalites {
				if i < len(got) && got[i].Fatalities != f {
					t.Errorf("episode %d: fatalities %g, want %g (the country's)", i, got[i].Fatalities, f)
				}
			}
		})
	}
}

// firing is a synthetic firing of rule for country[/admin1].
func firing(rule, place string) alert.Firing {
	country, admin1, _ := strings.Cut(place, "/")
	return alert.Firing{Rule: rule, Country: country, Admin1: admin1}
}

func TestReplayRaisesOncePerRun(t *testing.T) {
	// Synthetic firings at the ends of five months from 2001-01.
	byMonth := map[string][]alert.Firing{
		"2001-01": {firing("r1", "CAF")}, // warm-up: sets state only
		"2001-02": {firing("r1", "CAF"), firing("r2", "CAF/Ouham")},
		"2001-03": {firing("r2", "CAF/Ouham"), firing("r1", "TCD")},
		"2001-04": nil,
		"2001-05": {firing("r2", "CAF/Ouham"), firing("r1", "CAF"), firing("r2", "CAF/Ouham")},
	}
	eval := func(_ context.Context, asOf time.Time) ([]alert.Firing, error) {
		if asOf != monthEnd(asOf) {
			t.Errorf("evaluated as of %s, not a month end", asOf.Format(time.DateOnly))
		}
		return byMonth[asOf.Format("2006-01")], nil
	}
	want := []string{
		"2001-02-28 r2 CAF/Ouham", // r1 CAF was already firing in the warm-up
		"2001-03-31 r1 TCD",       // r2 CAF/Ouham still firing: no new alert
		"2001-05-31 r1 CAF",       // both fire again after April's silence
		"2001-05-31 r2 CAF/Ouham", // once, though it fired twice
	}
	for _, workers := range []int{1, 3, 8} {
		got, err := ReplayAt(context.Background(), MonthEnds(day("2001-01-15"), day("2001-05-02")), workers, eval)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, a := range got {
			p := a.Country
			if a.Admin1 != "" {
				p += "/" + a.Admin1
			}
			s = append(s, a.AsOf.Format(time.DateOnly)+" "+a.Rule+" "+p)
		}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("workers %d: raised\n%s\nwant\n%s", workers, strings.Join(s, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestReplayStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ReplayAt(context.Background(), MonthEnds(day("2001-01"), day("2001-12")), 2, func(_ context.Context, asOf time.Time) ([]alert.Firing, error) {
		if asOf.Month() == time.June {
			return nil, boom
		}
		return nil, nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "2001-06-30") {
		t.Errorf("err %v, want boom as of 2001-06-30", err)
	}
}

func TestScore(t *testing.T) {
	// Synthetic alerts and episodes, scored over 2001 with the default
	// 1..3-month window; expected figures worked by hand below.
	episodes := []Episode{
		{Country: "MLI", Month: day("2001-02")},
		{Country: "TCD", Month: day("2001-04")},
		{Country: "CAF", Month: day("2001-05"), FirstDeaths: day("2001-05-10")},
		{Country: "CAF", Month: day("2002-01")}, // after the run: only for precision
	}
	alerts := []Alert{
		{Rule: "r1", Country: "MLI", AsOf: day("2000-12-31")},                  // before the run: warns MLI 2001-02 (32 days), not counted
		{Rule: "r1", Country: "CAF", AsOf: day("2001-02-28")},                  // CAF 2001-05 3 months on: followed, warns it (62 days)
		{Rule: "r2", Country: "CAF", Admin1: "Ouham", AsOf: day("2001-04-30")}, // CAF 2001-05 1 month on: followed
		{Rule: "r1", Country: "TCD", AsOf: day("2001-04-30")},                  // the episode month itself: not followed, no warning
		{Rule: "r1", Country: "NER", AsOf: day("2001-06-30")},                  // nothing follows: false alarm
		{Rule: "r1", Country: "CAF", AsOf: day("2001-10-31")},                  // CAF 2002-01 3 months on: followed
	}
	m, ws := Score(alerts, episodes, day("2001-01"), day("2001-12"), DefaultHorizon, 4)
	want := Metrics{
		Alerts: 5, Followed: 3, Episodes: 3, Warned: 2,
		Recall: 2.0 / 3, Precision: 3.0 / 5, MedianLeadDays: (32 + 62) / 2.0,
		LeadMonths:         []int{0, 1, 1}, // MLI warned 2 months ahead, CAF 3
		MedianDaysToDeaths: 71,             // 28 February to 10 May; MLI's first deaths unknown
		Detected:           1,              // TCD's alert in its episode month
		FalseAlarms:        2, CountryYears: 4, FalseAlarmsPerCountryYear: 0.5,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("metrics\n%+v\nwant\n%+v", m, want)
	}
	first := func(s string) *time.Time { t := day(s); return &t }
	wantWs := []Warning{
		{Warned: true, FirstAlert: first("2000-12-31"), LeadDays: 32, Rules: []string{"r1"}},
		{},
		{Warned: true, FirstAlert: first("2001-02-28"), LeadDays: 62, DaysToDeaths: 71, Rules: []string{"r1", "r2"}},
		{}, // outside the run
	}
	if !reflect.DeepEqual(ws, wantWs) {
		t.Errorf("warnings\n%+v\nwant\n%+v", ws, wantWs)
	}
	var escalation []bool
	for _, a := range alerts {
		escalation = append(escalation, a.Escalation)
	}
	if want := []bool{true, true, true, false, false, true}; !reflect.DeepEqual(escalation, want) {
		t.Errorf("escalation %v, want %v", escalation, want)
	}

	if m, _ := Score(nil, nil, day("2001-01"), day("2001-12"), DefaultHorizon, 0); !reflect.DeepEqual(m, Metrics{LeadMonths: []int{0, 0, 0}}) {
		t.Errorf("nothing to score: %+v, want zeros", m)
	}
}

// fakeStore is a synthetic Store that counts its loads.
type fakeStore struct {
	values []indicator.Value
	events []event.Event
	loads  map[string]int
}

func (f *fakeStore) ReplayIndicators(_ context.Context, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error) {
	f.loads[string(k)+" "+name]++
	var out []indicator.Value
	for _, v := range f.values {
		if v.Kind == k && v.Name == name && (to.IsZero() || !v.Start.After(to)) && (countries == nil || slices.Contains(countries, v.Country)) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeStore) ReplayEvents(_ context.Context, countries []string, from, to time.Time, fn func(event.Event) error) error {
	f.loads["events"]++
	for _, e := range f.events {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func deaths(n int) *int { return &n }

func TestViewSeesOnlyWhatWasKnown(t *testing.T) {
	week := func(start string, v float64) indicator.Value {
		return indicator.Value{Place: indicator.Place{Country: "CAF"}, Kind: indicator.Week, Start: day(start), Name: indicator.FatalitiesBest, Value: v}
	}
	ev := func(id, date string, cat event.Category, best *int) event.Event {
		return event.Event{Source: "synthetic", SourceID: id, DateStart: day(date), Country: "CAF", Category: cat, Fatalities: event.Fatalities{Best: best}}
	}
	st := &fakeStore{
		values: []indicator.Value{
			fat("CAF", "", "2001-01", 5), fat("CAF", "", "2001-02", 7), fat("CAF", "Ouham", "2001-01", 2),
			week("2001-01-22", 1), // Monday to Sunday 28 January: over by the 31st
			week("2001-01-29", 4), // runs to 4 February: not known on the 31st
		},
		events: []event.Event{
			ev("a", "2001-01-05", event.Battle, deaths(3)),
			ev("b", "2001-01-20", event.Battle, deaths(10)),
			ev("c", "2001-01-10", event.Protest, nil),
			ev("d", "2001-02-01", event.Battle, deaths(50)),
		},
		loads: map[string]int{},
	}
	m := newMemory(st, day("2001-12-31"), nil)
	ctx := context.Background()
	v := m.at(day("2001-01-31"))
	starts := func(vs []indicator.Value) []string {
		var s []string
		for _, x := range vs {
			s = append(s, x.Admin1+"@"+x.Start.Format(time.DateOnly))
		}
		return s
	}
	ids := func(es []event.Event) []string {
		var s []string
		for _, e := range es {
			s = append(s, e.SourceID)
		}
		return s
	}
	for _, tt := range []struct {
		name string
		got  func() ([]string, error)
		want []string
	}{
		{"months to January", func() ([]string, error) {
			vs, err := v.RuleIndicators(ctx, rules.IndicatorQuery{Kind: indicator.Month, Names: []string{indicator.FatalitiesBest}, From: day("2000-01"), To: day("2001-12")})
			return starts(vs), err
		}, []string{"@2001-01-01", "Ouham@2001-01-01"}},
		{"weeks over by the 31st", func() ([]string, error) {
			vs, err := v.RuleIndicators(ctx, rules.IndicatorQuery{Countries: []string{"CAF"}, Kind: indicator.Week, Names: []string{indicator.FatalitiesBest}, From: day("2001-01-01"), To: day("2001-01-31")})
			return starts(vs), err
		}, []string{"@2001-01-22"}},
		{"another country", func() ([]string, error) {
			vs, err := v.RuleIndicators(ctx, rules.IndicatorQuery{Countries: []string{"TCD"}, Kind: indicator.Month, Names: []string{indicator.FatalitiesBest}})
			return starts(vs), err
		}, nil},
		{"events to the 31st, deadliest first, unknown last", func() ([]string, error) {
			es, err := v.RuleEvents(ctx, rules.EventQuery{To: day("2001-12-31")})
			return ids(es), err
		}, []string{"b", "a", "c"}},
		{"fatal events", func() ([]string, error) {
			es, err := v.RuleEvents(ctx, rules.EventQuery{MinFatalities: 1})
			return ids(es), err
		}, []string{"b", "a"}},
		{"protests", func() ([]string, error) {
			es, err := v.RuleEvents(ctx, rules.EventQuery{Categories: []event.Category{event.Protest}})
			return ids(es), err
		}, []string{"c"}},
		{"limit and from", func() ([]string, error) {
			es, err := v.RuleEvents(ctx, rules.EventQuery{From: day("2001-01-06"), Limit: 1})
			return ids(es), err
		}, []string{"b"}},
		{"a month later", func() ([]string, error) {
			es, err := m.at(day("2001-02-28")).RuleEvents(ctx, rules.EventQuery{Countries: []string{"CAF"}, MinFatalities: 20})
			return ids(es), err
		}, []string{"d"}},
	} {
		got, err := tt.got()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if want := map[string]int{"month fatalities_best": 1, "week fatalities_best": 1, "events": 1}; !reflect.DeepEqual(st.loads, want) {
		t.Errorf("loads %v, want each once: %v", st.loads, want)
	}
}

func TestRunBaselineOnSyntheticSeries(t *testing.T) {
	// Synthetic: CAF has deaths in 2001-02 (3), then 2001-06 (40, an
	// episode after months below 25); TCD deaths every month of 2001 (1)
	// and no episode. The baseline raises CAF at the end of February
	// (followed by June? 4 months: no) and of June (the episode month:
	// no), and TCD once at the end of January (no episode): 3 alerts, none
	// followed, and the June episode unwarned (no alert raised in
	// March..May).
	var values []indicator.Value
	values = append(values, monthly("CAF", "", "2001-01", 0, 3, 0, 0, 0, 40)...)
	values = append(values, monthly("TCD", "", "2001-01", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)...)
	for _, x := range append([]indicator.Value(nil), values...) {
		x.Name = indicator.Events
		values = append(values, x)
	}
	values = append(values, fat("CAF", "", "1995-01", 1), indicator.Value{Place: indicator.Place{Country: "CAF"}, Kind: indicator.Month,
		Start: day("1995-01"), Name: indicator.Events, Value: 1})
	st := &fakeStore{values: values, loads: map[string]int{}}
	r, err := Run(context.Background(), st, Options{From: day("2001-01"), To: day("2001-12"), Rules: &rules.File{Version: "none"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := r.Baseline
	if b.Name != BaselineName || b.Alerts != 3 || b.Followed != 0 || b.Episodes != 1 || b.Warned != 0 || b.FalseAlarms != 3 ||
		b.CountryYears != 2 || b.FalseAlarmsPerCountryYear != 1.5 {
		t.Errorf("baseline %+v, want 3 alerts, none followed, 1 episode unwarned, 3 false alarms over 2 country-years", b)
	}
	if r.Alerts != 0 || r.Episodes != 1 || len(r.EpisodeDetails) != 1 {
		t.Errorf("rules: %d alerts, %d episodes (%d listed), want 0, 1", r.Alerts, r.Episodes, len(r.EpisodeDetails))
	}
	if r.DataStart != "1995-01" || r.DataEnd != "2001-12" || r.Countries != 2 {
		t.Errorf("data %s..%s, %d countries; want 1995-01..2001-12, 2", r.DataStart, r.DataEnd, r.Countries)
	}
}

func TestLastWhole(t *testing.T) {
	for _, tt := range []struct {
		kind     indicator.Kind
		day      string
		want     string
		describe string
	}{
		{indicator.Month, "2001-01-31", "2001-01-31", "a month end ends its month"},
		{indicator.Month, "2001-02-27", "2001-01-31", "mid-month: the month before"},
		{indicator.Week, "2001-01-31", "2001-01-28", "a Wednesday: the Sunday before"},
		{indicator.Week, "2001-09-30", "2001-09-30", "a Sunday ends its ISO week"},
		{indicator.Day, "2001-02-28", "2001-02-28", "a day is always whole"},
	} {
		if got := lastWhole(tt.kind, day(tt.day)); !got.Equal(day(tt.want)) {
			t.Errorf("%s: lastWhole(%s, %s) = %s, want %s", tt.describe, tt.kind, tt.day, got.Format(time.DateOnly), tt.want)
		}
	}
}

func TestRunEvaluatesWeeklyRulesAsOfTheirLastWholeWeek(t *testing.T) {
	// Synthetic: deaths in CAF in the ISO week of Monday 22 January 2001
	// (over on Sunday the 28th) and in the week of Monday 26 February
	// (running to 4 March, so not whole at the end of February). A weekly
	// rule on deaths raises one alert, at the end of January.
	week := func(start string, v float64) indicator.Value {
		return indicator.Value{Place: indicator.Place{Country: "CAF"}, Kind: indicator.Week, Start: day(start), Name: indicator.FatalitiesBest, Value: v}
	}
	st := &fakeStore{values: []indicator.Value{
		week("2001-01-22", 3), week("2001-02-26", 5),
		{Place: indicator.Place{Country: "CAF"}, Kind: indicator.Month, Start: day("1995-01"), Name: indicator.Events, Value: 1},
	}, loads: map[string]int{}}
	f := &rules.File{Version: "weekly", Rules: []rules.Rule{{
		ID: "weekly-deaths", Name: "Deaths this week", Severity: alert.Warning, Level: rules.CountryLevel, Period: indicator.Week,
		Indicator: &rules.IndicatorCond{Name: indicator.FatalitiesBest, Op: rules.GE, Value: 1, For: 1},
	}}}
	r, err := Run(context.Background(), st, Options{From: day("2001-01"), To: day("2001-03"), Rules: f, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range r.AllAlerts() {
		got = append(got, a.Rule+" "+a.AsOf.Format(time.DateOnly))
	}
	// At the end of February the last whole week is 19-25 February, at
	// the end of March 19-25 March: neither had deaths. The week of 26
	// February is never looked at: monthly replays sample one week a month.
	if want := []string{"weekly-deaths 2001-01-31"}; !reflect.DeepEqual(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

func TestRunWithCountriesReadsNeighbours(t *testing.T) {
	// Synthetic: Chad's first violence in years in June 2001 while its
	// neighbour the Central African Republic has had violence since
	// April. A spread_border rule scoped to Chad by Options.Countries must
	// still see the neighbour's data.
	violent := func(country, month string, v float64) indicator.Value {
		return indicator.Value{Place: indicator.Place{Country: country}, Kind: indicator.Month, Start: day(month), Name: indicator.ViolentEvents, Value: v}
	}
	st := &fakeStore{values: []indicator.Value{
		violent("TCD", "2001-06", 2), violent("CAF", "2001-04", 5), violent("CAF", "2001-05", 5), violent("CAF", "2001-06", 5),
		{Place: indicator.Place{Country: "TCD"}, Kind: indicator.Month, Start: day("1995-01"), Name: indicator.Events, Value: 1},
	}, loads: map[string]int{}}
	f := &rules.File{Version: "border", Rules: []rules.Rule{{
		ID: "spread-border", Name: "Violence crosses a border", Severity: alert.Warning, Level: rules.CountryLevel, Period: indicator.Month,
		SpreadBorder: &rules.SpreadBorderCond{QuietMonths: 12, NeighbourMonths: 3},
	}}}
	r, err := Run(context.Background(), st, Options{From: day("2001-01"), To: day("2001-12"), Rules: f, Countries: []string{"TCD"}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range r.AllAlerts() {
		got = append(got, a.Rule+" "+a.Country+" "+a.AsOf.Format(time.DateOnly))
	}
	if want := []string{"spread-border TCD 2001-06-30"}; !reflect.DeepEqual(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	if r.Countries != 1 {
		t.Errorf("%d countries watched, want 1 (Chad)", r.Countries)
	}
}

func TestPrecursorRulesParse(t *testing.T) {
	data, err := os.ReadFile("testdata/precursors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := rules.Parse("precursors.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range f.Rules {
		ids = append(ids, r.ID)
		if r.Severity != alert.Info || r.Period != indicator.Month {
			t.Errorf("rule %s: severity %s, period %s; want info-level monthly watch signals", r.ID, r.Severity, r.Period)
		}
	}
	if want := []string{"first-fatal-2-country", "violence-persisting-country", "fatal-events-country"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("rules %v, want %v", ids, want)
	}
}

func TestFirstDeaths(t *testing.T) {
	// Synthetic events in July 2000, by start date.
	ev := func(id, date, admin1 string, geo event.GeoPrecision, best *int) event.Event {
		return event.Event{SourceID: id, DateStart: day(date), Country: "CAF", Admin1: admin1, GeoPrecision: geo, Fatalities: event.Fatalities{Best: best}}
	}
	events := map[string][]event.Event{"CAF": {
		ev("june", "2000-06-30", "Ouham", event.Exact, deaths(9)),         // the month before
		ev("unknown", "2000-07-01", "Ouham", event.Exact, nil),            // deaths unknown
		ev("none", "2000-07-02", "Ouham", event.Exact, deaths(0)),         // no deaths
		ev("ouham", "2000-07-03", "Ouham", event.Exact, deaths(2)),        // the country's first
		ev("vague", "2000-07-04", "Vakaga", event.CountryWide, deaths(5)), // not placed in Vakaga
		ev("vakaga", "2000-07-20", "Vakaga", event.Admin1Area, deaths(30)),
	}}
	episodes := []Episode{
		{Country: "CAF", Month: day("2000-07"), Places: []string{""}},
		{Country: "CAF", Month: day("2000-07"), Places: []string{"Vakaga"}},
		{Country: "CAF", Month: day("2000-08"), Places: []string{""}},
		{Country: "TCD", Month: day("2000-07"), Places: []string{""}},
	}
	FirstDeaths(episodes, events)
	var got []string
	for _, e := range episodes {
		got = append(got, e.FirstDeaths.Format(time.DateOnly))
	}
	if want := []string{"2000-07-03", "2000-07-20", "0001-01-01", "0001-01-01"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first deaths %v, want %v", got, want)
	}
}

func TestReplayStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReplayAt(ctx, MonthEnds(day("2001-01"), day("2001-12")), 2, func(ctx context.Context, _ time.Time) ([]alert.Firing, error) {
		return nil, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
