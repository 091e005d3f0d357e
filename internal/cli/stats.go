package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"threshold/internal/store"
)

const statsHelp = `
usage: threshold stats [--db DB] --by country-month|country-week|admin1-month [--country ISO3]
                       [--from DATE] [--to DATE] [--category C] [--source S] [--json]

Stats counts events and sums fatalities (best estimates) per country, or
per country and admin-1 area, and calendar month or ISO week. With --json
it prints a JSON array of {"country":"SDN","period":"2011-06","events":N,"fatalities":N}
(with "admin1" when grouped by it).
`

func runStats(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("stats", statsHelp, env)
	db := dbFlag(fs, env)
	by := fs.String("by", string(store.CountryMonth), "grouping: country-month, country-week or admin1-month")
	ff := addFilterFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	valid := false
	for _, g := range store.Groupings() {
		valid = valid || store.Grouping(*by) == g
	}
	if !valid {
		return usageError{fmt.Sprintf("--by %q: want country-month, country-week or admin1-month", *by)}
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Stats(ctx, store.Grouping(*by), f)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	admin1 := store.Grouping(*by) == store.Admin1Month
	if admin1 {
		fmt.Fprintln(tw, "COUNTRY\tADMIN1\tPERIOD\tEVENTS\tFATALITIES\t")
	} else {
		fmt.Fprintln(tw, "COUNTRY\tPERIOD\tEVENTS\tFATALITIES\t")
	}
	for _, r := range rows {
		if admin1 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t\n", r.Country, r.Admin1, r.Period, r.Events, r.Fatalities)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\n", r.Country, r.Period, r.Events, r.Fatalities)
		}
	}
	return tw.Flush()
}
