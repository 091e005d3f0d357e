package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/web/webtest"
)

// TestRosterAccess checks who reads the roster pages: the keeper
// organisation's admins, analysts and desk officers see its people; a
// mediation expert only their own record (the synthetic mediator has no
// account, so none); partner viewers none of it; another organisation's
// desk sees none of its people and a record of them is a 404.
func TestRosterAccess(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	person := "/roster/" + strconv.FormatInt(site.Mediator.ID, 10)
	match := "/roster/match?case=" + strconv.FormatInt(fx.shared, 10) + "&match=1&skill=process-design&start=2026-01-05&days=10"
	tests := []struct {
		name          string
		email         string
		list          int
		listed        bool // the mediator is in the list
		record, match int
		request       bool // the match offers the request form
		nav           bool
	}{
		{"admin", webtest.Email(auth.Admin), 200, true, 200, 200, true, true},
		{"analyst", webtest.Email(auth.Analyst), 200, true, 200, 200, true, true},
		{"desk", webtest.Email(auth.DeskOfficer), 200, true, 200, 200, true, true},
		{"expert", webtest.Email(auth.MediationExpert), 200, false, 404, 403, false, true},
		{"partner-viewer", webtest.Email(auth.PartnerViewer), 403, false, 403, 403, false, false},
		{"partner-org desk", webtest.OrgEmail(webtest.PartnerOrg, auth.DeskOfficer), 200, false, 404, 200, false, true},
		{"other-org desk", webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer), 200, false, 404, 404, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			site.SignInAs(t, c, tt.email)
			p := get(t, c, site.URL+"/roster")
			p.want(t, "roster", tt.list)
			if got := strings.Contains(p.body, webtest.MediatorName); got != tt.listed {
				t.Errorf("the roster lists the mediator: %v, want %v", got, tt.listed)
			}
			r := get(t, c, site.URL+person)
			r.want(t, "person", tt.record)
			if tt.record != http.StatusOK && strings.Contains(r.body, webtest.MediatorName) {
				t.Errorf("the %d page names the mediator", tt.record)
			}
			m := get(t, c, site.URL+match)
			m.want(t, "match", tt.match)
			if got := strings.Contains(m.body, `id="request-`); got != tt.request {
				t.Errorf("the match offers requests: %v, want %v", got, tt.request)
			}
			home := get(t, c, site.URL+"/cases")
			if got := strings.Contains(home.body, `<a href="/roster"`); got != tt.nav {
				t.Errorf("the navigation links to the roster: %v, want %v", got, tt.nav)
			}
		})
	}
}

// TestRosterFilters filters the roster by expertise, language with a
// level, region or country and availability in a window; bad values are
// reported and ignored.
func TestRosterFilters(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	ctx := context.Background()
	op := casework.Everyone("test")
	if _, err := site.Roster.Add(ctx, op, roster.Person{Name: "Synthetic Envoy Bruno", Kind: roster.Envoy, Org: webtest.Org,
		Expertise: []roster.Expertise{{Area: roster.Elections, Level: 2}}, Languages: []roster.Language{{Code: "es", Level: roster.C2}},
		Countries: []string{"COL"}}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	if _, err := site.Roster.RequestDeployment(ctx, op, roster.Deployment{PersonID: site.Mediator.ID, CaseID: fx.shared,
		Start: start, Days: 10}, ""); err != nil {
		t.Fatal(err)
	}
	c := site.Client(t)
	site.SignIn(t, c, auth.DeskOfficer)
	amina, bruno := webtest.MediatorName, "Synthetic Envoy Bruno"
	for _, tt := range []struct {
		query    string
		status   int
		has, not []string
	}{
		{"", 200, []string{amina, bruno}, nil},
		{"?area=process-design", 200, []string{amina}, []string{bruno}},
		{"?kind=envoy", 200, []string{bruno}, []string{amina}},
		{"?language=fr:C2", 200, []string{amina}, []string{bruno}}, // native is above C2
		{"?language=es", 200, []string{bruno}, []string{amina}},
		{"?region=Middle+Africa", 200, []string{amina}, []string{bruno}},
		{"?region=col", 200, []string{bruno}, []string{amina}},
		{"?from=2026-02-05&to=2026-02-06", 200, []string{bruno}, []string{amina}}, // Amina is held
		{"?from=2026-02-11&to=2026-02-20", 200, []string{amina, bruno}, nil},
		{"?kind=wizard&language=french!", 400, []string{amina, bruno, `is not envoy`, `is not a code such as fr`}, nil},
		{"?from=2026-03-01&to=2026-02-01", 400, []string{"is not a window"}, nil},
	} {
		p := get(t, c, site.URL+"/roster"+tt.query)
		p.want(t, "roster"+tt.query, tt.status, tt.has...)
		for _, s := range tt.not {
			if strings.Contains(p.body, s) {
				t.Errorf("roster%s lists %s", tt.query, s)
			}
		}
	}
	// The person page shows the deployment in the calendar and the history.
	p := get(t, c, site.URL+"/roster/"+strconv.FormatInt(site.Mediator.ID, 10))
	p.want(t, "person", http.StatusOK, `id="calendar"`, `class="cal-on-deployment" title="Sun 1 Feb 2026: on-deployment`,
		`data-status="requested"`, `case #`+strconv.FormatInt(fx.shared, 10))
}

// TestRosterGolden renders the roster, a person and a match as the owner
// organisation's desk officer sees them, against
// testdata/<name>.golden.html (regenerate with go test ./internal/web
// -update).
func TestRosterGolden(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	ctx := context.Background()
	if _, err := site.Roster.RequestDeployment(ctx, casework.Everyone("test"), roster.Deployment{PersonID: site.Mediator.ID,
		CaseID: fx.shared, Start: webtest.Now.AddDate(0, 0, 10), Days: 14, Role: "Synthetic process adviser"}, ""); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path string }{
		{"roster", "/roster"},
		{"person", "/roster/" + strconv.FormatInt(site.Mediator.ID, 10)},
		{"roster_match", "/roster/match?case=" + strconv.FormatInt(fx.shared, 10) + "&match=1&skill=process-design&skill=elections&languages=fr&start=2026-01-05&days=10"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			site.SignIn(t, c, auth.DeskOfficer)
			p := get(t, c, site.URL+tt.path)
			p.want(t, tt.path, http.StatusOK)
			got := csrfValue.ReplaceAllString(p.body, `name="csrf_token" value="CSRF"`)
			got = assetVersion.ReplaceAllString(got, `?v=VERSION"`)
			golden(t, "testdata/"+tt.name+".golden.html", []byte(got))
		})
	}
}
