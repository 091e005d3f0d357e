package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/rules"
	"threshold/internal/store"
)

const rulesHelp = `
usage: threshold rules check FILE
       threshold rules show [--db DB] [--default] [--json]
       threshold rules save [--db DB] [--author NAME] FILE
       threshold rules history [--db DB] [--json]
       threshold rules eval [--db DB] [--default] [--as-of DATE] [--country ISO3[,ISO3...]] [--json]

Rules manages the alert rules: a YAML (or JSON) file of conditions on
indicators, detector scores, forecasts and events (coups, first deaths
after quiet months, elections with rising protest or violence, violence
spreading to a new area or across a border). See "go doc
threshold/internal/rules" for the format.

	check    validate FILE: print a summary of its rules, or every problem
	         (file:line:col: path: message) and exit with status 1
	show     print the active rules (the latest saved version, or the
	         default rules when none was saved); --default prints the
	         built-in default rules with their comments
	save     validate FILE and store it as the active version
	history  list the saved versions, newest first
	eval     evaluate the active rules (or --default) on the stored data as
	         of --as-of (default today) and print what fires
`

func runRules(ctx context.Context, args []string, env *Env) error {
	return runSub(ctx, "rules", rulesHelp, args, env, map[string]func(context.Context, []string, *Env) error{
		"check":   runRulesCheck,
		"show":    runRulesShow,
		"save":    runRulesSave,
		"history": runRulesHistory,
		"eval":    runRulesEval,
	})
}

// readRules reads and parses a rules file, printing every problem to
// stderr.
func readRules(path string, env *Env) ([]byte, *rules.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := rules.Parse(filepath.Base(path), data)
	var perr *rules.Error
	if errors.As(err, &perr) {
		for _, p := range perr.Problems {
			fmt.Fprintln(env.Stderr, p)
		}
		n := len(perr.Problems)
		return nil, nil, fmt.Errorf("%s: %d problem%s", path, n, plural(n))
	}
	return data, f, err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func runRulesCheck(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rules check", rulesHelp, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want one FILE"}
	}
	_, f, err := readRules(fs.Arg(0), env)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: version %q, %d rule%s OK\n", fs.Arg(0), f.Version, len(f.Rules), plural(len(f.Rules)))
	return printRules(env, f)
}

// printRules lists a file's rules as a table.
func printRules(env *Env, f *rules.File) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSEVERITY\tLEVEL\tPERIOD\tSCOPE\tNAME")
	for _, r := range f.Rules {
		scope := "all"
		if len(r.Scope) > 0 {
			scope = strings.Join(r.Scope, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind(), r.Severity, r.Level, r.Period, scope, r.Name)
	}
	return tw.Flush()
}

// activeRules returns the body and parsed rules in force: the latest
// saved version, else the defaults.
func activeRules(ctx context.Context, st *store.DB, useDefault bool) (string, *rules.File, error) {
	if !useDefault {
		v, err := st.ActiveRules(ctx)
		switch {
		case err == nil:
			f, err := v.File()
			return v.Body, f, err
		case !errors.Is(err, store.ErrNotFound):
			return "", nil, err
		}
	}
	return string(rules.DefaultYAML()), rules.Default(), nil
}

func runRulesShow(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rules show", rulesHelp, env)
	db := dbFlag(fs, env)
	def := fs.Bool("default", false, "print the built-in default rules")
	asJSON := fs.Bool("json", false, "print the parsed rules as JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	body, f := string(rules.DefaultYAML()), rules.Default()
	if !*def {
		st, err := openDB(ctx, *db)
		if err != nil {
			return err
		}
		defer st.Close()
		if body, f, err = activeRules(ctx, st, false); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(f)
	}
	_, err := fmt.Fprint(env.Stdout, body)
	return err
}

func runRulesSave(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rules save", rulesHelp, env)
	db := dbFlag(fs, env)
	author := fs.String("author", "", "who is saving (default: the OS user)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want one FILE"}
	}
	data, f, err := readRules(fs.Arg(0), env)
	if err != nil {
		return err
	}
	if *author == "" {
		*author = cliActor(env).Name
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SaveRules(ctx, string(data), *author, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "saved rules version %d (%q, %d rules) by %s; it is now active\n", v.ID, f.Version, len(f.Rules), v.Author)
	return nil
}

func runRulesHistory(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rules history", rulesHelp, env)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print a JSON array (bodies included)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := st.RulesHistory(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(h)
	}
	if len(h) == 0 {
		fmt.Fprintln(env.Stderr, "no saved rules: the default rules are active")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tAUTHOR\tSAVED")
	for _, v := range h {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", v.ID, v.Version, v.Author, v.CreatedAt.Format(time.DateTime))
	}
	return tw.Flush()
}

func runRulesEval(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("rules eval", rulesHelp, env)
	db := dbFlag(fs, env)
	def := fs.Bool("default", false, "evaluate the built-in default rules, not the active ones")
	asOf := fs.String("as-of", "", "the day to evaluate as of, YYYY-MM-DD (or YYYY-MM: its last day); default today")
	countries := fs.String("country", "", "ISO 3166-1 alpha-3 codes, comma-separated (default: all)")
	asJSON := fs.Bool("json", false, "print a JSON array of firings")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	day := time.Now().UTC()
	if *asOf != "" {
		d, err := event.ParseDay(*asOf, true)
		if err != nil {
			return usageError{"--as-of: " + err.Error()}
		}
		day = d
	}
	var codes []string
	for c := range strings.SplitSeq(*countries, ",") {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			if len(c) != 3 {
				return usageError{fmt.Sprintf("--country %q: want ISO 3166-1 alpha-3 codes such as CAF", c)}
			}
			codes = append(codes, c)
		}
	}
	st, err := openDB(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	_, f, err := activeRules(ctx, st, *def)
	if err != nil {
		return err
	}
	fired, err := rules.Evaluate(ctx, st, f, rules.Scope{Countries: codes, AsOf: day})
	if err != nil {
		return err
	}
	if *asJSON {
		if fired == nil {
			fired = []alert.Firing{}
		}
		return json.NewEncoder(env.Stdout).Encode(fired)
	}
	fmt.Fprintf(env.Stderr, "%d firing%s as of %s (rules %q)\n", len(fired), plural(len(fired)), day.Format(time.DateOnly), f.Version)
	for _, x := range fired {
		fmt.Fprintf(env.Stdout, "%s  %-8s  %s  %s\n    %s\n", x.Place(), x.Severity, x.Rule, x.Title, x.Explanation)
	}
	return nil
}
