package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/detect"
	"threshold/internal/store"
)

// Trend is a country's trend call for the month.
type Trend string

// The trend calls, as CrisisWatch makes them.
const (
	Deteriorated Trend = "deteriorated"
	Improved     Trend = "improved"
	Unchanged    Trend = "unchanged"
)

// Trends lists the trend calls.
func Trends() []Trend { return []Trend{Deteriorated, Improved, Unchanged} }

// ParseTrend parses a trend call.
func ParseTrend(s string) (Trend, error) {
	t := Trend(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Trends() {
		if t == k {
			return t, nil
		}
	}
	return "", fmt.Errorf("trend %q: want deteriorated, improved or unchanged", s)
}

// The drafting thresholds; the package doc explains them.
const (
	// ActiveDeaths is the monthly death toll at which a month counts as
	// heavy fighting: UCDP's 25 battle deaths, applied to a month.
	ActiveDeaths = 25
	// RiseFactor is how many times the 12-month mean deaths the month
	// must reach, with at least ActiveDeaths deaths, to be deteriorated.
	RiseFactor = 2.0
	// FallFactor is the share of the mean of the three months before
	// that the month's deaths must fall to, or below, to be improved.
	FallFactor = 0.5
	// LullFactor: a fall to this share or less of the three months before
	// flags a resolution opportunity.
	LullFactor = 0.25
	// SurpriseDeaths is the fewest deaths in the month for a detector's
	// alarm on them to make the month deteriorated.
	SurpriseDeaths = 10
	// RiskOnset and RiskActive are the forecast probabilities, for any
	// month ahead, that flag a conflict risk alert.
	RiskOnset  = 0.3
	RiskActive = 0.5
)

// Call is the tracker's call for one country and month: the draft made
// from the data with its evidence, and the analyst's override when there
// is one. Final is what the report prints.
type Call struct {
	Country  string     `json:"country"`
	Name     string     `json:"country_name"`
	Month    string     `json:"month"` // "2013-12"
	Draft    Verdict    `json:"draft"`
	Evidence []Evidence `json:"evidence"`
	Override *Override  `json:"override,omitempty"`
}

// Verdict is a trend call and its two flags.
type Verdict struct {
	Trend                 Trend `json:"trend"`
	RiskAlert             bool  `json:"risk_alert"`
	ResolutionOpportunity bool  `json:"resolution_opportunity"`
}

// Flags spells the verdict's flags out: "conflict risk alert",
// "resolution opportunity", both joined by "; ", or "".
func (v Verdict) Flags() string {
	var fs []string
	if v.RiskAlert {
		fs = append(fs, "conflict risk alert")
	}
	if v.ResolutionOpportunity {
		fs = append(fs, "resolution opportunity")
	}
	return strings.Join(fs, "; ")
}

// Override is an analyst's review of a drafted call.
type Override struct {
	Verdict
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Final is the call the report makes: the override when there is one,
// else the draft.
func (c Call) Final() Verdict {
	if c.Override != nil {
		return c.Override.Verdict
	}
	return c.Draft
}

// Overridden reports whether an analyst changed the draft.
func (c Call) Overridden() bool { return c.Override != nil && c.Override.Verdict != c.Draft }

// Evidence is one piece of what the draft was made from. Fired says
// whether it moved the call (a rule met); the others are context.
type Evidence struct {
	Kind  string `json:"kind"` // indicator, detector, forecast, alert, agreement
	Rule  string `json:"rule,omitempty"`
	Text  string `json:"text"`
	Fired bool   `json:"fired"`
}

// RuleTexts explain the drafting rules, as every format prints them.
var RuleTexts = []string{
	"D1 (deteriorated): at least 25 deaths in the month, at least twice the mean of the 12 months before, and more than the month before.",
	"D2 (deteriorated): a detector's alarm on the month's deaths or events (Poisson or negative-binomial surprise at p ≤ 0.001, or CUSUM for a doubling at odds of 100 to 1, against the 24 months before), with at least 10 deaths.",
	"D3 (deteriorated): a critical alert opened on data of the month.",
	"I1 (improved): when no D rule is met, the three months before averaged at least 25 deaths and the month had at most half that mean.",
	"Unchanged: neither.",
	"R1 (conflict risk alert): the CUSUM detector finds a sustained rise in deaths, with at least 25 deaths in the month.",
	"R2 (conflict risk alert): a critical alert opened on data of the month.",
	"R3 (conflict risk alert): a stored forecast for a month ahead gives onset at 30% or more, active conflict at 50% or more, or an 80% interval for deaths reaching 25 and twice the 12-month mean.",
	"O1 (resolution opportunity): an agreement signed, or one of its provisions moved to a higher implementation status, in the month.",
	"O2 (resolution opportunity): deaths fell to a quarter or less of a mean of at least 25 in the three months before, with no detector alarm or critical alert.",
}

// RulesMet lists the rules that moved the draft ("D1, R1"); "none" when
// none did.
func (c Call) RulesMet() string {
	var rs []string
	seen := map[string]bool{}
	for _, e := range c.Evidence {
		if e.Fired && e.Rule != "" && !seen[e.Rule] {
			seen[e.Rule] = true
			rs = append(rs, e.Rule)
		}
	}
	if len(rs) == 0 {
		return "none"
	}
	return strings.Join(rs, ", ")
}

// Milestone is an agreement event in the month: a signing or a provision
// moving to a higher implementation status.
type Milestone struct {
	AgreementID int64
	Agreement   string
	On          time.Time
	Text        string
}

// draft makes the call for c from its figures, detections, alerts,
// forecasts and agreement milestones, following the rules in the package
// doc.
func draft(c *Country) Call {
	cur := c.Current()
	call := Call{Country: c.ISO3, Name: c.Name, Month: cur.Start.Format("2006-01"), Draft: Verdict{Trend: Unchanged}}
	ev := func(kind, rule, text string, fired bool) {
		call.Evidence = append(call.Evidence, Evidence{Kind: kind, Rule: rule, Text: text, Fired: fired})
	}
	n := len(c.History)
	prev := 0
	if n >= 2 {
		prev = c.History[n-2].Fatalities
	}
	prev3 := 0.0
	if n >= 4 {
		for _, m := range c.History[n-4 : n-1] {
			prev3 += float64(m.Fatalities) / 3
		}
	}
	f := cur.Fatalities

	// D1: deaths at least ActiveDeaths, at least RiseFactor times the
	// 12-month mean, and above the month before.
	d1 := f >= ActiveDeaths && float64(f) >= RiseFactor*c.Mean12Fatalities && f > prev
	ev("indicator", "D1", fmt.Sprintf("%s deaths in %s against a 12-month mean of %.1f and %s the month before (%s)",
		thousands(f), cur.Start.Format("January 2006"), c.Mean12Fatalities, thousands(prev), change(f, c.Mean12Fatalities)), d1)
	ev("indicator", "", fmt.Sprintf("%s events against a 12-month mean of %.1f", thousands(cur.Events), c.Mean12Events), false)

	// D2: a detector's alarm on the month's deaths or events, with at
	// least SurpriseDeaths deaths.
	d2 := false
	for _, d := range c.Detections {
		fired := d.Alarm && f >= SurpriseDeaths
		d2 = d2 || fired
		ev("detector", "D2", d.Explanation+fmt.Sprintf(" (score %.1f, alarm at %.1f)", d.Score, d.Threshold), fired)
	}

	// D3 and R2: alerts opened on data of the month; critical ones.
	d3 := false
	for _, a := range c.Alerts {
		fired := a.New && a.Severity == alert.Critical
		d3 = d3 || fired
		state := "in force"
		if a.New {
			state = "new this month"
		}
		ev("alert", "D3", fmt.Sprintf("alert %d (%s, %s): %s", a.ID, a.Severity, state, a.Title), fired)
	}
	if d1 || d2 || d3 {
		call.Draft.Trend = Deteriorated
	}

	// I1: after three months averaging ActiveDeaths or more, deaths fell
	// to FallFactor of that mean or below, without D rules.
	if call.Draft.Trend == Unchanged && n >= 4 {
		i1 := prev3 >= ActiveDeaths && float64(f) <= FallFactor*prev3
		ev("indicator", "I1", fmt.Sprintf("%s deaths against a mean of %.1f in the three months before", thousands(f), prev3), i1)
		if i1 {
			call.Draft.Trend = Improved
		}
	}

	// R1: the CUSUM detector finds a sustained rise in deaths, with
	// ActiveDeaths or more this month.
	for _, d := range c.Detections {
		if d.Method == detect.MethodCUSUM && d.Alarm && f >= ActiveDeaths {
			call.Draft.RiskAlert = true
			ev("detector", "R1", "sustained rise in deaths: "+d.Explanation, true)
			break
		}
	}
	if d3 {
		call.Draft.RiskAlert = true // R2: a new critical alert
		ev("alert", "R2", "a critical alert opened on data of the month", true)
	}
	// R3: forecasts for the months ahead.
	for _, fc := range c.Forecasts {
		text, fired := forecastEvidence(fc.Forecast, c.Mean12Fatalities)
		if fired {
			call.Draft.RiskAlert = true
		}
		ev("forecast", "R3", text, fired)
	}

	// O1: agreement milestones in the month; O2: a lull after fighting.
	for _, m := range c.Milestones {
		call.Draft.ResolutionOpportunity = true
		ev("agreement", "O1", m.Text, true)
	}
	if n >= 4 && prev3 >= ActiveDeaths && float64(f) <= LullFactor*prev3 && !d2 && !d3 {
		call.Draft.ResolutionOpportunity = true
		ev("indicator", "O2", fmt.Sprintf("deaths fell to %s from a mean of %.1f in the three months before", thousands(f), prev3), true)
	}
	return call
}

// forecastEvidence describes a stored forecast and says whether it flags
// a conflict risk alert (rule R3).
func forecastEvidence(f store.Forecast, mean12 float64) (string, bool) {
	when := fmt.Sprintf("%s, %d month(s) ahead, from data to %s", f.Period.Format("January 2006"), f.Horizon, f.Cutoff.Format("2006-01-02"))
	switch {
	case !math.IsNaN(f.Probability):
		p := f.Probability
		fired := f.Target == "onset" && p >= RiskOnset || f.Target == "active" && p >= RiskActive
		return fmt.Sprintf("forecast %s: %.0f%% for %s (%s)", f.Target, 100*p, when, f.Model), fired
	case !math.IsNaN(f.Mean):
		fired := f.Hi80 >= ActiveDeaths && f.Hi80 >= RiseFactor*mean12
		return fmt.Sprintf("forecast deaths: %.0f (80%%: %.0f to %.0f) for %s (%s)", f.Mean, f.Lo80, f.Hi80, when, f.Model), fired
	}
	return "forecast " + f.Target + " with no value for " + when, false
}
