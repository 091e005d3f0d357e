package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const password = "correct horse battery"

var (
	ctx = context.Background()
	cli = auth.Actor{Name: "cli:test"}
)

// fixture is a service over a fresh database with one organisation and
// an analyst, alice@example.org.
type fixture struct {
	db    *store.DB
	url   string
	svc   *auth.Service
	clock *clock
	log   *audit.Log
}

func newFixture(t *testing.T, db *store.DB, url string, opts auth.Options) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	log := audit.New(db, c.Now)
	opts.Now = c.Now
	opts.Audit = log
	opts.Params = auth.Params{Memory: 64, Time: 1, Threads: 1} // fast; verification reads them from the hash
	f := &fixture{db: db, url: url, svc: auth.NewService(db, opts), clock: c, log: log}
	if _, err := f.svc.AddOrg(ctx, cli, "ECOWAS Commission"); err != nil {
		t.Fatal(err)
	}
	f.addUser(t, "alice@example.org", auth.Analyst)
	return f
}

func (f *fixture) addUser(t *testing.T, email string, role auth.Role) auth.User {
	t.Helper()
	u, err := f.svc.AddUser(ctx, cli, auth.NewUser{Org: "ECOWAS Commission", Role: role, Email: email, Name: "Test User", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t *testing.T, email string) (string, *auth.Principal) {
	t.Helper()
	cookie, p, err := f.svc.Login(ctx, email, password, "192.0.2.1")
	if err != nil {
		t.Fatalf("Login(%s): %v", email, err)
	}
	return cookie, p
}

func TestLoginStartsASession(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, p, err := f.svc.Login(ctx, "  Alice@Example.ORG ", password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(cookie) != 43 {
			t.Errorf("cookie %q: want 43 characters (32 bytes, base64url)", cookie)
		}
		want := &auth.Principal{
			Email: "alice@example.org", Name: "Test User", OrgName: "ECOWAS Commission",
			Role: auth.Analyst, Via: auth.ViaSession, Scope: auth.ScopeWrite,
		}
		ignore := cmpopts.IgnoreFields(auth.Principal{}, "UserID", "OrgID", "SessionID", "CSRF")
		if diff := cmp.Diff(want, p, ignore); diff != "" {
			t.Errorf("Login principal (-want +got):\n%s", diff)
		}
		if p.UserID == 0 || p.OrgID == 0 || len(p.SessionID) != 64 || len(p.CSRF) != 43 {
			t.Errorf("Login principal %+v: want IDs, a SHA-256 session ID and a CSRF token", p)
		}
		if strings.Contains(p.SessionID, cookie) {
			t.Errorf("session ID %q holds the cookie", p.SessionID)
		}
		got, err := f.svc.SessionPrincipal(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("SessionPrincipal differs from Login's (-login +session):\n%s", diff)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		for _, tt := range []struct{ email, password string }{
			{"alice@example.org", "wrong password!"},
			{"alice@example.org", ""},
			{"nobody@example.org", password},
			{"", ""},
		} {
			cookie, p, err := f.svc.Login(ctx, tt.email, tt.password, "192.0.2.1")
			if !errors.Is(err, auth.ErrUnauthorized) || cookie != "" || p != nil {
				t.Errorf("Login(%q, %q) = %q, %v, %v; want ErrUnauthorized", tt.email, tt.password, cookie, p, err)
			}
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		f.addUser(t, "bob@example.org", auth.DeskOfficer)
		for i := range 5 {
			if _, _, err := f.svc.Login(ctx, "alice@example.org", "guess number "+string(rune('a'+i)), "198.51.100.7"); !errors.Is(err, auth.ErrUnauthorized) {
				t.Fatalf("failure %d: %v, want ErrUnauthorized", i+1, err)
			}
			f.clock.Add(time.Minute)
		}
		// The sixth attempt is refused even with the right password, from
		// anywhere.
		for _, remote := range []string{"198.51.100.7", "203.0.113.9"} {
			if _, _, err := f.svc.Login(ctx, "alice@example.org", password, remote); !errors.Is(err, auth.ErrThrottled) {
				t.Errorf("Login after 5 failures from %s: %v, want ErrThrottled", remote, err)
			}
		}
		// Another account from the same address is not throttled yet.
		f.login(t, "bob@example.org")
		// The first failure leaves the 15-minute window 11 minutes from
		// now; then four remain and a login works again.
		f.clock.Add(10 * time.Minute)
		if _, _, err := f.svc.Login(ctx, "alice@example.org", password, "198.51.100.7"); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("Login 14 minutes after the first failure: %v, want ErrThrottled", err)
		}
		f.clock.Add(time.Minute)
		f.login(t, "alice@example.org")
	})
}

func TestLoginThrottlingPerAddress(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{MaxFailuresPerRemote: 3})
		for _, email := range []string{"x@example.org", "y@example.org", "z@example.org"} {
			if _, _, err := f.svc.Login(ctx, email, password, "198.51.100.7"); !errors.Is(err, auth.ErrUnauthorized) {
				t.Fatalf("Login(%s): %v, want ErrUnauthorized", email, err)
			}
		}
		if _, _, err := f.svc.Login(ctx, "alice@example.org", password, "198.51.100.7"); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("Login from an address with 3 failures: %v, want ErrThrottled", err)
		}
		if _, _, err := f.svc.Login(ctx, "alice@example.org", password, "203.0.113.9"); err != nil {
			t.Errorf("Login from another address: %v", err)
		}
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, _ := f.login(t, "alice@example.org")
		// Activity every 7h keeps it alive past the idle timeout of 8h.
		for range 3 {
			f.clock.Add(7 * time.Hour)
			if _, err := f.svc.SessionPrincipal(ctx, cookie); err != nil {
				t.Fatalf("after 7h idle: %v", err)
			}
		}
		f.clock.Add(8 * time.Hour)
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "idle") {
			t.Errorf("after 8h idle: %v, want ErrUnauthorized (idle)", err)
		}
		// An ended session is gone, not merely refused.
		f.clock.Add(-8 * time.Hour)
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "no such session") {
			t.Errorf("ended session: %v, want ErrUnauthorized (no such session)", err)
		}
	})
}

