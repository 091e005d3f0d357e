// Package rules declares and evaluates Threshold's alert rules: the
// conditions under which the system tells a desk that a place may be
// approaching a threshold moment.
//
// # Rules files
//
// A rules file is YAML (or JSON, which is YAML): a version and a list of
// rules. Every rule has an id (unique in the file), a name, a severity
// (info, warning, critical), optional labels, an optional scope (a list of
// ISO 3166-1 alpha-3 codes; none means every country), a level (country,
// the default, or admin1), a period (day, week or month, the default), and
// exactly one condition:
//
//	indicator      an indicator (package indicator: fatalities_best,
//	               events.protest, nb.violent_events, violent_share, ...)
//	               compared with a value (op >, >=, <, <=), optionally for N
//	               consecutive periods (for: N)
//	detector       a detection method (surprise, cusum, changepoint; package
//	               detect) alarming on a count indicator, with optional
//	               overrides of detect.Config and a minimum window total
//	forecast       a forecast probability of a named target at or above a
//	               value; a no-op until the Source also implements
//	               ForecastSource (forecasts arrive with issue 5)
//	coup           any event of category coup in the period (Powell & Thyne,
//	               ACLED, field reports), from at least min_sources sources
//	first_fatal    the first fatal event after quiet_months without one
//	election       a national election within within_days of the period
//	               (ahead or just past) while a count indicator is at least
//	               ratio times its mean over the baseline periods before
//	spread_admin1  violence in an admin-1 area with none there in the
//	               quiet_months before, while its country had violence
//	               elsewhere in them
//	spread_border  violence in a country after quiet_months without, while
//	               a land neighbour (geo.Neighbours) had violence in the
//	               neighbour_months up to the period
//
// A rule may add include_unverified: true. Field reports count in every
// rule once verified, since verification turns them into events; with
// the option a rule also counts the reports still unverified or under
// review, as the events they would become (counts only: Parse refuses it
// on shares, means, days since the last fatal event and forecasts). The
// Source must implement UnverifiedSource (the store does; the backtest
// does not, so it counts none), and a firing that counted such reports
// names them in its explanation and carries the labels verified=false and
// unverified_reports=N; they are never listed among its events.
//
// For example:
//
//	version: "2026-11-26"
//	rules:
//	  - id: fatalities-surprise
//	    name: Fatalities far above their history
//	    severity: warning
//	    level: admin1
//	    detector: {method: surprise, indicator: fatalities_best, min_value: 25}
//	  - id: coup
//	    name: Coup or coup attempt
//	    severity: critical
//	    coup: {}
//
// Parse validates a file and reports every problem at once, each as
// "file:line:col: rules[3].field: message"; unknown fields and duplicate
// ids are errors. Default returns the embedded default rules
// (default.yaml), each commented with the reason for its threshold.
//
// # Evaluation
//
// Evaluate runs a file's rules over a Source (the store, or the backtest's
// in-memory replay) as of a day, AsOf, reading nothing dated after it, and
// returns the alert.Firing values that hold: each with its place, window,
// score, a title, a plain-language explanation, the indicator's recent
// series as evidence and the keys of the triggering or deadliest events.
// Deduplication into alerts is the alert package's work.
//
// The places a rule looks at are those with any value of its indicators in
// the span it reads (two years of periods, or longer for long baselines and
// quiet spans); within that span a missing count is zero. A week or month
// that AsOf ends early is cut at AsOf (see Evaluate). Evaluate reads the
// indicators each period kind needs in one query, so a Source is asked
// for little more than the span of the longest rule.
//
// Caveats: admin-1 areas are named as each source spells them, so a second
// source spelling an area differently can look like violence in a new area
// to spread_admin1; coup rules depend on coup lists, which code coups
// narrowly (Powell & Thyne do not count a rebel seizure of the capital,
// such as the Seleka's in the Central African Republic in March 2013, as a
// coup: the surge rules catch such months instead).
package rules
