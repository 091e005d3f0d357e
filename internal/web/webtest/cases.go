package webtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/server"
	"threshold/internal/web"
)

// The synthetic organisations of a CaseSite besides Org, each with a desk
// officer and a partner viewer (see OrgEmail).
const (
	PartnerOrg = "Synthetic Partner Org" // the one cases get shared with
	OtherOrg   = "Synthetic Other Org"   // never cleared for anything
)

// CaseSite is an AlertSite with casework as well: cases, actions and the
// warning-to-action report over the site's database, linking the site's
// real CAR alerts, audited in its audit log; and two more synthetic
// organisations, so that tests can check the need-to-know rule across
// organisations.
type CaseSite struct {
	*AlertSite
	Cases *casework.Service
}

// OrgEmail returns the email of the test user with role r in one of the
// synthetic organisations, e.g. "desk-officer@synthetic-partner-org.example.org".
func OrgEmail(org string, r auth.Role) string {
	host := map[string]string{PartnerOrg: "synthetic-partner-org", OtherOrg: "synthetic-other-org"}[org]
	return string(r) + "@" + host + ".example.org"
}

// StartCases starts a CaseSite. It is stopped when the test ends.
func StartCases(t testing.TB) *CaseSite {
	t.Helper()
	as := StartAlerts(t)
	ctx := context.Background()
	by := auth.Actor{Name: "webtest"}
	for _, org := range []string{PartnerOrg, OtherOrg} {
		if _, err := as.Auth.AddOrg(ctx, by, org); err != nil {
			t.Fatal(err)
		}
		for _, r := range []auth.Role{auth.DeskOfficer, auth.PartnerViewer} {
			nu := auth.NewUser{Org: org, Role: r, Email: OrgEmail(org, r), Name: roleTitle(r), Password: Password}
			if _, err := as.Auth.AddUser(ctx, by, nu); err != nil {
				t.Fatal(err)
			}
		}
	}
	svc, err := casework.New(casework.Options{Store: as.DB, Alerts: as.Alerts, Audit: as.Audit, Geo: geoTable, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	as.srv.Close() // the alert site's server, replaced by one with the case pages
	site := *as.Site
	s := &CaseSite{AlertSite: &AlertSite{Site: &site, Alerts: as.Alerts, Opened: as.Opened}, Cases: svc}
	srv, err := server.New(server.Options{Routes: s.Routes(t), Auth: serverAuth{s.Auth}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(srv)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Routes returns a new route table holding the dashboard with its alert
// and case pages.
func (s *CaseSite) Routes(t testing.TB) *server.Routes {
	t.Helper()
	routes := &server.Routes{}
	err := web.Register(routes, web.Deps{
		Data: s.DB, Auth: s.Auth, Admin: s.Auth, Geo: geoTable, Now: clock,
		Alerts: s.Alerts, Rules: s.DB, Events: s.DB, Deliveries: deliveryLog{s.DB}, Audit: s.Audit,
		Cases: s.Cases,
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// SignInAs starts a session for the test user with this email, puts its
// cookie in c's jar and returns the principal.
func (s *Site) SignInAs(t testing.TB, c *http.Client, email string) *auth.Principal {
	t.Helper()
	cookie, p, err := s.Auth.Login(context.Background(), email, Password, "192.0.2.1")
	if err != nil {
		t.Fatalf("login as %s: %v", email, err)
	}
	u, _ := url.Parse(s.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: server.SessionCookie, Value: cookie, Path: "/"}})
	return p
}

var _ web.Cases = (*casework.Service)(nil)
