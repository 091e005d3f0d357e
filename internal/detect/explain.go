package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// explainSurprise writes, for example:
//
//	fatalities in Jonglei in the 4 weeks 2024-W02 to 2024-W05: 212, 8.8x
//	the weekly median of the past 2 years (6 a week). Under a
//	negative-binomial fit to that baseline (2022-W02 to 2024-W01; mean 7.1
//	a week, dispersion 0.8), a total this high has a chance of about 1 in
//	40,000 (score 4.6, alarm at 3).
func explainSurprise(s Series, d Detection) string {
	p := d.Params
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s: %s, %s. ", s.Subject, windowPhrase(s.Period, p), formatCount(p.Observed), comparison(s.Period, p))
	fmt.Fprintf(&b, "Under a %s fit to that baseline (%s to %s; %s), ", fitName(p), p.BaselineFrom, p.BaselineTo, fitParams(s.Period, p))
	if p.TailProbability >= 0.1 {
		fmt.Fprintf(&b, "a total this high is unremarkable (probability %.2f; score %.1f, alarm at %s).", p.TailProbability, d.Score, formatScore(d.Threshold))
	} else {
		fmt.Fprintf(&b, "a total this high has a chance of %s (score %.1f, alarm at %s).", chance(d.Score), d.Score, formatScore(d.Threshold))
	}
	return b.String()
}

// explainCUSUM writes, for example:
//
//	fatalities in Central African Republic in the 6 months 2013-07 to
//	2013-12: 2,964, 19x the 155 expected at the monthly mean of the past
//	2 years (26 a month). Evidence of a sustained 2x rise since 2013-07:
//	odds of about 820,000,000 to 1 (CUSUM score 8.9, alarm at 2, first
//	reached in 2013-09).
func explainCUSUM(s Series, d Detection) string {
	p := d.Params
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s: %s, %sx the %s expected at the %s mean of the past %s (%s a %s). ",
		s.Subject, windowPhrase(s.Period, p), formatCount(p.Observed), formatRatio(p.Observed/p.Expected),
		formatRate(p.Expected), s.Period.adjective(), baselineName(s.Period, p.BaselinePeriods), formatRate(p.Mean), s.Period.noun(1))
	if d.Score == 0 || p.RunFrom == "" {
		fmt.Fprintf(&b, "No evidence of a sustained %sx rise (CUSUM score 0, alarm at %s).", formatRatio(p.Shift), formatScore(d.Threshold))
		return b.String()
	}
	fmt.Fprintf(&b, "Evidence of a sustained %sx rise since %s: odds of %s to 1 (CUSUM score %.1f, alarm at %s",
		formatRatio(p.Shift), p.RunFrom, odds(d.Score), d.Score, formatScore(d.Threshold))
	if p.CrossedAt != "" {
		fmt.Fprintf(&b, ", first reached in %s", p.CrossedAt)
	}
	b.WriteString(").")
	return b.String()
}

// windowPhrase names the scored window: its label for one period, else
// "the 4 weeks 2024-W02 to 2024-W05".
func windowPhrase(per Period, p Params) string {
	if p.WindowPeriods == 1 {
		return p.WindowTo
	}
	return fmt.Sprintf("the %d %s %s to %s", p.WindowPeriods, per.noun(p.WindowPeriods), p.WindowFrom, p.WindowTo)
}

// comparison sets the window total against the baseline median, scaled to
// the window's length.
func comparison(per Period, p Params) string {
	base := baselineName(per, p.BaselinePeriods)
	switch {
	case p.Median > 0:
		return fmt.Sprintf("%sx the %s median of the past %s (%s a %s)", formatRatio(p.Observed/(p.Median*float64(p.WindowPeriods))), per.adjective(), base, formatRate(p.Median), per.noun(1))
	case p.Variance == 0:
		return fmt.Sprintf("after %d %s with none", p.BaselinePeriods, per.noun(p.BaselinePeriods))
	default:
		return fmt.Sprintf("against a %s median of 0 over the past %s", per.adjective(), base)
	}
}

func fitName(p Params) string {
	if p.Size > 0 {
		return "negative-binomial"
	}
	return "Poisson"
}

func fitParams(per Period, p Params) string {
	s := fmt.Sprintf("mean %s a %s", formatRate(p.Mean), per.noun(1))
	if p.Size > 0 {
		s += ", dispersion " + formatRate(p.Size)
	}
	return s
}

// baselineName names a baseline length: "2 years" or "1 year" when it is a
// whole number of years, else "18 months".
func baselineName(per Period, n int) string {
	if y := per.perYear(); n >= y && n%y == 0 {
		if n == y {
			return "year"
		}
		return fmt.Sprintf("%d years", n/y)
	}
	return fmt.Sprintf("%d %s", n, per.noun(n))
}

// chance writes 10^-score as "about 1 in 40,000".
func chance(score float64) string {
	if score >= 12 {
		return "less than 1 in a trillion"
	}
	return "about 1 in " + formatCount(roundSignificant(math.Pow(10, score), 2))
}

// odds writes 10^score as "about 300" or "more than a trillion".
func odds(score float64) string {
	if score >= 12 {
		return "more than a trillion"
	}
	return "about " + formatCount(roundSignificant(math.Pow(10, score), 2))
}

func roundSignificant(x float64, digits int) float64 {
	if x <= 0 {
		return 0
	}
	e := math.Pow(10, math.Floor(math.Log10(x))-float64(digits-1))
	return math.Round(x/e) * e
}

// formatCount writes a count with thousands separators ("1,318"), or with
// one decimal when it is fractional ("2.5").
func formatCount(x float64) string {
	if x != math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return message.NewPrinter(language.English).Sprintf("%.0f", x)
}

// formatRate writes a per-period rate: two significant figures below 10
// ("0.04", "2.5"), a whole number above ("17", "1,318").
func formatRate(x float64) string {
	if x >= 10 {
		return formatCount(math.Round(x))
	}
	return strconv.FormatFloat(x, 'g', 2, 64)
}

// formatRatio writes a ratio as "2.5" or "9" below 10 and as a whole
// number above ("29", "1,200").
func formatRatio(x float64) string {
	if x >= 10 {
		return formatCount(math.Round(x))
	}
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}

func formatScore(x float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64)
}
