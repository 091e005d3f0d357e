package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"threshold/internal/backtest"
	"threshold/internal/event"
	"threshold/internal/rules"
	"threshold/internal/store"
)

const warningsHelp = `
usage: threshold warnings backtest [--db DB] --from DATE --to DATE [--rules FILE]
                                   [--label KEY=VALUE] [--country ISO3[,ISO3...]]...
                                   [--episodes any|country] [--step month|week] [--json] [--alerts]

Warnings backtest replays the alert rules month by month over the stored
history, with only the data known at each month end, and scores the alerts
they would have raised against the escalation episodes that followed.

An episode is a country-month in which the country, or one of its admin-1
areas, has 25 or more deaths (fatalities_best) after 6 consecutive months
each with fewer than 25 there (--episodes country: the whole country only,
for data that place few events in admin-1 areas). An alert is a rule firing for a place at a
month end where it did not fire at the previous month end (one alert per
episode, as the alert lifecycle deduplicates).

--step week evaluates the rules at every Sunday and every month end, each
on its period containing the day cut at the day, as the server does after
every ingest (a monthly rule sees the month so far), instead of at month
ends only, each as of its last whole period (--step month, the default).
The baseline is about last month, so it is evaluated as of the last whole
month either way. The report gives:

  recall            the share of episodes in the range with an alert in the
                    country (or one of its areas) raised 1 to 3 months
                    before the episode month
  precision         the share of alerts in the range followed by an episode
                    in their country 1 to 3 months after the alert's month
  median_lead_days  over warned episodes, the days from the earliest alert
                    in that window (the day it was raised) to the episode month's
                    first day (median_days_to_deaths: to the month's first
                    deadly event in the places that crossed)
  false alarms      alerts not followed by an episode, per country-year

beside the same scores of a naive baseline replayed in the same run: alert
for a country when the month just ended had any death.

The rules are --rules FILE, else the active rules saved in the database,
else the default rules; --label KEY=VALUE replays only those with that
label. Rules labelled stage (precursor, escalation; see the default rules)
are also scored by stage: escalation rules fire in the escalation month by
design, so early warning is the precursor rules' job. --from and --to are months (YYYY-MM) or days
(YYYY-MM-DD, standing for their month). With --json it prints one JSON
object: {"episodes":N,"alerts":N,"recall":F,"precision":F,
"median_lead_days":F,"baseline":{"name":S,"alerts":N,"recall":F,...},
"by_rule":[...],"episode_details":[...],"false_alarms_by_country":[...]},
and with --alerts the alerts raised ("alert_list").
`

func runWarnings(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs := newFlags("warnings", warningsHelp, env)
			fs.Usage()
			return nil
		}
		return usageError{"want a subcommand: backtest"}
	}
	switch args[0] {
	case "backtest":
		return runWarningsBacktest(ctx, args[1:], env)
	}
	return usageError{fmt.Sprintf("unknown subcommand %q (want backtest)", args[0])}
}

// countryList is a repeatable flag of comma-separated ISO alpha-3 codes.
type countryList []string

func (c *countryList) String() string { return strings.Join(*c, ",") }

func (c *countryList) Set(s string) error {
	for code := range strings.SplitSeq(s, ",") {
		if code = strings.ToUpper(strings.TrimSpace(code)); code == "" {
			continue
		}
		if len(code) != 3 {
			return fmt.Errorf("%q: want ISO 3166-1 alpha-3 codes such as SDN", code)
		}
		*c = append(*c, code)
	}
	return nil
}

