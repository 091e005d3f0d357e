package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestReportCommand writes the monthly report for the Central African
// Republic in December 2013 from the demo's database, as the operator and
// as users of two organisations, one of which may not see the case.
func TestReportCommand(t *testing.T) {
	db, url := storetest.SQLite(t)
	ctx := context.Background()
	mustRun(t, "demo", "--db", url)
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	for _, o := range []string{"Synthetic UN", "Synthetic NGO"} {
		org, err := db.AddOrg(ctx, o, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddUser(ctx, auth.User{Email: "desk@" + strings.ToLower(o[10:]) + ".example", Name: "synthetic",
			OrgID: org.ID, Role: auth.DeskOfficer, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	c := decodeJSON[casework.Case](t, mustRun(t, "cases", "add", "--db", url, "--as", "desk@un.example", "--json", "--title", "Synthetic Bangui watch",
		"--countries", "CAF", "--confidentiality", "confidential"))
	mustRun(t, "cases", "action", strconv.FormatInt(c.ID, 10), "--db", url, "--as", "desk@un.example", "--type", "statement",
		"--date", "2013-12-06", "--outcome", "synthetic statement")

	out := filepath.Join(t.TempDir(), "ngo.html")
	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"operator", []string{"--country", "caf"},
			[]string{`data-figure="fatalities">1,318<`, `data-figure="events">41<`, "Synthetic Bangui watch", "synthetic statement",
				"UCDP GED data ends 2022-12", "<svg"}, nil},
		{"owner", []string{"--country", "CAF", "--as", "desk@un.example"},
			[]string{"Synthetic Bangui watch", "synthetic statement", "Casework shown as desk@un.example"}, nil},
		{"other organisation", []string{"--country", "CAF", "--as", "desk@ngo.example", "--out", out},
			[]string{`data-figure="fatalities">1,318<`, "No case in Central African Republic that this reader may see."},
			[]string{"Synthetic Bangui watch", "synthetic statement"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html := mustRun(t, append([]string{"report", "monthly", "--db", url, "--month", "2013-12"}, tc.args...)...)
			if strings.Contains(strings.Join(tc.args, " "), "--out") {
				if !strings.Contains(html, "wrote the monthly report for 2013-12 (1 countries) to "+out) {
					t.Errorf("report --out printed %q", html)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				html = string(b)
			}
			if !strings.HasPrefix(html, "<!DOCTYPE html>") {
				t.Errorf("not an HTML document: %q", clip(html, 80))
			}
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("the report lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(html, w) {
					t.Errorf("the report shows %q", w)
				}
			}
		})
	}
	// The forecasts made from all the data (to 2022-12) appear in the
	// report for the month after it, which has no data of its own.
	mustRun(t, "forecast", "run", "--db", url, "--target", "fatalities", "--unit", "country-month", "--horizons", "1")
	fs, err := db.Forecasts(ctx, store.ForecastQuery{Country: "CAF", Unit: "country-month", Latest: true})
	if err != nil || len(fs) != 1 {
		t.Fatalf("stored CAF forecasts: %d, %v; want one", len(fs), err)
	}
	html := mustRun(t, "report", "monthly", "--db", url, "--month", "2023-01", "--country", "CAF")
	f := fs[0]
	for _, w := range []string{
		"No event data stored for Central African Republic after 2022-12",
		fmt.Sprintf("<td>fatalities</td><td>2023-01</td><td class=\"n\">1</td><td class=\"n\">%.1f deaths (80%%: %.1f to %.1f)</td><td>2022-12-31</td>", f.Mean, f.Lo80, f.Hi80),
	} {
		if !strings.Contains(html, w) {
			t.Errorf("the 2023-01 report lacks %q", w)
		}
	}
	// An override with its reason, then the brief as PDF, Markdown, JSON
	// and CSV, and a region.
	if code, _, errs := runCLI(t, "report", "override", "--db", url, "--month", "2013-12", "--country", "CAF", "--trend", "improved"); code != 2 {
		t.Errorf("override without a reason: exit %d, %s", code, errs)
	}
	got := mustRun(t, "report", "override", "--db", url, "--month", "2013-12", "--country", "CAF", "--trend", "unchanged",
		"--opportunity", "--reason", "synthetic analyst review")
	if !strings.Contains(got, "for Central African Republic in 2013-12: unchanged (the draft was deteriorated)") {
		t.Errorf("override printed %q", got)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		file string
		args []string
		want []string
	}{
		{"caf.pdf", []string{"brief", "--country", "CAF"}, []string{"%PDF-"}},
		{"caf.md", []string{"brief", "--country", "CAF"}, []string{"# Country brief: Central African Republic, December 2013",
			"Reason: synthetic analyst review. The draft was deteriorated", "| Central African Republic | unchanged | resolution opportunity |"}},
		{"calls.json", []string{"monthly", "--region", "Middle Africa"}, []string{`"country_name": "Central African Republic"`,
			`"reason": "synthetic analyst review"`, `"scope": "every country in Middle Africa with events in the month"`}},
		{"calls.txt", []string{"monthly", "--country", "CAF", "--format", "csv"}, []string{"month,country,country_name,trend",
			"2013-12,CAF,Central African Republic,unchanged,false,true,deteriorated"}},
	} {
		path := filepath.Join(dir, tc.file)
		mustRun(t, append(append([]string{"report"}, tc.args...), "--db", url, "--month", "2013-12", "-o", path)...)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", tc.file, w)
			}
		}
	}
	if got := mustRun(t, "report", "subscribe", "--db", url, "--user", "desk@ngo.example", "--brief", "--country", "CAF", "--format", "pdf"); !strings.Contains(got, "desk@ngo.example gets the brief report as PDF each month") {
		t.Errorf("subscribe printed %q", got)
	}
	if subs, err := db.ReportSubscriptions(ctx); err != nil || len(subs) != 1 || subs[0].Kind != "brief" || subs[0].Country != "CAF" {
		t.Errorf("subscriptions %+v, %v", subs, err)
	}
	for _, args := range [][]string{
		{"report", "subscribe", "--db", url, "--user", "desk@ngo.example", "--brief"},
		{"report"},
		{"report", "weekly"},
		{"report", "brief", "--db", url, "--month", "2013-12"},
		{"report", "monthly", "--db", url, "--month", "2013-12", "--format", "docx"},
		{"report", "monthly", "--db", url},
		{"report", "monthly", "--db", url, "--month", "2013-13"},
		{"report", "monthly", "--db", url, "--month", "2013-12", "--country", "CA"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("threshold %s: exit %d, want 2 (usage)", strings.Join(args, " "), code)
		}
	}
	if code, _, errs := runCLI(t, "report", "monthly", "--db", url, "--month", "2013-12", "--as", "nobody@example.org"); code == 0 || !strings.Contains(errs, "no user") {
		t.Errorf("--as an unknown user: exit %d, %s", code, errs)
	}
}
