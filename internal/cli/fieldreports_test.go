package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/indicator"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// runCLIEnv runs the command line in-process with environment vars.
func runCLIEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:     func(k string) string { return vars[k] },
		Log:        slog.New(slog.NewTextHandler(&errb, &slog.HandlerOptions{Level: slog.LevelWarn})),
		IsTerminal: func(io.Writer) bool { return false },
	}
	code = run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestFieldReportsCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, o := range []string{"Synthetic UN", "Synthetic AU"} {
		org, err := db.AddOrg(ctx, o, now)
		if err != nil {
			t.Fatal(err)
		}
		email := "analyst@" + strings.ToLower(o[10:]) + ".example"
		if _, err := db.AddUser(ctx, auth.User{Email: email, Name: "synthetic", OrgID: org.ID, Role: auth.Analyst,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{fieldreport.KeyEnv: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))}
	must := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLIEnv(t, vars, append(args, "--db", url)...)
		if code != 0 {
			t.Fatalf("threshold %s: exit %d\n%s", strings.Join(args, " "), code, errs)
		}
		return out
	}
	file := filepath.Join(t.TempDir(), "report.json")
	report := `{"message_id":"cli-1","what":"synthetic: clashes at the \u001b[31mbridge","country":"CAF","admin1":"Ouham",
		"date":"` + now.Format(time.DateOnly) + `","category":"battle","confidence":"witnessed","flash":true,
		"reporter":{"kind":"contact","pseudonym":"Kite","contact":"+236 70 00 99 99 synthetic"}}`
	if err := os.WriteFile(file, []byte(report), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without the key, contact details are refused.
	if code, _, errs := runCLIEnv(t, nil, "field-reports", "submit", file, "--db", url, "--as", "analyst@un.example"); code != 1 ||
		!strings.Contains(errs, fieldreport.KeyEnv) {
		t.Errorf("submit without key: exit %d, %s", code, errs)
	}
	out := must("field-reports", "submit", file, "--as", "analyst@un.example")
	if !strings.Contains(out, "Field report 1: unverified") || strings.Contains(out, "\x1b") || strings.Contains(out, "70 00 99") {
		t.Errorf("submit: %q", out)
	}
	// A flash report raised an unverified alert through the real alert Manager.
	open, err := db.OpenAlerts(ctx)
	if err != nil || len(open) != 1 || open[0].Rule != fieldreport.FlashRule || open[0].Labels["verified"] != "false" ||
		open[0].Admin1 != "Ouham" {
		t.Errorf("open alerts after a flash report: %+v, %v", open, err)
	}
	if out := must("field-reports", "show", "1", "--as", "analyst@un.example"); !strings.Contains(out, "+236 70 00 99 99") {
		t.Errorf("show as the receiving analyst: %s", out)
	}
	if out := must("field-reports", "show", "1", "--as", "analyst@au.example"); strings.Contains(out, "Kite") || strings.Contains(out, "70 00 99") {
		t.Errorf("show as another organisation's analyst: %s", out)
	}
	if out := must("field-reports", "list", "--status", "unverified"); !strings.Contains(out, "CAF/Ouham") {
		t.Errorf("list: %s", out)
	}
	must("field-reports", "move", "1", "--to", "under-review", "--reason", "calling back", "--as", "analyst@au.example")
	if out := must("field-reports", "move", "1", "--to", "verified", "--reason", "second source", "--evidence", "synthetic"); !strings.Contains(out, "verified (event field-report:1)") {
		t.Errorf("move: %s", out)
	}
	if ev, err := db.Event(ctx, event.Key{Source: event.FieldReport, SourceID: "1"}); err != nil || ev.Admin1 != "Ouham" {
		t.Errorf("verified report's event: %+v, %v", ev, err)
	}
	if out := must("field-reports", "publish", "1"); !strings.Contains(out, "event field-report:1") {
		t.Errorf("publish: %s", out)
	}
	if code, _, errs := runCLIEnv(t, vars, "field-reports", "publish", "2", "--db", url); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("publish of a missing report: exit %d, %s", code, errs)
	}
	// It counts (once, publish again changing nothing) in the indicators of its country and day.
	day := now.Truncate(24 * time.Hour)
	whole := ""
	vals, err := db.Indicators(ctx, store.IndicatorQuery{Country: "CAF", Admin1: &whole, Kind: indicator.Day, Name: "events.battle",
		From: day, To: day})
	if err != nil || len(vals) != 1 || vals[0].Value != 1 {
		t.Errorf("CAF events.battle on %s = %+v, %v; want 1", day.Format(time.DateOnly), vals, err)
	}
	if out := must("field-reports", "monitor-add", "--name", "Synthetic monitor", "--areas", "CAF/Ouham,CAF/Vakaga", "--as", "analyst@un.example"); !strings.Contains(out, "CAF/Ouham, CAF/Vakaga") {
		t.Errorf("monitor-add: %s", out)
	}
	if out := must("field-reports", "silent"); !strings.Contains(out, "CAF/Vakaga") || strings.Contains(out, "CAF/Ouham") {
		t.Errorf("silent: %s", out)
	}
	if code, _, _ := runCLIEnv(t, vars, "field-reports", "purge", "--older-than", "soon", "--db", url); code != 2 {
		t.Errorf("purge --older-than soon: exit %d, want 2", code)
	}
	if out := must("field-reports", "purge", "--older-than", "90d"); !strings.Contains(out, "of 0 reports") {
		t.Errorf("purge: %s", out)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0d", "-3d", "xd", "-1h"} {
		if _, err := parseAge(bad); err == nil {
			t.Errorf("parseAge(%q) accepted", bad)
		}
	}
}
