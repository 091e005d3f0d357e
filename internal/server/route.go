// Package server is the HTTP plumbing every surface (JSON API, dashboard,
// operations endpoints) shares: the route table with each route's access
// policy, authentication of sessions and tokens, CSRF checks, limits,
// logging, metrics, recovery and graceful shutdown.
package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"threshold/internal/auth"
)

// Route is one entry of the route table. A route is either Public (login
// page, health checks, static assets) or guarded by a Policy; a route with
// neither is refused to everyone.
type Route struct {
	Method  string      // GET, POST, ...
	Pattern string      // Go 1.22 ServeMux pattern path, e.g. "/api/v1/events/{source}/{id}"
	Policy  auth.Policy // who may use it, unless Public
	Public  bool        // no sign-in needed
	Handler http.Handler

	// MaxBody limits the request body, in bytes; 0 means the server's
	// default (Options.MaxBody). Uploads set more.
	MaxBody int64
	// Timeout bounds the request: its context's deadline and the
	// connection's read and write deadlines; 0 means the server's default
	// (Options.Timeout).
	Timeout time.Duration
}

// Routes is the route table of a server. Every surface registers into it,
// so one test can walk every route and check it against every role.
type Routes struct {
	list      []Route
	errorPage ErrorPage
}

// ErrorPage renders the server's own refusals and failures of a browser
// request, one outside /api/: status 401 when signed out (or the session
// has expired), 403, 404, 405, 413, 500 and so on, with a message safe to
// show. The dashboard sets it with HandleErrorPages; without it the server
// redirects a signed-out browser to /login and answers the rest in plain
// text.
type ErrorPage func(w http.ResponseWriter, r *http.Request, status int, msg string)

// Add registers r as it is given: for routes that set their own limits.
func (rs *Routes) Add(r Route) {
	rs.list = append(rs.list, r)
}

// HandleErrorPages sets how refused and failed browser requests are
// rendered. API requests always get application/problem+json.
func (rs *Routes) HandleErrorPages(fn ErrorPage) {
	rs.errorPage = fn
}

// Handle registers a route guarded by policy.
func (rs *Routes) Handle(method, pattern string, policy auth.Policy, h http.Handler) {
	rs.list = append(rs.list, Route{Method: method, Pattern: pattern, Policy: policy, Handler: h})
}

// HandleFunc registers a handler function guarded by policy.
func (rs *Routes) HandleFunc(method, pattern string, policy auth.Policy, h http.HandlerFunc) {
	rs.Handle(method, pattern, policy, h)
}

// HandlePublic registers a route that needs no sign-in.
func (rs *Routes) HandlePublic(method, pattern string, h http.Handler) {
	rs.list = append(rs.list, Route{Method: method, Pattern: pattern, Public: true, Handler: h})
}

// All returns the registered routes, sorted by pattern and method.
func (rs *Routes) All() []Route {
	out := slices.Clone(rs.list)
	slices.SortFunc(out, func(a, b Route) int {
		if c := strings.Compare(a.Pattern, b.Pattern); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return out
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the request's authenticated caller.
func WithPrincipal(ctx context.Context, p *auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's authenticated caller, or nil when the
// request is signed out.
func PrincipalFrom(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey{}).(*auth.Principal)
	return p
}
