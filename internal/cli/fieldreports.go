package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/app"
	"threshold/internal/audit"
	"threshold/internal/casework"
	"threshold/internal/fieldreport"
	"threshold/internal/store"
)

const fieldReportsHelp = `
usage: threshold field-reports list [--status S[,S]] [--country C] [--admin1 A] [--limit N] [--json]
       threshold field-reports show ID [--json]
       threshold field-reports submit FILE [--json]
       threshold field-reports move ID --to STATUS --reason WHY [--evidence TEXT] [--duplicate-of ID]
       threshold field-reports publish ID
       threshold field-reports purge --older-than 90d
       threshold field-reports monitors [--json]
       threshold field-reports monitor-add --name NAME --areas ISO/AREA[,...] --interval-days N [--org-id N]
       threshold field-reports silent [--json]
Every subcommand also takes --db DB, and --as EMAIL.

Field reports are incidents reported by field monitors and partners (see
go doc threshold/internal/fieldreport). submit reads one report from FILE
(- for standard input) in the gateway payload's JSON (message_id, what,
country, admin1, place, latitude, longitude, date, involved, casualties,
category, confidence, flash, reporter, monitor_id, attachments).

move takes a report through verification: unverified -> under-review ->
verified, rejected or duplicate (with --duplicate-of). A verified report
becomes an event of source field-report, and indicators, rules and alerts
of its country are brought up to date; a flash report raised its
unverified alert on intake. publish writes a verified report's event
again, if writing it failed when the report was verified.

purge deletes the contact details of reports received longer ago than
--older-than (days as 90d, or a Go duration), keeping the reports.

monitors lists the field monitors, the admin-1 areas they cover and their
last report; silent lists the covered areas that have been quiet longer
than their monitors' interval.

Contact details are sealed with the key in THRESHOLD_FIELD_REPORT_KEY (32
bytes, base64); without it reports with contact details are refused and
none can be read. With --as EMAIL the command acts as that user and sees
reporters only as the API would show them; without --as you act as the
operator and see them all. Every change and every read of contact details
is recorded in the audit log.
`

func runFieldReports(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"field-reports needs a subcommand: list, show, submit, move, publish, purge, monitors, monitor-add or silent"}
	}
	verb, args := args[0], args[1:]
	fs := newFlags("field-reports "+verb, fieldReportsHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): what they may see of reporters applies")
	asJSON := fs.Bool("json", false, "print JSON")
	var run func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error
	pipeline := false
	switch verb {
	case "list":
		run = reportsList(fs, env, asJSON)
	case "show":
		run = reportsShow(fs, env, asJSON)
	case "submit":
		run, pipeline = reportsSubmit(fs, env, asJSON), true
	case "move":
		run, pipeline = reportsMove(fs, env, asJSON), true
	case "publish":
		run, pipeline = reportsPublish(fs, env), true
	case "purge":
		run = reportsPurge(fs, env)
	case "monitors":
		run = reportsMonitors(fs, env, asJSON)
	case "monitor-add":
		run = reportsMonitorAdd(fs, env, asJSON)
	case "silent":
		run = reportsSilent(fs, env, asJSON)
	default:
		return usageError{fmt.Sprintf("field-reports: unknown subcommand %q", verb)}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	build := func(st *store.DB) (*fieldreport.Service, error) { return fieldReportService(ctx, st, env, pipeline) }
	return runAsViewer(ctx, *db, *as, env, build, func(ctx context.Context, svc *fieldreport.Service, cv casework.Viewer) error {
		v := fieldreport.Viewer{All: cv.All, UserID: cv.UserID, Email: cv.Email, OrgID: cv.OrgID, Role: cv.Role, Actor: cv.Actor}
		return run(ctx, svc, v)
	})
}

// fieldReportService assembles field reports over st as the CLI uses
// them: audited, sealing with the environment's key, and, with pipeline,
// verified reports and flash reports going through the warning pipeline
// as on the server (deliveries are queued for a running server to send).
func fieldReportService(ctx context.Context, st *store.DB, env *Env, pipeline bool) (*fieldreport.Service, error) {
	sealer, err := fieldreport.SealerFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	o := fieldreport.Options{Store: st, Events: st, Audit: audit.New(st, nil), Sealer: sealer, Log: env.Log}
	if pipeline {
		w, err := app.NewWarnings(ctx, st, warningOptions(env))
		if err != nil {
			return nil, fmt.Errorf("the alert pipeline could not start: %w", err)
		}
		o.Changes, o.Alerts = w.Watcher, w.Alerts
	}
	return fieldreport.New(o)
}