func TestSessionMaxAge(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{IdleTimeout: time.Hour, MaxAge: 24 * time.Hour})
		cookie, _ := f.login(t, "alice@example.org")
		for range 23 {
			f.clock.Add(time.Hour - time.Second)
			if _, err := f.svc.SessionPrincipal(ctx, cookie); err != nil {
				t.Fatalf("active session at %v: %v", f.clock.Now(), err)
			}
		}
		f.clock.Add(59 * time.Minute) // 23h58m37s after login
		if _, err := f.svc.SessionPrincipal(ctx, cookie); err != nil {
			t.Fatalf("active session at %v: %v", f.clock.Now(), err)
		}
		f.clock.Add(2 * time.Minute)
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("active session after 24h: %v, want ErrUnauthorized (expired)", err)
		}
	})
}

func TestSessionBadCookies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, p := f.login(t, "alice@example.org")
		flip := []byte(cookie)
		flip[10] ^= 'A' ^ 'B'
		if flip[10] == cookie[10] {
			flip[10] = 'x'
		}
		for _, bad := range []string{
			"",
			"garbage",
			string(flip),
			cookie + "A",
			cookie[:42],
			cookie[:42] + "=",
			strings.ToUpper(cookie),
			p.SessionID, // the stored hash is not a credential
			p.CSRF,      // nor is the CSRF token
			"thr_" + cookie,
			"' OR 1=1 --" + strings.Repeat("x", 32),
		} {
			if got, err := f.svc.SessionPrincipal(ctx, bad); !errors.Is(err, auth.ErrUnauthorized) || got != nil {
				t.Errorf("SessionPrincipal(%q) = %v, %v; want ErrUnauthorized", bad, got, err)
			}
		}
		if _, err := f.svc.SessionPrincipal(ctx, cookie); err != nil {
			t.Errorf("the real cookie stopped working: %v", err)
		}
	})
}

func TestCheckCSRF(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		_, p := f.login(t, "alice@example.org")
		_, other := f.login(t, "alice@example.org")
		if err := auth.CheckCSRF(p, p.CSRF); err != nil {
			t.Errorf("CheckCSRF(own token): %v", err)
		}
		for _, bad := range []string{"", other.CSRF, p.CSRF[:42], p.CSRF + "x", p.SessionID} {
			if err := auth.CheckCSRF(p, bad); !errors.Is(err, auth.ErrForbidden) {
				t.Errorf("CheckCSRF(%q) = %v, want ErrForbidden", bad, err)
			}
		}
		if err := auth.CheckCSRF(nil, p.CSRF); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("CheckCSRF(nil principal) = %v, want ErrUnauthorized", err)
		}
		if err := auth.CheckCSRF(&auth.Principal{Via: auth.ViaSession}, ""); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("CheckCSRF(session without token, \"\") = %v, want ErrForbidden", err)
		}
		if err := auth.CheckCSRF(&auth.Principal{Via: auth.ViaToken, Scope: auth.ScopeWrite}, ""); err != nil {
			t.Errorf("CheckCSRF(token principal) = %v, want nil", err)
		}
	})
}

