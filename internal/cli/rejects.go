package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
)

const rejectsHelp = `
usage: threshold rejects [--db DB] [--file NAME] [--json]

Rejects lists the rows that ingest quarantined instead of storing: the
file, the line, the field at fault and the reason. With --json it prints a
JSON array that also holds each row's fields as read.
`

func runRejects(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rejects", rejectsHelp, env)
	db := dbFlag(fs, env)
	file := fs.String("file", "", "only rows from the file with this base name")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	rej, err := st.Rejects(ctx, *file)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(rej)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tLINE\tFIELD\tREASON")
	for _, r := range rej {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.File, r.Line, r.Field, r.Reason)
	}
	return tw.Flush()
}
