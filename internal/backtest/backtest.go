// Package backtest replays Threshold's warning rules over history and
// scores them against the escalations that followed: the measure of
// whether the rules would have warned in time, and how often in vain.
//
// # Replay
//
// Run evaluates the rules (rules.Evaluate) at the end of every month (a
// rule of a shorter period as of the end of its last whole period before
// the month end, e.g. the Sunday before for a weekly rule), with only the
// data known then: indicator values of periods over by that day
// and events that started by it (the election calendar is read ahead, as
// elections are scheduled in advance). The data are read from the store
// once, each indicator on first use, and sliced in memory month by month.
// An alert is raised when a rule fires for a place (its fingerprint: rule,
// country, admin-1 area) at a month end and did not at the previous one:
// the alert lifecycle's one alert per episode, replayed (ReplayAt). The
// replay starts Horizon.MaxLead+1 months before the run's first month: one
// warm-up month that only sets what was firing, then the months whose
// alerts can warn of the first episodes.
//
// # Episodes
//
// An escalation episode (FindEpisodes) is a country-month in which the
// country, or one of its admin-1 areas, has 25 or more deaths (the
// fatalities_best indicator, UCDP's best estimate) after 6 consecutive
// months each with fewer than 25 deaths in that place.
//
// # Scores
//
// With the default Horizon of 1 to 3 months (Score):
//
//	recall            episodes in [from, to] with an alert in the country (on
//	                  the country or one of its areas) raised at the end of
//	                  one of the 3 months before the episode month, over
//	                  all episodes in [from, to]
//	precision         alerts raised in [from, to] followed by an episode in
//	                  their country in one of the 3 months after the alert's
//	                  month, over all those alerts
//	median_lead_days  over warned episodes, the days from the earliest
//	                  alert in the window (its month end) to the first day
//	                  of the episode month: 1, about 31 or about 62
//	median_days_to_deaths  the same to the first deadly event of the
//	                  episode month in the places that crossed
//	false alarms      alerts not followed by an episode, per country-year
//	                  (countries watched × years of the run)
//
// An alert raised in the episode month itself reacts to the escalation: it
// counts neither as a warning of it nor as followed by it (Metrics.Detected
// counts those episodes separately).
//
// # Baseline
//
// Each run replays, through the same machinery, a naive rule beside the
// rules under test (Baseline): alert for a country when the month just
// ended had any death.
//
// # Limits
//
// "Known then" means dated by then in the data as stored now: the replay
// cannot undo later revisions of the sources (UCDP GED is published a year
// after the fact and revised), nor delays in reporting. A country-month
// without events counts as quiet, which holds for a global source such as
// GED and not for data about a few countries. Episodes need a place to be
// quiet first, so a country at war all along has none: an alert about a
// war getting worse counts as a false alarm, and so does an alert raised
// in an episode's own month unless another episode follows it (Detected
// counts the episodes seen that way).
// Alerts in the last Horizon.MaxLead months before the end of the data
// cannot be followed by an episode the data show.
package backtest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