func TestLogout(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, p := f.login(t, "alice@example.org")
		other, _ := f.login(t, "alice@example.org")
		if err := f.svc.Logout(ctx, p, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("after logout: %v, want ErrUnauthorized", err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, other); err != nil {
			t.Errorf("another session ended with the logout: %v", err)
		}
		if err := f.svc.Logout(ctx, p, "192.0.2.1"); err != nil {
			t.Errorf("second logout: %v", err)
		}
	})
}

func TestSetPasswordEndsSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, _ := f.login(t, "alice@example.org")
		const newPassword = "a much better passphrase"
		if err := f.svc.SetPassword(ctx, cli, "ALICE@example.org", "too short"); !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("SetPassword(weak) = %v, want ErrWeakPassword", err)
		}
		if err := f.svc.SetPassword(ctx, cli, "ALICE@example.org", newPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("session after password change: %v, want ErrUnauthorized", err)
		}
		if _, _, err := f.svc.Login(ctx, "alice@example.org", password, "192.0.2.1"); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("old password: %v, want ErrUnauthorized", err)
		}
		if _, _, err := f.svc.Login(ctx, "alice@example.org", newPassword, "192.0.2.1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		if err := f.svc.SetPassword(ctx, cli, "nobody@example.org", newPassword); !errors.Is(err, store.ErrNotFound) || err.Error() != `user "nobody@example.org" not found` {
			t.Errorf("SetPassword(unknown user) = %v, want store.ErrNotFound naming the user", err)
		}
	})
}

func TestLoginRehashesOldHashes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		u, err := db.User(ctx, "alice@example.org")
		if err != nil {
			t.Fatal(err)
		}
		old, _ := auth.HashPassword(password, auth.Params{Memory: 128, Time: 1, Threads: 1})
		if err := db.SetUserPassword(ctx, u.ID, old, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.login(t, "alice@example.org")
		u, _ = db.User(ctx, "alice@example.org")
		h, err := auth.ParsePHC(u.PasswordHash)
		if err != nil || h.Params != (auth.Params{Memory: 64, Time: 1, Threads: 1}) {
			t.Errorf("hash after login: %v, %v; want the service's parameters", h.Params, err)
		}
		f.login(t, "alice@example.org")
	})
}

func TestTokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		read, rt, err := f.svc.CreateToken(ctx, cli, auth.NewToken{Email: "Alice@example.org", Name: "nightly import"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(read, "thr_") || len(read) != 4+43 {
			t.Errorf("token %q: want thr_ and 43 base64url characters", read)
		}
		write, wt, err := f.svc.CreateToken(ctx, cli, auth.NewToken{Email: "alice@example.org", Scope: auth.ScopeWrite, TTL: 30 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if rt.Scope != auth.ScopeRead || wt.Scope != auth.ScopeWrite || !wt.ExpiresAt.Equal(f.clock.Now().Add(30*24*time.Hour)) {
			t.Errorf("tokens %+v, %+v: want read (the default) and write expiring in 30 days", rt, wt)
		}

		p, err := f.svc.TokenPrincipal(ctx, read)
		if err != nil {
			t.Fatal(err)
		}
		if p.Via != auth.ViaToken || p.Scope != auth.ScopeRead || p.Email != "alice@example.org" || p.Role != auth.Analyst || p.SessionID != "" || p.CSRF != "" {
			t.Errorf("read token principal %+v", p)
		}
		if err := auth.Allow(auth.Analyst).Check(p); err != nil {
			t.Errorf("read token on a read route: %v", err)
		}
		if err := auth.AllowWrite(auth.Analyst).Check(p); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("read token on a write route: %v, want ErrForbidden", err)
		}
		pw, err := f.svc.TokenPrincipal(ctx, write)
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AllowWrite(auth.Analyst).Check(pw); err != nil {
			t.Errorf("write token on a write route: %v", err)
		}
		if err := auth.AllowWrite(auth.Admin).Check(pw); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("write token beyond its user's role: %v, want ErrForbidden", err)
		}

		// last_used_at is kept to the minute.
		f.clock.Add(2 * time.Minute)
		if _, err := f.svc.TokenPrincipal(ctx, read); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ListTokens(ctx, "alice@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || !list[0].LastUsedAt.Equal(f.clock.Now()) || list[0].Name != "nightly import" || list[0].Email != "alice@example.org" {
			t.Errorf("ListTokens = %+v; want 2, the first used at %v", list, f.clock.Now())
		}

		// Revoked: refused at once.
		if err := f.svc.RevokeToken(ctx, cli, rt.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, read); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("revoked token: %v, want ErrUnauthorized (revoked)", err)
		}
		if err := f.svc.RevokeToken(ctx, cli, 999); !errors.Is(err, store.ErrNotFound) || err.Error() != "token 999 not found" {
			t.Errorf("RevokeToken(999) = %v, want ErrNotFound", err)
		}

		// Expired: refused from the expiry on.
		f.clock.Add(30*24*time.Hour - 2*time.Minute - time.Second)
		if _, err := f.svc.TokenPrincipal(ctx, write); err != nil {
			t.Errorf("write token a second before expiry: %v", err)
		}
		f.clock.Add(time.Second)
		if _, err := f.svc.TokenPrincipal(ctx, write); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("expired token: %v, want ErrUnauthorized (expired)", err)
		}

		for _, bad := range []string{"", "thr_", read[4:], "thr_" + strings.Repeat("A", 43), read + "x", "Bearer " + read, strings.Replace(read, "thr_", "thx_", 1)} {
			if _, err := f.svc.TokenPrincipal(ctx, bad); !errors.Is(err, auth.ErrUnauthorized) {
				t.Errorf("TokenPrincipal(%q) = %v, want ErrUnauthorized", bad, err)
			}
		}
		for _, nt := range []auth.NewToken{
			{Email: "alice@example.org", Scope: "admin"},
			{Email: "alice@example.org", TTL: -time.Hour},
			{Email: "nobody@example.org"},
		} {
			if _, _, err := f.svc.CreateToken(ctx, cli, nt); err == nil {
				t.Errorf("CreateToken(%+v) succeeded", nt)
			}
		}
	})
}

