package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/store"
)

const indicatorsHelp = `
usage: threshold indicators [--db DB] [--recompute] [--country ISO3[,ISO3...]]
                            [--admin1 NAME] [--period day|week|month] [--name NAME]
                            [--from DATE] [--to DATE] [--json]

Indicators lists stored indicators: per country (or admin-1 area with
--admin1), day, ISO week or month, the event counts by category,
fatalities, violent share, Goldstein mean and volume, days since the last
fatal event, and the spatial lag over land neighbours (names starting
"nb."). Values are sparse: a missing count is zero. See the indicator
package documentation for every name.

With --recompute it first recomputes the indicators of the periods
touching --from..--to for the --country list (all countries when absent)
and their land neighbours, and prints how many values it stored; without
--country, --from and --to it rebuilds every indicator. With --json it
prints a JSON array of {"country","admin1","period","start","name","value"}.
`

func runIndicators(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("indicators", indicatorsHelp, env)
	db := dbFlag(fs, env)
	recompute := fs.Bool("recompute", false, "recompute before listing")
	countries := fs.String("country", "", "ISO 3166-1 alpha-3 codes, comma-separated")
	admin1 := fs.String("admin1", "", "first-level administrative area, as the source spells it")
	period := fs.String("period", "month", "period: day, week or month")
	name := fs.String("name", "", "indicator name, e.g. fatalities_best")
	from := fs.String("from", "", "first day, YYYY-MM-DD (or YYYY-MM, YYYY)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (or YYYY-MM, YYYY: the end of that month or year)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var codes []string
	for c := range strings.SplitSeq(*countries, ",") {
		if c = strings.ToUpper(strings.TrimSpace(c)); c == "" {
			continue
		}
		if len(c) != 3 {
			return usageError{fmt.Sprintf("--country %q: want ISO 3166-1 alpha-3 codes such as SDN", c)}
		}
		codes = append(codes, c)
	}
	kind, err := indicator.ParseKind(*period)
	if err != nil {
		return usageError{"--period: " + err.Error()}
	}
	f, err := event.ParseDay(*from, false)
	if err != nil {
		return usageError{"--from: " + err.Error()}
	}
	t, err := event.ParseDay(*to, true)
	if err != nil {
		return usageError{"--to: " + err.Error()}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if *recompute {
		n, err := indicator.NewUpdater(st).Recompute(ctx, codes, f, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "stored %d indicator values\n", n)
	}
	q := store.IndicatorQuery{Kind: kind, Name: *name, From: kind.Start(f), To: t}
	if f.IsZero() {
		q.From = f
	}
	if *admin1 != "" {
		q.Admin1 = admin1
	} else {
		whole := ""
		q.Admin1 = &whole
	}
	var vs []indicator.Value
	if len(codes) == 0 {
		codes = []string{""}
	}
	for _, c := range codes {
		q.Country = c
		got, err := st.Indicators(ctx, q)
		if err != nil {
			return err
		}
		vs = append(vs, got...)
	}
	if *asJSON {
		type row struct {
			Country string  `json:"country"`
			Admin1  string  `json:"admin1,omitempty"`
			Period  string  `json:"period"`
			Start   string  `json:"start"`
			Name    string  `json:"name"`
			Value   float64 `json:"value"`
		}
		rows := make([]row, 0, len(vs))
		for _, v := range vs {
			rows = append(rows, row{v.Country, v.Admin1, string(v.Kind), v.Start.Format("2006-01-02"), v.Name, v.Value})
		}
		return json.NewEncoder(env.Stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNTRY\tADMIN1\tSTART\tNAME\tVALUE")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Country, v.Admin1, v.Start.Format("2006-01-02"), v.Name, strconv.FormatFloat(v.Value, 'g', 6, 64))
	}
	return tw.Flush()
}
