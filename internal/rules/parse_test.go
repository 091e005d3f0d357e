package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"threshold/internal/alert"
	"threshold/internal/indicator"
)

func TestDefaultParses(t *testing.T) {
	f := Default()
	if len(f.Rules) < 8 || f.Version == "" {
		t.Fatalf("default rules: %d rules, version %q", len(f.Rules), f.Version)
	}
	kinds := map[string]bool{}
	for _, r := range f.Rules {
		if r.Kind() == "" || r.Level == "" || r.Period == "" || r.Name == "" || !r.Severity.Valid() {
			t.Errorf("rule %s: kind %q level %q period %q name %q severity %q", r.ID, r.Kind(), r.Level, r.Period, r.Name, r.Severity)
		}
		kinds[r.Kind()] = true
	}
	for _, k := range []string{"indicator", "detector", "coup", "first_fatal", "election", "spread_admin1", "spread_border"} {
		if !kinds[k] {
			t.Errorf("the default rules have no %s rule", k)
		}
	}
}

// TestDefaultRulesCommented checks that every default rule has a comment
// above it saying why its threshold.
func TestDefaultRulesCommented(t *testing.T) {
	lines := strings.Split(string(DefaultYAML()), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  - id: ") && (i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#")) {
			t.Errorf("line %d: rule %s has no comment above it", i+1, strings.TrimPrefix(l, "  - id: "))
		}
	}
}

