// Package detect finds threshold moments: periods in which a count series
// (events or fatalities per day, week or month for one place) departs from
// its own history by more than chance allows.
//
// Three documented methods are offered, all built for counts with many zeros:
//
//   - Surprise fits a Poisson or, when the baseline is
//     over-dispersed, a negative-binomial distribution to a trailing
//     baseline window by the method of moments and scores the latest window
//     as -log10 of its upper-tail probability.
//   - CUSUM accumulates the log-likelihood ratio of "the rate has
//     risen by a factor Shift" against "the rate is the baseline's" over the
//     most recent periods, so it sees sustained rises that no single period
//     makes surprising.
//   - ChangePoint runs Bayesian online change-point detection with a
//     Poisson-Gamma model and scores the posterior probability that the
//     series moved to a higher level recently. It is opt-in: on bursty
//     series it fires far more often than the other two.
//
// Every Detection carries its score, the method, the parameters that
// produced it and a plain-language explanation for an analyst. The package
// is pure: no I/O and no clock reads. It does not depend on the indicator
// package; callers copy an indicator series into a Series.
package detect

import (
	"errors"
	"fmt"
	"math"
)

// Period is the length of one step of a Series.
type Period int

// The periods a Series can have.
const (
	Day Period = iota + 1
	Week
	Month
)

// perYear is the number of periods in a year, used to name baselines
// ("2-year") in explanations.
func (p Period) perYear() int {
	switch p {
	case Day:
		return 365
	case Week:
		return 52
	case Month:
		return 12
	}
	return 0
}

// noun returns the period's name, plural when n != 1.
func (p Period) noun(n int) string {
	s := [...]string{Day: "day", Week: "week", Month: "month"}[p]
	if n != 1 {
		s += "s"
	}
	return s
}

// adjective returns "daily", "weekly" or "monthly".
func (p Period) adjective() string {
	return [...]string{Day: "daily", Week: "weekly", Month: "monthly"}[p]
}

// String returns "day", "week" or "month".
func (p Period) String() string {
	if !p.valid() {
		return fmt.Sprintf("Period(%d)", int(p))
	}
	return p.noun(1)
}

func (p Period) valid() bool { return p >= Day && p <= Month }

// MaxValue is the largest count a Series may hold. No place records a
// billion events or deaths in one period; larger values are data errors,
// and refusing them keeps the tail computations fast and finite.
const MaxValue = 1e9

// A Series is a regular sequence of non-negative counts for one measure in
// one place, oldest first, with no gaps: a period without events is a zero,
// not a missing entry.
type Series struct {
	// Subject names the measure and place for explanations, e.g.
	// "fatalities in Jonglei". It should read well before "in <period>".
	Subject string
	// Period is the length of each step.
	Period Period
	// Labels name the periods, e.g. "2013-12" or "2024-W05"; same length as
	// Values.
	Labels []string
	// Values are the counts, each finite, >= 0 and <= MaxValue. Fractional
	// values are allowed (averaged sources) and are compared as the next
	// integer up.
	Values []float64
}

// Through returns the series up to and including period i, which must be
// in [0, len(s.Values)), sharing the underlying arrays: a replay sees only
// what was known at i.
func (s Series) Through(i int) Series {
	s.Labels = s.Labels[:i+1]
	s.Values = s.Values[:i+1]
	return s
}

// ErrShortHistory reports a series whose history before the scored window is
// shorter than Config.MinHistory; callers usually skip such series.
var ErrShortHistory = errors.New("detect: history too short")

// Validate reports whether the series is well formed.
func (s Series) Validate() error {
	if !s.Period.valid() {
		return fmt.Errorf("detect: series %q: unknown period %d", s.Subject, int(s.Period))
	}
	if len(s.Labels) != len(s.Values) {
		return fmt.Errorf("detect: series %q: %d labels for %d values", s.Subject, len(s.Labels), len(s.Values))
	}
	if len(s.Values) == 0 {
		return fmt.Errorf("detect: series %q is empty", s.Subject)
	}
	for i, v := range s.Values {
		if math.IsNaN(v) || v < 0 || v > MaxValue {
			return fmt.Errorf("detect: series %q: value %v at %s: want a count in [0, %g]", s.Subject, v, s.Labels[i], float64(MaxValue))
		}
	}
	return nil
}

