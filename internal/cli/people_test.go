package cli

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// runCLIIn is runCLI with stdin, for --password-stdin.
func runCLIIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv:     func(string) string { return "" },
		Log:        slog.New(slog.NewTextHandler(&errb, &slog.HandlerOptions{Level: slog.LevelWarn})),
		IsTerminal: func(io.Writer) bool { return false },
	}
	code = run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func mustRunIn(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errs := runCLIIn(t, stdin, args...)
	if code != 0 {
		t.Fatalf("threshold %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

const cliPassword = "a long enough passphrase"

// peopleSession runs a real sequence of people commands against url and
// returns the token it created.
func peopleSession(t *testing.T, url string) string {
	t.Helper()
	mustRun(t, "org", "add", "--db", url, "African Union")
	mustRun(t, "org", "add", "--db", url, "UN DPPA")
	mustRunIn(t, cliPassword+"\n", "user", "add", "--db", url, "--org", "African Union", "--role", "admin", "--name", "Amina Diallo", "--password-stdin", "Amina@AU.int")
	mustRunIn(t, cliPassword+"\r\n", "user", "add", "--db", url, "--org", "UN DPPA", "--role", "partner-viewer", "--password-stdin", "kofi@un.org")
	token := mustRun(t, "token", "create", "--db", url, "--user", "amina@au.int", "--name", "nightly import", "--scope", "write", "--expires", "720h")
	mustRun(t, "token", "create", "--db", url, "--user", "kofi@un.org")
	mustRun(t, "token", "revoke", "--db", url, "2")
	mustRunIn(t, "another long passphrase", "user", "passwd", "--db", url, "--password-stdin", "kofi@un.org")
	mustRun(t, "user", "disable", "--db", url, "kofi@un.org")
	return token
}

func TestPeopleCommands(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		token := peopleSession(t, url)
		// token create prints the token and nothing else on stdout.
		if !regexp.MustCompile(`^thr_[A-Za-z0-9_-]{43}\n$`).MatchString(token) {
			t.Errorf("token create printed %q; want the token alone", token)
		}
		svc := auth.NewService(db, auth.Options{Audit: audit.New(db, nil)})
		p, err := svc.TokenPrincipal(context.Background(), strings.TrimSpace(token))
		if err != nil || p.Email != "amina@au.int" || p.Role != auth.Admin || p.Scope != auth.ScopeWrite || p.OrgName != "African Union" {
			t.Errorf("TokenPrincipal(created token) = %+v, %v", p, err)
		}
		if _, _, err := svc.Login(context.Background(), "amina@au.int", cliPassword, "192.0.2.1"); err != nil {
			t.Errorf("login with the password given on stdin: %v", err)
		}

		orgs := decodeJSON[[]auth.Org](t, mustRun(t, "org", "list", "--db", url, "--json"))
		if len(orgs) != 2 || orgs[0].Name != "African Union" || orgs[1].Name != "UN DPPA" {
			t.Errorf("org list = %+v", orgs)
		}
		users := decodeJSON[[]auth.User](t, mustRun(t, "user", "list", "--db", url, "--json"))
		type u struct {
			Email, Name, Org string
			Role             auth.Role
			Disabled         bool
		}
		var gotUsers []u
		for _, x := range users {
			gotUsers = append(gotUsers, u{x.Email, x.Name, x.OrgName, x.Role, x.Disabled})
		}
		wantUsers := []u{{"amina@au.int", "Amina Diallo", "African Union", auth.Admin, false}, {"kofi@un.org", "", "UN DPPA", auth.PartnerViewer, true}}
		if diff := cmp.Diff(wantUsers, gotUsers); diff != "" {
			t.Errorf("user list (-want +got):\n%s", diff)
		}
		if out := mustRun(t, "user", "list", "--db", url); strings.Contains(out, "argon2") {
			t.Errorf("user list shows password hashes:\n%s", out)
		}
		tokens := decodeJSON[[]auth.Token](t, mustRun(t, "token", "list", "--db", url, "--json"))
		if len(tokens) != 2 || tokens[0].Name != "nightly import" || tokens[0].ExpiresAt.IsZero() || !tokens[0].RevokedAt.IsZero() ||
			tokens[1].Scope != auth.ScopeRead || tokens[1].RevokedAt.IsZero() {
			t.Errorf("token list = %+v", tokens)
		}
		if mine := decodeJSON[[]auth.Token](t, mustRun(t, "token", "list", "--db", url, "--json", "--user", "kofi@un.org")); len(mine) != 1 || mine[0].ID != 2 {
			t.Errorf("token list --user kofi = %+v", mine)
		}
		if out := mustRun(t, "token", "list", "--db", url); !strings.Contains(out, "revoked") || strings.Contains(out, "thr_") {
			t.Errorf("token list:\n%s", out)
		}

		// The audit log holds every change, by the CLI's OS user, and the
		// login; its chain verifies.
		recs := decodeJSON[[]audit.Record](t, mustRun(t, "audit", "list", "--db", url, "--json", "--limit", "100"))
		var actions []string
		for i := len(recs) - 1; i >= 0; i-- {
			actions = append(actions, recs[i].Action)
			if recs[i].Action != "session.login" && !strings.HasPrefix(recs[i].Actor, "cli:") {
				t.Errorf("entry %d: actor %q, want cli:<user>", recs[i].Seq, recs[i].Actor)
			}
		}
		want := []string{"org.add", "org.add", "user.add", "user.add", "token.create", "token.create", "token.revoke", "user.passwd", "user.disable", "session.login"}
		if diff := cmp.Diff(want, actions); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
		if out := mustRun(t, "audit", "list", "--db", url, "--limit", "2"); strings.Count(out, "\n") != 3 || !strings.Contains(out, "session.login") {
			t.Errorf("audit list --limit 2:\n%s", out)
		}
		out := mustRun(t, "audit", "verify", "--db", url)
		if !strings.HasPrefix(out, "audit log OK: 10 entries\nlast hash: ") {
			t.Errorf("audit verify:\n%s", out)
		}
	})
}

// TestAuditVerifyNamesFirstBadEntry edits the log that a real CLI
// session wrote, through a connection of its own, and checks that audit
// verify fails naming the first bad entry.
func TestAuditVerifyNamesFirstBadEntry(t *testing.T) {
	tests := []struct {
		name   string
		sql    string
		inErr  string
		before int // entries verified before the bad one
	}{
		{"edit details", `UPDATE audit_log SET details = '{"id":1,"name":"","org":"UN DPPA","role":"admin"}' WHERE seq = 4`,
			"entry 4: hash mismatch", 3},
		{"delete a middle entry", `DELETE FROM audit_log WHERE seq = 5`,
			"entry 6: gap in sequence: entry 6 follows 4", 4},
		{"change a hash", `UPDATE audit_log SET hash = '` + strings.Repeat("0", 64) + `' WHERE seq = 7`,
			"entry 7: hash mismatch", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
				peopleSession(t, url)
				mustRun(t, "audit", "verify", "--db", url)
				tamper(t, db, url, tt.sql)
				code, out, stderr := runCLI(t, "audit", "verify", "--db", url)
				if code != 1 || out != "" || !strings.Contains(stderr, "audit log broken at "+tt.inErr) {
					t.Errorf("audit verify after %s: exit %d, stdout %q, stderr %q; want exit 1 naming %q", tt.name, code, out, stderr, tt.inErr)
				}
				if n, _, _ := audit.New(db, nil).Verify(context.Background()); n != int64(tt.before) {
					t.Errorf("Verify counted %d good entries, want %d", n, tt.before)
				}
			})
		})
	}
}

