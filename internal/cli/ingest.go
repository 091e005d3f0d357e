package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/schollz/progressbar/v3"

	"threshold/internal/audit"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/store"
)

const ingestHelp = `
usage: threshold ingest [--db DB] [--format auto|ucdp-ged|...] [--strict] [--json] FILE...

Ingest reads event data files in their published formats and stores their
events: UCDP GED (every release layout: 49, 41 and 14 columns), UCDP
Candidate events, UCDP DECO, ACLED CSV exports, GDELT 1.0 and 2.0 event
exports, and ICEWS event files. The format is detected from the header or
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
	recomputed := 0
	if *indicators {
		n, rerr := recomputeIndicators(ctx, st, sum.Touched)
		if rerr != nil {
			err = errors.Join(err, rerr)
		}
		recomputed = n
	}
	if err := auditIngest(ctx, st, env, fs.Args(), sum, err); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(sum)
	}
	printIngestSummary(env, sum)
	if recomputed > 0 {
		countries := sum.Touched.Countries()
		if len(countries) > 8 {
			countries = append(countries[:8], fmt.Sprintf("and %d more", len(countries)-8))
		}
		fmt.Fprintf(env.Stdout, "indicators: %d values recomputed for %s and neighbours\n", recomputed, strings.Join(countries, ", "))
	}
	return nil
}

// recomputeIndicators brings up to date the indicators of the countries
// and days an ingest changed.
func recomputeIndicators(ctx context.Context, st *store.DB, t ingest.Touched) (int, error) {
	if len(t) == 0 {
		return 0, nil
	}
	sp := t.Span()
	n, err := indicator.NewUpdater(st).Recompute(ctx, t.Countries(), sp.From, sp.To)
	if err != nil {
		return 0, fmt.Errorf("ingested, but the indicators were not recomputed: %w", err)
	}
	return n, nil
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