// Method names a detection method.
type Method string

// The methods. SurprisePoisson and SurpriseNegBin are the two fits Surprise
// chooses between.
const (
	SurprisePoisson Method = "poisson-surprise"
	SurpriseNegBin  Method = "negbin-surprise"
	MethodCUSUM     Method = "cusum"
	// MethodChangePoint is Bayesian online change-point detection.
	MethodChangePoint Method = "bocpd"
)

// A Detection is one method's verdict on the latest period of a series.
type Detection struct {
	Method Method `json:"method"`
	// Score is in log10 units and >= 0, never NaN; at most MaxScore. For
	// surprise it is -log10 P(total >= observed); for CUSUM it is log10 of
	// the accumulated likelihood ratio.
	Score float64 `json:"score"`
	// Threshold is the score at or above which Alarm is set.
	Threshold float64 `json:"threshold"`
	Alarm     bool    `json:"alarm"`
	// Label is the label of the latest period scored.
	Label string `json:"label"`
	// Params are the fitted and configured parameters behind the score.
	Params Params `json:"params"`
	// Explanation is a sentence or two for an analyst.
	Explanation string `json:"explanation"`
}

// MaxScore caps scores: a tail probability below 1e-300 underflows float64
// and is reported as 300.
const MaxScore = 300

// Params records what a score was computed from. Counts are in events (or
// deaths) per period unless noted.
type Params struct {
	// BaselineFrom and BaselineTo label the first and last baseline periods;
	// BaselinePeriods is how many there were.
	BaselineFrom    string `json:"baseline_from"`
	BaselineTo      string `json:"baseline_to"`
	BaselinePeriods int    `json:"baseline_periods"`
	// Mean is the baseline mean after the floor; Variance the sample
	// variance; Median the baseline median.
	Mean     float64 `json:"mean"`
	Variance float64 `json:"variance"`
	Median   float64 `json:"median"`
	// Size is the negative-binomial size (dispersion) r, where variance =
	// mean + mean²/r; 0 means Poisson.
	Size float64 `json:"size,omitempty"`
	// WindowFrom and WindowTo label the scored window, WindowPeriods its
	// length; Observed is its total and Expected the baseline mean times
	// WindowPeriods.
	WindowFrom    string  `json:"window_from"`
	WindowTo      string  `json:"window_to"`
	WindowPeriods int     `json:"window_periods"`
	Observed      float64 `json:"observed"`
	Expected      float64 `json:"expected"`
	// TailProbability is P(total >= Observed) under the fit (surprise only).
	TailProbability float64 `json:"tail_probability,omitempty"`
	// Shift is the rate ratio CUSUM tests for; RunFrom labels the first
	// period of the current run of positive evidence ("" when none);
	// CrossedAt labels the first period in the window at which the evidence
	// reached the threshold ("" when it did not).
	Shift     float64 `json:"shift,omitempty"`
	RunFrom   string  `json:"run_from,omitempty"`
	CrossedAt string  `json:"crossed_at,omitempty"`
	// Hazard is the prior probability of a change in each period;
	// ChangeProbability the posterior probability that a rise began in the
	// window; NewRate the posterior mean rate of the most probable new
	// segment, which starts at RunFrom (change-point only).
	Hazard            float64 `json:"hazard,omitempty"`
	ChangeProbability float64 `json:"change_probability,omitempty"`
	NewRate           float64 `json:"new_rate,omitempty"`
}

// Detect runs Surprise and CUSUM on the series and returns their
// detections in that order. ChangePoint is left out: see its caution.
func Detect(s Series, c Config) ([]Detection, error) {
	var ds []Detection
	for _, method := range []func(Series, Config) (Detection, error){Surprise, CUSUM} {
		d, err := method(s, c)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}
