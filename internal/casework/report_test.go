package casework

import (
	"testing"
	"time"
)

func TestMedianPercentile(t *testing.T) {
	h := func(ns ...float64) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n*float64(time.Hour)))
		}
		return out
	}
	for _, tt := range []struct {
		name     string
		in       []time.Duration
		med, p90 time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", h(5), h(5)[0], h(5)[0]},
		{"two: mean of the middles; p90 the 2nd", h(10, 2), h(6)[0], h(10)[0]},
		{"ten: p90 the 9th", h(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), h(5.5)[0], h(9)[0]},
		{"eleven: p90 the 10th", h(11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), h(6)[0], h(10)[0]},
	} {
		if got := Median(tt.in); got != tt.med {
			t.Errorf("Median(%s) = %s, want %s", tt.name, got, tt.med)
		}
		if got := Percentile(tt.in, 90); got != tt.p90 {
			t.Errorf("Percentile(%s, 90) = %s, want %s", tt.name, got, tt.p90)
		}
	}
}

func TestComputeEdges(t *testing.T) {
	fired := time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC)
	in := ReportInput{
		Now: fired.AddDate(0, 1, 0),
		Answers: []Answer{
			// An action dated before the alert answers nothing.
			{CaseID: 1, AlertID: 10, FiredAt: fired, ActionID: 1, ActionAt: fired.Add(-time.Hour), LeadOffice: "A"},
			// The later of two answers in one case is ignored.
			{CaseID: 1, AlertID: 10, FiredAt: fired, ActionID: 3, ActionAt: fired.Add(48 * time.Hour), LeadOffice: "A"},
			{CaseID: 1, AlertID: 10, FiredAt: fired, ActionID: 2, ActionAt: fired.Add(24 * time.Hour), LeadOffice: "A"},
			// Another case answering the same alert later counts for that
			// case only.
			{CaseID: 2, AlertID: 10, FiredAt: fired, ActionID: 4, ActionAt: fired.Add(96 * time.Hour), LeadOffice: "B"},
			// An alert only answered before it fired is not answered.
			{CaseID: 2, AlertID: 11, FiredAt: fired, ActionID: 5, ActionAt: fired.Add(-48 * time.Hour), LeadOffice: "B"},
		},
	}
	rep := Compute(in)
	if rep.Overall.Count != 1 || rep.Overall.Median != 24*time.Hour {
		t.Errorf("overall = %+v, want one episode of 24 h", rep.Overall)
	}
	if len(rep.ByCase) != 2 || rep.ByCase[0].Median != 24*time.Hour || rep.ByCase[1].Median != 96*time.Hour {
		t.Errorf("by case = %+v, want case 1 24 h, case 2 96 h", rep.ByCase)
	}
	if len(rep.ByOffice) != 1 || rep.ByOffice[0].Key != "A" {
		t.Errorf("by office = %+v, want only A (the first answer's case)", rep.ByOffice)
	}
	if len(rep.ByQuarter) != 1 || rep.ByQuarter[0].Key != "2024-Q1" {
		t.Errorf("by quarter = %+v, want 2024-Q1", rep.ByQuarter)
	}
	if rep.Unanswered == nil {
		t.Error("Unanswered is nil; JSON wants []")
	}
}
