package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

const orgHelp = `
usage: threshold org add [--db DB] NAME
       threshold org list [--db DB] [--json]

Org manages the organisations users belong to: a UN department, a
regional office, the African Union, ECOWAS, an NGO. Every user belongs to
exactly one; add it before its users.

	add    add an organisation
	list   list the organisations
`

func runOrg(ctx context.Context, args []string, env *Env) error {
	return runSub(ctx, "org", orgHelp, args, env, map[string]func(context.Context, []string, *Env) error{
		"add":  runOrgAdd,
		"list": runOrgList,
	})
}

func runOrgAdd(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("org add", orgHelp, env)
	db := dbFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"org add takes one organisation name"}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := svc.AddOrg(ctx, cliActor(env), fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added organisation %q\n", o.Name)
	return nil
}

func runOrgList(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("org list", orgHelp, env)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := svc.ListOrgs(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(orgs)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", o.ID, o.Name, o.CreatedAt.Format(time.DateTime))
	}
	return tw.Flush()
}

// runSub runs the subcommand of a command that has several (org add, org
// list, ...).
func runSub(ctx context.Context, name, help string, args []string, env *Env, subs map[string]func(context.Context, []string, *Env) error) error {
	if len(args) == 0 {
		return usageError{"missing subcommand"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stderr, strings.TrimSpace(help))
		return flag.ErrHelp
	}
	run, ok := subs[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown subcommand %q", name+" "+args[0])}
	}
	return run(ctx, args[1:], env)
}
