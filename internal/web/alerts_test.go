package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/geo"
	"threshold/internal/rules"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/store"
	"threshold/internal/web"
	"threshold/internal/web/webtest"
)

// The alerts webtest.Rules open on the real CAR data as of
// webtest.AlertsAsOf, in the order the manager opens them.
const (
	risingCAF   = 1 // violence-rising-country, CAF
	surgeBangui = 2 // fatalities-surge-admin1, Bangui province
	massBangui  = 3 // mass-fatalities-admin1, Bangui province, critical
	surgeOuham  = 4 // fatalities-surge-admin1, Ouham-Pendé province
	massOuham   = 5 // mass-fatalities-admin1, Ouham-Pendé province, critical
)

func alertPath(id int64, action string) string {
	p := "/alerts/" + strconv.FormatInt(id, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}

// TestAlertSiteData pins the alerts the other tests rely on: the verdicts
// of webtest.Rules on the real data for December 2013.
func TestAlertSiteData(t *testing.T) {
	site := webtest.StartAlerts(t)
	want := []struct {
		id       int64
		rule     string
		place    string
		severity alert.Severity
	}{
		{risingCAF, "violence-rising-country", "CAF", alert.Warning},
		{surgeBangui, "fatalities-surge-admin1", "CAF / Bangui province", alert.Warning},
		{massBangui, "mass-fatalities-admin1", "CAF / Bangui province", alert.Critical},
		{surgeOuham, "fatalities-surge-admin1", "CAF / Ouham-Pendé province", alert.Warning},
		{massOuham, "mass-fatalities-admin1", "CAF / Ouham-Pendé province", alert.Critical},
	}
	if len(site.Opened) != len(want) {
		t.Fatalf("webtest.Rules opened %d alerts, want %d", len(site.Opened), len(want))
	}
	for i, w := range want {
		a := site.Opened[i]
		if a.ID != w.id || a.Rule != w.rule || a.Place() != w.place || a.Severity != w.severity {
			t.Errorf("alert %d is %d %s %s %s, want %d %s %s %s", i, a.ID, a.Rule, a.Place(), a.Severity, w.id, w.rule, w.place, w.severity)
		}
		if len(a.Evidence) == 0 || len(a.Events) == 0 {
			t.Errorf("alert %d has %d evidence points and %d events, want some of each", a.ID, len(a.Evidence), len(a.Events))
		}
	}
}

func TestAlertInbox(t *testing.T) {
	site := webtest.StartAlerts(t)
	c := site.Client(t)
	site.SignIn(t, c, auth.DeskOfficer)
	tests := []struct {
		name        string
		query       string
		status      int
		contains    []string
		notContains []string
	}{
		{"open by default", "", http.StatusOK, []string{
			"<strong>5</strong> alerts in <strong>1</strong> country are open",
			`<a href="/countries/CAF">Central African Republic</a>`, "5 shown, 5 open",
			`<a href="/alerts/3">100 or more deaths in an area in a month: fatalities 1,023 in Bangui province`,
			"CAF / Ouham-Pendé province", "20 Nov 2025 09:30 UTC", `action="/alerts/1/acknowledge"`, `action="/alerts/1/dismiss"`,
			`<a href="/alerts" aria-current="page">Alerts</a>`,
		}, nil},
		{"critical", "?severity=critical", http.StatusOK, []string{"<strong>2</strong> alerts", "match the filter",
			`<option value="critical" selected>`, "Clear filters"}, []string{`href="/alerts/1"`, `href="/alerts/2"`}},
		{"rule", "?rule=fatalities-surge-admin1", http.StatusOK, []string{`href="/alerts/2"`, `href="/alerts/4"`},
			[]string{`href="/alerts/3"`}},
		{"country in lower case", "?country=caf", http.StatusOK, []string{"<strong>5</strong> alerts", `value="CAF"`}, nil},
		{"another country", "?country=MLI", http.StatusOK, []string{"No alerts match this filter."}, []string{"<table"}},
		{"resolved", "?state=resolved", http.StatusOK, []string{"No alerts match this filter.", `<option value="resolved" selected>`}, nil},
		{"nobody assigned", "?assignee=analyst@example.org", http.StatusOK, []string{"No alerts match this filter."}, nil},
		{"bad filters", "?state=closed&severity=high&country=C4F", http.StatusBadRequest, []string{`role="alert"`,
			"State: &#34;closed&#34; is not a state", "Severity: &#34;high&#34; is not a severity", "Country: &#34;C4F&#34;",
			"<strong>5</strong> alerts"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := get(t, c, site.URL+"/alerts"+tt.query)
			p.want(t, tt.name, tt.status, tt.contains...)
			for _, s := range tt.notContains {
				if strings.Contains(p.body, s) {
					t.Errorf("%s: page holds %q", tt.name, s)
				}
			}
		})
	}
}

// TestAlertLifecycleForms acts on alerts from the inbox and the detail
// page as a desk officer and an analyst, through every transition.
func TestAlertLifecycleForms(t *testing.T) {
	site := webtest.StartAlerts(t)
	desk := site.Client(t)
	tok := site.SignIn(t, desk, auth.DeskOfficer).CSRF
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {tok}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	u := func(id int64, action string) string { return site.URL + alertPath(id, action) }

	// Acknowledge from the inbox, which the browser returns to.
	post(t, desk, u(risingCAF, "acknowledge"), form("back", "/alerts?severity=warning")).
		wantRedirect(t, "acknowledge", "/alerts?alert=1&done=acknowledge&severity=warning#alert-1")
	p := get(t, desk, site.URL+"/alerts?alert=1&done=acknowledge&severity=warning")
	p.want(t, "after acknowledging", http.StatusOK, "Alert 1 acknowledged.", `<tr id="alert-1" data-state="acknowledged">`)
	if strings.Contains(p.body, `action="/alerts/1/acknowledge"`) {
		t.Errorf("an acknowledged alert still offers to be acknowledged")
	}
	post(t, desk, u(risingCAF, "acknowledge"), form()).want(t, "acknowledge twice", http.StatusConflict,
		"Alert 1 is acknowledged now, so it cannot be acknowledged.")

	// Dismissing needs a reason; the reason goes in the history.
	post(t, desk, u(surgeBangui, "dismiss"), form("back", "/alerts", "text", "  ")).want(t, "dismiss without reason",
		http.StatusBadRequest, "a dismissal needs a reason")
	post(t, desk, u(surgeBangui, "dismiss"), form("back", "/alerts", "text", "Synthetic test reason: covered by alert 3.")).
		wantRedirect(t, "dismiss", "/alerts?alert=2&done=dismiss#alert-2")
	get(t, desk, site.URL+"/alerts?state=dismissed").want(t, "dismissed", http.StatusOK, `<tr id="alert-2" data-state="dismissed">`)

	// Assigning: only to an active user who can read alerts.
	post(t, desk, u(massBangui, "assign"), form("assignee", "partner-viewer@example.org")).want(t, "assign to a partner",
		http.StatusBadRequest, "not an active user who can read alerts")
	post(t, desk, u(massBangui, "assign"), form("assignee", "not an email")).want(t, "assign to garbage",
		http.StatusBadRequest, "is not an email address")
	post(t, desk, u(massBangui, "assign"), form("assignee", "Analyst@Example.org")).
		wantRedirect(t, "assign", "/alerts/3?alert=3&done=assign")
	get(t, desk, site.URL+"/alerts?assignee=analyst@example.org").want(t, "assigned", http.StatusOK, `href="/alerts/3"`, "<strong>1</strong> alert in")
	post(t, desk, u(massBangui, "assign"), form("assignee", "")).wantRedirect(t, "unassign", "/alerts/3?alert=3&done=unassign")

	// Action from the detail page, then resolve.
	post(t, desk, u(massBangui, "action"), form("text", "")).want(t, "action without a note", http.StatusBadRequest, "Say what was done")
	post(t, desk, u(massBangui, "action"), form("text", "Synthetic test note: desk briefed the envoy.", "back", "https://evil.example/")).
		wantRedirect(t, "action", "/alerts/3?alert=3&done=action")
	post(t, desk, u(massBangui, "resolve"), form("text", "closed by the test")).wantRedirect(t, "resolve", "/alerts/3?alert=3&done=resolve")
	p = get(t, desk, site.URL+"/alerts/3?alert=3&done=resolve")
	p.want(t, "resolved detail", http.StatusOK, "Alert 3 resolved.", `<span class="state state-resolved" id="alert-state">resolved</span>`,
		"<th scope=\"row\">Assigned</th><td>firing</td><td>desk-officer@example.org</td><td>assigned to analyst@example.org</td>",
		"<td>unassigned from analyst@example.org</td>",
		"<th scope=\"row\">Actioned</th><td>firing → actioned</td><td>desk-officer@example.org</td><td>Synthetic test note: desk briefed the envoy.</td>",
		"<th scope=\"row\">Resolved</th><td>actioned → resolved</td><td>desk-officer@example.org</td><td>closed by the test</td>")
	if strings.Contains(p.body, `id="decide-title"`) {
		t.Errorf("a resolved alert offers changes")
	}
	post(t, desk, u(massBangui, "dismiss"), form("text", "too late")).want(t, "dismiss a resolved alert", http.StatusConflict,
		"Alert 3 is resolved now")

	// Refusals: an unknown alert, no anti-forgery token, a partner.
	post(t, desk, u(424242, "acknowledge"), form()).want(t, "unknown alert", http.StatusNotFound)
	post(t, desk, site.URL+"/alerts/x/acknowledge", form()).want(t, "bad id", http.StatusNotFound)
	post(t, desk, u(surgeOuham, "acknowledge"), url.Values{}).want(t, "no CSRF token", http.StatusForbidden)
	partner := site.Client(t)
	ptok := site.SignIn(t, partner, auth.PartnerViewer).CSRF
	post(t, partner, u(surgeOuham, "acknowledge"), url.Values{"csrf_token": {ptok}}).want(t, "partner", http.StatusForbidden, "Access denied")

	// Every change is in the audit log, by the person who made it.
	changes := map[string]int{}
	err := site.DB.AuditRecords(context.Background(), func(r audit.Record) error {
		if strings.HasPrefix(r.Action, "alert.") && r.Actor == "desk-officer@example.org" {
			changes[r.Action]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) < 4 {
		t.Errorf("audit log holds the desk officer's alert changes %v, want acknowledge, dismiss, assign, action, resolve", changes)
	}
}

func TestAlertDetail(t *testing.T) {
	site := webtest.StartAlerts(t)
	ctx := context.Background()
	// The rules that raised the alerts, and a synthetic delivery log
	// entry, as the notifier writes them.
	saveRules(t, site)
	if _, err := site.DB.AppendDelivery(ctx, syntheticDelivery(massBangui)); err != nil {
		t.Fatal(err)
	}
	c := site.Client(t)
	site.SignIn(t, c, auth.Analyst)
	p := get(t, c, site.URL+alertPath(massBangui, ""))
	p.want(t, "detail", http.StatusOK,
		"<h1>100 or more deaths in an area in a month: fatalities 1,023 in Bangui province (Central African Republic)</h1>",
		`<a href="/countries/CAF">Central African Republic</a> / Bangui province`,
		`<a href="/rules#rule-mass-fatalities-admin1">mass-fatalities-admin1</a>: 100 or more deaths in an area in a month`,
		"fatalities_best &gt;= 100 in the month", "rules version webtest-1", "1 Dec 2013 – 31 Dec 2013", "<dt>Score</dt><dd>1,023</dd>",
		// The evidence chart with the window shaded, and its table.
		`<svg class="chart evidence"`, `<rect class="window"`, `<rect class="in-window"`, "<title>2013-12: 1,023</title>",
		`<tr><th scope="row">2013-12</th><td class="num">1,023</td><td>yes</td></tr>`,
		// The triggering events, looked up by key.
		`<table class="events">`, "ucdp-ged ",
		// Routing, history and the delivery log.
		"<dt>Routed to</dt><dd>crisis-centre, africa-central-east-desk</dd>",
		"<th scope=\"row\">Opened</th><td>firing</td><td>system</td>",
		`<table class="deliveries">`, "webhook: https://desk.example.org/synthetic-hook", "HTTP 503",
		// The changes a firing alert allows.
		`action="/alerts/3/acknowledge"`, `action="/alerts/3/action"`, `action="/alerts/3/dismiss"`, `action="/alerts/3/assign"`)
	if strings.Contains(p.body, `action="/alerts/3/resolve"`) {
		t.Errorf("a firing alert offers to be resolved")
	}
	if n := strings.Count(p.body, `<td class="nowrap" data-label="Date">`); n == 0 {
		t.Errorf("no triggering event found by key")
	}
	get(t, c, site.URL+"/alerts/424242").want(t, "unknown", http.StatusNotFound, "Page not found")
	get(t, c, site.URL+"/alerts/abc").want(t, "bad id", http.StatusNotFound)

	// Reading an alert is recorded, as alerts are confidential.
	reads := 0
	err := site.DB.AuditRecords(ctx, func(r audit.Record) error {
		if r.Action == "read.confidential" && r.Object == "alert:3" && r.Actor == webtest.Email(auth.Analyst) {
			reads++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reads != 1 {
		t.Errorf("audit log has %d reads of alert 3, want 1", reads)
	}
}

func TestRulesPage(t *testing.T) {
	site := webtest.StartAlerts(t)
	ctx := context.Background()

	// Desk officers and analysts read the rules; only admins edit them.
	for _, role := range []auth.Role{auth.DeskOfficer, auth.Analyst} {
		c := site.Client(t)
		tok := site.SignIn(t, c, role).CSRF
		p := get(t, c, site.URL+"/rules")
		want := []string{"the default rules built into Threshold"}
		for _, r := range rules.Default().Rules {
			want = append(want, `<tr id="rule-`+r.ID+`">`)
		}
		p.want(t, string(role), http.StatusOK, want...)
		if strings.Contains(p.body, "<textarea") {
			t.Errorf("%s is offered the rules editor", role)
		}
		post(t, c, site.URL+"/rules", url.Values{"csrf_token": {tok}, "intent": {"save"}, "rules": {"version: x"}}).
			want(t, string(role)+" saves", http.StatusForbidden)
	}

	c := site.Client(t)
	tok := site.SignIn(t, c, auth.Admin).CSRF
	p := get(t, c, site.URL+"/rules")
	p.want(t, "admin", http.StatusOK, `<textarea id="rules-body" name="rules"`, "version: &#34;"+rules.Default().Version+"&#34;",
		"No version has been saved")

	bad := "version: \"synthetic-bad\"\nrules:\n  - id: coup\n    name: Coup\n    severity: urgent\n    coup: {}\n  - id: coup\n    name: Twice\n    severity: info\n    coup: {}\n"
	tests := []struct {
		name     string
		intent   string
		body     string
		status   int
		contains []string
	}{
		{"check bad", "check", bad, http.StatusUnprocessableEntity, []string{`id="rules-problems"`, "<strong>Line 5, column 15</strong>",
			"<code>rules[0].severity</code>", "<strong>Line 7", "synthetic-bad", `aria-invalid="true"`}},
		{"save bad", "save", bad, http.StatusUnprocessableEntity, []string{"The rules were not saved", "<strong>Line 5"}},
		{"not YAML", "save", "rules: [\n  - {id: x\n", http.StatusUnprocessableEntity, []string{"The rules were not saved", "Line "}},
		{"empty", "save", "  \n", http.StatusUnprocessableEntity, []string{"The rules file is empty."}},
		{"no button", "", bad, http.StatusBadRequest, []string{"Press Check or Save."}},
		{"check good", "check", syntheticRules, http.StatusOK, []string{`id="rules-checked"`,
			"No problems found: version &#34;synthetic-1&#34; with 1 rules. Nothing was saved."}},
	}
	for _, tt := range tests {
		post(t, c, site.URL+"/rules", url.Values{"csrf_token": {tok}, "intent": {tt.intent}, "rules": {tt.body}}).
			want(t, tt.name, tt.status, tt.contains...)
	}
	if h, err := site.DB.RulesHistory(ctx); err != nil || len(h) != 0 {
		t.Fatalf("after checks and bad saves the history holds %d versions (%v), want none", len(h), err)
	}

	// A good file is saved as a new version, active at once, and audited.
	post(t, c, site.URL+"/rules", url.Values{"csrf_token": {tok}, "intent": {"save"}, "rules": {strings.ReplaceAll(syntheticRules, "\n", "\r\n")}}).
		wantRedirect(t, "save good", "/rules?saved=1")
	get(t, c, site.URL+"/rules?saved=1").want(t, "saved", http.StatusOK, "Saved version 1 of the rules: it is now active.",
		"Active: version <strong>synthetic-1</strong>, saved by admin@example.org on 20 Nov 2025 09:30 UTC (saved version 1)",
		`<tr id="rule-synthetic-deaths">`, "fatalities_best &gt; 10 in each of 2 consecutive weeks", "only in CAF",
		`<span class="status on">Active</span>`, `href="/rules?edit=1#edit-title"`)
	v, err := site.DB.ActiveRules(ctx)
	if err != nil || v.Body != syntheticRules || v.Author != "admin@example.org" {
		t.Errorf("active rules %+v (%v), want the synthetic file by admin@example.org with Unix line ends", v, err)
	}
	saves := 0
	err = site.DB.AuditRecords(ctx, func(r audit.Record) error {
		if r.Action == "rules.save" && r.Object == "rules:1" && r.Actor == "admin@example.org" {
			saves++
		}
		return nil
	})
	if err != nil || saves != 1 {
		t.Errorf("audit log has %d saves of rules:1 (%v), want 1", saves, err)
	}
	get(t, c, site.URL+"/rules?edit=1").want(t, "load a version", http.StatusOK, "The editor holds saved version 1.")
	get(t, c, site.URL+"/rules?edit=99").want(t, "load an unknown version", http.StatusNotFound)
}

// syntheticRules is a valid synthetic rules file.
const syntheticRules = `version: "synthetic-1"
rules:
  - id: synthetic-deaths
    name: Synthetic weekly deaths
    severity: warning
    scope: [CAF]
    period: week
    indicator: {name: fatalities_best, op: ">", value: 10, for: 2}
`

func TestSilencesPage(t *testing.T) {
	site := webtest.StartAlerts(t)
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.Analyst).CSRF
	get(t, c, site.URL+"/silences").want(t, "empty", http.StatusOK, "No silence is active", `<form method="post" action="/silences"`,
		`name="ends" value="2025-11-27T09:30"`)

	add := func(kv ...string) url.Values {
		v := url.Values{"csrf_token": {tok}, "ends": {"2025-12-31T18:00"}, "comment": {"Synthetic test silence: followed by the desk."}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name     string
		form     url.Values
		contains []string
	}{
		{"no matcher", add(), []string{"Give at least one of rule, country"}},
		{"bad country", add("country", "XYZ"), []string{"Give an ISO 3166-1 alpha-3 code", `id="country-error"`}},
		{"bad severity", add("country", "CAF", "severity", "urgent"), []string{"Choose a severity."}},
		{"past end", add("country", "CAF", "ends", "2024-01-01T00:00"), []string{"The end must be in the future."}},
		{"bad end", add("country", "CAF", "ends", "next week"), []string{"Give a date and time"}},
		{"no comment", add("country", "CAF", "comment", " "), []string{"Say why these alerts may be muted"}},
	}
	for _, tt := range tests {
		post(t, c, site.URL+"/silences", tt.form).want(t, tt.name, http.StatusUnprocessableEntity, append(tt.contains, `role="alert"`)...)
	}

	post(t, c, site.URL+"/silences", add("country", "caf", "rule", "spread-admin1", "severity", "warning")).
		wantRedirect(t, "add", "/silences?added=1")
	p := get(t, c, site.URL+"/silences?added=1")
	p.want(t, "added", http.StatusOK, "Added silence 1", `<tr id="silence-1">`, "rule = spread-admin1<br>country = CAF<br>severity = warning",
		"31 Dec 2025 18:00 UTC", "analyst@example.org", `action="/silences/1/expire"`, "No silence has expired.")
	post(t, c, site.URL+"/silences/1/expire", url.Values{"csrf_token": {tok}}).wantRedirect(t, "expire", "/silences?expired=1")
	p = get(t, c, site.URL+"/silences?expired=1")
	p.want(t, "expired", http.StatusOK, "Expired silence 1", "No silence is active", "expired early by analyst@example.org")
	post(t, c, site.URL+"/silences/1/expire", url.Values{"csrf_token": {tok}}).want(t, "expire twice", http.StatusBadRequest, "has already ended")
	post(t, c, site.URL+"/silences/77/expire", url.Values{"csrf_token": {tok}}).want(t, "expire unknown", http.StatusNotFound)

	// Desk officers see the silences but do not change them.
	d := site.Client(t)
	dtok := site.SignIn(t, d, auth.DeskOfficer).CSRF
	p = get(t, d, site.URL+"/silences")
	p.want(t, "desk officer", http.StatusOK, `<tr id="silence-1">`)
	if strings.Contains(p.body, `action="/silences"`) {
		t.Errorf("a desk officer is offered the add-silence form")
	}
	f := add("country", "CAF")
	f.Set("csrf_token", dtok)
	post(t, d, site.URL+"/silences", f).want(t, "desk officer adds", http.StatusForbidden)
}

// TestAlertPagesAccess walks the alert pages with every role through real
// sessions, and every alert route through the server's access matrix.
func TestAlertPagesAccess(t *testing.T) {
	site := webtest.StartAlerts(t)
	type want struct{ admin, analyst, desk, expert, partner int }
	ok, no := http.StatusOK, http.StatusForbidden
	seeOther := http.StatusSeeOther
	tests := []struct {
		method, path string
		form         url.Values
		want         want
	}{
		{"GET", "/alerts", nil, want{ok, ok, ok, no, no}},
		{"GET", "/alerts/5", nil, want{ok, ok, ok, no, no}},
		{"GET", "/rules", nil, want{ok, ok, ok, no, no}},
		{"GET", "/silences", nil, want{ok, ok, ok, no, no}},
		{"POST", "/alerts/5/assign", url.Values{"assignee": {""}}, want{seeOther, seeOther, seeOther, no, no}},
		{"POST", "/rules", url.Values{"intent": {"check"}, "rules": {syntheticRules}}, want{ok, no, no, no, no}},
		{"POST", "/silences", url.Values{}, want{http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, no, no, no}},
	}
	roles := []auth.Role{auth.Admin, auth.Analyst, auth.DeskOfficer, auth.MediationExpert, auth.PartnerViewer}
	clients := map[auth.Role]*http.Client{}
	tokens := map[auth.Role]string{}
	for _, r := range roles {
		clients[r] = site.Client(t)
		tokens[r] = site.SignIn(t, clients[r], r).CSRF
	}
	for _, tt := range tests {
		w := []int{tt.want.admin, tt.want.analyst, tt.want.desk, tt.want.expert, tt.want.partner}
		for i, r := range roles {
			var p page
			if tt.method == "GET" {
				p = get(t, clients[r], site.URL+tt.path)
			} else {
				f := url.Values{"csrf_token": {tokens[r]}}
				for k, v := range tt.form {
					f[k] = v
				}
				p = post(t, clients[r], site.URL+tt.path, f)
			}
			p.want(t, tt.method+" "+tt.path+" as "+string(r), w[i])
		}
		if tt.method == "GET" {
			get(t, site.Client(t), site.URL+tt.path).wantRedirect(t, "signed out "+tt.path, "/login?next="+url.QueryEscape(tt.path))
		}
	}
	// The navigation links to the inbox only for those who may open it.
	for _, r := range roles {
		linked := strings.Contains(get(t, clients[r], site.URL+"/").body, `<a href="/alerts"`)
		if want := r != auth.MediationExpert && r != auth.PartnerViewer; linked != want {
			t.Errorf("%s: navigation links to /alerts: %v, want %v", r, linked, want)
		}
	}

	routes := site.Routes(t)
	srv, err := server.New(server.Options{Routes: routes, Auth: servertest.Auth{}})
	if err != nil {
		t.Fatal(err)
	}
	var mine []server.Route
	for _, rt := range routes.All() {
		if strings.HasPrefix(rt.Pattern, "/alerts") || strings.HasPrefix(rt.Pattern, "/rules") || strings.HasPrefix(rt.Pattern, "/silences") {
			mine = append(mine, rt)
			for _, role := range rt.Policy.Roles() {
				if role == auth.PartnerViewer || role == auth.MediationExpert {
					t.Errorf("%s %s admits %s", rt.Method, rt.Pattern, role)
				}
			}
			if rt.Method == http.MethodPost && !rt.Policy.Write() {
				t.Errorf("%s %s: a read policy on a change", rt.Method, rt.Pattern)
			}
		}
	}
	if len(mine) != 12 {
		t.Errorf("the alert pages have %d routes, want 12", len(mine))
	}
	servertest.CheckAccess(t, srv, mine)
}

// TestAlertPagesGolden renders the alert pages against the real CAR
// alerts and compares them with testdata/<name>.golden.html (regenerate
// with go test ./internal/web -update).
func TestAlertPagesGolden(t *testing.T) {
	site := webtest.StartAlerts(t)
	tests := []struct {
		name   string
		role   auth.Role
		path   string
		status int
	}{
		{"alerts", auth.DeskOfficer, "/alerts", http.StatusOK},
		{"alert_3", auth.Analyst, "/alerts/3", http.StatusOK},
		{"rules_admin", auth.Admin, "/rules", http.StatusOK},
		{"silences", auth.Analyst, "/silences", http.StatusOK},
	}
	saveRules(t, site)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			site.SignIn(t, c, tt.role)
			p := get(t, c, site.URL+tt.path)
			if p.status != tt.status {
				t.Errorf("GET %s as %s: status %d, want %d", tt.path, tt.role, p.status, tt.status)
			}
			got := csrfValue.ReplaceAllString(p.body, `name="csrf_token" value="CSRF"`)
			got = assetVersion.ReplaceAllString(got, `?v=VERSION"`)
			golden(t, "testdata/"+tt.name+".golden.html", []byte(got))
		})
	}
}

// saveRules saves webtest.Rules, the rules the site's alerts come from,
// as the active rules, so that pages do not change with the default rules.
func saveRules(t *testing.T, site *webtest.AlertSite) {
	t.Helper()
	if _, err := site.DB.SaveRules(context.Background(), webtest.Rules, "webtest", webtest.Now); err != nil {
		t.Fatal(err)
	}
}

// syntheticDelivery is a synthetic failed attempt to deliver alert id to
// a webhook, as the notifier logs them.
func syntheticDelivery(id int64) store.Delivery {
	return store.Delivery{AlertID: id, DeliveryID: "synthetic-" + strconv.FormatInt(id, 10), Event: "firing",
		Receiver: "africa-central-east-desk", Channel: store.ChannelWebhook, Target: "https://desk.example.org/synthetic-hook",
		Attempt: 1, Status: store.DeliveryRetrying, HTTPStatus: http.StatusServiceUnavailable, Error: "synthetic: receiver down",
		At: webtest.Now}
}

// TestAlertPagesOptionalDeps: without a rules store, event lookup or
// delivery log the alert pages still work, with what they have; without
// an alert manager there are no alert pages; a rules store needs an audit
// log.
func TestAlertPagesOptionalDeps(t *testing.T) {
	site := webtest.StartAlerts(t)
	geoTable, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	base := web.Deps{Data: site.DB, Auth: site.Auth, Admin: site.Auth, Geo: geoTable, Now: func() time.Time { return webtest.Now }}
	register := func(d web.Deps) (*server.Routes, error) {
		routes := &server.Routes{}
		return routes, web.Register(routes, d)
	}
	patterns := func(rs *server.Routes) map[string]bool {
		m := map[string]bool{}
		for _, rt := range rs.All() {
			m[rt.Method+" "+rt.Pattern] = true
		}
		return m
	}

	rs, err := register(base)
	if err != nil {
		t.Fatal(err)
	}
	if p := patterns(rs); p["GET /alerts"] || p["GET /rules"] || p["GET /silences"] {
		t.Errorf("without Deps.Alerts and Deps.Rules the dashboard has alert pages: %v", p)
	}
	withRules := base
	withRules.Rules = site.DB
	if _, err := register(withRules); err == nil || !strings.Contains(err.Error(), "Deps.Audit") {
		t.Errorf("Deps.Rules without Deps.Audit: error %v, want one naming Deps.Audit", err)
	}

	alertsOnly := base
	alertsOnly.Alerts = site.Alerts
	rs, err = register(alertsOnly)
	if err != nil {
		t.Fatal(err)
	}
	if p := patterns(rs); !p["GET /alerts/{id}"] || !p["POST /silences"] || p["GET /rules"] {
		t.Errorf("with Deps.Alerts only, routes %v", p)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: servertest.Auth{}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", alertPath(massBangui, ""), nil)
	req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: servertest.Session(auth.Analyst)})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	p := page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	p.want(t, "detail with alerts only", http.StatusOK, "<dt>Rule</dt><dd>mass-fatalities-admin1<br><small>rules version webtest-1</small>",
		"Events by key: ucdp-ged:")
	for _, s := range []string{`href="/rules`, `id="deliveries-title"`, `<table class="events">`} {
		if strings.Contains(p.body, s) {
			t.Errorf("detail with alerts only holds %q", s)
		}
	}
}
