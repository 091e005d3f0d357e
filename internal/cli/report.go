package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"threshold/internal/audit"
	"threshold/internal/report"
	"threshold/internal/store"
)

const reportHelp = `
usage: threshold report monthly --month YYYY-MM [--region NAME] [--country ISO3[,...]]
                                [--format pdf|html|md|json|csv] [-o FILE] [--db DB] [--as EMAIL]
       threshold report brief --country ISO3 --month YYYY-MM [--format ...] [-o FILE] [--db DB] [--as EMAIL]
       threshold report override --country ISO3 --month YYYY-MM --trend deteriorated|improved|unchanged
                                 [--risk-alert] [--opportunity] --reason TEXT [--db DB] [--as EMAIL]
       threshold report subscribe --user EMAIL [--brief] [--region NAME] [--country ISO3] --format pdf|html|md|json|csv [--db DB]

Report monthly writes the monthly tracker for the month: for each country
in scope (--country, or else every country with events stored in the
month, kept to a UN M49 region, subregion or intermediate region with
--region, e.g. "Africa", "Middle Africa", "Western Asia") a trend call
(deteriorated, improved or unchanged) and the flags conflict risk alert
and resolution opportunity, drafted from the stored indicators, detector
scores, alerts, forecasts and agreement milestones by the rules the
report prints, with the evidence for each; an analyst's override is shown
beside the draft, with who made it, when and why. Then, per country, its
brief: a map of the events of the month and the two before, the month's
events and deaths beside the twelve months before, charts of the 24
months, the alerts, the cases and actions, and the latest forecasts with
their intervals and drivers. It closes with the drafting rules and the
data sources with their citations.

Report brief is the same for one country, titled as its country brief.

Formats (--format, or else from the extension of -o, else html): pdf
(printable A4, charts and map as vector graphics), html (one
self-contained document), md (Markdown), json and csv (the calls alone,
with their drafts, overrides and evidence). -o (or --out) writes to a
file; otherwise the report goes to standard output.

Report override records an analyst's call for a country and month in
place of the draft, with a reason (required). The draft is kept beside
it, and the override is written to the audit log.

Report subscribe has the server email the user, early each month, the
report of the month just ended (the monthly tracker, or with --brief the
brief of the one --country), built as that user may read it, through the
delivery queue.

Who you are: with --as EMAIL the report is the one that user may read:
the need-to-know rules of "threshold cases" apply, and cases (and
agreements linked to cases) the user may not see are not in it. Without
--as you act as the database's operator and see every case.
`

