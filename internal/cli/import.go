package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"threshold/internal/audit"
	"threshold/internal/geo"
	"threshold/internal/panel"
	"threshold/internal/store"
)

const importHelp = `
usage: threshold import [--db DB] [--json] FILE...

Import loads published country-year datasets, the ground forecasts are
built on, into one long table of (dataset, variable, country, year)
values. The format is detected from the header:

  ewp-base        Early Warning Project base data (basedata*.csv)
  ewp-predictors  EWP prepared predictors with outcomes (prepared*predictors*.csv)
  ewp-foos        EWP fully out-of-sample forecasts with outcomes (FOOSforecasts*.csv)
  ucdp-acd        UCDP/PRIO Armed Conflict Dataset, aggregated per country-year
                  of location (dataset ucdp-acd-<release>)
  ucdp-brd        UCDP Battle-Related Deaths, summed per country-year of
                  battle location (dataset ucdp-brd-<release>)
  pt-coups        Powell & Thyne coups per GW country-year
  ewp-coups       EWP coup attempts per country-year
  population, gdp, infmort, ewp-wdi   structural covariates

Countries are resolved through the project's code table; the source's
GW or COW number is kept beside the ISO alpha-3 code. Columns holding
later years' outcomes or published forecasts are flagged as such, so
that features can refuse them.

Each file is stored in one transaction. Importing a file again changes
nothing; a revised file updates the values that differ and keeps the old
ones. A bad row is quarantined with its file, line, column and reason
(logged, and stored in panel_rejects); an ACD or BRD file with a bad row
is refused whole, since its aggregates would be incomplete. .gz files are
read directly.

With --json the summary is one JSON object:
{"files":[{"name":…,"dataset":…,"rows":N,"values":N,"rejected":N,"inserted":N,…}],"rows":N,…,"seconds":F}.
`

func runImport(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("import", importHelp, env)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"no files to import"}
	}
	codes, err := geo.Load()
	if err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := panel.Import(ctx, st, codes, fs.Args(), panel.Options{Log: env.Log})
	err = auditImport(ctx, st, env, sum, err)
	// The summary says what was stored even when a file failed.
	if *asJSON {
		return errors.Join(err, json.NewEncoder(env.Stdout).Encode(sum))
	}
	for _, f := range sum.Files {
		if f.Refused != "" || f.Format == "" {
			fmt.Fprintf(env.Stdout, "%s: not imported\n", f.Name)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s (%s, dataset %s, %d-%d): rows %d, values %d, rejected %d; inserted %d, updated %d, unchanged %d%s, %.2f s\n",
			f.Name, f.Format, f.Dataset, f.FirstYear, f.LastYear, f.Rows, f.Values, f.Rejected,
			f.Inserted, f.Updated, f.Unchanged, skippedNote(f.Skipped), f.Seconds)
	}
	if len(sum.Files) > 1 {
		fmt.Fprintf(env.Stdout, "total: rows %d, values %d, rejected %d; inserted %d, updated %d, unchanged %d, %.2f s\n",
			sum.Rows, sum.Values, sum.Rejected, sum.Inserted, sum.Updated, sum.Unchanged, sum.Seconds)
	}
	return err
}

func skippedNote(skipped bool) string {
	if skipped {
		return " (imported before)"
	}
	return ""
}

// auditImport records an import in the audit log, a failed one too.
func auditImport(ctx context.Context, st *store.DB, env *Env, sum panel.Summary, importErr error) error {
	var names []string
	for _, f := range sum.Files {
		names = append(names, f.Name)
	}
	details := map[string]any{"summary": sum}
	if importErr != nil {
		details["error"] = importErr.Error()
	}
	a := cliActor(env)
	err := audit.New(st, nil).Record(context.WithoutCancel(ctx), audit.Entry{
		ActorID: a.ID, Actor: a.Name, Action: "import", Object: strings.Join(names, ", "), Details: details,
	})
	if err != nil {
		return errors.Join(importErr, fmt.Errorf("imported but not audited: %w", err))
	}
	return importErr
}
