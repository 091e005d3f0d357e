package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/election"
	"threshold/internal/event"
)

const electionsHelp = `
usage: threshold elections import [--db DB] FILE
       threshold elections import [--db DB] --builtin
       threshold elections list [--db DB] [--country ISO3[,ISO3...]] [--from DATE] [--to DATE] [--json]

Elections manages the elections calendar that election alert rules watch.

	import   read a calendar CSV file (columns country, date, kind, round,
	         source, note; see "go doc threshold/internal/election") and
	         add or update its elections; importing the same file twice
	         changes nothing. A bad file is refused whole, with every
	         problem named by line and field. --builtin imports the
	         calendar shipped with Threshold: real past national
	         elections in the Central African Republic, Côte d'Ivoire and
	         Mexico, each with its public source.
	list     list the calendar's elections by date
`

func runElections(ctx context.Context, args []string, env *Env) error {
	return runSub(ctx, "elections", electionsHelp, args, env, map[string]func(context.Context, []string, *Env) error{
		"import": runElectionsImport,
		"list":   runElectionsList,
	})
}

func runElectionsImport(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("elections import", electionsHelp, env)
	db := dbFlag(fs, env)
	builtin := fs.Bool("builtin", false, "import the calendar shipped with Threshold")
	if err := parse(fs, args); err != nil {
		return err
	}
	var (
		els  []election.Election
		name string
		err  error
	)
	switch {
	case *builtin && fs.NArg() == 0:
		name = "built-in calendar"
		els, err = election.Calendar()
	case !*builtin && fs.NArg() == 1:
		name = fs.Arg(0)
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		els, err = election.ParseCSV(filepath.Base(name), f)
		if err != nil {
			return err
		}
	default:
		return usageError{"want one FILE, or --builtin"}
	}
	if err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	added, changed, err := st.ImportElections(ctx, els)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d elections: %d added, %d updated, %d unchanged\n", name, len(els), added, changed, len(els)-added-changed)
	return nil
}

func runElectionsList(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("elections list", electionsHelp, env)
	db := dbFlag(fs, env)
	countries := fs.String("country", "", "ISO 3166-1 alpha-3 codes, comma-separated")
	from := fs.String("from", "", "first day, YYYY-MM-DD (or YYYY-MM, YYYY)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (or YYYY-MM, YYYY)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var codes []string
	for c := range strings.SplitSeq(*countries, ",") {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			if len(c) != 3 {
				return usageError{fmt.Sprintf("--country %q: want ISO 3166-1 alpha-3 codes such as CIV", c)}
			}
			codes = append(codes, c)
		}
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
	els, err := st.Elections(ctx, codes, f, t)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			Country string `json:"country"`
			Date    string `json:"date"`
			Kind    string `json:"kind"`
			Round   int    `json:"round"`
			Source  string `json:"source"`
			Note    string `json:"note,omitempty"`
		}
		rows := make([]row, 0, len(els))
		for _, e := range els {
			rows = append(rows, row{e.Country, e.Date.Format(time.DateOnly), string(e.Kind), e.Round, e.Source, e.Note})
		}
		return json.NewEncoder(env.Stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNTRY\tDATE\tKIND\tROUND\tSOURCE")
	for _, e := range els {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", e.Country, e.Date.Format(time.DateOnly), e.Kind, e.Round, e.Source)
	}
	return tw.Flush()
}
