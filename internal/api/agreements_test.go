package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// newAgreementsFixture serves cases and agreements over a fresh SQLite
// database holding the real UCDP Peace Agreement Dataset v22.1 and the
// synthetic organisations and tokens of newCasesFixture.
func newAgreementsFixture(t *testing.T) casesFixture {
	t.Helper()
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Date(2019, 9, 1, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := audit.New(db, clock)
	m, err := alert.NewManager(alert.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
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
	cases, err := casework.New(casework.Options{Store: db, Alerts: m, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	agreements, err := agreement.New(agreement.Options{Store: db, Alerts: m, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(testenv.SharedData(t, "ucdp-peace", "ucdp-peace-agreements-221.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	as, err := agreement.ParseUCDP("ucdp-peace-agreements-221.csv", f, g)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agreements.Import(ctx, casework.Everyone("cli:test"), as); err != nil {
		t.Fatal(err)
	}
	rs := &server.Routes{}
	met := server.NewMetrics()
	if _, err := Register(rs, Deps{Store: db, Metrics: met, Cases: cases, Agreements: agreements, Alerts: m, Audit: log,
		Geo: g, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: tokens, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	return casesFixture{h: srv, db: db, log: log, alerts: m}
}

type agreementJSON struct {
	ID         int64   `json:"id"`
	SourceID   string  `json:"source_id"`
	Name       string  `json:"name"`
	Cases      []int64 `json:"case_ids"`
	Restricted bool    `json:"restricted"`
	Provisions []struct {
		ID      int64  `json:"id"`
		Status  string `json:"status"`
		History []struct {
			From, To, Actor, Source string
		} `json:"status_history"`
	} `json:"provisions"`
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// TestAgreementsAPI walks the endpoints as callers of each kind, on the
// real CAR agreements and synthetic cases.
func TestAgreementsAPI(t *testing.T) {
	f := newAgreementsFixture(t)
	list := func(token, query string) []agreementJSON {
		code, body := f.do(t, token, "GET", Prefix+"/agreements?"+query, "")
		if code != http.StatusOK {
			t.Fatalf("list agreements as %s: %d %s", token, code, body)
		}
		return decode[struct{ Items []agreementJSON }](t, body).Items
	}
	caf := list("un-partner-viewer", "country=CAF")
	if len(caf) != 12 || caf[0].SourceID != "1641" {
		t.Fatalf("CAR agreements: %d, want 12 with 1641 first", len(caf))
	}
	var pact agreementJSON
	for _, a := range caf {
		if a.SourceID == "1498" {
			pact = a
		}
	}
	code, body := f.do(t, "out-mediation-expert", "GET", fmt.Sprintf(Prefix+"/agreements/%d", pact.ID), "")
	if code != http.StatusOK || len(decode[agreementJSON](t, body).Provisions) != 9 {
		t.Fatalf("get agreement 1498: %d %s", code, body)
	}
	full := decode[agreementJSON](t, body)

	// Writes: readers may not; writers may, and bad input is a 422.
	tests := []struct {
		name, token, method, path, body string
		want                            int
		contains                        string
	}{
		{"unauthenticated", "nobody", "GET", "/agreements", "", http.StatusUnauthorized, ""},
		{"partner viewer creates", "un-partner-viewer", "POST", "/agreements",
			`{"name":"synthetic","signed":"2019-01-01","countries":["EGY"]}`, http.StatusForbidden, ""},
		{"bad date", "un-desk-officer", "POST", "/agreements",
			`{"name":"synthetic","signed":"2019-02-30","countries":["EGY"]}`, http.StatusUnprocessableEntity, "body.signed"},
		{"unknown country", "un-desk-officer", "POST", "/agreements",
			`{"name":"synthetic","signed":"2019-01-01","countries":["XXQ"]}`, http.StatusUnprocessableEntity, "body.countries[0]"},
		{"bad deadline", "un-analyst", "POST", fmt.Sprintf("/agreements/%d/provisions", pact.ID),
			`{"text":"synthetic","deadline":"2019-13-01"}`, http.StatusUnprocessableEntity, "body.deadline"},
		{"bad category", "un-analyst", "POST", fmt.Sprintf("/agreements/%d/provisions", pact.ID),
			`{"category":"bogus","text":"synthetic"}`, http.StatusUnprocessableEntity, "category"},
		{"bad status", "un-analyst", "POST", fmt.Sprintf("/provisions/%d/status", full.Provisions[0].ID),
			`{"status":"half"}`, http.StatusUnprocessableEntity, ""},
		{"future status", "un-analyst", "POST", fmt.Sprintf("/provisions/%d/status", full.Provisions[0].ID),
			`{"status":"full","on":"2019-09-05"}`, http.StatusUnprocessableEntity, "future"},
		{"partner viewer sets status", "un-partner-viewer", "POST", fmt.Sprintf("/provisions/%d/status", full.Provisions[0].ID),
			`{"status":"full"}`, http.StatusForbidden, ""},
		{"missing provision", "un-analyst", "POST", "/provisions/999999/status", `{"status":"full"}`, http.StatusNotFound, ""},
		{"missing agreement", "un-analyst", "GET", "/agreements/999999", "", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		code, body := f.do(t, tt.token, tt.method, Prefix+tt.path, tt.body)
		if code != tt.want || !strings.Contains(body, tt.contains) {
			t.Errorf("%s: %d %s, want %d containing %q", tt.name, code, body, tt.want, tt.contains)
		}
	}

	// A water-sharing arrangement entered by hand, a provision, a status.
	code, body = f.do(t, "un-desk-officer", "POST", Prefix+"/agreements", `{"name":"synthetic water-sharing arrangement",
		"kind":"water-sharing","parties":["Synthetic basin authority A","Synthetic basin authority B"],"signed":"2019-01-15",
		"countries":["EGY","SDN"],"provisions":[{"text":"synthetic: joint flow monitoring","responsible":"Synthetic basin authority A",
		"deadline":"2019-07-01"}]}`)
	if code != http.StatusCreated {
		t.Fatalf("create agreement: %d %s", code, body)
	}
	water := decode[agreementJSON](t, body)
	code, body = f.do(t, "un-analyst", "POST", fmt.Sprintf(Prefix+"/agreements/%d/provisions", water.ID),
		`{"text":"synthetic: data exchange","deadline":"2020-01-01","status":"minimal"}`)
	if code != http.StatusCreated {
		t.Fatalf("add provision: %d %s", code, body)
	}
	code, body = f.do(t, "un-analyst", "POST", fmt.Sprintf(Prefix+"/provisions/%d/status", water.Provisions[0].ID),
		`{"status":"intermediate","on":"2019-08-15","source":"synthetic basin report","note":"synthetic: gauges installed"}`)
	if code != http.StatusOK || !strings.Contains(body, `"from":"not-started","to":"intermediate"`) ||
		!strings.Contains(body, `"actor":"analyst@un.example"`) {
		t.Fatalf("set status: %d %s", code, body)
	}
	overdue, err := f.alerts.List(context.Background(), alert.Query{Rule: agreement.RuleOverdue})
	if err != nil || len(overdue) != 2 {
		t.Errorf("overdue alerts for the water arrangement: %d, %v; want 2 (EGY, SDN)", len(overdue), err)
	}

	// Linking to a confidential case hides the agreement from others.
	kivu := f.create(t, "un-desk-officer", `{"title":"Synthetic CAR mediation track","countries":["CAF"],"confidentiality":"confidential"}`)
	if code, body := f.do(t, "out-desk-officer", "POST", fmt.Sprintf(Prefix+"/agreements/%d/cases/%d", pact.ID, kivu), ""); code != http.StatusNotFound {
		t.Errorf("outsider links to a case it cannot see: %d %s", code, body)
	}
	code, body = f.do(t, "un-desk-officer", "GET", fmt.Sprintf(Prefix+"/agreements/%d/suggestions", pact.ID), "")
	if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"case_id":%d`, kivu)) {
		t.Errorf("suggestions: %d %s", code, body)
	}
	code, body = f.do(t, "un-desk-officer", "POST", fmt.Sprintf(Prefix+"/agreements/%d/cases/%d", pact.ID, kivu), "")
	if got := decode[agreementJSON](t, body); code != http.StatusOK || !got.Restricted || len(got.Cases) != 1 || got.Cases[0] != kivu {
		t.Fatalf("link: %d %s", code, body)
	}
	for _, token := range []string{"out-admin", "out-analyst", "un-partner-viewer"} {
		if code, _ := f.do(t, token, "GET", fmt.Sprintf(Prefix+"/agreements/%d", pact.ID), ""); code != http.StatusNotFound {
			t.Errorf("%s reads the restricted agreement: %d, want 404", token, code)
		}
		if n := len(list(token, "country=CAF")); n != 11 {
			t.Errorf("%s lists %d CAR agreements, want 11", token, n)
		}
		if code, _ := f.do(t, token, "GET", fmt.Sprintf(Prefix+"/agreements/%d/suggestions", pact.ID), ""); code != http.StatusNotFound {
			t.Errorf("%s reads the restricted agreement's suggestions: %d, want 404", token, code)
		}
	}
	if got := list("un-analyst", fmt.Sprintf("case=%d", kivu)); len(got) != 1 || got[0].ID != pact.ID {
		t.Errorf("UN analyst lists the case's agreements: %+v", got)
	}
	if n := len(list("out-analyst", fmt.Sprintf("case=%d", kivu))); n != 0 {
		t.Errorf("outsider lists %d agreements of a case it cannot see", n)
	}
	if n := len(list("un-analyst", "country=CAF&q=political+agreement")); n != 4 {
		t.Errorf("UN analyst lists %d CAR political agreements, want 4", n)
	}
	// The audit log has the changes.
	actions := map[string]int{}
	if err := f.db.AuditRecords(context.Background(), func(r audit.Record) error {
		actions[r.Action]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"agreement.create", "agreement.provision.add", "agreement.provision.status", "agreement.link"} {
		if actions[a] != 1 {
			t.Errorf("audit %s: %d entries, want 1", a, actions[a])
		}
	}
}