func TestParse(t *testing.T) {
	in := `
version: "2026-11-26.1"
rules:
  - id: ouham-deaths
    name: Deaths in Ouham
    severity: critical
    labels: {desk: central-africa}
    scope: [caf, CAF, TCD]
    level: admin1
    period: week
    indicator: {name: fatalities_best, op: ">=", value: 10, for: 2}
  - id: surge
    name: Surge
    severity: warning
    detector:
      method: cusum
      indicator: nb.violent_events
      min_value: 5
      config: {cusum_shift: 3, baseline: 36}
  - id: coup
    name: Coup
    severity: critical
    coup:
  - id: fc
    name: Forecast
    severity: info
    forecast: {target: fatalities_25, probability: 0.3}
`
	f, err := Parse("ok.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != "2026-11-26.1" || len(f.Rules) != 4 {
		t.Fatalf("version %q, %d rules", f.Version, len(f.Rules))
	}
	r := f.Rules[0]
	if r.Severity != alert.Critical || r.Level != Admin1Level || r.Period != indicator.Week ||
		strings.Join(r.Scope, ",") != "CAF,TCD" || r.Labels["desk"] != "central-africa" ||
		*r.Indicator != (IndicatorCond{Name: "fatalities_best", Op: GE, Value: 10, For: 2}) {
		t.Errorf("rule 0 = %+v, indicator %+v", r, r.Indicator)
	}
	r = f.Rules[1]
	if r.Level != CountryLevel || r.Period != indicator.Month || r.Detector.Method != CUSUM || r.Detector.MinValue != 5 {
		t.Errorf("rule 1 = %+v, detector %+v", r, r.Detector)
	}
	if c := r.Detector.detectConfig(indicator.Month); c.CUSUMShift != 3 || c.Baseline != 36 || c.Window != 1 {
		t.Errorf("detector config %+v: want overrides on the monthly defaults", c)
	}
	if f.Rules[2].Coup == nil || f.Rules[2].Coup.MinSources != 1 || f.Rules[3].Forecast.Probability != 0.3 {
		t.Errorf("coup %+v forecast %+v", f.Rules[2].Coup, f.Rules[3].Forecast)
	}
	// JSON is YAML too.
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Parse("ok.json", js)
	if err != nil {
		t.Fatalf("the JSON form of a parsed file does not parse: %v\n%s", err, js)
	}
	if len(g.Rules) != 4 || g.Rules[0].Indicator.For != 2 || g.Rules[1].Detector.Config["baseline"] != 36 {
		t.Errorf("JSON round trip lost rules: %+v", g.Rules)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "version: v1\nrules:\n"
	tests := []struct {
		name string
		in   string
		want []string // every problem, in order
	}{
		{"empty", "", []string{"bad.yaml: empty file: want a mapping with version and rules"}},
		{"syntax", "version: [\n", []string{"bad.yaml:1: did not find expected node content"}},
		{"not a mapping", "- a\n", []string{"bad.yaml:1:1: must be a mapping, not a list"}},
		{"missing version and rules", "{}\n", []string{
			`bad.yaml:1:1: version: missing: name this version of the rules, e.g. "2026-11-26"`,
			`bad.yaml:1:1: rules: missing: want a list of rules`}},
		{"unknown top-level field", "version: v1\nrule: []\nrules: []\n", []string{
			"bad.yaml:2:1: rule: unknown field (want one of version, rules)"}},
		{"rules not a list", "version: v1\nrules: {}\n", []string{"bad.yaml:2:8: rules: must be a list, not a mapping"}},
		{"rule missing everything", head + "  - {}\n", []string{
			"bad.yaml:3:5: rules[0].id: missing",
			"bad.yaml:3:5: rules[0].name: missing",
			"bad.yaml:3:5: rules[0].severity: missing (want info, warning or critical)",
			"bad.yaml:3:5: rules[0]: no condition: want exactly one of indicator, detector, forecast, coup, first_fatal, election, spread_admin1, spread_border"}},
		{"unknown rule field", head + "  - {id: a, name: A, severity: info, coup: {}, threshold: 3}\n", []string{
			"bad.yaml:3:48: rules[0].threshold: unknown field (want one of id, name, description, severity, labels, scope, level, period, include_unverified, indicator, detector, forecast, coup, first_fatal, election, spread_admin1, spread_border)"}},
		{"two conditions", head + "  - {id: a, name: A, severity: info, coup: {}, first_fatal: {quiet_months: 6}}\n", []string{
			"bad.yaml:3:61: rules[0].first_fatal: a rule has exactly one condition; this one also has coup"}},
		{"include_unverified not a boolean", head + "  - {id: a, name: A, severity: info, include_unverified: yes please, coup: {}}\n", []string{
			`bad.yaml:3:58: rules[0].include_unverified: must be true or false, not "yes please"`}},
		{"include_unverified on a forecast", head + "  - {id: a, name: A, severity: info, include_unverified: true, forecast: {target: onset, probability: 0.5}}\n", []string{
			"bad.yaml:3:58: rules[0].include_unverified: forecast rules read forecasts, not field reports: leave include_unverified out"}},
		{"include_unverified on a share", head + "  - id: a\n    name: A\n    severity: info\n    include_unverified: true\n    indicator: {name: violent_share, op: '>', value: 0.5}\n", []string{
			"bad.yaml:6:25: rules[0].include_unverified: violent_share is not a count: unverified field reports can be added only to counts (events, events.<category>, violent_events, fatal_events, fatalities_best, ...)"}},
		{"duplicate id", head + "  - {id: a, name: A, severity: info, coup: {}}\n  - {id: a, name: B, severity: info, coup: {}}\n", []string{
			`bad.yaml:4:10: rules[1].id: duplicate id "a" (first used on line 3)`}},
		{"bad id, severity, level, period", head + "  - {id: 'a b', name: A, severity: urgent, level: province, period: year, coup: {}}\n", []string{
			`bad.yaml:3:10: rules[0].id: "a b": want letters, digits, '-', '_' or '.', starting with a letter or digit, at most 100`,
			`bad.yaml:3:36: rules[0].severity: unknown severity "urgent" (want info, warning or critical)`,
			`bad.yaml:3:51: rules[0].level: unknown level "province" (want country or admin1)`,
			`bad.yaml:3:69: rules[0].period: unknown period kind "year" (want day, week or month)`}},
		{"repeated field", head + "  - {id: a, id: b, name: A, severity: info, coup: {}}\n", []string{
			"bad.yaml:3:13: rules[0].id: repeated field"}},
		{"bad scope and labels", head + "  - {id: a, name: A, severity: info, scope: [XXX, 7], labels: {kind: x, 9x: y}, coup: {}}\n", []string{
			`bad.yaml:3:46: rules[0].scope[0]: unknown country "XXX": want an ISO 3166-1 alpha-3 code such as CAF`,
			`bad.yaml:3:51: rules[0].scope[1]: unknown country "7": want an ISO 3166-1 alpha-3 code such as CAF`,
			"bad.yaml:3:64: rules[0].labels.kind: the label kind is set by evaluation to the rule's condition kind",
			"bad.yaml:3:73: rules[0].labels.9x: label names are letters, digits and '_', not starting with a digit"}},
		{"indicator problems", head + "  - id: a\n    name: A\n    severity: info\n    indicator: {name: deaths, op: '=', value: x, for: 0}\n", []string{
			`bad.yaml:6:23: rules[0].indicator.name: unknown indicator "deaths" (see go doc threshold/internal/indicator: events, events.<category>, violent_events, violent_share, fatal_events, fatalities_best, ..., nb.<name>)`,
			`bad.yaml:6:35: rules[0].indicator.op: unknown operator "=" (want >, >=, < or <=)`,
			`bad.yaml:6:47: rules[0].indicator.value: must be a number, not "x"`,
			`bad.yaml:6:55: rules[0].indicator.for: must be between 1 and 120, not 0`}},
		{"indicator missing fields", head + "  - {id: a, name: A, severity: info, indicator: {name: events.looting}}\n", []string{
			`bad.yaml:3:56: rules[0].indicator.name: events.looting: unknown event category "looting"`,
			"bad.yaml:3:49: rules[0].indicator.op: missing",
			"bad.yaml:3:49: rules[0].indicator.value: missing"}},
		{"neighbour indicator at admin1 by day", head + "  - {id: a, name: A, severity: info, level: admin1, period: day, indicator: {name: nb.fatalities_best, op: '>', value: 0}}\n", []string{
			"bad.yaml:3:84: rules[0].indicator.name: nb.fatalities_best: neighbour (nb.) indicators exist for countries only, not admin1",
			"bad.yaml:3:84: rules[0].indicator.name: nb.fatalities_best: neighbour (nb.) indicators exist for weeks and months only, not days"}},
		{"detector problems", head + "  - id: a\n    name: A\n    severity: info\n    detector:\n      method: magic\n      indicator: violent_share\n      min_value: -1\n      config: {window: 1.5, cusum_shift: 0.5, alpha: 1}\n", []string{
			`bad.yaml:7:15: rules[0].detector.method: unknown method "magic" (want surprise, cusum or changepoint)`,
			"bad.yaml:8:18: rules[0].detector.indicator: violent_share is not a count: want a count such as fatalities_best, violent_events or events.protest",
			"bad.yaml:9:18: rules[0].detector.min_value: must be >= 0",
			`bad.yaml:10:24: rules[0].detector.config.window: must be a whole number, not the number 1.5`,
			"bad.yaml:10:47: rules[0].detector.config.alpha: unknown field (want one of baseline, min_history, window, mean_floor, surprise_threshold, cusum_span, cusum_shift, cusum_threshold, change_hazard, change_span, change_threshold)",
			"bad.yaml:10:15: rules[0].detector.config: cusum_shift is 0.5, want a finite ratio above 1"}},
		{"forecast problems", head + "  - {id: a, name: A, severity: info, forecast: {target: '', probability: 1.5}}\n", []string{
			`bad.yaml:3:57: rules[0].forecast.target: "": want a forecast target name such as fatalities_25`,
			"bad.yaml:3:74: rules[0].forecast.probability: must be > 0 and <= 1"}},
		{"event trigger problems", head +
			"  - {id: a, name: A, severity: info, level: admin1, coup: {min_sources: 0}}\n" +
			"  - {id: b, name: B, severity: info, first_fatal: {}}\n" +
			"  - {id: c, name: C, severity: info, election: {within_days: 0, indicator: violent_share, ratio: 1}}\n" +
			"  - {id: d, name: D, severity: info, level: country, spread_admin1: {quiet_months: 0}}\n" +
			"  - {id: e, name: E, severity: info, level: admin1, spread_border: {quiet_months: 6}}\n", []string{
			"bad.yaml:3:73: rules[0].coup.min_sources: must be between 1 and 10, not 0",
			"bad.yaml:3:45: rules[0].level: coups are national events: leave level out or set it to country",
			"bad.yaml:4:51: rules[1].first_fatal.quiet_months: missing",
			"bad.yaml:5:62: rules[2].election.within_days: must be between 1 and 366, not 0",
			"bad.yaml:5:76: rules[2].election.indicator: violent_share is not a count: want a count such as fatalities_best, violent_events or events.protest",
			"bad.yaml:5:98: rules[2].election.ratio: must be > 1: the rise over the baseline mean",
			"bad.yaml:6:84: rules[3].spread_admin1.quiet_months: must be between 1 and 120, not 0",
			"bad.yaml:6:45: rules[3].level: spread_admin1 watches admin-1 areas: leave level out or set it to admin1",
			"bad.yaml:7:68: rules[4].spread_border.neighbour_months: missing",
			"bad.yaml:7:45: rules[4].level: spread_border watches countries: leave level out or set it to country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("bad.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; parsed %+v", f)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *rules.Error", err)
			}
			got := make([]string, len(pe.Problems))
			for i, p := range pe.Problems {
				got[i] = p.String()
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that every problem has a
// message, and that what it accepts is consistent.
func FuzzParse(f *testing.F) {
	f.Add(string(DefaultYAML()))
	f.Add("version: v1\nrules:\n  - {id: a, name: A, severity: info, indicator: {name: events, op: '>', value: 1}}\n")
	f.Add(`{"version": "v", "rules": [{"id": "x", "name": "X", "severity": "warning", "detector": {"method": "surprise", "indicator": "fatalities_best", "config": {"window": 2}}}]}`)
	f.Add("version: v1\nrules: [&a {id: a}, *a]\n")
	f.Add("version: v1\nrules:\n  - {id: a, name: A, severity: info, include_unverified: true, level: admin1, indicator: {name: fatalities_best, op: '>=', value: 100}}\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse("fuzz.yaml", []byte(in))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error %v is not a *rules.Error with problems", err)
			}
			for _, p := range pe.Problems {
				if p.Msg == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
			}
			return
		}
		ids := map[string]bool{}
		for _, r := range file.Rules {
			if r.ID == "" || ids[r.ID] || r.Kind() == "" || !r.Severity.Valid() || !r.Period.Valid() {
				t.Fatalf("accepted an invalid rule %+v", r)
			}
			ids[r.ID] = true
		}
	})
}