func TestDisabledUser(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		cookie, _ := f.login(t, "alice@example.org")
		token, _, err := f.svc.CreateToken(ctx, cli, auth.NewToken{Email: "alice@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DisableUser(ctx, cli, "alice@example.org"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("session of a disabled user: %v, want ErrUnauthorized", err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, token); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("token of a disabled user: %v, want ErrUnauthorized", err)
		}
		if _, _, err := f.svc.Login(ctx, "alice@example.org", password, "192.0.2.1"); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("login of a disabled user: %v, want ErrUnauthorized", err)
		}
		if _, _, err := f.svc.CreateToken(ctx, cli, auth.NewToken{Email: "alice@example.org"}); err == nil {
			t.Errorf("CreateToken for a disabled user succeeded")
		}
		users, err := f.svc.ListUsers(ctx)
		if err != nil || len(users) != 1 || !users[0].Disabled {
			t.Errorf("ListUsers = %+v, %v; want alice, disabled", users, err)
		}

		if err := f.svc.EnableUser(ctx, cli, "alice@example.org"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, token); err != nil {
			t.Errorf("token after re-enabling: %v", err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, cookie); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("session ended by disabling came back: %v", err)
		}
		f.login(t, "alice@example.org")
	})
}

func TestManagementErrors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		_, err := f.svc.AddOrg(ctx, cli, " ECOWAS Commission ")
		if !errors.Is(err, store.ErrConflict) || !errors.Is(err, auth.ErrConflict) || err.Error() != `organisation "ECOWAS Commission" exists` {
			t.Errorf("AddOrg(duplicate) = %v, want ErrConflict: organisation \"ECOWAS Commission\" exists", err)
		}
		_, err = f.svc.AddUser(ctx, cli, auth.NewUser{Org: "ECOWAS Commission", Role: auth.Admin, Email: "ALICE@EXAMPLE.ORG", Password: password})
		if !errors.Is(err, store.ErrConflict) || err.Error() != `user "alice@example.org" exists` {
			t.Errorf("AddUser(duplicate email, other case) = %v, want ErrConflict: user \"alice@example.org\" exists", err)
		}
		_, err = f.svc.AddUser(ctx, cli, auth.NewUser{Org: "AU", Role: auth.Admin, Email: "b@example.org", Password: password})
		if !errors.Is(err, store.ErrNotFound) || err.Error() != `organisation "AU" not found` {
			t.Errorf("AddUser(unknown org) = %v, want ErrNotFound: organisation \"AU\" not found", err)
		}
		for _, tt := range []struct {
			nu    auth.NewUser
			inErr string
		}{
			{auth.NewUser{Org: "ECOWAS Commission", Role: "boss", Email: "b@example.org", Password: password}, `unknown role "boss"`},
			{auth.NewUser{Org: "ECOWAS Commission", Role: auth.Admin, Email: "b@example.org", Password: "short"}, "at least 12 characters"},
			{auth.NewUser{Org: "ECOWAS Commission", Role: auth.Admin, Email: "Bob <b@example.org>", Password: password}, "not an email address"},
			{auth.NewUser{Org: "ECOWAS Commission", Role: auth.Admin, Email: "b@example.org", Name: "a\nb", Password: password}, "control characters"},
		} {
			if _, err := f.svc.AddUser(ctx, cli, tt.nu); err == nil || !strings.Contains(err.Error(), tt.inErr) {
				t.Errorf("AddUser(%+v) = %v, want an error containing %q", tt.nu, err, tt.inErr)
			}
		}
		for _, name := range []string{"", "  ", strings.Repeat("x", 201)} {
			if _, err := f.svc.AddOrg(ctx, cli, name); err == nil {
				t.Errorf("AddOrg(%q) succeeded", name)
			}
		}
		if err := f.svc.DisableUser(ctx, cli, "nobody@example.org"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("DisableUser(unknown) = %v, want ErrNotFound", err)
		}
	})
}

