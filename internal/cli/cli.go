// Package cli implements the threshold command: a table of subcommands,
// each in its own file, each parsing its own flags and returning an error
// that only Main prints. Every command can therefore run in-process in
// tests.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
)

// Env is what a command runs with: its streams and environment.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Log            *slog.Logger
	// IsTerminal reports whether w is an interactive terminal (for
	// progress bars).
	IsTerminal func(w io.Writer) bool
}

type command struct {
	run     func(ctx context.Context, args []string, env *Env) error
	summary string
	// help is printed for "threshold help NAME" and "threshold NAME -h"
	// when set: commands with subcommands, whose own flag sets belong to
	// each subcommand. Without it, -h goes to the command's flag set.
	help string
}

func commands() map[string]command {
	return map[string]command{
		"demo":       {runDemo, "ingest the bundled sample data and print a country-month summary", ""},
		"ingest":     {runIngest, "ingest event data files (UCDP, ACLED, GDELT, ICEWS, Powell & Thyne coups)", ""},
		"feed":       {runFeed, "ingest a GDELT 2.0 feed continuously from a directory or lastupdate.txt, each file once, in order", ""},
		"import":     {runImport, "import country-year panels (EWP, UCDP ACD and BRD, coups, covariates)", ""},
		"events":     {runEvents, "list stored events", ""},
		"stats":      {runStats, "aggregate events per country or admin-1 area and period", ""},
		"rejects":    {runRejects, "list quarantined rows", ""},
		"indicators": {runIndicators, "recompute and list indicators per country or admin-1 area and period", ""},
		"migrate":    {runMigrate, "bring the database schema up to date", ""},
		"backup":     {runBackup, "write a consistent copy of a SQLite database while it is in use", ""},
		"serve":      {runServe, "run the server: JSON API, dashboard, health checks and metrics", ""},
		"org":        {runOrg, "add and list organisations", ""},
		"user":       {runUser, "add, list, disable users and set their passwords", ""},
		"token":      {runToken, "create, list and revoke API tokens", ""},
		"audit":      {runAudit, "verify and list the audit log", ""},
		"rules":      {runRules, "check, show, save and evaluate alert rules", ""},
		"alerts":     {runAlerts, "list alerts and acknowledge, action, dismiss, resolve or assign them", ""},
		"elections":  {runElections, "import and list the elections calendar", ""},
		"warnings":   {runWarnings, "backtest the warning rules against the escalations that followed", ""},
		"cases":      {runCases, "open cases, log actions, share them and report warning-to-action time", casesHelp},
		"roster":     {runRoster, "keep the roster of envoys and mediation experts, match them to cases, deploy them", rosterHelp},
		"agreements": {runAgreements, "import agreements, record provisions' implementation, link them to cases, check follow-through", agreementsHelp},
		"fund":       {runFund, "the rapid-response fund: contributions, allocations, approvals, disbursements, balances, statements", fundHelp},
		"forecast":   {runForecast, "backtest country-year forecasts of mass-killing and conflict onset", ""},
		"report":     {runReport, "write the monthly tracker and country briefs (PDF, HTML, Markdown, JSON, CSV)", reportHelp},
		"export":     {runExport, "export events and indicators as CSV, HXL, GeoJSON or Parquet", exportHelp},
		"synth":      {runSynth, "write SYNTHETIC event files (gdelt2, ucdp-ged) of any size for volume tests and benchmarks", ""},

		"field-reports": {runFieldReports, "take in, verify and fuse field reports; protect reporters; field monitors and silent areas", fieldReportsHelp},
	}
}

// usageError makes Main print the command's usage and exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command line args and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var level slog.Level // THRESHOLD_LOG_LEVEL: debug, info, warn (the default) or error
	if err := level.UnmarshalText([]byte(os.Getenv("THRESHOLD_LOG_LEVEL"))); err != nil {
		level = slog.LevelWarn
	}
	env := &Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv:     os.Getenv,
		Log:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		IsTerminal: isTerminal,
	}
	return run(ctx, args, env)
}

func run(ctx context.Context, args []string, env *Env) int {
	cmds := commands()
	if len(args) == 0 || isHelpFlag(args[0]) {
		if len(args) > 1 {
			if _, ok := cmds[args[1]]; ok {
				return run(ctx, []string{args[1], "-h"}, env)
			}
		}
		printUsage(env.Stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "threshold: unknown command %q\nRun 'threshold help' for usage.\n", args[0])
		return 2
	}
	if cmd.help != "" && len(args) == 2 && isHelpFlag(args[1]) {
		fmt.Fprintln(env.Stdout, strings.TrimSpace(cmd.help))
		return 0
	}
	err := cmd.run(ctx, args[1:], env)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "threshold %s: %s\nRun 'threshold help %s' for usage.\n", args[0], ue.msg, args[0])
		return 2
	}
	fmt.Fprintf(env.Stderr, "threshold %s: %v\n", args[0], err)
	return 1
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprint(w, `Threshold is an early-warning and response platform for preventive diplomacy.

Usage:

	threshold <command> [flags] [arguments]

The commands are:

`)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, `
Use "threshold help <command>" for more about a command.

The database is named by --db or $THRESHOLD_DB: a SQLite file path
(default threshold.db) or a postgres:// URL.
`)
}

// newFlags returns a flag set for a command whose help text is help, and
// which writes its errors and usage to env.Stderr.
func newFlags(name, help string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "%s\nFlags:\n", strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into usage errors. Flags may
// follow positional arguments, as users type "threshold ingest f.csv --json".
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

// parseNoArgs parses args for a command that takes flags only.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"unexpected arguments"}
	}
	return nil
}

// dbFlag registers --db with its environment fallback.
func dbFlag(fs *flag.FlagSet, env *Env) *string {
	def := env.Getenv("THRESHOLD_DB")
	if def == "" {
		def = "threshold.db"
	}
	return fs.String("db", def, "database: SQLite file path or postgres:// URL (env THRESHOLD_DB)")
}