// reportID parses the one positional argument, a report id.
func reportID(fs *flag.FlagSet) (int64, error) {
	if fs.NArg() != 1 {
		return 0, usageError{fs.Name() + " needs one report ID"}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Sprintf("%s: %q is not a report ID", fs.Name(), fs.Arg(0))}
	}
	return id, nil
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func reportsList(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	status := fs.String("status", "", "only these statuses, comma-separated")
	country := fs.String("country", "", "only this country (ISO alpha-3)")
	admin1 := fs.String("admin1", "", "only this admin-1 area")
	limit := fs.Int("limit", 100, "at most this many reports")
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		q := fieldreport.Query{Country: strings.ToUpper(*country), Admin1: *admin1, Limit: *limit}
		for s := range strings.SplitSeq(*status, ",") {
			if s = strings.TrimSpace(s); s != "" {
				q.Status = append(q.Status, fieldreport.Status(s))
			}
		}
		rs, err := svc.List(ctx, v, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, rs)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tDATE\tPLACE\tCATEGORY\tCASUALTIES\tLINKS\tCHANNEL")
		for _, r := range rs {
			cas := "?"
			if r.Casualties != nil {
				cas = strconv.Itoa(*r.Casualties)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Status, r.Date.Format(time.DateOnly),
				oneLine(strings.Trim(r.Country+"/"+r.Admin1+"/"+r.Place, "/")), r.Category, cas, len(r.Links), r.Channel)
		}
		return tw.Flush()
	}
}

// oneLine keeps text on one line of a table: a reporter's text cannot
// forge rows or terminal escapes.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

func reportsShow(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		id, err := reportID(fs)
		if err != nil {
			return err
		}
		r, err := svc.Get(ctx, v, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, r)
		}
		printReport(env, r)
		return nil
	}
}

func printReport(env *Env, r fieldreport.Report) {
	w := env.Stdout
	fmt.Fprintf(w, "Field report %d: %s, received %s through %s\n", r.ID, r.Status, r.ReceivedAt.Format(time.RFC3339), r.Channel)
	fmt.Fprintf(w, "  what:       %s\n", oneLine(r.What))
	fmt.Fprintf(w, "  where:      %s\n", oneLine(strings.Trim(r.Country+"/"+r.Admin1+"/"+r.Place, "/")))
	if r.Latitude != nil {
		fmt.Fprintf(w, "  at:         %.5f, %.5f\n", *r.Latitude, *r.Longitude)
	}
	fmt.Fprintf(w, "  when:       %s\n  category:   %s (reporter: %s)\n", r.Date.Format(time.DateOnly), r.Category, r.Confidence)
	if r.Involved != "" {
		fmt.Fprintf(w, "  involved:   %s\n", oneLine(r.Involved))
	}
	if r.Casualties != nil {
		fmt.Fprintf(w, "  casualties: %d\n", *r.Casualties)
	}
	if p := r.Reporter; p != nil {
		fmt.Fprintf(w, "  reporter:   %s %s %s\n", p.Kind, oneLine(p.Pseudonym), oneLine(p.Contact))
	}
	if r.EventID != "" {
		fmt.Fprintf(w, "  event:      %s\n", r.EventID)
	}
	for _, a := range r.Attachments {
		fmt.Fprintf(w, "  attachment: %d %s (%s, %d bytes) %s\n", a.ID, oneLine(a.Name), a.Type, a.Size, a.Note)
	}
	for _, l := range r.Links {
		what := l.Event
		if l.Report != 0 {
			what = "report " + strconv.FormatInt(l.Report, 10)
		}
		fmt.Fprintf(w, "  link:       %s %.2f (%s)\n", what, l.Score, l.Reason)
	}
	for _, c := range r.History {
		fmt.Fprintf(w, "  %s  %s -> %s by %s: %s %s\n", c.At.Format(time.RFC3339), c.From, c.To, c.Actor, oneLine(c.Reason), oneLine(c.Evidence))
	}
}

func reportsSubmit(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		if fs.NArg() != 1 {
			return usageError{"field-reports submit needs one FILE (- for standard input)"}
		}
		var (
			body []byte
			err  error
		)
		if name := fs.Arg(0); name == "-" {
			body, err = io.ReadAll(io.LimitReader(env.Stdin, 32<<20))
		} else {
			body, err = os.ReadFile(name)
		}
		if err != nil {
			return err
		}
		r, ups, err := fieldreport.ParseInbound("cli", body)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		out, err := svc.Submit(ctx, v, "cli", r, ups)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		if *asJSON {
			return printJSON(env, out)
		}
		printReport(env, out)
		return nil
	}
}

