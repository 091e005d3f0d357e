package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/web/webtest"
)

// casePath is the address of case id, or of one of its forms.
func casePath(id int64, form string) string {
	p := "/cases/" + strconv.FormatInt(id, 10)
	if form != "" {
		p += "/" + form
	}
	return p
}

// TestCaseFromAlert walks the scenario through the forms, as a
// desk officer: open a case from a real CAR alert, log an envoy dispatch
// linked to it, and read the warning-to-action time on the case page; the
// alert is actioned and no longer among the unanswered warnings.
func TestCaseFromAlert(t *testing.T) {
	site := webtest.StartCases(t)
	ctx := context.Background()
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.DeskOfficer).CSRF

	// The alert offers to open a case; the form comes prefilled.
	get(t, c, site.URL+alertPath(massBangui, "")).want(t, "alert page", http.StatusOK, `id="casework-title"`,
		"No case you can see covers CAF / Bangui province.", `<a class="button" id="case-from-alert" href="/cases?alert=3#new-case">`)
	p := get(t, c, site.URL+"/cases?alert=3")
	p.want(t, "prefilled form", http.StatusOK, "No cases yet.", `<input type="hidden" name="from_alert" value="3">`,
		`name="title" value="100 or more deaths in an area in a month: fatalities 1,023 in Bangui province (Central African Republic)"`,
		`name="countries" value="CAF"`, `name="admin1" rows="2">Bangui province</textarea>`,
		`<input type="checkbox" name="shared_with" value="Synthetic Partner Org">`)
	if strings.Contains(p.body, `value="`+webtest.Org+`"`) {
		t.Errorf("the sharing list offers the user's own organisation")
	}

	// A refused form comes back with its values and the reason.
	bad := url.Values{"csrf_token": {tok}, "title": {"Synthetic test case"}, "countries": {"CAF, XYZ"},
		"confidentiality": {"internal"}, "status": {"monitoring"}, "from_alert": {"3"}}
	post(t, c, site.URL+"/cases", bad).want(t, "unknown country", http.StatusUnprocessableEntity, `id="case-form-error"`, "XYZ",
		`name="countries" value="CAF, XYZ"`, `<input type="hidden" name="from_alert" value="3">`)
	bad.Set("countries", "CAF, TCD")
	bad.Set("admin1", "Bangui province")
	post(t, c, site.URL+"/cases", bad).want(t, "area of which country", http.StatusUnprocessableEntity, "write it as ISO/Area")

	form := url.Values{"csrf_token": {tok}, "title": {"Synthetic test case: violence in Bangui, December 2013"},
		"countries": {"CAF"}, "admin1": {"Bangui province"}, "status": {"crisis"}, "lead_office": {"UNOCA Libreville"},
		"confidentiality": {"internal"}, "shared_with": {webtest.PartnerOrg}, "from_alert": {"3"}}
	post(t, c, site.URL+"/cases", form).wantRedirect(t, "create", "/cases/1?done=created&alert=3#log-action")
	p = get(t, c, site.URL+"/cases/1?done=created&alert=3")
	p.want(t, "new case", http.StatusOK, "Case opened.", "<h1>Synthetic test case: violence in Bangui, December 2013</h1>",
		`<a href="/countries/CAF">Central African Republic</a> / Bangui province`, "<dd>UNOCA Libreville</dd>",
		`<dd id="case-shared">Synthetic Partner Org</dd>`, "No action has been logged on this case.", `id="w2a-none"`,
		`<input type="checkbox" name="alert" value="3" id="link-alert-3" checked>`,
		`<input type="checkbox" name="alert" value="2" id="link-alert-2">`,
		`<input type="checkbox" name="alert" value="1" id="link-alert-1">`, // country-wide: it concerns Bangui too
		`<svg class="chart timeline"`, `<rect class="fatalities"`, `<a href="/alerts/3"><circle class="mark"`)
	if strings.Contains(p.body, `id="link-alert-4"`) {
		t.Errorf("the action form offers alert 4, of Ouham-Pendé, outside the case's places")
	}

	// Log an envoy dispatch, three days after the alert fired, linked to it.
	act := url.Values{"csrf_token": {tok}, "type": {"envoy-dispatch"}, "date": {"2025-11-23T09:30"},
		"actors": {"Synthetic envoy\nUNOCA Libreville"}, "partners": {"Synthetic regional organisation"}, "alert": {"3"},
		"outcome": {"Synthetic test outcome: meetings held in Bangui."}}
	post(t, c, site.URL+casePath(1, "actions"), act).wantRedirect(t, "log action", "/cases/1?done=action#action-1")
	p = get(t, c, site.URL+"/cases/1?done=action")
	p.want(t, "after the action", http.StatusOK, "Action logged.",
		`<tr id="action-1" data-type="envoy-dispatch">`, "<th scope=\"row\">envoy dispatch</th>",
		"Synthetic envoy, UNOCA Libreville<br><small>with Synthetic regional organisation</small>",
		`<a href="/alerts/3">#3</a>`, "Synthetic test outcome: meetings held in Bangui.",
		`Median <strong id="w2a-median">3 days</strong>`, `90th percentile <strong id="w2a-p90">3 days</strong>`,
		"over <strong>1</strong> answered alert", `<tr id="answered-3">`, `<td class="num">3 days</td>`,
		`<a href="#action-1"><circle class="mark"`)
	a, _, err := site.Alerts.Get(ctx, massBangui)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != alert.StateActioned || a.ActionedBy != webtest.Email(auth.DeskOfficer) {
		t.Errorf("alert 3 is %s by %q after the linked action, want actioned by the desk officer", a.State, a.ActionedBy)
	}

	// The inbox lists the warnings nobody answered, oldest first; alert 3
	// is no longer among them.
	p = get(t, c, site.URL+"/alerts?unanswered_days=0")
	p.want(t, "unanswered", http.StatusOK, "Unanswered warnings older than 0 days", `<li id="unanswered-1">`,
		`<li id="unanswered-2">`, `<li id="unanswered-4">`, `<li id="unanswered-5">`)
	if strings.Contains(p.body, `id="unanswered-3"`) {
		t.Errorf("the answered alert 3 is listed as unanswered")
	}
	get(t, c, site.URL+"/alerts").want(t, "unanswered, default age", http.StatusOK, "Unanswered warnings older than 14 days",
		"None: every warning older than that has an action or a decision.")

	// The alert page now lists the case, with a link to log another action.
	get(t, c, site.URL+alertPath(massBangui, "")).want(t, "alert with a case", http.StatusOK,
		`<a href="/cases/1">Synthetic test case: violence in Bangui, December 2013</a>`, `href="/cases/1?alert=3#log-action"`)

	// Status changes go to the history; a stale version is a conflict.
	post(t, c, site.URL+casePath(1, "status"), url.Values{"csrf_token": {tok}, "status": {"follow-through"},
		"note": {"Synthetic test note: talks agreed."}}).wantRedirect(t, "status", "/cases/1?done=status")
	get(t, c, site.URL+"/cases/1").want(t, "history", http.StatusOK, `<span class="case-status status-follow-through" id="case-status">follow through</span>`,
		"<td>crisis → follow through</td><td>desk-officer@example.org</td><td>Synthetic test note: talks agreed.</td>")
	post(t, c, site.URL+casePath(1, "status"), url.Values{"csrf_token": {tok}, "status": {"crisis"}, "version": {"1"}}).
		want(t, "stale version", http.StatusConflict, "changed by someone else")
	post(t, c, site.URL+casePath(1, "status"), url.Values{"csrf_token": {tok}, "status": {"over"}}).
		want(t, "bad status", http.StatusBadRequest, "choose one of the statuses")

	// Unsharing, audited.
	post(t, c, site.URL+casePath(1, "sharing"), url.Values{"csrf_token": {tok}}).wantRedirect(t, "unshare", "/cases/1?done=sharing")
	get(t, c, site.URL+"/cases/1").want(t, "unshared", http.StatusOK, `<dd id="case-shared"><span class="muted">nobody else</span></dd>`)
	unshares := 0
	err = site.DB.AuditRecords(ctx, func(r audit.Record) error {
		if r.Action == "case.unshare" && r.Object == "case:1" && r.Actor == webtest.Email(auth.DeskOfficer) {
			unshares++
		}
		return nil
	})
	if err != nil || unshares != 1 {
		t.Errorf("audit log has %d unsharings of case 1 (%v), want 1", unshares, err)
	}
}

