package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/geo"
	"threshold/internal/store"
)

const alertsHelp = `
usage: threshold alerts [--db DB] [--json] [--state S] [--country C] [--all] [--limit N]
       threshold alerts show ID [--db DB] [--json]
       threshold alerts ack ID [--db DB]
       threshold alerts action ID --note TEXT [--db DB]
       threshold alerts dismiss ID --reason TEXT [--db DB]
       threshold alerts resolve ID [--reason TEXT] [--db DB]
       threshold alerts assign ID --to EMAIL [--db DB]
       threshold alerts routes [FILE] [--country C] [--severity S]

Alerts lists the alert inbox, newest first: the open alerts (not
resolved), or with --all every alert, or those in the states --state
names (comma-separated: firing, acknowledged, actioned, dismissed,
resolved), optionally of one country. With --json it prints a JSON array.

Show prints one alert with its history. Ack, action, dismiss, resolve and
assign move an alert through its lifecycle:

    firing -> acknowledged -> actioned | dismissed (with a reason) -> resolved

A dismissal needs --reason and an action --note saying what was done;
resolve takes an optional --reason as its closing note. Each change is
recorded in the alert's history and the audit log as "cli:" and your
operating system user.

Routes checks a routing file (without FILE, the embedded default),
reporting every problem with its line, and prints the receivers each
country's alerts go to, or only those of --country.
`

