package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// orgAuth is an authenticator whose bearer tokens are users of several
// organisations, for the need-to-know tests.
type orgAuth map[string]auth.Principal

func (orgAuth) SessionPrincipal(context.Context, string) (*auth.Principal, error) {
	return nil, auth.ErrUnauthorized
}

func (m orgAuth) TokenPrincipal(_ context.Context, bearer string) (*auth.Principal, error) {
	p, ok := m[bearer]
	if !ok {
		return nil, auth.ErrUnauthorized
	}
	return &p, nil
}

func (orgAuth) CheckCSRF(*auth.Principal, string) error { return auth.ErrForbidden }

// casesFixture serves the API with casework over a fresh SQLite database
// holding three synthetic organisations, a user of each role in each
// (token "<org>-<role>", e.g. "un-desk-officer"), and one synthetic
// alert.
type casesFixture struct {
	h      http.Handler
	db     *store.DB
	log    *audit.Log
	alerts *alert.Manager
	alert  alert.Alert
}

func newCasesFixture(t *testing.T) casesFixture {
	t.Helper()
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := audit.New(db, clock)
	m, err := alert.NewManager(alert.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Process(ctx, []alert.Firing{{Rule: "fatalities-surge", Country: "COD", Admin1: "Nord-Kivu", Severity: alert.Warning,
		Window: alert.Window{Start: now.AddDate(0, -1, 0), End: now}, Title: "synthetic surge in Nord-Kivu",
		Explanation: "synthetic explanation"}}, alert.Evaluated{}, now.Add(-72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tokens := orgAuth{}
	for _, o := range []struct{ key, name string }{{"un", "Synthetic UN"}, {"au", "Synthetic AU"}, {"out", "Synthetic Outsider"}} {
		org, err := db.AddOrg(ctx, o.name, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range auth.Roles() {
			tokens[o.key+"-"+string(r)] = auth.Principal{UserID: org.ID*100 + servertest.UserID(r),
				Email: string(r) + "@" + o.key + ".example", OrgID: org.ID, OrgName: org.Name, Role: r, Via: "token", Scope: auth.ScopeWrite}
		}
	}
	svc, err := casework.New(casework.Options{Store: db, Alerts: m, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	rs := &server.Routes{}
	met := server.NewMetrics()
	if _, err := Register(rs, Deps{Store: db, Metrics: met, Cases: svc, Alerts: m, Audit: log, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: tokens, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	return casesFixture{h: srv, db: db, log: log, alerts: m, alert: res.Opened[0]}
}

func (f casesFixture) do(t *testing.T, token, method, path, body string) (int, string) {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if method == http.MethodPatch && strings.Contains(body, "lead_office") {
			r.Header.Set("Content-Type", "application/merge-patch+json")
		}
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// create opens a case as token and returns its id.
func (f casesFixture) create(t *testing.T, token, body string) int64 {
	t.Helper()
	code, resp := f.do(t, token, "POST", Prefix+"/cases", body)
	if code != http.StatusCreated {
		t.Fatalf("create case: %d %s", code, resp)
	}
	var c struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(resp), &c); err != nil || c.ID == 0 {
		t.Fatalf("create case: no id in %s (%v)", resp, err)
	}
	return c.ID
}

// TestCasesNeedToKnow tries, for every endpoint and export, to read or
// infer a case from callers who are not cleared for it: nothing leaks.
func TestCasesNeedToKnow(t *testing.T) {
	f := newCasesFixture(t)
	// A confidential case of the UN shared with the AU, with an action
	// answering the alert; and a strictly confidential one shared with
	// nobody.
	kivu := f.create(t, "un-desk-officer", `{"title":"Synthetic Kivu corridor watch","countries":["COD","RWA"],
		"confidentiality":"confidential","shared_with":["Synthetic AU"],"lead_office":"Synthetic Great Lakes office"}`)
	code, body := f.do(t, "un-desk-officer", "POST", fmt.Sprintf(Prefix+"/cases/%d/actions", kivu),
		fmt.Sprintf(`{"type":"envoy-dispatch","date":"2024-03-05","actors":["synthetic envoy"],"alert_ids":[%d],
		"outcome":"synthetic Kivu outcome"}`, f.alert.ID))
	if code != http.StatusCreated {
		t.Fatalf("log action: %d %s", code, body)
	}
	secret := f.create(t, "un-admin", `{"title":"Synthetic Kivu back channel","countries":["COD"],
		"confidentiality":"strictly-confidential","shared_with":[]}`)

	type probe struct {
		method, path, body string
		wantStatus         int // the status for a caller who may not know the case; 0: 200
	}
	probes := func(id int64) []probe {
		p := func(format string) string { return fmt.Sprintf(Prefix+format, id) }
		return []probe{
			{"GET", p("/cases/%d"), "", 404},
			{"GET", p("/cases/%d?format=csv"), "", 404},
			{"GET", p("/cases/%d/actions"), "", 404},
			{"GET", p("/cases/%d/actions?format=csv"), "", 404},
			{"PATCH", p("/cases/%d"), `{"status":"crisis"}`, 404},
			{"PATCH", p("/cases/%d"), `{"shared_with":["Synthetic Outsider"]}`, 404},
			{"POST", p("/cases/%d/actions"), `{"type":"statement","date":"2024-03-06"}`, 404},
			{"GET", Prefix + "/cases", "", 200},
			{"GET", Prefix + "/cases?q=kivu", "", 200},
			{"GET", Prefix + "/cases?q=Kivu&format=csv", "", 200},
			{"GET", Prefix + "/cases?country=COD&limit=1", "", 200},
			{"GET", Prefix + "/cases?confidentiality=confidential", "", 200},
			{"GET", Prefix + "/actions", "", 200},
			{"GET", Prefix + "/actions?format=csv", "", 200},
			{"GET", Prefix + "/reports/warning-to-action?unanswered_days=0", "", 200},
			{"GET", Prefix + "/reports/warning-to-action?format=csv", "", 200},
		}
	}
	// What would give a case away: its title, its outcome, its office.
	tellsOf := map[int64][]string{kivu: {"Kivu corridor", "synthetic Kivu outcome", "Great Lakes"}, secret: {"Kivu back channel"}}
	for _, tc := range []struct {
		name   string
		token  string
		caseID int64
	}{
		{"another organisation's admin", "out-admin", kivu},
		{"another organisation's desk", "out-desk-officer", kivu},
		{"another organisation's analyst", "out-analyst", kivu},
		{"a shared organisation's partner viewer, below confidential", "au-partner-viewer", kivu},
		{"a shared organisation's mediation expert, not named", "au-mediation-expert", kivu},
		{"the owner's partner viewer", "un-partner-viewer", kivu},
		{"the owner's desk, not named, strictly confidential", "un-desk-officer", secret},
		{"the owner's analyst, strictly confidential", "un-analyst", secret},
		{"a shared organisation's admin, unshared case", "au-admin", secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The case must be indistinguishable from one that does not
			// exist: the same status and body as an unused id.
			ghost := map[string]string{}
			for _, pr := range probes(999999) {
				code, body := f.do(t, tc.token, pr.method, pr.path, pr.body)
				ghost[pr.method+" "+pr.path+" "+pr.body] = fmt.Sprint(code, " ", body)
			}
			for i, pr := range probes(tc.caseID) {
				code, body := f.do(t, tc.token, pr.method, pr.path, pr.body)
				if code == http.StatusForbidden && strings.Contains(pr.path, "/reports/") || code == http.StatusForbidden && pr.method != "GET" {
					// Refused by the route's role policy, before any case is
					// looked at: says nothing about this case.
					continue
				}
				want := pr.wantStatus
				if code != want {
					t.Errorf("%s %s: status %d, want %d: %s", pr.method, pr.path, code, want, clip(body))
				}
				for _, s := range tellsOf[tc.caseID] {
					if strings.Contains(body, s) {
						t.Errorf("%s %s leaks %q: %s", pr.method, pr.path, s, clip(body))
					}
				}
				if pr.wantStatus == 404 {
					g := ghost[pr.method+" "+probes(999999)[i].path+" "+pr.body]
					if got := fmt.Sprint(code, " ", body); got != g {
						t.Errorf("%s %s differs from a case that does not exist:\n%s\n%s", pr.method, pr.path, clip(got), clip(g))
					}
				}
				if strings.Contains(pr.path, "/cases?") && !strings.Contains(pr.path, "csv") {
					var list struct {
						Items []json.RawMessage `json:"items"`
						Total int               `json:"total"`
					}
					if err := json.Unmarshal([]byte(body), &list); err != nil {
						t.Errorf("%s: %v", pr.path, err)
					}
					// The two cases are the only ones: an uncleared caller
					// sees at most the one it is cleared for.
					for _, it := range list.Items {
						if strings.Contains(string(it), fmt.Sprintf(`"id":%d,`, tc.caseID)) {
							t.Errorf("%s lists case %d", pr.path, tc.caseID)
						}
					}
					if list.Total != len(list.Items) {
						t.Errorf("%s: total %d, items %d", pr.path, list.Total, len(list.Items))
					}
				}
				if strings.Contains(pr.path, "warning-to-action?unanswered") {
					var rep casework.Report
					if err := json.Unmarshal([]byte(body), &rep); err != nil {
						t.Fatal(err)
					}
					if tc.caseID == kivu && rep.Overall.Count != 0 {
						t.Errorf("report counts the case's answered warning: %+v", rep.Overall)
					}
				}
			}
		})
	}
	// Those cleared see it: the AU's desk (shared, confidential), the
	// owner's admin (strictly confidential).
	for _, c := range []struct {
		token string
		id    int64
		title string
	}{{"au-desk-officer", kivu, "Synthetic Kivu corridor watch"}, {"un-admin", secret, "Synthetic Kivu back channel"},
		{"un-desk-officer", kivu, "Synthetic Kivu corridor watch"}} {
		if code, body := f.do(t, c.token, "GET", fmt.Sprintf(Prefix+"/cases/%d", c.id), ""); code != 200 || !strings.Contains(body, c.title) {
			t.Errorf("%s reading case %d: %d %s", c.token, c.id, code, clip(body))
		}
		if code, body := f.do(t, c.token, "GET", Prefix+"/cases?q=kivu&format=csv", ""); code != 200 || !strings.Contains(body, c.title) {
			t.Errorf("%s exporting cases: %d %s", c.token, code, clip(body))
		}
	}
	if _, body := f.do(t, "au-desk-officer", "GET", Prefix+"/reports/warning-to-action", ""); !strings.Contains(body, `"count":1`) ||
		!strings.Contains(body, "Kivu corridor") {
		t.Errorf("the shared desk's report lacks the case: %s", clip(body))
	}
	// Every read of the confidential cases was audited, and no audit
	// entry names a case by its title.
	recs, err := f.log.Latest(context.Background(), 500)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, r := range recs {
		if r.Action == "read.confidential" && strings.HasPrefix(r.Object, "case") {
			reads++
		}
		for _, s := range append(tellsOf[kivu], tellsOf[secret]...) {
			if strings.Contains(string(r.Details), s) || strings.Contains(r.Object, s) {
				t.Errorf("audit entry %s %s names the case: %s", r.Action, r.Object, r.Details)
			}
		}
	}
	if reads < 6 {
		t.Errorf("%d confidential reads audited, want at least the 6 above", reads)
	}
}

// TestCasesAPI walks a case's life through the API.
func TestCasesAPI(t *testing.T) {
	f := newCasesFixture(t)
	path := func(format string, args ...any) string { return Prefix + fmt.Sprintf(format, args...) }
	id := f.create(t, "un-desk-officer", `{"title":"Synthetic water sharing on the Syr Darya","countries":["UZB","KGZ"],
		"places":[{"country":"TJK","admin1":"Sughd"}],"confidentiality":"internal","shared_with":["Synthetic AU"]}`)
	for _, sc := range []struct {
		name, token, method, path, body string
		want                            int
		contains                        []string
	}{
		{"created", "un-desk-officer", "GET", path("/cases/%d", id), "", 200,
			[]string{`"countries":["KGZ","TJK","UZB"]`, `"status":"monitoring"`, `"owner_org":"Synthetic UN"`,
				`"responsible_staff":["desk-officer@un.example"]`, `"shared_with":["Synthetic AU"]`, `"status_history":[{`}},
		{"missing title", "un-desk-officer", "POST", path("/cases"), `{"countries":["UZB"],"confidentiality":"public"}`, 422, nil},
		{"bad country", "un-desk-officer", "POST", path("/cases"), `{"title":"x","countries":["Uzbekistan"],"confidentiality":"public"}`, 422,
			[]string{"not an ISO alpha-3 code"}},
		{"unknown country", "un-desk-officer", "POST", path("/cases"), `{"title":"x","countries":["XYZ"],"confidentiality":"public"}`, 422,
			[]string{"XYZ is not a country code Threshold knows"}},
		{"bad level", "un-desk-officer", "POST", path("/cases"), `{"title":"x","countries":["UZB"],"confidentiality":"secret"}`, 422, nil},
		{"unknown organisation", "un-desk-officer", "POST", path("/cases"),
			`{"title":"x","countries":["UZB"],"confidentiality":"public","shared_with":["Nobody"]}`, 422, []string{`no organisation \"Nobody\"`}},
		{"partners may not open cases", "au-partner-viewer", "POST", path("/cases"), `{"title":"x","countries":["UZB"],"confidentiality":"public"}`, 403, nil},
		{"status", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"active-preventive-engagement","status_note":"synthetic"}`, 200,
			[]string{`"status":"active-preventive-engagement"`, `"note":"synthetic"`, `"version":2`}},
		{"the shared organisation may not change it", "au-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"crisis"}`, 403, nil},
		{"stale version", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"crisis","version":1}`, 409, nil},
		{"close", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"closed"}`, 200, nil},
		{"closed reopens only to monitoring", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"crisis"}`, 409, nil},
		{"reopen", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"status":"monitoring"}`, 200, nil},
		{"share", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"shared_with":["Synthetic AU","Synthetic Outsider"]}`, 200,
			[]string{`"shared_with":["Synthetic AU","Synthetic Outsider"]`}},
		{"the newly shared see it", "out-partner-viewer", "GET", path("/cases/%d", id), "", 200, nil},
		{"unshare", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"shared_with":["Synthetic Outsider"]}`, 200, nil},
		{"the unshared do not", "au-admin", "GET", path("/cases/%d", id), "", 404, nil},
		{"action", "out-desk-officer", "POST", path("/cases/%d/actions", id),
			fmt.Sprintf(`{"type":"dialogue-facilitation","date":"2024-03-05T10:00:00Z","partners":["Synthetic Outsider"],"alert_ids":[%d]}`, f.alert.ID), 201,
			[]string{`"type":"dialogue-facilitation"`, fmt.Sprintf(`"alert_ids":[%d]`, f.alert.ID), `"recorded_by":"desk-officer@out.example"`}},
		{"action linking no alert", "un-desk-officer", "POST", path("/cases/%d/actions", id), `{"type":"statement","date":"2024-03-05","alert_ids":[424242]}`, 422,
			[]string{"no alert 424242"}},
		{"action with a bad date", "un-desk-officer", "POST", path("/cases/%d/actions", id), `{"type":"statement","date":"March"}`, 422, nil},
		{"action of an unknown type", "un-desk-officer", "POST", path("/cases/%d/actions", id), `{"type":"lunch","date":"2024-03-05"}`, 422, nil},
		{"actions", "un-partner-viewer", "GET", path("/cases/%d/actions", id), "", 200, []string{`"partners":["Synthetic Outsider"]`}},
		{"actions csv", "un-analyst", "GET", path("/actions?format=csv"), "", 200,
			[]string{"id,case_id,type,date,actors,partners,alert_ids,outcome,recorded_by,recorded_at\n", ",dialogue-facilitation,2024-03-05T10:00:00Z,"}},
		{"report", "un-analyst", "GET", path("/reports/warning-to-action?unanswered_days=0"), "", 200,
			[]string{`"overall":{"key":"all","count":1,`, `"unanswered":[]`}},
		{"report csv", "un-analyst", "GET", path("/reports/warning-to-action?format=csv"), "", 200,
			[]string{"group,key,title,count,median_days,p90_days,alert_id,country,fired_at,age_days\noverall,all,,1,"}},
		{"partners do not get the report", "un-partner-viewer", "GET", path("/reports/warning-to-action"), "", 403, nil},
		{"merge patch", "un-desk-officer", "PATCH", path("/cases/%d", id), `{"lead_office":"Synthetic UNRCCA"}`, 200,
			[]string{`"lead_office":"Synthetic UNRCCA"`}},
		{"search", "un-desk-officer", "GET", path("/cases?q=syr+darya&status=monitoring&country=tjk"), "", 200, []string{`"total":1`}},
		{"several statuses", "un-desk-officer", "GET", path("/cases?status=crisis,monitoring"), "", 200, []string{`"total":1`}},
		{"other statuses", "un-desk-officer", "GET", path("/cases?status=crisis&status=closed"), "", 200, []string{`"total":0`}},
		{"search misses", "un-desk-officer", "GET", path("/cases?q=nile"), "", 200, []string{`"items":[]`, `"total":0`}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			code, body := f.do(t, sc.token, sc.method, sc.path, sc.body)
			if code != sc.want {
				t.Errorf("%s %s: %d, want %d: %s", sc.method, sc.path, code, sc.want, clip(body))
			}
			for _, s := range sc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("%s %s: body lacks %q: %s", sc.method, sc.path, s, clip(body))
				}
			}
		})
	}
	// The linked alert was actioned through its lifecycle.
	a, _, err := f.alerts.Get(context.Background(), f.alert.ID)
	if err != nil || a.State != alert.StateActioned || a.ActionedBy != "desk-officer@out.example" {
		t.Errorf("alert after the action: %s by %q (%v), want actioned", a.State, a.ActionedBy, err)
	}
	// Sharing and unsharing were audited.
	recs, err := f.log.Latest(context.Background(), 200)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Action+" "+r.Object] = true
	}
	for _, want := range []string{"case.share", "case.unshare", "case.create", "case.update", "case.action"} {
		if !seen[fmt.Sprintf("%s case:%d", want, id)] {
			t.Errorf("audit log lacks %s of case %d", want, id)
		}
	}
}

// TestCasesAccess walks the casework routes with every role.
func TestCasesAccess(t *testing.T) {
	db, _ := storetest.SQLite(t)
	svc, err := casework.New(casework.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	ta := newTestAPI(t, db, Deps{Cases: svc})
	var routes []server.Route
	for _, rt := range ta.Routes().All() {
		if strings.Contains(rt.Pattern, "/cases") || strings.Contains(rt.Pattern, "/actions") || strings.Contains(rt.Pattern, "/reports/") {
			routes = append(routes, rt)
		}
	}
	if len(routes) != 8 {
		t.Errorf("%d casework routes, want 8", len(routes))
	}
	servertest.CheckAccess(t, ta, routes)
	// Nothing a caller sends makes the server fail: no body, an id that
	// is not a number, a principal of an organisation with no row.
	for _, rt := range routes {
		for _, p := range []string{servertest.Path(rt.Pattern), strings.Replace(rt.Pattern, "{id}", "7", 1)} {
			r := httptest.NewRequest(rt.Method, p, nil)
			r.Header.Set("Authorization", "Bearer "+admin)
			w := httptest.NewRecorder()
			ta.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Errorf("%s %s: %d %s", rt.Method, p, w.Code, clip(w.Body.String()))
			}
		}
	}
}