func runReport(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"report needs a subcommand: monthly, brief or override"}
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "monthly", "brief", "override":
	case "subscribe":
		return runReportSubscribe(ctx, args, env)
	default:
		return usageError{fmt.Sprintf("report: unknown subcommand %q", verb)}
	}
	fs := newFlags("report "+verb, reportHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): their need-to-know rules apply")
	month := fs.String("month", "", "the month reported, YYYY-MM")
	country := fs.String("country", "", "only these countries (ISO alpha-3), comma-separated")
	region := fs.String("region", "", "only the countries of this UN M49 region, subregion or intermediate region")
	format := fs.String("format", "", "pdf, html, md, json or csv (default: from -o's extension, else html)")
	var out string
	fs.StringVar(&out, "o", "", "write the report to this file instead of standard output")
	fs.StringVar(&out, "out", "", "the same as -o")
	trend := fs.String("trend", "", "override: the trend call (deteriorated, improved or unchanged)")
	risk := fs.Bool("risk-alert", false, "override: flag a conflict risk alert")
	opp := fs.Bool("opportunity", false, "override: flag a resolution opportunity")
	reason := fs.String("reason", "", "override: why the call differs from, or confirms, the draft")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"report " + verb + " needs --month YYYY-MM"}
	}
	m, err := time.Parse("2006-01", *month)
	if err != nil {
		return usageError{fmt.Sprintf("--month: %q is not YYYY-MM", *month)}
	}
	var countries []string
	for _, c := range commaList(*country) {
		c = strings.ToUpper(c)
		if len(c) != 3 {
			return usageError{fmt.Sprintf("--country: %q is not an ISO alpha-3 code", c)}
		}
		countries = append(countries, c)
	}
	if verb != "monthly" && len(countries) != 1 {
		return usageError{"report " + verb + " needs one --country ISO3"}
	}
	f := report.HTML
	switch {
	case *format != "":
		if f, err = report.ParseFormat(*format); err != nil {
			return usageError{"--format: " + err.Error()}
		}
	case out != "":
		if g, err := report.ParseFormat(strings.TrimPrefix(filepath.Ext(out), ".")); err == nil {
			f = g
		}
	}
	if verb == "override" && (*trend == "" || strings.TrimSpace(*reason) == "") {
		return usageError{"report override needs --trend and --reason"}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := cliViewer(ctx, st, env, *as)
	if err != nil {
		return err
	}
	svc, err := caseService(st)
	if err != nil {
		return err
	}
	r, err := report.Build(ctx, st, report.Options{Month: m, Countries: countries, Region: *region, Cases: svc, Viewer: v,
		Agreements: st, Overrides: st, Maps: f == report.PDF || f == report.HTML, Brief: verb == "brief", Now: time.Now()})
	if err != nil {
		return err
	}
	if verb == "override" {
		t, err := report.ParseTrend(*trend)
		if err != nil {
			return usageError{"--trend: " + err.Error()}
		}
		who := report.Actor{Name: cliActor(env).Name}
		if v.UserID != 0 {
			who = report.Actor{Name: v.Email, ID: v.UserID}
		}
		tr := &report.Tracker{Store: st, Audit: audit.New(st, nil)}
		o, err := tr.Override(ctx, who, r, countries[0], report.Verdict{Trend: t, RiskAlert: *risk, ResolutionOpportunity: *opp}, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "recorded override %d for %s in %s: %s (the draft was %s)\n", o.ID, r.Countries[0].Name,
			m.Format("2006-01"), o.Trend, o.DraftTrend)
		return nil
	}
	var buf bytes.Buffer
	if err := r.Write(&buf, f); err != nil {
		return err
	}
	if out == "" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	what := "monthly report"
	if verb == "brief" {
		what = "brief"
	}
	fmt.Fprintf(env.Stdout, "wrote the %s for %s (%d countries) to %s\n", what, m.Format("2006-01"), len(r.Countries), out)
	return nil
}

func runReportSubscribe(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("report subscribe", reportHelp, env)
	db := dbFlag(fs, env)
	email := fs.String("user", "", "the subscriber (a user's email)")
	brief := fs.Bool("brief", false, "the brief of one --country instead of the monthly tracker")
	region := fs.String("region", "", "only the countries of this UN M49 region, subregion or intermediate region")
	country := fs.String("country", "", "only this country (ISO alpha-3)")
	format := fs.String("format", "pdf", "pdf, html, md, json or csv")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return usageError{"--format: " + err.Error()}
	}
	c := strings.ToUpper(strings.TrimSpace(*country))
	if c != "" && len(c) != 3 || *brief && c == "" {
		return usageError{"--country: one ISO alpha-3 code (required with --brief)"}
	}
	if *email == "" {
		return usageError{"report subscribe needs --user EMAIL"}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := cliViewer(ctx, st, env, *email)
	if err != nil {
		return err
	}
	kind := "monthly"
	if *brief {
		kind = "brief"
	}
	sub, err := st.AddReportSubscription(ctx, store.ReportSubscription{UserID: v.UserID, Kind: kind, Region: strings.TrimSpace(*region),
		Country: c, Format: string(f), CreatedBy: cliActor(env).Name, CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "subscription %d: %s gets the %s report as %s each month\n", sub.ID, v.Email, kind, strings.ToUpper(string(f)))
	return nil
}
