package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/report"
	"threshold/internal/server"
	"threshold/internal/web"
	"threshold/internal/web/webtest"
)

// reportSite serves the case site's dashboard with the monthly tracker.
func reportSite(t *testing.T) (*webtest.CaseSite, string) {
	t.Helper()
	s := webtest.StartCases(t)
	routes := &server.Routes{}
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := &report.Service{Source: s.DB, Cases: s.Cases, Agreements: s.DB, Overrides: s.DB,
		Tracker: &report.Tracker{Store: s.DB, Audit: s.Audit, Now: func() time.Time { return webtest.Now }}, Now: func() time.Time { return webtest.Now }}
	if err := web.Register(routes, web.Deps{Data: s.DB, Auth: s.Auth, Admin: s.Auth, Geo: g, Now: func() time.Time { return webtest.Now },
		Alerts: s.Alerts, Cases: s.Cases, Reports: svc}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: routes, Auth: csrfAuth{s.Auth}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

type csrfAuth struct{ *auth.Service }

func (csrfAuth) CheckCSRF(p *auth.Principal, token string) error { return auth.CheckCSRF(p, token) }

func getReport(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestMonthlyReportPage shows the CAR tracker of December 2013 to an
// analyst (golden page), downloads it in every format, refuses partners,
// records an analyst's override and keeps a restricted case out of the
// reports of another organisation's desk.
func TestMonthlyReportPage(t *testing.T) {
	s, base := reportSite(t)
	ctx := context.Background()
	owner := casework.Viewer{All: true, Actor: "webtest"}
	secret, err := s.Cases.Create(ctx, owner, casework.Case{Title: "Synthetic restricted tracker case", OwnerOrg: webtest.Org,
		Places: []casework.Place{{Country: "CAF"}}, Status: casework.Monitoring, Confidentiality: casework.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	page := base + "/reports/monthly?month=2013-12&country=CAF"

	analyst := s.Client(t)
	tok := s.SignIn(t, analyst, auth.Analyst).CSRF
	resp, body := getReport(t, analyst, page)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("analyst: status %d: %s", resp.StatusCode, body)
	}
	for _, w := range []string{`<tr data-country="CAF">`, `<td data-call="trend"><strong>deteriorated</strong></td>`, "Middle Africa", "Review a call"} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	got := csrfValue.ReplaceAll([]byte(body), []byte(`name="csrf_token" value="CSRF"`))
	got = assetVersion.ReplaceAll(got, []byte(`?v=VERSION"`))
	golden(t, filepath.Join("testdata", "reports_monthly_CAF.golden.html"), got)

	for _, f := range report.Formats() {
		resp, body := getReport(t, analyst, page+"&format="+string(f))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != f.ContentType() || len(body) < 100 {
			t.Errorf("%s: status %d, %s, %d bytes", f, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if f == report.PDF && !strings.HasPrefix(body, "%PDF-") {
			t.Errorf("PDF starts %q", body[:min(8, len(body))])
		}
		if f != report.PDF && f != report.JSON && f != report.CSV && !strings.Contains(body, secret.Title) {
			t.Errorf("%s for the owner organisation lacks its case", f)
		}
	}
	if resp, _ := getReport(t, analyst, base+"/reports/monthly?month=2013-13&country=CAF"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad month: status %d, want 400", resp.StatusCode)
	}
	if resp, _ := getReport(t, analyst, base+"/reports/monthly?month=2013-12&region=Atlantis"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown region: status %d, want 400", resp.StatusCode)
	}

	partner := s.Client(t)
	s.SignIn(t, partner, auth.PartnerViewer)
	if resp, _ := getReport(t, partner, page); resp.StatusCode != http.StatusForbidden {
		t.Errorf("partner viewer: status %d, want 403", resp.StatusCode)
	}

	other := s.Client(t)
	s.SignInAs(t, other, webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer))
	for _, f := range []string{"", "html", "md", "json", "csv"} {
		u := page
		if f != "" {
			u += "&format=" + f
		}
		resp, body := getReport(t, other, u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("other organisation %s: status %d", f, resp.StatusCode)
		}
		if strings.Contains(body, secret.Title) || strings.Contains(body, "restricted tracker case") {
			t.Errorf("format %q for another organisation shows the restricted case", f)
		}
	}
	desk := s.Client(t)
	deskTok := s.SignIn(t, desk, auth.DeskOfficer).CSRF
	form := url.Values{"csrf_token": {deskTok}, "month": {"2013-12"}, "country": {"CAF"}, "trend": {"unchanged"}, "reason": {"synthetic"}}
	if resp, err := desk.PostForm(base+"/reports/monthly/override", form); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("desk officer's override: %v, %v; want 403", resp.StatusCode, err)
	}

	noRedirect := *analyst
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form = url.Values{"csrf_token": {tok}, "month": {"2013-12"}, "country": {"CAF"}, "trend": {"unchanged"}, "opportunity": {"1"}, "reason": {""}}
	if resp, err := noRedirect.PostForm(base+"/reports/monthly/override", form); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("override without a reason: %v, %v; want 400", resp.StatusCode, err)
	}
	form.Set("reason", "synthetic review: talks in Libreville")
	resp, err = noRedirect.PostForm(base+"/reports/monthly/override", form)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("override: %v, %v; want 303", resp.StatusCode, err)
	}
	_, body = getReport(t, analyst, page)
	for _, w := range []string{`<td data-call="trend"><strong>unchanged</strong></td>`, "Draft: deteriorated", "synthetic review: talks in Libreville", "analyst@example.org"} {
		if !strings.Contains(body, w) {
			t.Errorf("after the override the page lacks %q", w)
		}
	}
	recs, err := s.Audit.Latest(ctx, 5)
	found := false
	for _, r := range recs {
		found = found || r.Action == "tracker.override" && r.Actor == "analyst@example.org"
	}
	if err != nil || !found {
		t.Errorf("no tracker.override by the analyst in the audit log: %v", err)
	}
}