// TestAuditTrail checks that every change and every login attempt is in
// the audit log, with its actor, and that the chain verifies.
func TestAuditTrail(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		_, p := f.login(t, "alice@example.org")
		f.svc.Login(ctx, "alice@example.org", "wrong password!", "192.0.2.2")
		admin := p.Actor("192.0.2.1")
		_, tok, err := f.svc.CreateToken(ctx, admin, auth.NewToken{Email: "alice@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		must(t, f.svc.RevokeToken(ctx, admin, tok.ID))
		must(t, f.svc.SetPassword(ctx, cli, "alice@example.org", "another fine passphrase"))
		must(t, f.svc.DisableUser(ctx, cli, "alice@example.org"))
		must(t, f.svc.EnableUser(ctx, cli, "alice@example.org"))
		f.svc.Login(ctx, "bob@example.org", password, "192.0.2.1")
		type row struct{ Actor, Action, Object, Remote, Details string }
		want := []row{
			{"cli:test", "org.add", "ECOWAS Commission", "", `{"id":1}`},
			{"cli:test", "user.add", "alice@example.org", "", `{"id":1,"name":"Test User","org":"ECOWAS Commission","role":"analyst"}`},
			{"alice@example.org", "session.login", "alice@example.org", "192.0.2.1", `{}`},
			{"anonymous", "session.login_failed", "alice@example.org", "192.0.2.2", `{"reason":"wrong password"}`},
			{"alice@example.org", "token.create", "token:1", "192.0.2.1", `{"name":"","scope":"read","user":"alice@example.org"}`},
			{"alice@example.org", "token.revoke", "token:1", "192.0.2.1", `{"name":"","user":"alice@example.org"}`},
			{"cli:test", "user.passwd", "alice@example.org", "", `{}`},
			{"cli:test", "user.disable", "alice@example.org", "", `{}`},
			{"cli:test", "user.enable", "alice@example.org", "", `{}`},
			{"anonymous", "session.login_failed", "bob@example.org", "192.0.2.1", `{"reason":"unknown email"}`},
		}
		recs, err := f.log.Latest(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			got = append(got, row{r.Actor, r.Action, r.Object, r.Remote, string(r.Details)})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit log (-want +got):\n%s", diff)
		}
		if n, _, err := f.log.Verify(ctx); err != nil || n != int64(len(want)) {
			t.Errorf("Verify = %d, %v; want %d, nil", n, err, len(want))
		}
	})
}

func TestPurge(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		f := newFixture(t, db, url, auth.Options{})
		old, _ := f.login(t, "alice@example.org")
		f.svc.Login(ctx, "alice@example.org", "wrong password!", "192.0.2.1")
		f.clock.Add(7 * time.Hour)
		recent, _ := f.login(t, "alice@example.org")
		f.clock.Add(2 * time.Hour)
		must(t, f.svc.Purge(ctx))
		// The purged session is gone even for a clock that goes back.
		f.clock.Add(-2 * time.Hour)
		if _, err := f.svc.SessionPrincipal(ctx, old); !errors.Is(err, auth.ErrUnauthorized) || !strings.Contains(err.Error(), "no such session") {
			t.Errorf("purged session: %v, want no such session", err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, recent); err != nil {
			t.Errorf("recent session: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