func reportsMove(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	to := fs.String("to", "", "the new status: under-review, verified, rejected, duplicate, unverified")
	reason := fs.String("reason", "", "why (required)")
	evidence := fs.String("evidence", "", "what the decision rests on")
	dup := fs.Int64("duplicate-of", 0, "the report this one repeats (with --to duplicate)")
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		id, err := reportID(fs)
		if err != nil {
			return err
		}
		if *to == "" || *reason == "" {
			return usageError{"field-reports move needs --to and --reason"}
		}
		r, err := svc.Move(ctx, v, id, fieldreport.Transition{To: fieldreport.Status(*to), Reason: *reason,
			Evidence: *evidence, DuplicateOf: *dup})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, r)
		}
		fmt.Fprintf(env.Stdout, "field report %d is %s", r.ID, r.Status)
		if r.EventID != "" {
			fmt.Fprintf(env.Stdout, " (event %s)", r.EventID)
		}
		fmt.Fprintln(env.Stdout)
		return nil
	}
}

func reportsPublish(fs *flag.FlagSet, env *Env) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		id, err := reportID(fs)
		if err != nil {
			return err
		}
		if err := svc.Publish(ctx, v, id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "field report %d written as event field-report:%d\n", id, id)
		return nil
	}
}

// parseAge reads "90d" as 90 days, or a Go duration.
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (90d, 2160h)", s)
	}
	return d, nil
}

func reportsPurge(fs *flag.FlagSet, env *Env) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	older := fs.String("older-than", "", "delete contact details of reports received longer ago than this (90d)")
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		age, err := parseAge(*older)
		if err != nil {
			return usageError{"--older-than: " + err.Error()}
		}
		ids, err := svc.Purge(ctx, v, age)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted the contact details of %d reports\n", len(ids))
		return nil
	}
}

func reportsMonitors(_ *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		ms, err := svc.Monitors(ctx, v)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, ms)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tACTIVE\tEVERY\tLAST REPORT\tAREAS")
		for _, m := range ms {
			last := "never"
			if m.LastReport != nil {
				last = m.LastReport.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%d\t%s\t%t\t%dd\t%s\t%s\n", m.ID, oneLine(m.Name), m.Active, m.IntervalDays, last, areasString(m.Areas))
		}
		return tw.Flush()
	}
}

func areasString(as []fieldreport.Area) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = oneLine(strings.TrimSuffix(a.Country+"/"+a.Admin1, "/"))
	}
	return strings.Join(parts, ", ")
}

func reportsMonitorAdd(fs *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	name := fs.String("name", "", "the monitor's pseudonym or call sign")
	areas := fs.String("areas", "", "areas covered: ISO/Admin1 or ISO, comma-separated")
	interval := fs.Int("interval-days", 7, "a report is expected from each area at least this often")
	org := fs.Int64("org-id", 0, "the monitor's organisation (default: the --as user's)")
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		m := fieldreport.Monitor{Name: *name, IntervalDays: *interval, Active: true, OrgID: *org}
		for a := range strings.SplitSeq(*areas, ",") {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			c, adm, _ := strings.Cut(a, "/")
			m.Areas = append(m.Areas, fieldreport.Area{Country: strings.ToUpper(c), Admin1: adm})
		}
		if len(m.Areas) == 0 {
			return usageError{"field-reports monitor-add needs --areas"}
		}
		out, err := svc.SaveMonitor(ctx, v, m)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, out)
		}
		fmt.Fprintf(env.Stdout, "field monitor %d: %s covering %s\n", out.ID, oneLine(out.Name), areasString(out.Areas))
		return nil
	}
}

func reportsSilent(_ *flag.FlagSet, env *Env, asJSON *bool) func(context.Context, *fieldreport.Service, fieldreport.Viewer) error {
	return func(ctx context.Context, svc *fieldreport.Service, v fieldreport.Viewer) error {
		ss, err := svc.SilentAreas(ctx, v)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env, ss)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AREA\tQUIET\tLAST REPORT\tMONITORS")
		for _, s := range ss {
			quiet, last := "never reported", "-"
			if s.LastReport != nil {
				quiet, last = fmt.Sprintf("%d days", s.QuietDays), s.LastReport.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", areasString([]fieldreport.Area{s.Area}), quiet, last, oneLine(strings.Join(s.Monitors, ", ")))
		}
		return tw.Flush()
	}
}