func runWarningsBacktest(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("warnings backtest", warningsHelp, env)
	db := dbFlag(fs, env)
	from := fs.String("from", "", "first month, YYYY-MM (or YYYY-MM-DD)")
	to := fs.String("to", "", "last month, YYYY-MM (or YYYY-MM-DD)")
	rulesFile := fs.String("rules", "", "rules file (default: the active rules in the database, else the default rules)")
	var countries countryList
	fs.Var(&countries, "country", "ISO 3166-1 alpha-3 codes, comma-separated or repeated (default: every country)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	withAlerts := fs.Bool("alerts", false, "list every alert raised")
	label := fs.String("label", "", "replay only the rules with this label, KEY=VALUE (e.g. stage=precursor)")
	level := fs.String("episodes", "any", "places whose escalations are episodes: any (countries and admin-1 areas) or country (whole countries only)")
	step := fs.String("step", "month", "how often the rules are evaluated: month (month ends) or week (every Sunday and month end, as the server does)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *level != "any" && *level != "country" {
		return usageError{fmt.Sprintf("--episodes %q: want any or country", *level)}
	}
	if *step != string(backtest.StepMonth) && *step != string(backtest.StepWeek) {
		return usageError{fmt.Sprintf("--step %q: want month or week", *step)}
	}
	if *from == "" || *to == "" {
		return usageError{"--from and --to are required"}
	}
	f, err := event.ParseDay(*from, false)
	if err != nil {
		return usageError{"--from: " + err.Error()}
	}
	t, err := event.ParseDay(*to, true)
	if err != nil {
		return usageError{"--to: " + err.Error()}
	}
	if t.Before(f) {
		return usageError{"--to is before --from"}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rf, err := backtestRules(ctx, *rulesFile, st)
	if err != nil {
		return err
	}
	opts := backtest.Options{From: f, To: t, Rules: rf, Label: *label, Step: backtest.Step(*step), Log: env.Log}
	opts.Episode.CountryOnly = *level == "country"
	if len(countries) > 0 {
		opts.Countries = countries
	}
	if el, ok := any(st).(backtest.ElectionSource); ok {
		opts.Elections = el
	}
	r, err := backtest.Run(ctx, st, opts)
	if err != nil {
		return err
	}
	if *withAlerts {
		r.AlertList = r.AllAlerts()
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(r)
	}
	return printBacktest(env, r)
}

// backtestRules returns the rules file at path, else the database's active
// rules, else the default rules.
func backtestRules(ctx context.Context, path string, st *store.DB) (*rules.File, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return rules.Parse(path, data)
	}
	v, err := st.ActiveRules(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rules.Default(), nil
	case err != nil:
		return nil, err
	}
	return v.File()
}

func printBacktest(env *Env, r *backtest.Report) error {
	w := env.Stdout
	countries := "countries"
	if r.Countries == 1 {
		countries = "country"
	}
	version := fmt.Sprintf("%q", r.RulesVersion)
	if r.Label != "" {
		version += " (" + r.Label + ")"
	}
	fmt.Fprintf(w, "Backtest %s..%s: rules %s against %q, %d %s (data %s..%s)\n",
		r.From, r.To, version, r.Baseline.Name, r.Countries, countries, r.DataStart, r.DataEnd)
	fmt.Fprintf(w, "%s.\n\n", r.Definition)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	m, b := r.Metrics, r.Baseline
	fmt.Fprintln(tw, "\tRULES\tBASELINE\t")
	fmt.Fprintf(tw, "episodes\t%d\t%d\t\n", m.Episodes, b.Episodes)
	fmt.Fprintf(tw, "alerts\t%d\t%d\t\n", m.Alerts, b.Alerts)
	fmt.Fprintf(tw, "warned episodes\t%d\t%d\t\n", m.Warned, b.Warned)
	fmt.Fprintf(tw, "recall\t%.3f\t%.3f\t\n", m.Recall, b.Recall)
	fmt.Fprintf(tw, "alerts followed by an episode\t%d\t%d\t\n", m.Followed, b.Followed)
	fmt.Fprintf(tw, "precision\t%.3f\t%.3f\t\n", m.Precision, b.Precision)
	fmt.Fprintf(tw, "median lead (days)\t%.1f\t%.1f\t\n", m.MedianLeadDays, b.MedianLeadDays)
	fmt.Fprintf(tw, "median days to first deaths\t%.1f\t%.1f\t\n", m.MedianDaysToDeaths, b.MedianDaysToDeaths)
	for i := range m.LeadMonths {
		months := "months"
		if r.Horizon.MinLead+i == 1 {
			months = "month"
		}
		fmt.Fprintf(tw, "warned %d %s ahead\t%d\t%d\t\n", r.Horizon.MinLead+i, months, m.LeadMonths[i], b.LeadMonths[i])
	}
	fmt.Fprintf(tw, "false alarms\t%d\t%d\t\n", m.FalseAlarms, b.FalseAlarms)
	fmt.Fprintf(tw, "false alarms per country-year\t%.3f\t%.3f\t\n", m.FalseAlarmsPerCountryYear, b.FalseAlarmsPerCountryYear)
	if err := tw.Flush(); err != nil {
		return err
	}
	lv := r.LeadVsBaseline
	fmt.Fprintf(w, "\nOf the %d episodes both warned of, the rules warned earlier for %d, as early for %d, later for %d.\n",
		lv.Earlier+lv.Same+lv.Later, lv.Earlier, lv.Same, lv.Later)
	fmt.Fprintf(w, "%d episodes had a rule alert raised in the episode month itself (seen, too late to warn); %d a baseline alert.\n\n",
		m.Detected, b.Detected)

	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tALERTS\tPRECISION\tWARNED\tRECALL\tMEDIAN LEAD")
	for _, x := range r.ByRule {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%d\t%.3f\t%.1f\n", x.Name, x.Alerts, x.Precision, x.Warned, x.Recall, x.MedianLeadDays)
	}
	for _, x := range r.ByStage {
		fmt.Fprintf(tw, "%s=%s\t%d\t%.3f\t%d\t%.3f\t%.1f\n", backtest.StageLabel, x.Name, x.Alerts, x.Precision, x.Warned, x.Recall, x.MedianLeadDays)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := min(len(r.FalseAlarmsByCountry), 10); n > 0 {
		fmt.Fprintf(w, "\nMost false alarms (of %d countries with any):\n", len(r.FalseAlarmsByCountry))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNTRY\tFALSE ALARMS\tPER YEAR\tBASELINE\tBASELINE PER YEAR")
		for _, c := range r.FalseAlarmsByCountry[:n] {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%.2f\n", c.Country, c.FalseAlarms, c.PerYear, c.BaselineAlarms, c.BaselinePerYear)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.AlertList) > 0 {
		fmt.Fprintln(w, "\nAlerts:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "AS OF\tRULE\tPLACE\tFOLLOWED\tTITLE")
		for _, a := range r.AlertList {
			place := a.Country
			if a.Admin1 != "" {
				place += " / " + a.Admin1
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", a.AsOf.Format("2006-01-02"), a.Rule, place, a.Escalation, a.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nReplayed in %.1f s (%.1f s evaluating rules).\n", r.Seconds, r.ReplaySeconds)
	return nil
}
