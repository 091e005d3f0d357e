package rules

import (
	"threshold/internal/alert"
	"threshold/internal/detect"
	"threshold/internal/indicator"
)

// File is a rules file: a version and its rules.
type File struct {
	// Version names this set of rules; every firing carries it
	// (alert.Firing.RuleVersion), so an alert can be traced to the rules
	// that raised it.
	Version string `json:"version" yaml:"version"`
	Rules   []Rule `json:"rules" yaml:"rules"`
}

// Level is the kind of place a rule watches.
type Level string

// The levels.
const (
	CountryLevel Level = "country" // whole countries
	Admin1Level  Level = "admin1"  // first-level administrative areas
)

// Rule is one alert rule: where it looks (Scope, Level), at which period
// (Period), and exactly one condition (one of the pointer fields).
type Rule struct {
	ID          string            `json:"id" yaml:"id"` // unique in the file; letters, digits, '-', '_', '.'
	Name        string            `json:"name" yaml:"name"`
	Description string            `json:"description,omitempty" yaml:"description,omitempty"`
	Severity    alert.Severity    `json:"severity" yaml:"severity"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	// Scope limits the rule to these countries (ISO 3166-1 alpha-3); empty
	// means every country.
	Scope []string `json:"scope,omitempty" yaml:"scope,omitempty"`
	// Level is country (the default) or admin1. Event triggers that are
	// about admin-1 areas (spread_admin1) always work per area.
	Level Level `json:"level,omitempty" yaml:"level,omitempty"`
	// Period is the period evaluated: the day, ISO week or month that
	// contains the evaluation's AsOf. Default month.
	Period indicator.Kind `json:"period,omitempty" yaml:"period,omitempty"`
	// IncludeUnverified makes the rule count field reports still in
	// verification (unverified or under review) as if they were events,
	// beside the data sets and the verified reports it always counts.
	// Default false: only verified reports count. It needs a Source that
	// implements UnverifiedSource (the backtest has none: unverified
	// reports do not exist in history), works only on counts (shares,
	// means and days since the last fatal event cannot take a report in),
	// and not with forecast rules.
	IncludeUnverified bool `json:"include_unverified,omitempty" yaml:"include_unverified,omitempty"`

	// Exactly one condition.
	Indicator    *IndicatorCond    `json:"indicator,omitempty" yaml:"indicator,omitempty"`
	Detector     *DetectorCond     `json:"detector,omitempty" yaml:"detector,omitempty"`
	Forecast     *ForecastCond     `json:"forecast,omitempty" yaml:"forecast,omitempty"`
	Coup         *CoupCond         `json:"coup,omitempty" yaml:"coup,omitempty"`
	FirstFatal   *FirstFatalCond   `json:"first_fatal,omitempty" yaml:"first_fatal,omitempty"`
	Election     *ElectionCond     `json:"election,omitempty" yaml:"election,omitempty"`
	SpreadAdmin1 *SpreadAdmin1Cond `json:"spread_admin1,omitempty" yaml:"spread_admin1,omitempty"`
	SpreadBorder *SpreadBorderCond `json:"spread_border,omitempty" yaml:"spread_border,omitempty"`
}

// Kind names the rule's condition kind: "indicator", "detector",
// "forecast", "coup", "first_fatal", "election", "spread_admin1" or
// "spread_border" ("" if it has none). Firings carry it as the label "kind".
func (r *Rule) Kind() string {
	switch {
	case r.Indicator != nil:
		return "indicator"
	case r.Detector != nil:
		return "detector"
	case r.Forecast != nil:
		return "forecast"
	case r.Coup != nil:
		return "coup"
	case r.FirstFatal != nil:
		return "first_fatal"
	case r.Election != nil:
		return "election"
	case r.SpreadAdmin1 != nil:
		return "spread_admin1"
	case r.SpreadBorder != nil:
		return "spread_border"
	}
	return ""
}

// span returns the indicators the rule reads and the most periods of its
// kind, ending with the evaluated one, it reads them over (an upper bound:
// months of quiet count as 31 days or 5 weeks each).
func (r *Rule) span() ([]string, int) {
	months := func(m int) int {
		switch r.Period {
		case indicator.Day:
			return 31*m + 1
		case indicator.Week:
			return 5*m + 1
		}
		return m + 1
	}
	switch {
	case r.Indicator != nil:
		return []string{r.Indicator.Name}, max(evidencePeriods, r.Indicator.For)
	case r.Detector != nil:
		c := r.Detector.detectConfig(r.Period)
		return []string{r.Detector.Indicator}, c.Baseline + max(c.Window, c.CUSUMSpan, c.ChangeSpan)
	case r.FirstFatal != nil:
		return []string{indicator.FatalitiesBest}, max(evidencePeriods, months(r.FirstFatal.QuietMonths))
	case r.Election != nil:
		return []string{r.Election.Indicator}, max(evidencePeriods, r.Election.Baseline+1)
	case r.SpreadAdmin1 != nil:
		return []string{indicator.ViolentEvents, indicator.FatalitiesBest}, max(evidencePeriods, months(r.SpreadAdmin1.QuietMonths))
	case r.SpreadBorder != nil:
		return []string{indicator.ViolentEvents, indicator.FatalitiesBest},
			max(evidencePeriods, months(r.SpreadBorder.QuietMonths), months(r.SpreadBorder.NeighbourMonths))
	}
	return nil, 0
}

// Op compares an indicator value with a threshold.
type Op string

// The comparison operators.
const (
	GT Op = ">"
	GE Op = ">="
	LT Op = "<"
	LE Op = "<="
)

// Holds reports whether v op threshold.
func (o Op) Holds(v, threshold float64) bool {
	switch o {
	case GT:
		return v > threshold
	case GE:
		return v >= threshold
	case LT:
		return v < threshold
	case LE:
		return v <= threshold
	}
	return false
}

// IndicatorCond fires when an indicator compares with Value by Op in the
// evaluated period and the For-1 periods before it.
type IndicatorCond struct {
	Name  string  `json:"name" yaml:"name"` // an indicator name, e.g. fatalities_best, events.protest, nb.violent_events
	Op    Op      `json:"op" yaml:"op"`
	Value float64 `json:"value" yaml:"value"`
	// For is the number of consecutive periods, ending with the evaluated
	// one, in which the comparison must hold. Default 1.
	For int `json:"for,omitempty" yaml:"for,omitempty"`
}

// Method is a detector method a rule can use.
type Method string

// The detector methods (see package detect).
const (
	Surprise    Method = "surprise"
	CUSUM       Method = "cusum"
	ChangePoint Method = "changepoint"
)

// DetectorCond fires when a detection method alarms on an indicator's
// series (package detect), with the detector's explanation.
type DetectorCond struct {
	Method    Method `json:"method" yaml:"method"`
	Indicator string `json:"indicator" yaml:"indicator"` // a count indicator, e.g. fatalities_best
	// MinValue is the least total in the scored window for the rule to fire
	// (default 0): it keeps a detector from alarming on a handful of events
	// after a quiet history, which is surprising but rarely a crisis.
	MinValue float64 `json:"min_value,omitempty" yaml:"min_value,omitempty"`
	// Config overrides detect.DefaultConfig for the rule's period; only
	// the fields given change. Keys are detect.Config's JSON names
	// (baseline, min_history, window, mean_floor, surprise_threshold,
	// cusum_span, cusum_shift, cusum_threshold, change_hazard,
	// change_span, change_threshold).
	Config map[string]float64 `json:"config,omitempty" yaml:"config,omitempty"`
}

// ForecastCond fires when a forecast gives Target a probability of at
// least Probability. Forecasts come with issue 5; until a Source also
// implements ForecastSource, such rules are accepted, validated and never
// fire.
type ForecastCond struct {
	Target      string  `json:"target" yaml:"target"`
	Probability float64 `json:"probability" yaml:"probability"` // in (0, 1]
}

// CoupCond fires on any event of category coup (Powell & Thyne's list,
// ACLED or field reports) in the evaluated period, reported by at least
// MinSources distinct sources (default 1).
type CoupCond struct {
	MinSources int `json:"min_sources,omitempty" yaml:"min_sources,omitempty"`
}

// FirstFatalCond fires on the first fatal event in a place after
// QuietMonths months without one.
type FirstFatalCond struct {
	QuietMonths int `json:"quiet_months" yaml:"quiet_months"`
	// MinFatalities is the least number of deaths (best estimate, summed
	// over the period) for the rule to fire; default 1.
	MinFatalities int `json:"min_fatalities,omitempty" yaml:"min_fatalities,omitempty"`
}

// ElectionCond fires when a national election lies within WithinDays of the
// evaluated period (ahead, or just past) while Indicator in the period is at
// least Ratio times its mean over the Baseline periods before it.
type ElectionCond struct {
	WithinDays int     `json:"within_days" yaml:"within_days"`
	Indicator  string  `json:"indicator" yaml:"indicator"` // a count indicator, e.g. events.protest or violent_events
	Ratio      float64 `json:"ratio" yaml:"ratio"`         // > 1
	// Baseline is the number of periods before the evaluated one the
	// indicator's mean is taken over; default 12.
	Baseline int `json:"baseline,omitempty" yaml:"baseline,omitempty"`
	// MinValue is the least value of the indicator in the period; default 1.
	MinValue float64 `json:"min_value,omitempty" yaml:"min_value,omitempty"`
}

// SpreadAdmin1Cond fires for an admin-1 area with violence (violent events)
// in the evaluated period and none in the QuietMonths months before, while
// its country had violence in another area in those months.
type SpreadAdmin1Cond struct {
	QuietMonths int `json:"quiet_months" yaml:"quiet_months"`
	// MinFatalities is the least number of deaths in the area in the
	// period for the rule to fire; default 0 (any violent event).
	MinFatalities int `json:"min_fatalities,omitempty" yaml:"min_fatalities,omitempty"`
}

// SpreadBorderCond fires for a country with violence in the evaluated
// period after QuietMonths months without, while a land neighbour
// (geo.Neighbours) had violence in the NeighbourMonths months up to the
// period.
type SpreadBorderCond struct {
	QuietMonths     int `json:"quiet_months" yaml:"quiet_months"`
	NeighbourMonths int `json:"neighbour_months" yaml:"neighbour_months"`
	// MinFatalities is the least number of deaths in the country in the
	// period; default 0 (any violent event).
	MinFatalities int `json:"min_fatalities,omitempty" yaml:"min_fatalities,omitempty"`
}

// detectConfig returns the detector configuration for period k with the
// rule's overrides applied.
func (d *DetectorCond) detectConfig(k indicator.Kind) detect.Config {
	c := detect.DefaultConfig(detectPeriod(k))
	for key, v := range d.Config {
		switch key {
		case "baseline":
			c.Baseline = int(v)
		case "min_history":
			c.MinHistory = int(v)
		case "window":
			c.Window = int(v)
		case "mean_floor":
			c.MeanFloor = v
		case "surprise_threshold":
			c.SurpriseThreshold = v
		case "cusum_span":
			c.CUSUMSpan = int(v)
		case "cusum_shift":
			c.CUSUMShift = v
		case "cusum_threshold":
			c.CUSUMThreshold = v
		case "change_hazard":
			c.ChangeHazard = v
		case "change_span":
			c.ChangeSpan = int(v)
		case "change_threshold":
			c.ChangeThreshold = v
		}
	}
	return c
}

// configKeys are the detect.Config fields a rule may override; the int
// ones must be whole numbers.
var configKeys = map[string]bool{ // value: integer field
	"baseline": true, "min_history": true, "window": true, "mean_floor": false,
	"surprise_threshold": false, "cusum_span": true, "cusum_shift": false,
	"cusum_threshold": false, "change_hazard": false, "change_span": true,
	"change_threshold": false,
}

func detectPeriod(k indicator.Kind) detect.Period {
	switch k {
	case indicator.Day:
		return detect.Day
	case indicator.Week:
		return detect.Week
	}
	return detect.Month
}
