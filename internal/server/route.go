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
}

// Routes is the route table of a server. Every surface registers into it,
// so one test can walk every route and check it against every role.
type Routes struct {
	list []Route
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
