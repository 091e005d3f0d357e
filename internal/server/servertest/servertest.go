// Package servertest helps test what registers routes in a server.Routes
// table: a fake Authenticator with a session and tokens for every role,
// and CheckAccess, which walks a route table and checks every route
// against every role, signed out, by session and by read and write
// tokens.
package servertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/server"
)

// Auth is a fake server.Authenticator. For each role it knows the session
// cookie Session(role), whose CSRF token is CSRF(role), and the API
// tokens Token(role, auth.ScopeRead) and Token(role, auth.ScopeWrite).
// Anything else is unauthorized.
type Auth struct{}

var _ server.Authenticator = Auth{}

// Session returns the session cookie value of role's user.
func Session(r auth.Role) string { return "session-" + string(r) }

// CSRF returns the CSRF token of role's session.
func CSRF(r auth.Role) string { return "csrf-" + string(r) }

// Token returns an API token of role's user with the given scope.
func Token(r auth.Role, s auth.Scope) string { return string(s) + "-" + string(r) }

// UserID is the user id of role's user.
func UserID(r auth.Role) int64 { return int64(slices.Index(auth.Roles(), r) + 1) }

func principal(r auth.Role, via string, s auth.Scope) *auth.Principal {
	return &auth.Principal{UserID: UserID(r), Email: string(r) + "@example.org", Name: string(r),
		OrgID: 1, OrgName: "Test", Role: r, Via: via, Scope: s}
}

// SessionPrincipal implements server.Authenticator.
func (Auth) SessionPrincipal(_ context.Context, cookie string) (*auth.Principal, error) {
	if role, ok := strings.CutPrefix(cookie, "session-"); ok {
		if r, err := auth.ParseRole(role); err == nil {
			p := principal(r, "session", auth.ScopeWrite)
			p.SessionID, p.CSRF = cookie, CSRF(r)
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: no such session", auth.ErrUnauthorized)
}

// TokenPrincipal implements server.Authenticator.
func (Auth) TokenPrincipal(_ context.Context, bearer string) (*auth.Principal, error) {
	scope, role, ok := strings.Cut(bearer, "-")
	if r, err := auth.ParseRole(role); ok && err == nil && (scope == "read" || scope == "write") {
		return principal(r, "token", auth.Scope(scope)), nil
	}
	return nil, fmt.Errorf("%w: unknown token", auth.ErrUnauthorized)
}

// CheckCSRF implements server.Authenticator.
func (Auth) CheckCSRF(p *auth.Principal, token string) error {
	if p == nil || token == "" || token != p.CSRF {
		return fmt.Errorf("%w: CSRF token missing or wrong", auth.ErrForbidden)
	}
	return nil
}

// Caller is who makes a request in the access matrix.
type Caller struct {
	Name   string
	Role   auth.Role // "" when signed out
	Cookie string    // session cookie value
	CSRF   string    // sent as X-CSRF-Token
	Bearer string
	Scope  auth.Scope
}

// Callers returns every kind of caller: signed out, and for each role a
// session (with its CSRF token), a read token and a write token.
func Callers() []Caller {
	cs := []Caller{{Name: "signed-out"}}
	for _, r := range auth.Roles() {
		cs = append(cs,
			Caller{Name: string(r) + "/session", Role: r, Cookie: Session(r), CSRF: CSRF(r), Scope: auth.ScopeWrite},
			Caller{Name: string(r) + "/read-token", Role: r, Bearer: Token(r, auth.ScopeRead), Scope: auth.ScopeRead},
			Caller{Name: string(r) + "/write-token", Role: r, Bearer: Token(r, auth.ScopeWrite), Scope: auth.ScopeWrite},
		)
	}
	return cs
}

// Allowed reports whether the route's policy lets c make a request with
// the route's method, as the server should decide it.
func Allowed(rt server.Route, c Caller) bool {
	if rt.Public {
		return true
	}
	if c.Role == "" || !slices.Contains(rt.Policy.Roles(), c.Role) {
		return false
	}
	unsafe := !slices.Contains([]string{"GET", "HEAD", "OPTIONS", "TRACE"}, rt.Method)
	if c.Bearer != "" && (rt.Policy.Write() || unsafe) && c.Scope != auth.ScopeWrite {
		return false
	}
	return true
}

var pathParam = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// Path turns a route pattern into a request path: each {name} becomes
// "name", an exact-match "/{$}" is "/", and a subtree pattern ending in
// a slash stays as it is.
func Path(pattern string) string {
	return pathParam.ReplaceAllString(strings.TrimSuffix(pattern, "{$}"), "$1")
}

// CheckAccess sends, for every route of routes and every caller, a
// request with no body to h and checks the server's decision: a refused
// caller gets 401 (signed out, API) or a redirect to sign in (signed out,
// page: 303 to /login?next=...) or 403, and an allowed caller gets
// anything else. The handler
// behind an allowed request runs, so routes that change data should be
// served by a throwaway database.
func CheckAccess(t *testing.T, h http.Handler, routes []server.Route) {
	t.Helper()
	for _, rt := range routes {
		for _, c := range Callers() {
			r := httptest.NewRequest(rt.Method, Path(rt.Pattern), nil)
			if c.Cookie != "" {
				r.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: c.Cookie})
				r.Header.Set(server.CSRFHeader, c.CSRF)
			}
			if c.Bearer != "" {
				r.Header.Set("Authorization", "Bearer "+c.Bearer)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			refused := w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden ||
				(w.Code == http.StatusSeeOther && strings.HasPrefix(w.Header().Get("Location"), "/login?next="))
			want := Allowed(rt, c)
			switch {
			case want && refused:
				t.Errorf("%s %s as %s: refused with %d, want allowed", rt.Method, rt.Pattern, c.Name, w.Code)
			case !want && !refused:
				t.Errorf("%s %s as %s: status %d, want refused", rt.Method, rt.Pattern, c.Name, w.Code)
			case !want && c.Role == "" && server.IsAPI(r) && w.Code != http.StatusUnauthorized:
				t.Errorf("%s %s signed out: status %d, want 401", rt.Method, rt.Pattern, w.Code)
			case !want && c.Role != "" && w.Code != http.StatusForbidden:
				t.Errorf("%s %s as %s: status %d, want 403", rt.Method, rt.Pattern, c.Name, w.Code)
			}
		}
	}
}
