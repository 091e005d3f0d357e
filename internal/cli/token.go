package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"threshold/internal/auth"
)

const tokenHelp = `
usage: threshold token create [--db DB] --user EMAIL [--name NAME] [--scope read|write] [--expires DURATION]
       threshold token list [--db DB] [--user EMAIL] [--json]
       threshold token revoke [--db DB] ID

Token manages API tokens, which scripts send as "Authorization: Bearer
TOKEN" to act as a user. A token never has more rights than its user's
role; a read token may only read. create prints the token on standard
output, once: it is stored only as a hash and cannot be shown again.
Tokens stop working at once when revoked or when their user is disabled.

	create   create a token (--expires 720h for thirty days; default: never)
	list     list tokens, revoked and expired ones included
	revoke   revoke a token by its ID
`

func runToken(ctx context.Context, args []string, env *Env) error {
	return runSub(ctx, "token", tokenHelp, args, env, map[string]func(context.Context, []string, *Env) error{
		"create": runTokenCreate,
		"list":   runTokenList,
		"revoke": runTokenRevoke,
	})
}

func runTokenCreate(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("token create", tokenHelp, env)
	db := dbFlag(fs, env)
	email := fs.String("user", "", "email of the user the token acts as (required)")
	name := fs.String("name", "", "what the token is for")
	scope := fs.String("scope", "read", "read (GET requests only) or write")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 720h; 0 for none")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError{"--user is required"}
	}
	sc, err := auth.ParseScope(*scope)
	if err != nil {
		return usageError{err.Error()}
	}
	if *expires < 0 {
		return usageError{"--expires must not be negative"}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	plain, t, err := svc.CreateToken(ctx, cliActor(env), auth.NewToken{Email: *email, Name: *name, Scope: sc, TTL: *expires})
	if err != nil {
		return err
	}
	exp := "never expires"
	if !t.ExpiresAt.IsZero() {
		exp = "expires " + t.ExpiresAt.Format(time.DateTime) + " UTC"
	}
	fmt.Fprintf(env.Stderr, "token %d for %s, scope %s, %s; it is shown only this once\n", t.ID, t.Email, t.Scope, exp)
	fmt.Fprintln(env.Stdout, plain)
	return nil
}

func runTokenList(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("token list", tokenHelp, env)
	db := dbFlag(fs, env)
	email := fs.String("user", "", "only this user's tokens")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := svc.ListTokens(ctx, *email)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(ts)
	}
	now := time.Now()
	when := func(t time.Time, zero string) string {
		if t.IsZero() {
			return zero
		}
		return t.Format(time.DateTime)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tSCOPE\tSTATUS\tCREATED (UTC)\tEXPIRES\tLAST USED")
	for _, t := range ts {
		status := "active"
		switch {
		case !t.RevokedAt.IsZero():
			status = "revoked"
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
			status = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Email, t.Name, t.Scope, status,
			when(t.CreatedAt, ""), when(t.ExpiresAt, "never"), when(t.LastUsedAt, "never"))
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("token revoke", tokenHelp, env)
	db := dbFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"token revoke takes one token ID"}
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usageError{fmt.Sprintf("token ID %q is not a number; see threshold token list", fs.Arg(0))}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := svc.RevokeToken(ctx, cliActor(env), id); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked token %d\n", id)
	return nil
}
