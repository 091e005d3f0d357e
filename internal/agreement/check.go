package agreement

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"threshold/internal/alert"
)

// The alert rules of follow-through, and their version.
const (
	RuleOverdue = "provision-overdue"
	RuleStalled = "provision-stalled"
	RuleVersion = "agreement-1"
)

// Rules lists the rule ids Check evaluates.
func Rules() []string { return []string{RuleOverdue, RuleStalled} }

// DefaultStallAfter is how long a provision below full may go without
// progress before it is stalled.
const DefaultStallAfter = 180 * 24 * time.Hour

// finding is one provision a rule holds for.
type finding struct {
	a     *Agreement
	p     *Provision
	since time.Time // the deadline, or the last progress
}

// Followed reports whether the follow-through rules look at an agreement:
// not ended, and linked to a case or entered by hand.
func Followed(a Agreement) bool {
	return !a.Ended && (len(a.Cases) > 0 || a.Restricted || a.Source == SourceManual)
}

// Firings evaluates the follow-through rules over agreements as of the
// day asOf: one firing per rule and country where the rule holds for at
// least one provision of a followed agreement (see the package doc).
// Agreements should carry their provisions with histories. It is pure.
func Firings(agreements []Agreement, asOf time.Time, stallAfter time.Duration) []alert.Firing {
	if stallAfter <= 0 {
		stallAfter = DefaultStallAfter
	}
	asOf = civil(asOf)
	found := map[string]map[string][]finding{RuleOverdue: {}, RuleStalled: {}}
	for i := range agreements {
		a := &agreements[i]
		if !Followed(*a) {
			continue
		}
		for j := range a.Provisions {
			p := &a.Provisions[j]
			if p.Status == Full {
				continue
			}
			if !p.Deadline.IsZero() && p.Deadline.Before(asOf) {
				for _, c := range a.Countries {
					found[RuleOverdue][c] = append(found[RuleOverdue][c], finding{a, p, p.Deadline})
				}
			}
			since := p.LastProgress()
			if since.IsZero() || since.Before(a.Signed) {
				since = a.Signed
			}
			if !since.After(asOf) && asOf.Sub(since) >= stallAfter {
				for _, c := range a.Countries {
					found[RuleStalled][c] = append(found[RuleStalled][c], finding{a, p, since})
				}
			}
		}
	}
	var out []alert.Firing
	for _, rule := range Rules() {
		countries := make([]string, 0, len(found[rule]))
		for c := range found[rule] {
			countries = append(countries, c)
		}
		slices.Sort(countries)
		for _, c := range countries {
			out = append(out, firing(rule, c, found[rule][c], asOf, stallAfter))
		}
	}
	return out
}

func firing(rule, country string, fs []finding, asOf time.Time, stallAfter time.Duration) alert.Firing {
	slices.SortFunc(fs, func(x, y finding) int {
		if c := x.since.Compare(y.since); c != 0 {
			return c
		}
		return int(x.p.ID - y.p.ID)
	})
	f := alert.Firing{Rule: rule, RuleVersion: RuleVersion, Severity: alert.Info, Country: country,
		Labels: map[string]string{"stage": "follow-through"},
		Window: alert.Window{Start: fs[0].since, End: asOf}, Score: float64(len(fs)), AsOf: asOf}
	what, verb := "provision", "is"
	if len(fs) > 1 {
		what, verb = fmt.Sprintf("%d provisions", len(fs)), "are"
	}
	var b strings.Builder
	restricted := 0
	switch rule {
	case RuleOverdue:
		f.Severity = alert.Warning
		f.Title = fmt.Sprintf("Agreement %s overdue in %s", what, country)
		fmt.Fprintf(&b, "As of %s, %s of agreements in %s %s past the deadline and not fully implemented.",
			asOf.Format(time.DateOnly), plural(len(fs), "provision"), country, verb)
	case RuleStalled:
		f.Title = fmt.Sprintf("Agreement %s stalled in %s", what, country)
		fmt.Fprintf(&b, "As of %s, %s of agreements in %s %s made no progress for %d days or more and %s not fully implemented.",
			asOf.Format(time.DateOnly), plural(len(fs), "provision"), country, hasHave(len(fs)), int(stallAfter.Hours()/24), verb)
	}
	for _, x := range fs {
		if x.a.Restricted {
			restricted++
			continue
		}
		fmt.Fprintf(&b, "\n- %s (signed %s): %s", x.a.Name, x.a.Signed.Format(time.DateOnly), x.p.Text)
		if x.p.Responsible != "" {
			fmt.Fprintf(&b, "; responsible: %s", x.p.Responsible)
		}
		if rule == RuleOverdue {
			fmt.Fprintf(&b, "; deadline %s", x.p.Deadline.Format(time.DateOnly))
		}
		fmt.Fprintf(&b, "; status %s", x.p.Status)
		if rule == RuleStalled {
			fmt.Fprintf(&b, " since %s", x.since.Format(time.DateOnly))
		}
		fmt.Fprintf(&b, " (provision %d).", x.p.ID)
	}
	if restricted > 0 {
		fmt.Fprintf(&b, "\n- %s of agreements linked to restricted cases, not named here.", plural(restricted, "provision"))
	}
	f.Explanation = b.String()
	return f
}

func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	return fmt.Sprintf("%d %ss", n, s)
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