// Options configure a run.
type Options struct {
	// From and To bound the months scored (any day in them).
	From, To time.Time
	// Rules are the rules under test.
	Rules *rules.File
	// Label, "key=value", limits the rules under test to those with that
	// label, e.g. "stage=precursor"; "" keeps them all.
	Label string
	// Countries limits the run (ISO alpha-3); nil means every country
	// with data.
	Countries []string
	// Episode defines escalation episodes; a zero Threshold and
	// QuietMonths mean DefaultEpisodeRule's.
	Episode EpisodeRule
	// Horizon is the lead window; zero means DefaultHorizon.
	Horizon Horizon
	// Elections is the calendar election rules read; nil means none.
	Elections ElectionSource
	// Step is how often the rules are evaluated: StepMonth (the zero
	// value) at every month end, every rule as of its last whole period;
	// StepWeek at every Sunday and every month end, every rule as the
	// running server evaluates it (its period containing the day, cut at
	// the day). The baseline is evaluated at the same steps as of the last
	// whole month either way: it is about last month.
	Step Step
	// Workers is how many steps are evaluated at once; 0 means
	// GOMAXPROCS.
	Workers int
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// Step is how often a replay evaluates the rules.
type Step string

const (
	// StepMonth evaluates at month ends, each rule as of its last whole
	// period.
	StepMonth Step = "month"
	// StepWeek evaluates at every Sunday and every month end, each rule
	// on its period containing the day, cut at the day, as the server's
	// evaluation after each ingest does.
	StepWeek Step = "week"
)

// Report is a run's result.
type Report struct {
	From         string `json:"from"` // YYYY-MM
	To           string `json:"to"`
	Step         Step   `json:"step"`
	RulesVersion string `json:"rules_version"`
	// Label is the label the rules were limited to, if any.
	Label string `json:"label,omitempty"`
	// Definition states the episode and window definitions in words.
	Definition string      `json:"definition"`
	Episode    EpisodeRule `json:"episode_rule"`
	Horizon    Horizon     `json:"horizon"`
	// Countries is the number of countries watched; DataStart and DataEnd
	// the first and last months with data.
	Countries int    `json:"countries"`
	DataStart string `json:"data_start"`
	DataEnd   string `json:"data_end"`

	// The rules' scores: episodes, alerts, recall, precision,
	// median_lead_days, false alarms.
	Metrics
	// LeadVsBaseline compares, over the episodes both warned of, the
	// rules' earliest alert with the baseline's.
	LeadVsBaseline LeadComparison `json:"lead_vs_baseline"`
	// Baseline is the naive rule's scores, replayed in the same run.
	Baseline Metrics `json:"baseline"`
	// ByRule scores each rule alone; ByStage the rules of each value of
	// the label StageLabel together (absent when no rule has it).
	ByRule  []Metrics `json:"by_rule"`
	ByStage []Metrics `json:"by_stage,omitempty"`

	EpisodeDetails       []EpisodeResult `json:"episode_details"`
	FalseAlarmsByCountry []CountryAlarms `json:"false_alarms_by_country"`
	// AlertList lists the rules' alerts in [From, To] when the caller
	// sets it (from AllAlerts).
	AlertList []Alert `json:"alert_list,omitempty"`

	// Seconds is the run's wall time; ReplaySeconds the part spent
	// evaluating rules.
	Seconds       float64 `json:"seconds"`
	ReplaySeconds float64 `json:"replay_seconds"`

	alerts []Alert // every alert of the rules, warm-up included
}

// LeadComparison counts the episodes both the rules and the baseline
// warned of by whose earliest alert came first.
type LeadComparison struct {
	Earlier int `json:"earlier"` // the rules warned first
	Same    int `json:"same"`
	Later   int `json:"later"` // the baseline warned first
}

// EpisodeResult is one episode with how the rules and the baseline warned.
type EpisodeResult struct {
	Country     string   `json:"country"`
	Month       string   `json:"month"` // YYYY-MM
	Places      []string `json:"places"`
	Fatalities  float64  `json:"fatalities"`
	FirstDeaths string   `json:"first_deaths,omitempty"` // YYYY-MM-DD
	Warning
	Baseline Warning `json:"baseline"`
}

// CountryAlarms are one country's false alarms over the run.
type CountryAlarms struct {
	Country         string  `json:"country"`
	FalseAlarms     int     `json:"false_alarms"`
	PerYear         float64 `json:"per_year"`
	BaselineAlarms  int     `json:"baseline_false_alarms"`
	BaselinePerYear float64 `json:"baseline_per_year"`
}

// AllAlerts returns the rules' alerts in [From, To].
func (r *Report) AllAlerts() []Alert {
	from, _ := time.Parse("2006-01", r.From)
	var out []Alert
	for _, a := range r.alerts {
		if !a.month().Before(from) {
			out = append(out, a)
		}
	}
	return out
}

// StageLabel is the rule label that says what a rule is for: "precursor"
// (signals that tend to come before an escalation) or "escalation" (a
// threshold moment under way), as the default rules are labelled. Reports
// score each stage's rules together: escalation rules fire in the
// escalation month by design, and are rarely followed by a further episode.
const StageLabel = "stage"

// BaselineName names the baseline rule.
const BaselineName = "any-fatality-last-month"

// Baseline is the naive rule the rules are measured against: alert for a
// country when the month just ended had any death (fatalities_best > 0),
// raised, like every rule, when it did not hold the month before.
func Baseline() *rules.File {
	return &rules.File{Version: "baseline", Rules: []rules.Rule{{
		ID: BaselineName, Name: "Any death last month", Severity: alert.Info,
		Level: rules.CountryLevel, Period: indicator.Month,
		Indicator: &rules.IndicatorCond{Name: indicator.FatalitiesBest, Op: rules.GT, Value: 0, For: 1},
	}}}
}

func countriesNote(cs []string) string {
	if cs == nil {
		return ""
	}
	return fmt.Sprintf(" for %v", cs)
}

// withLabel returns the rules of f labelled label ("key=value").
func withLabel(f *rules.File, label string) (*rules.File, error) {
	k, v, ok := strings.Cut(label, "=")
	if !ok || k == "" {
		return nil, fmt.Errorf("backtest: label %q: want key=value, e.g. %s=precursor", label, StageLabel)
	}
	out := &rules.File{Version: f.Version}
	for _, r := range f.Rules {
		if x, ok := r.Labels[k]; ok && x == v {
			out.Rules = append(out.Rules, r)
		}
	}
	if len(out.Rules) == 0 {
		return nil, fmt.Errorf("backtest: no rule of %q is labelled %s", f.Version, label)
	}
	return out, nil
}

// periodRules are the rules of one period kind.
type periodRules struct {
	kind indicator.Kind
	file *rules.File
}

// byPeriod splits f by the rules' periods (month when unset), longest
// first, so that each group is evaluated as of the end of its last whole
// period.
func byPeriod(f *rules.File) []periodRules {
	var out []periodRules
	kinds := indicator.Kinds()
	for i := len(kinds) - 1; i >= 0; i-- {
		g := &rules.File{Version: f.Version}
		for _, r := range f.Rules {
			if k := r.Period; k == kinds[i] || k == "" && kinds[i] == indicator.Month {
				g.Rules = append(g.Rules, r)
			}
		}
		if len(g.Rules) > 0 {
			out = append(out, periodRules{kinds[i], g})
		}
	}
	return out
}

// lastWhole returns the last day of the last period of kind k that is over
// by the end of day: day itself when it ends its period, else the day
// before its period. Rules evaluated at a month end look at their period
// containing AsOf, and a week still running is not known whole: a weekly
// rule is evaluated as of the Sunday before, so a monthly replay looks at
// one week a month.
func lastWhole(k indicator.Kind, day time.Time) time.Time {
	start := k.Start(day)
	if k.Next(start).Equal(day.AddDate(0, 0, 1)) {
		return day
	}
	return start.AddDate(0, 0, -1)
}

// Definition returns the definitions a report is scored by, in words.
func Definition(e EpisodeRule, h Horizon, step Step) string {
	places := "the country or one of its admin-1 areas"
	if e.CountryOnly {
		places = "the country as a whole"
	}
	when := "at a month end, not firing at the previous month end"
	if step == StepWeek {
		when = "at a Sunday or month end, not firing at the previous one"
	}
	return fmt.Sprintf("episode: a country-month in which %s has >= %g deaths "+
		"(fatalities_best) after %d consecutive months each < %g there; "+
		"an alert (a rule firing for a place %s) warns of an episode "+
		"in its country %d to %d months later (recall), and is followed when such an episode comes (precision); "+
		"lead = days from the day the earliest warning alert was raised to the episode month's first day",
		places, e.Threshold, e.QuietMonths, e.Threshold, when, h.MinLead, h.MaxLead)
}

// Run replays opts.Rules and the baseline over the months [opts.From,
// opts.To] on the data of st, and scores both.
func Run(ctx context.Context, st Store, opts Options) (*Report, error) {
	start := time.Now()
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Rules == nil {
		return nil, fmt.Errorf("backtest: no rules")
	}
	if opts.From.IsZero() || opts.To.IsZero() || opts.To.Before(opts.From) {
		return nil, fmt.Errorf("backtest: want from <= to, got %s..%s", opts.From.Format(time.DateOnly), opts.To.Format(time.DateOnly))
	}
	if opts.Episode.Threshold == 0 && opts.Episode.QuietMonths == 0 {
		opts.Episode.Threshold, opts.Episode.QuietMonths = DefaultEpisodeRule.Threshold, DefaultEpisodeRule.QuietMonths
	}
	if opts.Horizon == (Horizon{}) {
		opts.Horizon = DefaultHorizon
	}
	if opts.Horizon.MinLead < 1 || opts.Horizon.MaxLead < opts.Horizon.MinLead {
		return nil, fmt.Errorf("backtest: lead window %d..%d months: want 1 <= min <= max", opts.Horizon.MinLead, opts.Horizon.MaxLead)
	}
	switch opts.Step {
	case "":
		opts.Step = StepMonth
	case StepMonth, StepWeek:
	default:
		return nil, fmt.Errorf("backtest: step %q: want %q or %q", opts.Step, StepMonth, StepWeek)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Label != "" {
		f, err := withLabel(opts.Rules, opts.Label)
		if err != nil {
			return nil, err
		}
		opts.Rules = f
	}
	from, to := monthStart(opts.From), monthStart(opts.To)

	// The episodes come from the whole record: the quiet months before the
	// first scored month, and the months after the last, which tell
	// whether its alerts were followed.
	fat, err := st.ReplayIndicators(ctx, opts.Countries, indicator.Month, indicator.FatalitiesBest, time.Time{}, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	counts, err := st.ReplayIndicators(ctx, opts.Countries, indicator.Month, indicator.Events, time.Time{}, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	var dataStart, dataEnd time.Time
	watched := map[string]bool{}
	for _, v := range counts {
		watched[v.Country] = true
		if dataStart.IsZero() || v.Start.Before(dataStart) {
			dataStart = v.Start
		}
		if v.Start.After(dataEnd) {
			dataEnd = v.Start
		}
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("backtest: no monthly indicators stored%s: ingest events, or recompute the indicators ('threshold indicators --recompute')", countriesNote(opts.Countries))
	}
	for _, c := range opts.Countries {
		watched[c] = true
	}
	episodes := FindEpisodes(fat, opts.Episode, dataStart, time.Time{}, time.Time{})
	log.Info("backtest: episodes found", "all", len(episodes), "data_start", dataStart, "data_end", dataEnd)

	mem := newMemory(st, monthEnd(to), opts.Elections)
	if err := mem.loadEvents(ctx); err != nil {
		return nil, err
	}
	FirstDeaths(episodes, mem.events)
	first := from.AddDate(0, -opts.Horizon.MaxLead-1, 0)
	tab, err := geo.Load()
	if err != nil {
		return nil, err
	}
	replayStart := time.Now()
	steps := MonthEnds(first, to)
	if opts.Step == StepWeek {
		steps = WeekAndMonthEnds(first, to)
	}
	var ruleAlerts, baseAlerts []Alert
	for _, rs := range []struct {
		f     *rules.File
		out   *[]Alert
		whole bool // evaluate as of the last whole period
	}{{opts.Rules, &ruleAlerts, opts.Step == StepMonth}, {Baseline(), &baseAlerts, true}} {
		groups := byPeriod(rs.f)
		as, err := ReplayAt(ctx, steps, opts.Workers, func(ctx context.Context, day time.Time) ([]alert.Firing, error) {
			var out []alert.Firing
			for _, g := range groups {
				asOf := day
				if rs.whole {
					asOf = lastWhole(g.kind, day)
				}
				fs, err := rules.Evaluate(ctx, mem.at(asOf), g.file, rules.Scope{Countries: opts.Countries, AsOf: asOf, Geo: tab})
				if err != nil {
					return nil, err
				}
				out = append(out, fs...)
			}
			return out, nil
		})
		if err != nil {
			return nil, fmt.Errorf("backtest %s: %w", rs.f.Version, err)
		}
		*rs.out = as
		log.Info("backtest: replayed", "rules", rs.f.Version, "alerts", len(as), "seconds", time.Since(replayStart).Seconds())
	}
	replaySeconds := time.Since(replayStart).Seconds()

	years := float64(monthsBetween(from, to)+1) / 12
	countryYears := float64(len(watched)) * years
	r := &Report{
		From: from.Format("2006-01"), To: to.Format("2006-01"), Step: opts.Step, RulesVersion: opts.Rules.Version, Label: opts.Label,
		Definition: Definition(opts.Episode, opts.Horizon, opts.Step), Episode: opts.Episode, Horizon: opts.Horizon,
		Countries: len(watched), alerts: ruleAlerts,
	}
	if !dataStart.IsZero() {
		r.DataStart, r.DataEnd = dataStart.Format("2006-01"), dataEnd.Format("2006-01")
	}
	var warnings, baseWarnings []Warning
	r.Metrics, warnings = Score(ruleAlerts, episodes, from, to, opts.Horizon, countryYears)
	r.Baseline, baseWarnings = Score(baseAlerts, episodes, from, to, opts.Horizon, countryYears)
	r.Baseline.Name = BaselineName

	byRule := map[string][]Alert{}
	for _, a := range ruleAlerts {
		byRule[a.Rule] = append(byRule[a.Rule], a)
	}
	byStage := map[string][]Alert{}
	for _, rule := range opts.Rules.Rules {
		m, _ := Score(byRule[rule.ID], episodes, from, to, opts.Horizon, countryYears)
		m.Name = rule.ID
		r.ByRule = append(r.ByRule, m)
		if stage, ok := rule.Labels[StageLabel]; ok {
			byStage[stage] = append(byStage[stage], byRule[rule.ID]...)
		}
	}
	for _, stage := range slices.Sorted(maps.Keys(byStage)) {
		m, _ := Score(byStage[stage], episodes, from, to, opts.Horizon, countryYears)
		m.Name = stage
		r.ByStage = append(r.ByStage, m)
	}

	for i, e := range episodes {
		if e.Month.Before(from) || e.Month.After(to) {
			continue
		}
		month := e.Month.Format("2006-01")
		if w, b := warnings[i], baseWarnings[i]; w.Warned && b.Warned {
			switch {
			case w.LeadDays > b.LeadDays:
				r.LeadVsBaseline.Earlier++
			case w.LeadDays < b.LeadDays:
				r.LeadVsBaseline.Later++
			default:
				r.LeadVsBaseline.Same++
			}
		}
		er := EpisodeResult{
			Country: e.Country, Month: month, Places: e.Places, Fatalities: e.Fatalities,
			Warning: warnings[i], Baseline: baseWarnings[i],
		}
		if !e.FirstDeaths.IsZero() {
			er.FirstDeaths = e.FirstDeaths.Format(time.DateOnly)
		}
		r.EpisodeDetails = append(r.EpisodeDetails, er)
	}

	alarms := map[string]*CountryAlarms{}
	count := func(as []Alert, base bool) {
		for _, a := range as {
			if a.Escalation || a.month().Before(from) {
				continue
			}
			c := alarms[a.Country]
			if c == nil {
				c = &CountryAlarms{Country: a.Country}
				alarms[a.Country] = c
			}
			if base {
				c.BaselineAlarms++
			} else {
				c.FalseAlarms++
			}
		}
	}
	count(ruleAlerts, false)
	count(baseAlerts, true)
	for _, c := range alarms {
		c.PerYear, c.BaselinePerYear = float64(c.FalseAlarms)/years, float64(c.BaselineAlarms)/years
		r.FalseAlarmsByCountry = append(r.FalseAlarmsByCountry, *c)
	}
	sort.Slice(r.FalseAlarmsByCountry, func(i, j int) bool {
		a, b := r.FalseAlarmsByCountry[i], r.FalseAlarmsByCountry[j]
		if a.FalseAlarms != b.FalseAlarms {
			return a.FalseAlarms > b.FalseAlarms
		}
		return a.Country < b.Country
	})
	r.ReplaySeconds = replaySeconds
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}
