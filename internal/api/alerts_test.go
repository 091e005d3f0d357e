package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/server/servertest"
	"threshold/internal/storetest"
)

var (
	deskWrite = servertest.Token(auth.DeskOfficer, auth.ScopeWrite)
	deskRead  = servertest.Token(auth.DeskOfficer, auth.ScopeRead)
	expert    = servertest.Token(auth.MediationExpert, auth.ScopeWrite)
)

// alertsAPI serves the API with an alert manager over a fresh SQLite
// database holding three synthetic alerts (CAF, CAF / Ouham, MLI).
func alertsAPI(t *testing.T) (*testAPI, []alert.Alert, *audit.Log) {
	t.Helper()
	db, _ := storetest.SQLite(t)
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	log := audit.New(db, nil)
	m, err := alert.NewManager(alert.Options{Store: db, Audit: log, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var fs []alert.Firing
	for _, p := range []struct {
		rule, country, admin1 string
		sev                   alert.Severity
	}{{"fatalities-surge", "CAF", "", alert.Warning}, {"fatalities-surge", "CAF", "Ouham", alert.Critical}, {"coup", "MLI", "", alert.Critical}} {
		fs = append(fs, alert.Firing{Rule: p.rule, Country: p.country, Admin1: p.admin1, Severity: p.sev,
			Window: alert.Window{Start: now.AddDate(0, -1, 0), End: now}, Title: "synthetic " + p.rule + " in " + p.country,
			Explanation: "synthetic explanation"})
	}
	res, err := m.Process(context.Background(), fs, alert.Evaluated{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return newTestAPI(t, db, Deps{Alerts: m, Audit: log}), res.Opened, log
}

func TestAlertsAPI(t *testing.T) {
	ta, as, log := alertsAPI(t)
	caf, ouham, mli := as[0], as[1], as[2]
	path := func(format string, args ...any) string { return Prefix + fmt.Sprintf(format, args...) }
	for _, sc := range []scenario{
		{name: "list", path: path("/alerts"), token: analyst, wantStatus: 200,
			wantContains: []string{`"fingerprint":"coup|MLI|"`, `"receivers":["crisis-centre","africa-central-east-desk"]`}},
		{name: "desk officer with a read token", path: path("/alerts"), token: deskRead, wantStatus: 200},
		{name: "partners do not see alerts", path: path("/alerts"), token: partner, wantStatus: 403},
		{name: "nor mediation experts", path: path("/alerts/%d", caf.ID), token: expert, wantStatus: 403},
		{name: "signed out", path: path("/alerts"), wantStatus: 401},
		{name: "filters", path: path("/alerts?country=caf&severity=critical&state=firing"), token: analyst, wantStatus: 200,
			wantContains: []string{`"admin1":"Ouham"`}, wantNotContains: []string{`"rule":"coup"`, `"admin1":""`}},
		{name: "bad state", path: path("/alerts?state=closed"), token: analyst, wantStatus: 422},
		{name: "page", path: path("/alerts?limit=2"), token: analyst, wantStatus: 200,
			wantContains: []string{`"next_cursor"`, `"id":3`, `"id":2`}, wantNotContains: []string{`"id":1,`}},
		{name: "groups", path: path("/alert-groups?open=true"), token: admin, wantStatus: 200,
			wantContains: []string{`"key":"MLI"`, `"key":"CAF","severity":"critical","open":2`}},
		{name: "detail", path: path("/alerts/%d", ouham.ID), token: deskRead, wantStatus: 200,
			wantContains: []string{`"history":[{`, `"action":"open"`, `"note":"routed to crisis-centre, africa-central-east-desk"`}},
		{name: "unknown alert", path: path("/alerts/424242"), token: analyst, wantStatus: 404},

		{name: "acknowledge", method: "POST", path: path("/alerts/%d/acknowledge", caf.ID), token: deskWrite, wantStatus: 200,
			wantContains: []string{`"state":"acknowledged"`, `"acknowledged_by":"desk-officer@example.org"`}},
		{name: "acknowledge twice", method: "POST", path: path("/alerts/%d/acknowledge", caf.ID), token: deskWrite, wantStatus: 409,
			wantContains: []string{"cannot acknowledge an alert that is acknowledged"}},
		{name: "read token may not change", method: "POST", path: path("/alerts/%d/acknowledge", mli.ID), token: deskRead, wantStatus: 403},
		{name: "partner may not change", method: "POST", path: path("/alerts/%d/acknowledge", mli.ID), token: servertest.Token(auth.PartnerViewer, auth.ScopeWrite), wantStatus: 403},
		{name: "assign", method: "POST", path: path("/alerts/%d/assign", caf.ID), token: analyst, wantStatus: 200,
			body: strings.NewReader(`{"assignee":"Desk.Officer@example.org"}`), contentType: "application/json",
			wantContains: []string{`"assignee":"desk.officer@example.org"`}},
		{name: "assign a name", method: "POST", path: path("/alerts/%d/assign", caf.ID), token: analyst, wantStatus: 422,
			body: strings.NewReader(`{"assignee":"Jane"}`), contentType: "application/json"},
		{name: "dismiss without reason", method: "POST", path: path("/alerts/%d/dismiss", caf.ID), token: deskWrite, wantStatus: 422,
			wantContains: []string{"a dismissal needs a reason"}},
		{name: "resolve before a decision", method: "POST", path: path("/alerts/%d/resolve", caf.ID), token: deskWrite, wantStatus: 409,
			wantContains: []string{"record a decision first"}},
		{name: "dismiss", method: "POST", path: path("/alerts/%d/dismiss", caf.ID), token: deskWrite, wantStatus: 200,
			body: strings.NewReader(`{"reason":"synthetic: seasonal clash, already followed"}`), contentType: "application/json",
			wantContains: []string{`"state":"dismissed"`, `"dismiss_reason":"synthetic: seasonal clash, already followed"`}},
		{name: "resolve", method: "POST", path: path("/alerts/%d/resolve", caf.ID), token: deskWrite, wantStatus: 200,
			wantContains: []string{`"state":"resolved"`}},
		{name: "action without note", method: "POST", path: path("/alerts/%d/action", mli.ID), token: admin, wantStatus: 422,
			body: strings.NewReader(`{}`), contentType: "application/json"},
		{name: "action", method: "POST", path: path("/alerts/%d/action", mli.ID), token: admin, wantStatus: 200,
			body: strings.NewReader(`{"note":"synthetic: envoy briefed"}`), contentType: "application/json",
			wantContains: []string{`"state":"actioned"`, `"action_note":"synthetic: envoy briefed"`}},
		{name: "history after the changes", path: path("/alerts/%d", caf.ID), token: analyst, wantStatus: 200,
			wantContains: []string{`"action":"acknowledge"`, `"action":"assign"`, `"action":"dismiss"`, `"action":"resolve"`}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
	}
	// The changes and the reads are in the audit log, with who and from where.
	recs, err := log.Latest(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.Action+" "+r.Actor] = true
		if r.Action == "alert.dismiss" && r.Remote == "" {
			t.Errorf("dismissal audited without the client's address")
		}
	}
	for _, want := range []string{"alert.acknowledge desk-officer@example.org", "alert.dismiss desk-officer@example.org",
		"alert.resolve desk-officer@example.org", "alert.action admin@example.org", "alert.assign analyst@example.org",
		"read.confidential desk-officer@example.org"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

func TestSilencesAPI(t *testing.T) {
	ta, _, _ := alertsAPI(t)
	ends := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	body := func(s string) *strings.Reader { return strings.NewReader(s) }
	good := `{"matchers":{"country":"MLI","rule":"coup"},"ends_at":"` + ends + `","comment":"synthetic: mission deployed"}`
	for _, sc := range []scenario{
		{name: "create", method: "POST", path: Prefix + "/silences", token: analyst, body: body(good), contentType: "application/json",
			wantStatus: 200, wantContains: []string{`"id":1`, `"created_by":"analyst@example.org"`, `"country":"MLI"`}},
		{name: "desk officers may not silence", method: "POST", path: Prefix + "/silences", token: deskWrite, body: body(good),
			contentType: "application/json", wantStatus: 403},
		{name: "no matchers", method: "POST", path: Prefix + "/silences", token: admin, contentType: "application/json",
			body: body(`{"matchers":{},"ends_at":"` + ends + `","comment":"x"}`), wantStatus: 422, wantContains: []string{"at least one of rule"}},
		{name: "no comment", method: "POST", path: Prefix + "/silences", token: admin, contentType: "application/json",
			body: body(`{"matchers":{"rule":"coup"},"ends_at":"` + ends + `","comment":""}`), wantStatus: 422},
		{name: "list active", path: Prefix + "/silences", token: deskRead, wantStatus: 200, wantContains: []string{`"comment":"synthetic: mission deployed"`}},
		{name: "partners may not list", path: Prefix + "/silences", token: partner, wantStatus: 403},
		{name: "expire", method: "POST", path: Prefix + "/silences/1/expire", token: admin, wantStatus: 200,
			wantContains: []string{`"expired_by":"admin@example.org"`}},
		{name: "expire again", method: "POST", path: Prefix + "/silences/1/expire", token: admin, wantStatus: 422, wantContains: []string{"already ended"}},
		{name: "expire unknown", method: "POST", path: Prefix + "/silences/99/expire", token: admin, wantStatus: 404},
		{name: "none active", path: Prefix + "/silences", token: analyst, wantStatus: 200, wantNotContains: []string{`"id":1`}},
		{name: "expired", path: Prefix + "/silences?state=expired", token: analyst, wantStatus: 200, wantContains: []string{`"id":1`}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
	}
}

// TestAlertsAccess walks the route table with the alert endpoints in it.
func TestAlertsAccess(t *testing.T) {
	ta, _, _ := alertsAPI(t)
	routes := ta.Routes().All()
	n := 0
	for _, rt := range routes {
		if strings.Contains(rt.Pattern, "alert") || strings.Contains(rt.Pattern, "silences") {
			n++
		}
	}
	if n != 11 {
		t.Errorf("%d alert and silence routes, want 11", n)
	}
	servertest.CheckAccess(t, ta, routes)
	// Without an alert manager the endpoints are not there.
	plain := newTestAPI(t, ta.db, Deps{})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", Prefix+"/alerts", nil)
	r.Header.Set("Authorization", "Bearer "+admin)
	plain.ServeHTTP(w, r)
	if w.Code != 404 {
		t.Errorf("GET /alerts without alerts: %d, want 404", w.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(mustJSON(t, ta.api.OpenAPI()), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["paths"].(map[string]any)[Prefix+"/alerts/{id}/dismiss"]; !ok {
		t.Error("OpenAPI document lacks the dismiss operation")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
