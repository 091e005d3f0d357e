// Package webtest starts the dashboard for tests: a migrated SQLite
// database holding the shared UCDP GED sample for the Central African
// Republic, the real auth service and audit log with one user per role,
// and the real server middleware (sessions, policies, CSRF), on an
// httptest server.
package webtest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/geo"
	"threshold/internal/ingest"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
	"threshold/internal/web"
)

// Now is the clock of every site: a fixed day well after the sample's
// last event (2022-12-30), so that "today" and "the latest event" differ.
var Now = time.Date(2025, 11, 20, 9, 30, 0, 0, time.UTC)

// Password is every test user's password.
const Password = "correct horse battery"

// Org is the organisation of the test users.
const Org = "UNOCA"

// Site is a running dashboard.
type Site struct {
	URL   string
	DB    *store.DB
	Auth  *auth.Service
	Audit *audit.Log
	srv   *httptest.Server
}

// Email returns the email of the test user with role r, e.g.
// "partner-viewer@example.org".
func Email(r auth.Role) string { return string(r) + "@example.org" }

// fastParams keep password hashing quick in tests; production uses
// auth.DefaultParams.
var fastParams = auth.Params{Memory: 64, Time: 1, Threads: 1}

var (
	geoOnce  sync.Once
	geoTable *geo.Table
	geoErr   error
)

// Start starts a site whose database holds the shared CAR sample and a
// user of every role in organisation Org. It is stopped when the test
// ends.
func Start(t testing.TB) *Site {
	t.Helper()
	sample := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	geoOnce.Do(func() { geoTable, geoErr = geo.Load() })
	if geoErr != nil {
		t.Fatal(geoErr)
	}
	if _, err := ingest.Files(ctx, db, []string{sample}, ingest.Options{Geo: geoTable, Now: clock}); err != nil {
		t.Fatalf("ingest %s: %v", sample, err)
	}
	s := &Site{DB: db}
	s.Audit = audit.New(db, clock)
	s.Auth = auth.NewService(db, auth.Options{Now: clock, Params: fastParams, Audit: s.Audit})
	by := auth.Actor{Name: "webtest"}
	if _, err := s.Auth.AddOrg(ctx, by, Org); err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles() {
		nu := auth.NewUser{Org: Org, Role: r, Email: Email(r), Name: roleTitle(r), Password: Password}
		if _, err := s.Auth.AddUser(ctx, by, nu); err != nil {
			t.Fatal(err)
		}
	}
	s.serve(t, s.Routes(t))
	return s
}

// serve serves routes on a new test server behind the site's auth
// service, until the test ends, and points the site's URL at it. The
// server's clock stays the real one: it sets the connections' deadlines.
func (s *Site) serve(t testing.TB, routes *server.Routes) {
	t.Helper()
	srv, err := server.New(server.Options{Routes: routes, Auth: serverAuth{s.Auth}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(srv)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
}

func clock() time.Time { return Now }

// Routes returns a new route table holding the dashboard over the site's
// database and auth service.
func (s *Site) Routes(t testing.TB) *server.Routes {
	t.Helper()
	routes := &server.Routes{}
	err := web.Register(routes, web.Deps{
		Data: s.DB, Auth: s.Auth, Admin: s.Auth, Geo: geoTable, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// serverAuth is the auth service as the server's middleware uses it.
type serverAuth struct{ *auth.Service }

func (serverAuth) CheckCSRF(p *auth.Principal, token string) error { return auth.CheckCSRF(p, token) }

func roleTitle(r auth.Role) string {
	s := strings.ReplaceAll(string(r), "-", " ")
	return "Test " + s
}

// Client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (s *Site) Client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SignIn starts a session for the test user with role r, puts its cookie
// in c's jar and returns the principal, whose CSRF field forms need.
func (s *Site) SignIn(t testing.TB, c *http.Client, r auth.Role) *auth.Principal {
	t.Helper()
	cookie, p, err := s.Auth.Login(context.Background(), Email(r), Password, "192.0.2.1")
	if err != nil {
		t.Fatalf("login as %s: %v", r, err)
	}
	u, _ := url.Parse(s.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: server.SessionCookie, Value: cookie, Path: "/"}})
	return p
}
