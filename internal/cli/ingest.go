package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"threshold/internal/app"
	"threshold/internal/audit"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/warning"
)

const ingestHelp = `
usage: threshold ingest [--db DB] [--format auto|ucdp-ged|...] [--strict] [--json] FILE...

Ingest reads event data files in their published formats and stores their
events: UCDP GED (every release layout: 49, 41 and 14 columns), UCDP
Candidate events, UCDP DECO, ACLED CSV exports, GDELT 1.0 and 2.0 event
exports, ICEWS event files, and the Powell & Thyne list of coups and coup
attempts. The format is detected from the header or
the column count unless --format names it; .gz and .zip files are read
directly.

Re-ingesting a file adds nothing. A newer version of a source record
replaces the stored one, whose provenance is kept. Each file is written in
transactions of a few thousand rows, so an interrupted ingest leaves the
store consistent and running it again completes it.

A bad row (wrong column count, unparsable date, coordinates out of range,
unknown country) is quarantined with its file, line, field and reason, and
listed by "threshold rejects"; --strict instead fails on the first bad row
and stores nothing of that file.

With --json the summary is one JSON object:
{"read":N,"inserted":N,"updated":N,"unchanged":N,"rejected":N,"seconds":F,"files":[...]}.
`

func runIngest(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("ingest", ingestHelp, env)
	db := dbFlag(fs, env)
	format := fs.String("format", "auto", "file format: auto, "+strings.Join(ingest.FormatNames(), ", "))
	strict := fs.Bool("strict", false, "fail on the first bad row instead of quarantining it")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	indicators := fs.Bool("indicators", true, "recompute the indicators of the countries and days the ingest changed\n(false leaves it to 'threshold indicators --recompute', e.g. between files of a bulk load)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"no files to ingest"}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()

	opts := ingest.Options{Format: *format, Strict: *strict, Log: env.Log}
	var bar *progressbar.ProgressBar
	if env.IsTerminal(env.Stderr) {
		bar = progressbar.DefaultBytes(-1, "ingesting")
		opts.Progress = func(done, total int64) {
			bar.ChangeMax64(total)
			bar.Set64(done)
		}
	}
	sum, err := ingest.Files(ctx, st, fs.Args(), opts)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	var rep warning.Report
	if *indicators {
		var rerr error
		if rep, rerr = afterIngest(ctx, st, env, nil, sum.Touched); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	if err := auditIngest(ctx, st, env, fs.Args(), sum, err); err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			ingest.Summary
			Warnings *warning.Report `json:"warnings,omitempty"`
		}{Summary: sum}
		if *indicators && len(sum.Touched) > 0 {
			out.Warnings = &rep
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	}
	printIngestSummary(env, sum)
	printWarnings(env, sum.Touched, rep)
	return nil
}

// afterIngest brings up to date what derives from the events an ingest
// changed: their indicators, then the alert rules and alerts (see package
// warning). Deliveries are queued in the database, and a running server
// sends them.
//
// w is the pipeline to use; nil assembles one over st.
func afterIngest(ctx context.Context, st *store.DB, env *Env, w *app.Warnings, t ingest.Touched) (warning.Report, error) {
	if len(t) == 0 {
		return warning.Report{}, nil
	}
	if w == nil {
		var err error
		if w, err = app.NewWarnings(ctx, st, warningOptions(env)); err != nil {
			return warning.Report{}, fmt.Errorf("ingested, but the alert pipeline could not start: %w", err)
		}
	}
	sp := t.Span()
	rep, err := w.Watcher.Changed(ctx, t.Countries(), sp.From, sp.To)
	if err != nil {
		return rep, fmt.Errorf("ingested, but the indicators or alerts were not brought up to date: %w", err)
	}
	return rep, nil
}

// warningOptions reads the warning pipeline's settings from the
// environment: THRESHOLD_ROUTES (a routing table file), THRESHOLD_BASE_URL
// (for links in notifications).
func warningOptions(env *Env) app.WarningOptions {
	return app.WarningOptions{
		Routes:  env.Getenv("THRESHOLD_ROUTES"),
		BaseURL: env.Getenv("THRESHOLD_BASE_URL"),
		Log:     env.Log,
		Getenv:  env.Getenv,
	}
}

// printWarnings says what the warning pipeline did after an ingest.
func printWarnings(env *Env, t ingest.Touched, rep warning.Report) {
	if rep.Recomputed > 0 {
		countries := t.Countries()
		if len(countries) > 8 {
			countries = append(countries[:8], fmt.Sprintf("and %d more", len(countries)-8))
		}
		fmt.Fprintf(env.Stdout, "indicators: %d values recomputed for %s and neighbours\n", rep.Recomputed, strings.Join(countries, ", "))
	}
	switch {
	case rep.Evaluated && rep.Alerts != nil:
		fmt.Fprintf(env.Stdout, "alerts: rules evaluated as of %s for %d countries: %d firing, %d new alerts, %d updated, %d cleared\n",
			rep.AsOf.Format(time.DateOnly), len(rep.Countries), rep.Firings, len(rep.Alerts.Opened), len(rep.Alerts.Updated), len(rep.Alerts.Cleared))
	case rep.Skipped != "":
		fmt.Fprintf(env.Stdout, "alerts: rules not evaluated (%s)\n", rep.Skipped)
	}
}

func printIngestSummary(env *Env, sum ingest.Summary) {
	for _, f := range sum.Files {
		fmt.Fprintf(env.Stdout, "%s (%s): read %d, inserted %d, updated %d, unchanged %d, rejected %d\n",
			f.Name, f.Format, f.Read, f.Inserted, f.Updated, f.Unchanged, f.Rejected)
	}
	if len(sum.Files) > 1 {
		fmt.Fprintf(env.Stdout, "total: read %d, inserted %d, updated %d, unchanged %d, rejected %d\n",
			sum.Read, sum.Inserted, sum.Updated, sum.Unchanged, sum.Rejected)
	}
	fmt.Fprintf(env.Stdout, "%.2f s\n", sum.Seconds)
	if sum.Rejected > 0 {
		fmt.Fprintf(env.Stdout, "%d rows quarantined: see 'threshold rejects'\n", sum.Rejected)
	}
}

// auditIngest records an ingest in the audit log, failed ones too: what
// was ingested, by whom, with the summary, and the error if it failed. It returns
// the ingest's error, or an error saying the stored data went unaudited.
func auditIngest(ctx context.Context, st *store.DB, env *Env, paths []string, sum ingest.Summary, ingestErr error) error {
	var names []string
	for _, f := range sum.Files {
		names = append(names, f.Name)
	}
	if ingestErr != nil { // a file that failed part-way may have stored whole batches
		names = paths
	}
	details := map[string]any{"summary": sum}
	if ingestErr != nil {
		details["error"] = ingestErr.Error()
	}
	a := cliActor(env)
	err := audit.New(st, nil).Record(context.WithoutCancel(ctx), audit.Entry{
		ActorID: a.ID, Actor: a.Name, Action: "ingest", Object: strings.Join(names, ", "), Details: details,
	})
	if err != nil {
		return errors.Join(ingestErr, fmt.Errorf("ingested but not audited: %w", err))
	}
	return ingestErr
}
