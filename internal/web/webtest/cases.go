package webtest

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"threshold/internal/agreement"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/roster"
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
//
// The site also mobilises: its roster holds one synthetic mediator
// (Mediator, kept by Org), its fund one synthetic donor's contribution
// (Contribution, from Donor), and agreements may be linked to its cases.
type CaseSite struct {
	*AlertSite
	Cases      *casework.Service
	Roster     *roster.Service
	Fund       *fund.Service
	Agreements *agreement.Service
	// Mediator is the synthetic person on the roster.
	Mediator roster.Person
}

// The synthetic roster and fund of a CaseSite.
const (
	MediatorName = "Synthetic Mediator Amina"
	Donor        = "Synthetic Donor Fund"
	Contribution = "100000.00" // USD, from Donor
)

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
	rost, err := roster.New(roster.Options{Store: as.DB, Cases: svc, Audit: as.Audit, Geo: geoTable, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	money, err := fund.New(fund.Options{Store: as.DB, Cases: svc, Deployments: rost, Audit: as.Audit, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	agrs, err := agreement.New(agreement.Options{Store: as.DB, Alerts: as.Alerts, Audit: as.Audit, Geo: geoTable, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	op := casework.Everyone("webtest")
	mediator, err := rost.Add(ctx, op, roster.Person{Name: MediatorName, Kind: roster.MediationExpert, Org: Org,
		Expertise: []roster.Expertise{{Area: roster.ProcessDesign, Level: 3}, {Area: roster.SecurityArrangements, Level: 2}},
		Languages: []roster.Language{{Code: "fr", Level: roster.Native}, {Code: "en", Level: roster.C1}},
		Countries: []string{"CAF", "TCD"}, Clearance: casework.Confidential, Contract: roster.Standby,
		Notes: "Synthetic roster record for tests."})
	if err != nil {
		t.Fatalf("roster: %v", err)
	}
	if _, _, err := money.Contribute(ctx, op, "webtest-contribution", fund.ContributionRequest{Donor: Donor, Amount: Contribution,
		Currency: "USD", Memo: "Synthetic contribution for tests."}); err != nil {
		t.Fatalf("fund: %v", err)
	}
	as.srv.Close() // the alert site's server, replaced by one with the case pages
	site := *as.Site
	s := &CaseSite{AlertSite: &AlertSite{Site: &site, Alerts: as.Alerts, Opened: as.Opened}, Cases: svc,
		Roster: rost, Fund: money, Agreements: agrs, Mediator: mediator}
	s.serve(t, s.Routes(t))
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
		Cases: s.Cases, Roster: s.Roster, Fund: s.Fund, Agreements: s.Agreements,
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

var (
	_ web.Cases      = (*casework.Service)(nil)
	_ web.Roster     = (*roster.Service)(nil)
	_ web.Fund       = (*fund.Service)(nil)
	_ web.Agreements = (*agreement.Service)(nil)
)
