package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/store"
)

const userHelp = `
usage: threshold user add [--db DB] --org NAME --role ROLE [--name NAME] [--password-stdin] EMAIL
       threshold user list [--db DB] [--json]
       threshold user passwd [--db DB] [--password-stdin] EMAIL
       threshold user disable [--db DB] EMAIL
       threshold user enable [--db DB] EMAIL

User manages the people who sign in. Roles: admin, analyst, desk-officer,
mediation-expert, partner-viewer. There is no default account: create the
first admin with

	threshold org add "UN DPPA"
	threshold user add --org "UN DPPA" --role admin you@example.org

On a terminal, add and passwd ask for the password twice, without echo.
Otherwise --password-stdin reads it from the first line of standard
input; passwords are never taken from flags, which other users can see.
A password needs at least 12 characters. passwd signs the user out
everywhere; disable also stops the user's API tokens at once.

	add      add a user to an organisation
	list     list users
	passwd   set a user's password
	disable  disable a user
	enable   enable a disabled user again
`

func runUser(ctx context.Context, args []string, env *Env) error {
	return runSub(ctx, "user", userHelp, args, env, map[string]func(context.Context, []string, *Env) error{
		"add":     runUserAdd,
		"list":    runUserList,
		"passwd":  runUserPasswd,
		"disable": func(ctx context.Context, args []string, env *Env) error { return runUserDisable(ctx, args, env, true) },
		"enable":  func(ctx context.Context, args []string, env *Env) error { return runUserDisable(ctx, args, env, false) },
	})
}

func runUserAdd(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("user add", userHelp, env)
	db := dbFlag(fs, env)
	org := fs.String("org", "", "the user's organisation (required)")
	role := fs.String("role", "", "the user's role: admin, analyst, desk-officer, mediation-expert or partner-viewer (required)")
	name := fs.String("name", "", "the user's full name")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 1:
		return usageError{"user add takes one email address"}
	case *org == "":
		return usageError{"--org is required"}
	case *role == "":
		return usageError{"--role is required"}
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	pw, err := readNewPassword(env, *stdin)
	if err != nil {
		return err
	}
	u, err := svc.AddUser(ctx, cliActor(env), auth.NewUser{Org: *org, Role: r, Email: fs.Arg(0), Name: *name, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added user %s (%s, %s)\n", u.Email, u.Role, u.OrgName)
	return nil
}

func runUserList(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("user list", userHelp, env)
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
	users, err := svc.ListUsers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(users)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tORGANISATION\tROLE\tSTATUS\tCREATED (UTC)")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, u.Name, u.OrgName, u.Role, status, u.CreatedAt.Format(time.DateTime))
	}
	return tw.Flush()
}

func runUserPasswd(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("user passwd", userHelp, env)
	db := dbFlag(fs, env)
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"user passwd takes one email address"}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	pw, err := readNewPassword(env, *stdin)
	if err != nil {
		return err
	}
	if err := svc.SetPassword(ctx, cliActor(env), fs.Arg(0), pw); err != nil {
		return err
	}
	email, _ := auth.NormalizeEmail(fs.Arg(0))
	fmt.Fprintf(env.Stdout, "password of %s changed; their sessions have ended\n", email)
	return nil
}

func runUserDisable(ctx context.Context, args []string, env *Env, disable bool) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disable]
	fs := newFlags("user "+verb, userHelp, env)
	db := dbFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"user " + verb + " takes one email address"}
	}
	st, svc, err := openAuth(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if disable {
		err = svc.DisableUser(ctx, cliActor(env), fs.Arg(0))
	} else {
		err = svc.EnableUser(ctx, cliActor(env), fs.Arg(0))
	}
	if err != nil {
		return err
	}
	email, _ := auth.NormalizeEmail(fs.Arg(0))
	fmt.Fprintf(env.Stdout, "%sd %s\n", verb, email)
	return nil
}

// openAuth opens the database and the auth service over it, auditing
// into its log.
func openAuth(ctx context.Context, url string) (*store.DB, *auth.Service, error) {
	st, err := openDB(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return st, auth.NewService(st, auth.Options{Audit: audit.New(st, nil)}), nil
}

// cliActor is who the audit log records for changes made on the command
// line: "cli:" and the operating system user.
func cliActor(env *Env) auth.Actor {
	name := env.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return auth.Actor{Name: "cli:" + name}
}

// readNewPassword reads a new password: twice without echo from a
// terminal, or from the first line of stdin with --password-stdin.
func readNewPassword(env *Env, fromStdin bool) (string, error) {
	if !fromStdin {
		f, ok := env.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageError{"standard input is not a terminal: pass the password on it with --password-stdin"}
		}
		return promptPassword(env, int(f.Fd()))
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4*auth.MaxPasswordLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if pw == "" {
		return "", errors.New("no password on standard input")
	}
	return pw, auth.ValidatePassword(pw)
}

func promptPassword(env *Env, fd int) (string, error) {
	read := func(prompt string) (string, error) {
		fmt.Fprint(env.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	pw, err := read("Password (at least 12 characters): ")
	if err != nil {
		return "", err
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return "", err
	}
	again, err := read("Repeat password: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}
