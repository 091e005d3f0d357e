package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"threshold/internal/app"
	"threshold/internal/election"
	"threshold/internal/event"
	"threshold/internal/ingest"
	"threshold/internal/sample"
	"threshold/internal/store"
)

const demoHelp = `
usage: threshold demo [--db DB]

Demo ingests the real sample data bundled with Threshold (UCDP GED 23.1
events for the Central African Republic, and one GDELT 2.0 export of
2019-10-24) into the database, by default threshold.db in the current
directory, with the calendar of past national elections shipped with
Threshold, and prints a country-month summary. It then replays the
Central African Republic's crisis of 2012-2014 month by month through the
default alert rules and the alert lifecycle, so that the inbox holds the
alerts the desks would have received then (notifications go to the
default receivers, which have no subscribers). Running it again adds
nothing new. Explore the result with "threshold events", "threshold
stats" and "threshold alerts --all".
`

func runDemo(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("demo", demoHelp, env)
	db := dbFlag(fs, env)
	top := fs.Int("top", 12, "how many country-months to list")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(env.Stdout, "Ingesting the bundled sample data into %s\n\n", store.MaskURL(*db))
	sum, err := ingestSample(ctx, st, env, nil)
	if err != nil {
		return err
	}
	printIngestSummary(env, sum)
	if err := replaySample(ctx, st, env, nil); err != nil {
		return err
	}
	months, err := st.Stats(ctx, store.CountryMonth, event.Filter{})
	if err != nil {
		return err
	}
	printDemoSummary(env, months, *top)
	return nil
}

// ingestSample ingests the sample data bundled in the binary into st, as
// demo and serve --demo do.
func ingestSample(ctx context.Context, st *store.DB, env *Env, w *app.Warnings) (ingest.Summary, error) {
	dir, err := os.MkdirTemp("", "threshold-demo-")
	if err != nil {
		return ingest.Summary{}, err
	}
	defer os.RemoveAll(dir)
	paths, err := sample.WriteFiles(dir)
	if err != nil {
		return ingest.Summary{}, err
	}
	sum, err := ingest.Files(ctx, st, paths, ingest.Options{Log: env.Log})
	// The calendar of past national elections shipped with Threshold,
	// which the election rules read (idempotent).
	els, cerr := election.Calendar()
	if cerr == nil {
		_, _, cerr = st.ImportElections(ctx, els)
	}
	if cerr != nil {
		err = errors.Join(err, fmt.Errorf("elections calendar: %w", cerr))
	}
	if _, rerr := afterIngest(ctx, st, env, w, sum.Touched); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return sum, auditIngest(ctx, st, env, paths, sum, err)
}

// The crisis the demo replays: the Séléka's advance and seizure of Bangui
// (March 2013) and the anti-balaka violence that followed.
var (
	replayCountries = []string{"CAF"}
	replayFrom      = time.Date(2012, 12, 1, 0, 0, 0, 0, time.UTC)
	replayTo        = time.Date(2014, 6, 30, 0, 0, 0, 0, time.UTC)
)

// replaySample fills the demo's alert inbox from history: the sample
// crisis replayed month by month through the rules in force and the alert
// Manager (package warning, Watcher.Replay). w is the pipeline to use; nil
// assembles one over st.
func replaySample(ctx context.Context, st *store.DB, env *Env, w *app.Warnings) error {
	if w == nil {
		var err error
		if w, err = app.NewWarnings(ctx, st, warningOptions(env)); err != nil {
			return err
		}
	}
	reps, err := w.Watcher.Replay(ctx, replayCountries, replayFrom, replayTo)
	if err != nil {
		return fmt.Errorf("replay the sample crisis: %w", err)
	}
	opened := 0
	for _, r := range reps {
		if r.Alerts != nil {
			opened += len(r.Alerts.Opened)
		}
	}
	fmt.Fprintf(env.Stdout, "alerts: the Central African Republic %s to %s replayed month by month through the rules: %d alerts opened (\"threshold alerts --all\", or /alerts)\n\n",
		replayFrom.Format("2006-01"), replayTo.Format("2006-01"), opened)
	return nil
}

func printDemoSummary(env *Env, months []event.Period, top int) {
	type total struct {
		country            string
		events, fatalities int
		first, last        string
		months             int
	}
	byCountry := map[string]*total{}
	for _, m := range months {
		t := byCountry[m.Country]
		if t == nil {
			t = &total{country: m.Country, first: m.Period}
			byCountry[m.Country] = t
		}
		t.events += m.Events
		t.fatalities += m.Fatalities
		t.last = m.Period
		t.months++
	}
	totals := make([]*total, 0, len(byCountry))
	for _, t := range byCountry {
		totals = append(totals, t)
	}
	sort.Slice(totals, func(i, j int) bool {
		if totals[i].fatalities != totals[j].fatalities {
			return totals[i].fatalities > totals[j].fatalities
		}
		return totals[i].events > totals[j].events
	})
	fmt.Fprintf(env.Stdout, "\nCountries by fatalities (best estimates), %d countries in all:\n\n", len(totals))
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "COUNTRY\tEVENTS\tFATALITIES\tMONTHS\tFIRST\tLAST\t")
	for i, t := range totals {
		if i == top {
			break
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", t.country, t.events, t.fatalities, t.months, t.first, t.last)
	}
	tw.Flush()

	sorted := append([]event.Period(nil), months...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Fatalities > sorted[j].Fatalities })
	fmt.Fprintf(env.Stdout, "\nDeadliest country-months:\n\n")
	tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "COUNTRY\tMONTH\tEVENTS\tFATALITIES\t")
	for i, m := range sorted {
		if i == top {
			break
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\n", m.Country, m.Period, m.Events, m.Fatalities)
	}
	tw.Flush()
	fmt.Fprint(env.Stdout, `
Next: threshold stats --by country-month --country CAF
      threshold events --country CAF --from 2013-12 --to 2013-12
`)
}
