package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"threshold/internal/audit"
	"threshold/internal/rules"
	"threshold/internal/storetest"
)

func TestRulesAPI(t *testing.T) {
	db, _ := storetest.SQLite(t)
	log := audit.New(db, nil)
	ta := newTestAPI(t, db, Deps{Rules: db, Audit: log})
	body := func(s string) *strings.Reader {
		b, err := json.Marshal(map[string]string{"rules": s})
		if err != nil {
			t.Fatal(err)
		}
		return strings.NewReader(string(b))
	}
	good := "version: \"2026-11-26\"\nrules:\n  - id: coup\n    name: Coup\n    severity: critical\n    coup: {min_sources: 1}\n"
	bad := "version: \"x\"\nrules:\n  - id: coup\n    name: Coup\n    severity: urgent\n    coup: {min_sources: 1}\n"
	if _, err := rules.Parse("good", []byte(good)); err != nil {
		t.Fatalf("the test's good file does not parse: %v", err)
	}
	for _, sc := range []scenario{
		{name: "default in force", path: Prefix + "/rules", token: analyst, wantStatus: 200,
			wantContains: []string{`"source":"default"`, `"id":"coup"`}},
		{name: "desk officers read", path: Prefix + "/rules", token: deskRead, wantStatus: 200},
		{name: "partners do not", path: Prefix + "/rules", token: partner, wantStatus: 403},
		{name: "check a good file", method: "POST", path: Prefix + "/rules/check", token: analyst, body: body(good),
			contentType: "application/json", wantStatus: 200, wantContains: []string{`"ok":true`, `"rules":1`}},
		{name: "check a bad file", method: "POST", path: Prefix + "/rules/check", token: analyst, body: body(bad),
			contentType: "application/json", wantStatus: 200,
			wantContains: []string{`"ok":false`, `"line":5`, `"path":"rules[0].severity"`}},
		{name: "analysts may not save", method: "PUT", path: Prefix + "/rules", token: analyst, body: body(good),
			contentType: "application/json", wantStatus: 403},
		{name: "a bad file is refused with its lines", method: "PUT", path: Prefix + "/rules", token: admin, body: body(bad),
			contentType: "application/json", wantStatus: 422,
			wantContains: []string{"nothing was saved", `"location":"body.rules:5:`, "rules[0].severity"}},
		{name: "save", method: "PUT", path: Prefix + "/rules", token: admin, body: body(good),
			contentType: "application/json", wantStatus: 200, wantContains: []string{`"source":"saved"`, `"author":"admin@example.org"`}},
		{name: "the saved version is in force", path: Prefix + "/rules", token: analyst, wantStatus: 200,
			wantContains: []string{`"source":"saved"`, `"version":"2026-11-26"`}},
		{name: "versions", path: Prefix + "/rules/versions", token: analyst, wantStatus: 200,
			wantContains: []string{`"version":"2026-11-26"`}},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
	}
	vs, err := db.RulesHistory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Errorf("%d versions saved, want 1 (the bad file refused)", len(vs))
	}
	recs, err := log.Latest(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var saved bool
	for _, r := range recs {
		saved = saved || (r.Action == "rules.save" && r.Actor == "admin@example.org")
	}
	if !saved {
		t.Error("the save is not in the audit log")
	}
}