// tamper drops the audit log's append-only triggers and runs query, on a
// connection of its own, as someone with write access to the database
// could.
func tamper(t *testing.T, db *store.DB, url, query string) {
	t.Helper()
	driver, stmts := "sqlite", []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if db.Dialect() == "postgres" {
		driver, stmts = "pgx", []string{`DROP TRIGGER audit_log_no_change ON audit_log`}
	}
	raw, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range append(stmts, query) {
		if _, err := raw.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestPeopleUsageErrors(t *testing.T) {
	db := t.TempDir() + "/t.db"
	mustRun(t, "org", "add", "--db", db, "AU")
	mustRunIn(t, cliPassword, "user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "a@au.int")
	tests := []struct {
		stdin    string
		args     []string
		code     int
		inStderr string
	}{
		{"", []string{"org"}, 2, "missing subcommand"},
		{"", []string{"org", "remove", "AU"}, 2, `unknown subcommand "org remove"`},
		{"", []string{"org", "add", "--db", db}, 2, "one organisation name"},
		{"", []string{"org", "add", "--db", db, "AU"}, 1, `organisation "AU" exists`},
		{"", []string{"org", "-h"}, 0, "usage: threshold org add"},
		{"", []string{"help", "user"}, 0, "usage: threshold user add"},
		{cliPassword, []string{"user", "add", "--db", db, "--role", "analyst", "--password-stdin", "b@au.int"}, 2, "--org is required"},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--password-stdin", "b@au.int"}, 2, "--role is required"},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--role", "boss", "--password-stdin", "b@au.int"}, 2, `unknown role "boss"`},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "b@au.int"}, 2, "--password-stdin"},
		{"short\n", []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "b@au.int"}, 1, "at least 12 characters; this one has 5"},
		{"", []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "b@au.int"}, 1, "no password on standard input"},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "UN", "--role", "analyst", "--password-stdin", "b@au.int"}, 1, `organisation "UN" not found`},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "A@AU.INT"}, 1, `user "a@au.int" exists`},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "not-an-email"}, 1, "is not an email address"},
		{cliPassword, []string{"user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password", "x", "b@au.int"}, 2, "flag provided but not defined: -password"},
		{cliPassword, []string{"user", "passwd", "--db", db, "--password-stdin", "nobody@au.int"}, 1, `user "nobody@au.int" not found`},
		{"", []string{"user", "disable", "--db", db, "nobody@au.int"}, 1, `user "nobody@au.int" not found`},
		{"", []string{"token", "create", "--db", db}, 2, "--user is required"},
		{"", []string{"token", "create", "--db", db, "--user", "a@au.int", "--scope", "admin"}, 2, `unknown scope "admin"`},
		{"", []string{"token", "create", "--db", db, "--user", "a@au.int", "--expires", "a month"}, 2, "invalid value"},
		{"", []string{"token", "create", "--db", db, "--user", "nobody@au.int"}, 1, `user "nobody@au.int" not found`},
		{"", []string{"token", "revoke", "--db", db, "abc"}, 2, `token ID "abc" is not a number`},
		{"", []string{"token", "revoke", "--db", db, "42"}, 1, "token 42 not found"},
		{"", []string{"audit", "list", "--db", db, "--limit", "0"}, 2, "--limit must be at least 1"},
		{"", []string{"audit"}, 2, "missing subcommand"},
	}
	for _, tt := range tests {
		code, out, stderr := runCLIIn(t, tt.stdin, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("threshold %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
		if strings.Contains(out+stderr, cliPassword) {
			t.Errorf("threshold %v printed the password", tt.args)
		}
	}
	// Nothing failed was changed or audited.
	out := mustRun(t, "audit", "verify", "--db", db)
	if !strings.HasPrefix(out, "audit log OK: 2 entries") {
		t.Errorf("audit verify after failed commands: %q", out)
	}
}

func TestTokenCreateExpiry(t *testing.T) {
	db := t.TempDir() + "/t.db"
	mustRun(t, "org", "add", "--db", db, "AU")
	mustRunIn(t, cliPassword, "user", "add", "--db", db, "--org", "AU", "--role", "analyst", "--password-stdin", "a@au.int")
	code, out, stderr := runCLI(t, "token", "create", "--db", db, "--user", "a@au.int", "--expires", "48h")
	if code != 0 || !strings.HasPrefix(out, "thr_") || !strings.Contains(stderr, "scope read, expires ") || !strings.Contains(stderr, "shown only this once") {
		t.Errorf("token create: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	tokens := decodeJSON[[]auth.Token](t, mustRun(t, "token", "list", "--db", db, "--json"))
	if len(tokens) != 1 || tokens[0].ExpiresAt.Sub(tokens[0].CreatedAt) != 48*time.Hour {
		t.Errorf("token list = %+v; want one expiring 48h after creation", tokens)
	}
}
