package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"threshold/internal/report"
)

const reportHelp = `
usage: threshold report monthly --month YYYY-MM [--country ISO3[,...]] [--out FILE.html] [--db DB] [--as EMAIL]

Report monthly writes the monthly tracker report for the month as one
self-contained HTML document (inline styles and SVG charts, nothing
fetched), to --out or to standard output. For each country in scope
(--country, or else every country with events stored in the month) it
gives the month's events and best-estimate fatalities beside the mean of
the twelve months before, from the stored monthly indicators ("threshold
indicators" computes them), with a chart of the thirteen months; the
alerts whose data window ends in the month; the cases in the country and
the actions taken on them in the month; and the latest stored forecasts
made from data up to the month's end. It closes with the data sources,
their citations and the last month each holds data for.

Who you are: with --as EMAIL the report is the one that user may read:
the need-to-know rules of "threshold cases" apply, and cases the user may
not see are not in it. Without --as you act as the database's operator
and see every case.
`

func runReport(ctx context.Context, args []string, env *Env) error {
	if len(args) == 0 {
		return usageError{"report needs a subcommand: monthly"}
	}
	verb, args := args[0], args[1:]
	if verb != "monthly" {
		return usageError{fmt.Sprintf("report: unknown subcommand %q", verb)}
	}
	fs := newFlags("report "+verb, reportHelp, env)
	db := dbFlag(fs, env)
	as := fs.String("as", "", "act as this user (email): their need-to-know rules apply")
	month := fs.String("month", "", "the month reported, YYYY-MM")
	country := fs.String("country", "", "only these countries (ISO alpha-3), comma-separated")
	out := fs.String("out", "", "write the HTML to this file instead of standard output")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"report monthly needs --month YYYY-MM"}
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
	r, err := report.Build(ctx, st, report.Options{Month: m, Countries: countries, Cases: svc, Viewer: v, Now: time.Now()})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		return err
	}
	if *out == "" {
		_, err := env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote the monthly report for %s (%d countries) to %s\n", m.Format("2006-01"), len(r.Countries), *out)
	return nil
}