// caseFixture opens, through casework, the synthetic cases of the access
// tests, as the test users of webtest.Org.
type caseFixture struct {
	shared, confidential, strict int64
}

func openCases(t *testing.T, site *webtest.CaseSite) caseFixture {
	t.Helper()
	ctx := context.Background()
	as := func(r auth.Role) casework.Viewer {
		_, p, err := site.Auth.Login(ctx, webtest.Email(r), webtest.Password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return casework.ViewerOf(p, "192.0.2.1")
	}
	open := func(v casework.Viewer, c casework.Case) int64 {
		t.Helper()
		got, err := site.Cases.Create(ctx, v, c)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	car := casework.PlacesOf([]string{"CAF"})
	return caseFixture{
		shared: open(as(auth.DeskOfficer), casework.Case{Title: "Synthetic shared case", Places: car,
			Confidentiality: casework.Internal, SharedWith: []string{webtest.PartnerOrg}}),
		confidential: open(as(auth.DeskOfficer), casework.Case{Title: "Synthetic confidential case", Places: car,
			Confidentiality: casework.Confidential}),
		strict: open(as(auth.Admin), casework.Case{Title: "Synthetic strictly confidential case", Places: car,
			Confidentiality: casework.StrictlyConfidential, SharedWith: []string{webtest.PartnerOrg}}),
	}
}

// TestCasePagesAccess checks the need-to-know rule on every case page for
// users of the owner organisation, of an organisation a case is shared
// with and of one never cleared: a case a user may not know of is a 404
// (never a 403), absent from the list and from search; changes are for
// the owner organisation's writers.
func TestCasePagesAccess(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	type user struct {
		name, email string
		readOnly    bool // a role that changes no case
	}
	users := []user{
		{"admin", webtest.Email(auth.Admin), false},
		{"analyst", webtest.Email(auth.Analyst), false},
		{"desk", webtest.Email(auth.DeskOfficer), false},
		{"expert", webtest.Email(auth.MediationExpert), true},
		{"partner-viewer", webtest.Email(auth.PartnerViewer), true},
		{"partner-org desk", webtest.OrgEmail(webtest.PartnerOrg, auth.DeskOfficer), false},
		{"partner-org viewer", webtest.OrgEmail(webtest.PartnerOrg, auth.PartnerViewer), true},
		{"other-org desk", webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer), false},
	}
	ok, nf := http.StatusOK, http.StatusNotFound
	// Who may read each case, in the order of users.
	reads := map[int64][]int{
		fx.shared:       {ok, ok, ok, ok, ok, ok, ok, nf},
		fx.confidential: {ok, ok, ok, nf, nf, nf, nf, nf},
		fx.strict:       {ok, nf, nf, nf, nf, nf, nf, nf}, // the admin who opened it is its staff
	}
	titles := map[int64]string{fx.shared: "Synthetic shared case", fx.confidential: "Synthetic confidential case",
		fx.strict: "Synthetic strictly confidential case"}
	for i, u := range users {
		c := site.Client(t)
		tok := site.SignInAs(t, c, u.email).CSRF
		list := get(t, c, site.URL+"/cases")
		search := get(t, c, site.URL+"/cases?q=synthetic+case&country=CAF")
		list.want(t, u.name+" list", ok)
		search.want(t, u.name+" search", ok)
		seen := 0
		for _, id := range []int64{fx.shared, fx.confidential, fx.strict} {
			want := reads[id][i]
			p := get(t, c, site.URL+casePath(id, ""))
			p.want(t, u.name+" reads "+titles[id], want)
			if want == nf && strings.Contains(p.body, titles[id]) {
				t.Errorf("%s: the 404 for case %d names it", u.name, id)
			}
			if want == ok {
				seen++
			}
			for what, pg := range map[string]page{"list": list, "search": search} {
				if listed := strings.Contains(pg.body, `<tr id="case-`+strconv.FormatInt(id, 10)+`"`); listed != (want == ok) {
					t.Errorf("%s: the %s lists case %d: %v, want %v", u.name, what, id, listed, want == ok)
				}
			}
			// Logging an action on a case one may not know of is the same
			// 404; roles that write nothing are refused (403) alike for
			// every case, so that tells them nothing either.
			f := url.Values{"csrf_token": {tok}, "type": {"statement"}, "date": {"2025-11-21T10:00"}}
			ap := post(t, c, site.URL+casePath(id, "actions"), f)
			switch {
			case u.readOnly && ap.status != http.StatusForbidden:
				t.Errorf("%s: logging an action on case %d: status %d, want 403", u.name, id, ap.status)
			case u.readOnly:
			case want == nf && ap.status != nf:
				t.Errorf("%s: logging an action on unseen case %d: status %d, want 404", u.name, id, ap.status)
			case want == ok && ap.status == nf:
				t.Errorf("%s: logging an action on case %d it sees: 404", u.name, id)
			}
		}
		if want := "<strong>" + strconv.Itoa(seen) + "</strong> case"; seen > 0 && !strings.Contains(list.body, want) {
			t.Errorf("%s: the list does not count %d cases", u.name, seen)
		}
	}

	// Changing a case is for the owner organisation's writers: the partner
	// organisation's desk sees the shared case but may not change it, and
	// is not offered the forms.
	c := site.Client(t)
	tok := site.SignInAs(t, c, webtest.OrgEmail(webtest.PartnerOrg, auth.DeskOfficer)).CSRF
	p := get(t, c, site.URL+casePath(fx.shared, ""))
	p.want(t, "partner desk", ok, `id="action-form"`)
	if strings.Contains(p.body, `id="sharing-form"`) || strings.Contains(p.body, `id="status-form"`) {
		t.Errorf("the partner organisation's desk is offered to change the owner's case")
	}
	post(t, c, site.URL+casePath(fx.shared, "status"), url.Values{"csrf_token": {tok}, "status": {"crisis"}}).
		want(t, "partner desk changes status", http.StatusForbidden)
	post(t, c, site.URL+casePath(fx.shared, "sharing"), url.Values{"csrf_token": {tok}}).
		want(t, "partner desk unshares", http.StatusForbidden)
	// A partner viewer reads but does not write, and sees no alerts.
	pv := site.Client(t)
	pvtok := site.SignInAs(t, pv, webtest.OrgEmail(webtest.PartnerOrg, auth.PartnerViewer)).CSRF
	p = get(t, pv, site.URL+casePath(fx.shared, ""))
	for _, s := range []string{`id="action-form"`, `id="warning-to-action"`, `href="/alerts/`, `id="new-case"`} {
		if strings.Contains(p.body, s) {
			t.Errorf("a partner viewer's case page holds %q", s)
		}
	}
	post(t, pv, site.URL+"/cases", url.Values{"csrf_token": {pvtok}, "title": {"x"}}).want(t, "partner viewer creates", http.StatusForbidden)

	// Every read of a confidential case is audited, by case id.
	audited := map[string]bool{}
	err := site.DB.AuditRecords(context.Background(), func(r audit.Record) error {
		if r.Action == "read.confidential" && strings.HasPrefix(r.Object, "case") {
			audited[r.Actor] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{webtest.Email(auth.Admin), webtest.Email(auth.Analyst), webtest.Email(auth.DeskOfficer)} {
		if !audited[u] {
			t.Errorf("no read.confidential of a case by %s in the audit log", u)
		}
	}
	for _, u := range []string{webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer), webtest.Email(auth.PartnerViewer)} {
		if audited[u] {
			t.Errorf("%s, who sees no confidential case, is audited as reading one", u)
		}
	}
}

// TestCaseRoutes checks the case routes' policies through the server's
// access matrix: every role reads, only writers change, and every change
// needs a write policy.
func TestCaseRoutes(t *testing.T) {
	site := webtest.StartCases(t)
	routes := site.Routes(t)
	srv, err := server.New(server.Options{Routes: routes, Auth: servertest.Auth{}})
	if err != nil {
		t.Fatal(err)
	}
	var mine []server.Route
	for _, rt := range routes.All() {
		if !strings.HasPrefix(rt.Pattern, "/cases") {
			continue
		}
		mine = append(mine, rt)
		if rt.Method == http.MethodPost {
			if !rt.Policy.Write() {
				t.Errorf("%s %s: a read policy on a change", rt.Method, rt.Pattern)
			}
			for _, role := range rt.Policy.Roles() {
				if role == auth.PartnerViewer || role == auth.MediationExpert {
					t.Errorf("%s %s admits %s", rt.Method, rt.Pattern, role)
				}
			}
		} else if len(rt.Policy.Roles()) != len(auth.Roles()) {
			t.Errorf("%s %s admits %v, want every role", rt.Method, rt.Pattern, rt.Policy.Roles())
		}
	}
	// 6 of casework, 4 of mobilisation (deployments requested, approved,
	// rejected; fund allocations).
	if len(mine) != 10 {
		t.Errorf("the case pages have %d routes, want 10", len(mine))
	}
	servertest.CheckAccess(t, srv, mine)

	// The navigation links to the cases for every role.
	for _, r := range auth.Roles() {
		c := site.Client(t)
		site.SignIn(t, c, r)
		if !strings.Contains(get(t, c, site.URL+"/").body, `<a href="/cases"`) {
			t.Errorf("%s: the navigation does not link to /cases", r)
		}
	}
}

// TestCasePagesGolden renders the case pages after the scenario of
// TestCaseFromAlert, done through casework, and compares them with
// testdata/<name>.golden.html (regenerate with go test ./internal/web
// -update).
func TestCasePagesGolden(t *testing.T) {
	site := webtest.StartCases(t)
	saveRules(t, site.AlertSite)
	ctx := context.Background()
	_, p, err := site.Auth.Login(ctx, webtest.Email(auth.DeskOfficer), webtest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	v := casework.ViewerOf(p, "192.0.2.1")
	c, err := site.Cases.Create(ctx, v, casework.Case{Title: "Synthetic test case: violence in Bangui, December 2013",
		Places: casework.PlacesOf([]string{"CAF/Bangui province"}), Status: casework.Crisis, LeadOffice: "UNOCA Libreville",
		Confidentiality: casework.Internal, SharedWith: []string{webtest.PartnerOrg}})
	if err != nil {
		t.Fatal(err)
	}
	at := webtest.Now.AddDate(0, 0, 3)
	if _, err := site.Cases.AddAction(ctx, v, c.ID, casework.Action{Type: casework.EnvoyDispatch, At: at,
		Actors: []string{"Synthetic envoy"}, Alerts: []int64{massBangui}, Outcome: "Synthetic test outcome."}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		role auth.Role
		path string
	}{
		{"cases", auth.DeskOfficer, "/cases"},
		{"case_1", auth.DeskOfficer, "/cases/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := site.Client(t)
			site.SignIn(t, cl, tt.role)
			pg := get(t, cl, site.URL+tt.path)
			if pg.status != http.StatusOK {
				t.Errorf("GET %s as %s: status %d", tt.path, tt.role, pg.status)
			}
			got := csrfValue.ReplaceAllString(pg.body, `name="csrf_token" value="CSRF"`)
			got = assetVersion.ReplaceAllString(got, `?v=VERSION"`)
			golden(t, "testdata/"+tt.name+".golden.html", []byte(got))
		})
	}
}

// TestCasesListFilters filters the list of a desk officer of the owner
// organisation by words, status, country and confidentiality; bad values
// are reported and ignored.
func TestCasesListFilters(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	c := site.Client(t)
	site.SignIn(t, c, auth.DeskOfficer)
	row := func(id int64) string { return `<tr id="case-` + strconv.FormatInt(id, 10) + `"` }
	tests := []struct {
		name     string
		query    string
		status   int
		want     []int64
		contains []string
	}{
		{"all", "", http.StatusOK, []int64{fx.shared, fx.confidential}, []string{"<strong>2</strong> cases, newest first"}},
		{"words", "?q=SYNTHETIC+shared", http.StatusOK, []int64{fx.shared}, []string{"match the filter", `value="SYNTHETIC shared"`}},
		{"no match", "?q=nothing+like+it", http.StatusOK, nil, []string{"No cases match this filter."}},
		{"status", "?status=monitoring", http.StatusOK, []int64{fx.shared, fx.confidential}, []string{`<option value="monitoring" selected>`}},
		{"other status", "?status=crisis", http.StatusOK, nil, nil},
		{"country", "?country=caf", http.StatusOK, []int64{fx.shared, fx.confidential}, []string{`value="CAF"`}},
		{"other country", "?country=TCD", http.StatusOK, nil, nil},
		{"confidentiality", "?confidentiality=confidential", http.StatusOK, []int64{fx.confidential}, nil},
		// The desk officer is not cleared for the strictly confidential case:
		// filtering on its level finds nothing.
		{"above clearance", "?confidentiality=strictly-confidential", http.StatusOK, nil, []string{"No cases match this filter."}},
		{"bad values", "?status=open&country=C4F&confidentiality=secret", http.StatusBadRequest, []int64{fx.shared, fx.confidential},
			[]string{`role="alert"`, "Status: &#34;open&#34; is not a status", "Country: &#34;C4F&#34;", "Confidentiality: &#34;secret&#34;"}},
	}
	for _, tt := range tests {
		p := get(t, c, site.URL+"/cases"+tt.query)
		p.want(t, tt.name, tt.status, tt.contains...)
		for _, id := range []int64{fx.shared, fx.confidential, fx.strict} {
			want := false
			for _, w := range tt.want {
				want = want || w == id
			}
			if got := strings.Contains(p.body, row(id)); got != want {
				t.Errorf("%s: case %d listed %v, want %v", tt.name, id, got, want)
			}
		}
	}

	// A role that may not read alerts gets no form, and nothing of an alert
	// named in the address.
	pv := site.Client(t)
	site.SignIn(t, pv, auth.PartnerViewer)
	p := get(t, pv, site.URL+"/cases?alert=3")
	p.want(t, "partner viewer, alert in the address", http.StatusOK)
	for _, s := range []string{`id="new-case"`, "Bangui", "from_alert"} {
		if strings.Contains(p.body, s) {
			t.Errorf("a partner viewer's case list holds %q", s)
		}
	}
}