func runAlerts(ctx context.Context, args []string, env *Env) error {
	if len(args) > 0 {
		switch args[0] {
		case "show", "ack", "action", "dismiss", "resolve", "assign":
			return runAlertChange(ctx, args[0], args[1:], env)
		case "routes":
			return runAlertRoutes(args[1:], env)
		}
	}
	fs := newFlags("alerts", alertsHelp, env)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print a JSON array")
	state := fs.String("state", "", "only alerts in these states, comma-separated")
	country := fs.String("country", "", "only this country's alerts (ISO alpha-3)")
	all := fs.Bool("all", false, "resolved alerts too")
	limit := fs.Int("limit", 200, "at most this many alerts")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	q := alert.Query{Open: !*all && *state == "", Country: strings.ToUpper(strings.TrimSpace(*country)), Limit: *limit}
	if *state != "" {
		for _, s := range strings.Split(*state, ",") {
			st, err := alert.ParseState(strings.TrimSpace(s))
			if err != nil {
				return usageError{"--state: " + err.Error()}
			}
			q.States = append(q.States, st)
		}
	}
	if *limit < 1 {
		return usageError{"--limit must be at least 1"}
	}
	st, m, err := openAlerts(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	as, err := m.List(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(as)
	}
	if len(as) == 0 {
		what := "open alerts"
		if *all || *state != "" {
			what = "alerts"
		}
		_, err := fmt.Fprintf(env.Stdout, "no %s\n", what)
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSEVERITY\tRULE\tPLACE\tWINDOW\tFIRED\tASSIGNEE\tROUTED TO\tTITLE")
	for _, a := range as {
		state := string(a.State)
		if !a.ClearedAt.IsZero() && a.State.Open() {
			state += " (cleared)"
		}
		if a.SilencedBy != 0 {
			state += " (silenced)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s..%s\t%s\t%s\t%s\t%s\n", a.ID, state, a.Severity, a.Rule, a.Place(),
			a.Window.Start.Format(time.DateOnly), a.Window.End.Format(time.DateOnly), a.FiredAt.UTC().Format("2006-01-02 15:04"),
			dash(a.Assignee), strings.Join(a.Receivers, ", "), a.Title)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// openAlerts opens the database and an alert manager over it that audits
// as the CLI does. It notifies nobody: the server delivers.
func openAlerts(ctx context.Context, url string) (*store.DB, *alert.Manager, error) {
	st, err := openDB(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	m, err := alert.NewManager(alert.Options{Store: st, Audit: audit.New(st, nil)})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, m, nil
}

func runAlertChange(ctx context.Context, verb string, args []string, env *Env) error {
	fs := newFlags("alerts "+verb, alertsHelp, env)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print the alert as JSON")
	var reason, note, to *string
	switch verb {
	case "dismiss", "resolve":
		reason = fs.String("reason", "", "why (required to dismiss)")
	case "action":
		note = fs.String("note", "", "what was done (required)")
	case "assign":
		to = fs.String("to", "", "the user's email; empty to unassign")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Sprintf("alerts %s takes one alert ID", verb)}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return usageError{fmt.Sprintf("alerts %s: %q is not an alert ID", verb, fs.Arg(0))}
	}
	if verb == "dismiss" && strings.TrimSpace(*reason) == "" {
		return usageError{"alerts dismiss needs --reason"}
	}
	if verb == "action" && strings.TrimSpace(*note) == "" {
		return usageError{"alerts action needs --note saying what was done"}
	}
	st, m, err := openAlerts(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if verb == "show" {
		a, h, err := m.Get(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.Stdout).Encode(struct {
				Alert   alert.Alert        `json:"alert"`
				History []alert.Transition `json:"history"`
			}{a, h})
		}
		return printAlert(env, a, h)
	}
	actor := alert.Actor{Name: cliActor(env).Name}
	var a alert.Alert
	switch verb {
	case "ack":
		a, err = m.Acknowledge(ctx, id, actor)
	case "action":
		a, err = m.Action(ctx, id, actor, *note)
	case "dismiss":
		a, err = m.Dismiss(ctx, id, actor, *reason)
	case "resolve":
		a, err = m.Resolve(ctx, id, actor, *reason)
	case "assign":
		a, err = m.Assign(ctx, id, actor, *to)
	}
	if errors.Is(err, alert.ErrNotFound) {
		return fmt.Errorf("no alert %d", id)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(a)
	}
	_, err = fmt.Fprintf(env.Stdout, "alert %d (%s, %s): %s\n", a.ID, a.Rule, a.Place(), a.State)
	return err
}

func printAlert(env *Env, a alert.Alert, h []alert.Transition) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"alert", strconv.FormatInt(a.ID, 10)},
		{"title", a.Title},
		{"rule", a.Rule + " (rules " + dash(a.RuleVersion) + ")"},
		{"place", a.Place()},
		{"severity", string(a.Severity)},
		{"state", string(a.State)},
		{"window", a.Window.Start.Format(time.DateOnly) + ".." + a.Window.End.Format(time.DateOnly)},
		{"score", strconv.FormatFloat(a.Score, 'g', 4, 64)},
		{"explanation", a.Explanation},
		{"routed to", strings.Join(a.Receivers, ", ")},
		{"assignee", dash(a.Assignee)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	fmt.Fprintln(tw, "\nAT\tACTION\tFROM\tTO\tBY\tNOTE")
	for _, x := range h {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.At.UTC().Format("2006-01-02 15:04"), x.Action, dash(string(x.From)), x.To, x.Actor, x.Note)
	}
	return tw.Flush()
}

func runAlertRoutes(args []string, env *Env) error {
	fs := newFlags("alerts routes", alertsHelp, env)
	country := fs.String("country", "", "only this country (ISO alpha-3)")
	severity := fs.String("severity", "warning", "the alerts' severity")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{"alerts routes takes at most one file"}
	}
	sev, err := alert.ParseSeverity(*severity)
	if err != nil {
		return usageError{"--severity: " + err.Error()}
	}
	var r *alert.Routing
	if fs.NArg() == 1 {
		r, err = alert.ReadRoutes(fs.Arg(0))
	} else {
		r, err = alert.DefaultRouting()
	}
	if err != nil {
		return err
	}
	g, err := geo.Load()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNTRY\tNAME\tREGION\tRECEIVERS")
	for _, c := range g.Countries() {
		if *country != "" && !strings.EqualFold(*country, c.ISO3) {
			continue
		}
		var names []string
		for _, rc := range r.Match(alert.Alert{Country: c.ISO3, Severity: sev}) {
			names = append(names, rc.Name)
		}
		region := c.IntermediateRegion
		if region == "" {
			region = dash(c.Subregion)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ISO3, c.Name, region, strings.Join(names, ", "))
	}
	return tw.Flush()
}
