package agreement_test

import (
	"slices"
	"testing"
	"time"

	"threshold/internal/agreement"
)

// TestFirings checks the rules' boundaries on synthetic agreements.
func TestFirings(t *testing.T) {
	asOf := day("2020-01-01")
	line := func(to agreement.Status, on string) agreement.StatusChange {
		return agreement.StatusChange{To: to, On: day(on)}
	}
	synthetic := func(p agreement.Provision, mod ...func(*agreement.Agreement)) []agreement.Agreement {
		a := agreement.Agreement{Name: "synthetic accord", Source: agreement.SourceManual, Signed: day("2019-01-01"),
			Countries: []string{"CAF"}, Provisions: []agreement.Provision{p}}
		for i := range p.History {
			if i > 0 {
				p.History[i].From = p.History[i-1].To
			}
		}
		a.Provisions = []agreement.Provision{p}
		for _, f := range mod {
			f(&a)
		}
		return []agreement.Agreement{a}
	}
	hist := []agreement.StatusChange{line(agreement.NotStarted, "2019-01-01")}
	tests := []struct {
		name string
		in   []agreement.Agreement
		want []string // rule|country
	}{
		{"deadline today is not overdue; 365 days without progress is stalled",
			synthetic(agreement.Provision{Status: agreement.NotStarted, Deadline: asOf, History: hist}),
			[]string{"provision-stalled|CAF"}},
		{"deadline yesterday is overdue",
			synthetic(agreement.Provision{Status: agreement.Minimal, Deadline: day("2019-12-31"),
				History: append(slices.Clone(hist), line(agreement.Minimal, "2019-12-01"))}),
			[]string{"provision-overdue|CAF"}},
		{"full is neither", synthetic(agreement.Provision{Status: agreement.Full, Deadline: day("2019-02-01"), History: hist}), nil},
		{"179 days since progress is not stalled",
			synthetic(agreement.Provision{Status: agreement.Intermediate, History: append(slices.Clone(hist),
				line(agreement.Intermediate, asOf.AddDate(0, 0, -179).Format(time.DateOnly)))}), nil},
		{"180 days since progress is stalled",
			synthetic(agreement.Provision{Status: agreement.Intermediate, History: append(slices.Clone(hist),
				line(agreement.Intermediate, asOf.AddDate(0, 0, -180).Format(time.DateOnly)))}),
			[]string{"provision-stalled|CAF"}},
		{"a fall is not progress",
			synthetic(agreement.Provision{Status: agreement.Minimal, History: append(slices.Clone(hist),
				line(agreement.Intermediate, "2019-02-01"), line(agreement.Minimal, "2019-12-01"))}),
			[]string{"provision-stalled|CAF"}},
		{"an ended agreement is not checked",
			synthetic(agreement.Provision{Deadline: day("2019-02-01"), History: hist}, func(a *agreement.Agreement) { a.Ended = true }), nil},
		{"an imported agreement nobody linked is not checked",
			synthetic(agreement.Provision{Deadline: day("2019-02-01"), History: hist}, func(a *agreement.Agreement) { a.Source = agreement.SourceUCDP }), nil},
		{"a linked imported agreement is checked, in each country",
			synthetic(agreement.Provision{Deadline: day("2019-02-01"), History: hist}, func(a *agreement.Agreement) {
				a.Source, a.Cases, a.Countries = agreement.SourceUCDP, []int64{1}, []string{"LBY", "TCD"}
			}),
			[]string{"provision-overdue|LBY", "provision-overdue|TCD", "provision-stalled|LBY", "provision-stalled|TCD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range agreement.Firings(tt.in, asOf, 0) {
				got = append(got, f.Fingerprint()[:len(f.Fingerprint())-1])
				if f.Title == "" || f.Explanation == "" || !f.AsOf.Equal(asOf) || !f.Window.End.Equal(asOf) {
					t.Errorf("firing %+v lacks a title, explanation or day", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Firings = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]agreement.Status{"not started": agreement.NotStarted, "Full": agreement.Full,
		"intermediate": agreement.Intermediate, "minimal": agreement.Minimal} {
		if got, err := agreement.ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := agreement.ParseStatus("half"); err == nil {
		t.Error(`ParseStatus("half") succeeded`)
	}
}
