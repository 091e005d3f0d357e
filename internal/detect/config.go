package detect

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the detection parameters. All lengths are in periods of the
// series being scored. Use DefaultConfig and change what you need.
type Config struct {
	// Baseline is the number of periods, just before the scored window,
	// that the distribution is fitted on. Default: two years.
	Baseline int `json:"baseline"`
	// MinHistory is the fewest baseline periods a series must have to be
	// scored; shorter ones get ErrShortHistory. 2 <= MinHistory <= Baseline.
	// Default: one year for months, six months for weeks, 90 days.
	MinHistory int `json:"min_history"`
	// Window is the number of latest periods summed and scored by Surprise.
	// Default: 1 month, 4 weeks or 7 days.
	Window int `json:"window"`
	// MeanFloor is the smallest baseline mean per period used in a fit, so
	// an all-zero history does not make any event infinitely surprising.
	// Default: 0.1 a month, 0.025 a week, 0.0035 a day: about 1.2 a year
	// in each case.
	MeanFloor float64 `json:"mean_floor"`
	// SurpriseThreshold is the surprise score (-log10 p) that raises an
	// alarm. Default 3: a total this high happens once in 1,000 windows
	// under the baseline fit.
	SurpriseThreshold float64 `json:"surprise_threshold"`
	// CUSUMSpan is the number of latest periods CUSUM accumulates over; the
	// baseline is the Baseline periods before them. Default: 6 months,
	// 12 weeks, 30 days.
	CUSUMSpan int `json:"cusum_span"`
	// CUSUMShift is the rate ratio (> 1) CUSUM is tuned to detect.
	// Default 2: a doubling.
	CUSUMShift float64 `json:"cusum_shift"`
	// CUSUMThreshold is the CUSUM score (log10 likelihood ratio) that
	// raises an alarm. Default 2: odds of 100 to 1 for the shift, which
	// keeps the in-control run length above about 100 periods.
	CUSUMThreshold float64 `json:"cusum_threshold"`
	// ChangeHazard is ChangePoint's prior probability, in (0, 1), that a
	// new segment starts in any one period. Default: one change in five
	// years (1/60 a month, 1/260 a week, 1/1825 a day).
	ChangeHazard float64 `json:"change_hazard"`
	// ChangeSpan is how recent, in periods, a change must be to count.
	// Default: as CUSUMSpan.
	ChangeSpan int `json:"change_span"`
	// ChangeThreshold is the change-point score (−log10 of the probability
	// of no recent rise) that raises an alarm. Default 2: a 99% posterior
	// probability of a recent rise.
	ChangeThreshold float64 `json:"change_threshold"`
}

// DefaultConfig returns sensible defaults for series of period p. It panics
// on an unknown period, which is a programming error.
func DefaultConfig(p Period) Config {
	c := Config{SurpriseThreshold: 3, CUSUMShift: 2, CUSUMThreshold: 2, ChangeThreshold: 2}
	switch p {
	case Month:
		c.Baseline, c.MinHistory, c.Window, c.MeanFloor, c.CUSUMSpan = 24, 12, 1, 0.1, 6
	case Week:
		c.Baseline, c.MinHistory, c.Window, c.MeanFloor, c.CUSUMSpan = 104, 26, 4, 0.025, 12
	case Day:
		c.Baseline, c.MinHistory, c.Window, c.MeanFloor, c.CUSUMSpan = 730, 90, 7, 0.0035, 30
	default:
		panic(fmt.Sprintf("detect.DefaultConfig: unknown period %d", int(p)))
	}
	c.ChangeHazard = 1 / float64(5*p.perYear())
	c.ChangeSpan = c.CUSUMSpan
	return c
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("detect: config: "+format, args...))
	}
	if c.Baseline < 2 {
		bad("baseline is %d periods, want at least 2", c.Baseline)
	}
	if c.MinHistory < 2 || c.MinHistory > c.Baseline {
		bad("min_history is %d periods, want between 2 and baseline (%d)", c.MinHistory, c.Baseline)
	}
	if c.Window < 1 {
		bad("window is %d periods, want at least 1", c.Window)
	}
	if !(c.MeanFloor > 0) || math.IsInf(c.MeanFloor, 0) {
		bad("mean_floor is %v, want a positive number", c.MeanFloor)
	}
	if !(c.SurpriseThreshold > 0) || c.SurpriseThreshold > MaxScore {
		bad("surprise_threshold is %v, want in (0, %d]", c.SurpriseThreshold, MaxScore)
	}
	if c.CUSUMSpan < 1 {
		bad("cusum_span is %d periods, want at least 1", c.CUSUMSpan)
	}
	if !(c.CUSUMShift > 1) || math.IsInf(c.CUSUMShift, 0) {
		bad("cusum_shift is %v, want a finite ratio above 1", c.CUSUMShift)
	}
	if !(c.CUSUMThreshold > 0) || c.CUSUMThreshold > MaxScore {
		bad("cusum_threshold is %v, want in (0, %d]", c.CUSUMThreshold, MaxScore)
	}
	if !(c.ChangeHazard > 0 && c.ChangeHazard < 1) {
		bad("change_hazard is %v, want a probability strictly between 0 and 1", c.ChangeHazard)
	}
	if c.ChangeSpan < 1 {
		bad("change_span is %d periods, want at least 1", c.ChangeSpan)
	}
	if !(c.ChangeThreshold > 0) || c.ChangeThreshold > MaxScore {
		bad("change_threshold is %v, want in (0, %d]", c.ChangeThreshold, MaxScore)
	}
	return errors.Join(errs...)
}
