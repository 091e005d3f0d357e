package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/storetest"
)

// newRosterFixture serves the API with casework and the roster over a
// fresh SQLite database: two synthetic organisations with a user of
// each role (token "<org>-<role>"), plus a mediation expert whose email
// is on a roster record ("un-expert-self").
func newRosterFixture(t *testing.T) (casesFixture, map[string]auth.Principal) {
	t.Helper()
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := audit.New(db, clock)
	tokens := orgAuth{}
	for _, o := range []struct{ key, name string }{{"un", "Synthetic UN"}, {"out", "Synthetic Outsider"}} {
		org, err := db.AddOrg(ctx, o.name, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range auth.Roles() {
			tokens[o.key+"-"+string(r)] = auth.Principal{UserID: org.ID*100 + servertest.UserID(r),
				Email: string(r) + "@" + o.key + ".example", OrgID: org.ID, OrgName: org.Name, Role: r, Via: "token", Scope: auth.ScopeWrite}
		}
	}
	self := tokens["un-mediation-expert"]
	self.Email, self.UserID = "self@un.example", 999
	tokens["un-expert-self"] = self
	cases, err := casework.New(casework.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := roster.New(roster.Options{Store: db, Cases: cases, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	rs := &server.Routes{}
	met := server.NewMetrics()
	if _, err := Register(rs, Deps{Store: db, Metrics: met, Cases: cases, Roster: svc, Audit: log, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: tokens, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	return casesFixture{h: srv, db: db, log: log}, tokens
}

func decodeBody[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func TestRosterAPI(t *testing.T) {
	f, _ := newRosterFixture(t)
	desk := "un-desk-officer"
	caseID := f.create(t, desk, `{"title":"synthetic Sahel watch","countries":["MLI"],"confidentiality":"internal"}`)

	code, body := f.do(t, desk, "POST", Prefix+"/roster/people", `{"name":"Synthetic Expert","email":"self@un.example",
		"expertise":[{"area":"power-sharing","level":3}],"languages":[{"code":"fr","level":"C2"}],"countries":["MLI"],
		"contract":"standby","clearance":"confidential"}`)
	if code != http.StatusCreated {
		t.Fatalf("create person: %d %s", code, body)
	}
	expert := decodeBody[roster.Person](t, body)
	code, body = f.do(t, desk, "POST", Prefix+"/roster/people", `{"name":"Synthetic Other","expertise":[{"area":"power-sharing","level":1}],"countries":["COL"]}`)
	if code != http.StatusCreated {
		t.Fatalf("create person: %d %s", code, body)
	}
	other := decodeBody[roster.Person](t, body)
	if code, body := f.do(t, desk, "POST", Prefix+"/roster/people", `{"name":"Synthetic Bad","countries":["XXX"]}`); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "countries[0]") {
		t.Errorf("bad country: %d %s", code, body)
	}

	person := fmt.Sprintf("%s/roster/people/%d", Prefix, expert.ID)
	access := []struct {
		token, method, path string
		want                int
	}{
		{desk, "GET", person, http.StatusOK},
		{"un-analyst", "GET", Prefix + "/roster/people", http.StatusOK},
		{"un-expert-self", "GET", person, http.StatusOK},                                     // their own record
		{"un-expert-self", "GET", fmt.Sprintf("%s/roster/people/%d", Prefix, other.ID), 404}, // not theirs
		{"un-mediation-expert", "GET", person, http.StatusNotFound},
		{"un-partner-viewer", "GET", Prefix + "/roster/people", http.StatusForbidden},
		{"un-partner-viewer", "GET", person, http.StatusForbidden},
		{"out-admin", "GET", person, http.StatusNotFound},         // another organisation's record
		{"out-admin", "PATCH", person, http.StatusNotFound},       // nor change it
		{"un-expert-self", "PATCH", person, http.StatusForbidden}, // experts do not write
		{"un-mediation-expert", "GET", Prefix + "/roster/match", http.StatusForbidden},
	}
	for _, a := range access {
		b := ""
		if a.method == "PATCH" {
			b = `{"notes":"synthetic"}`
		}
		if code, body := f.do(t, a.token, a.method, a.path, b); code != a.want {
			t.Errorf("%s %s %s: %d, want %d: %s", a.token, a.method, a.path, code, a.want, body)
		}
	}
	if code, body := f.do(t, "un-expert-self", "GET", Prefix+"/roster/people", ""); code != 200 ||
		len(decodeBody[struct{ Items []roster.Person }](t, body).Items) != 1 {
		t.Errorf("expert's list: %d %s", code, body)
	}

	match := fmt.Sprintf("%s/roster/match?case_id=%d&skills=power-sharing&languages=fr&start=2025-04-01&days=30", Prefix, caseID)
	code, body = f.do(t, desk, "GET", match, "")
	if code != http.StatusOK {
		t.Fatalf("match: %d %s", code, body)
	}
	res := decodeBody[roster.Result](t, body)
	if len(res.Candidates) != 2 || res.Candidates[0].PersonID != expert.ID || res.Candidates[0].Score != 100 {
		t.Fatalf("match = %+v", res)
	}
	code, body = f.do(t, desk, "POST", Prefix+"/roster/match", fmt.Sprintf(`{"case_id":%d,"skills":["power-sharing"],
		"start":"2025-04-01","days":30,"kinds":["envoy"]}`, caseID))
	if code != http.StatusOK || len(decodeBody[roster.Result](t, body).Candidates) != 0 {
		t.Errorf("match envoys only: %d %s", code, body)
	}
	if code, body := f.do(t, desk, "GET", strings.Replace(match, "power-sharing", "cooking", 1), ""); code != 422 || !strings.Contains(body, "query.skills[0]") {
		t.Errorf("match with an unknown skill: %d %s", code, body)
	}
	if code, _ := f.do(t, "out-desk-officer", "GET", match, ""); code != http.StatusNotFound {
		t.Errorf("match for a case the caller cannot see: %d, want 404", code)
	}

	// Many simultaneous requests for the expert in overlapping windows:
	// exactly one is created, the others are 409.
	const n = 12
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, _ := f.do(t, desk, "POST", Prefix+"/roster/deployments", fmt.Sprintf(
				`{"person_id":%d,"case_id":%d,"start":"2025-04-%02d","days":20}`, expert.ID, caseID, 1+i))
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusCreated] != 1 || got[http.StatusConflict] != n-1 {
		t.Fatalf("concurrent deployment requests: %v, want one 201 and %d 409", got, n-1)
	}
	code, body = f.do(t, desk, "GET", fmt.Sprintf("%s/roster/deployments?person_id=%d", Prefix, expert.ID), "")
	ds := decodeBody[struct{ Items []roster.Deployment }](t, body).Items
	if code != 200 || len(ds) != 1 {
		t.Fatalf("deployments: %d %s", code, body)
	}
	dep := fmt.Sprintf("%s/roster/deployments/%d", Prefix, ds[0].ID)
	for _, st := range []string{"approved", "active"} {
		if code, body := f.do(t, desk, "POST", dep+"/transitions", `{"status":"`+st+`","note":"synthetic"}`); code != 200 ||
			decodeBody[roster.Deployment](t, body).Status != roster.Status(st) {
			t.Errorf("to %s: %d %s", st, code, body)
		}
	}
	if code, body := f.do(t, desk, "POST", dep+"/transitions", `{"status":"rejected"}`); code != http.StatusConflict {
		t.Errorf("rejecting an active deployment: %d %s", code, body)
	}
	code, body = f.do(t, "un-expert-self", "GET", dep, "")
	if d := decodeBody[roster.Deployment](t, body); code != 200 || len(d.History) != 3 {
		t.Errorf("the expert reads their deployment: %d %s", code, body)
	}
	code, body = f.do(t, desk, "GET", match, "")
	if res := decodeBody[roster.Result](t, body); code != 200 || len(res.Candidates) != 1 || res.Excluded["busy"] != 1 {
		t.Errorf("match once deployed: %d %+v", code, res)
	}
	code, body = f.do(t, desk, "POST", person+"/unavailable", `{"start":"2025-06-01","end":"2025-06-05","note":"leave"}`)
	if code != http.StatusCreated {
		t.Fatalf("unavailable: %d %s", code, body)
	}
	per := decodeBody[roster.Period](t, body)
	code, body = f.do(t, desk, "GET", person+"/availability?from=2025-05-20&to=2025-06-06", "")
	spans := decodeBody[struct{ Spans []roster.Span }](t, body).Spans
	if code != 200 || len(spans) != 3 || spans[0].Status != roster.Available || spans[1].Status != roster.Away {
		t.Errorf("availability: %d %s", code, body)
	}

	if code, body := f.do(t, desk, "DELETE", fmt.Sprintf("%s/unavailable/%d", person, per.ID), ""); code != http.StatusNoContent {
		t.Errorf("delete unavailable: %d %s", code, body)
	}
	code, body = f.do(t, desk, "PATCH", person, `{"notes":"synthetic note","languages":[{"code":"ar","level":"B2"}]}`)
	if p := decodeBody[roster.Person](t, body); code != 200 || p.Notes != "synthetic note" || len(p.Languages) != 1 || p.Email != "self@un.example" {
		t.Errorf("patch: %d %s", code, body)
	}
	if code, body := f.do(t, desk, "PATCH", person, `{"notes":"stale","version":1}`); code != http.StatusConflict {
		t.Errorf("stale patch: %d %s", code, body)
	}
	entries, err := f.log.Latest(context.Background(), 200)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
		if strings.Contains(fmt.Sprint(e.Details), "Synthetic Expert") {
			t.Errorf("audit entry %s names the person: %v", e.Action, e.Details)
		}
	}
	for _, a := range []string{"roster.add", "read.confidential", "roster.match", "roster.deploy.request", "roster.deploy.approved",
		"roster.deploy.active", "roster.unavailable"} {
		if actions[a] == 0 {
			t.Errorf("no %s in the audit log: %v", a, actions)
		}
	}
}
