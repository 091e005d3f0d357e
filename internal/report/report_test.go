package report_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/app"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/report"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// sampleDB ingests the bundled real sample (UCDP GED for the Central
// African Republic, one GDELT export), computes the indicators and
// replays the 2012-2014 crisis through the default rules, as "threshold
// demo" does.
func sampleDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, _ := storetest.SQLite(t)
	paths, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Files(ctx, db, paths, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := app.NewWarnings(ctx, db, app.WarningOptions{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	sp := sum.Touched.Span()
	if _, err := w.Watcher.Changed(ctx, sum.Touched.Countries(), sp.From, sp.To); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Watcher.Replay(ctx, []string{"CAF"}, day("2012-12-01"), day("2014-06-30")); err != nil {
		t.Fatal(err)
	}
	return db
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// monthValue reads one stored monthly country indicator, 0 when absent
// (the indicators store no zeros).
func monthValue(t *testing.T, db *store.DB, country, name string, month time.Time) float64 {
	t.Helper()
	whole := ""
	vs, err := db.Indicators(context.Background(), store.IndicatorQuery{Country: country, Admin1: &whole,
		Kind: indicator.Month, Name: name, From: month, To: month})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		return 0
	}
	return vs[0].Value
}

func TestMonthlyCAF(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)

	// Synthetic casework (the sample holds none): a confidential case
	// owned by one organisation, not shared with the other.
	var viewers []casework.Viewer
	for _, o := range []string{"Synthetic UN", "Synthetic NGO"} {
		org, err := db.AddOrg(ctx, o, now)
		if err != nil {
			t.Fatal(err)
		}
		email := "desk@" + strings.ToLower(o[10:]) + ".example"
		u, err := db.AddUser(ctx, auth.User{Email: email, Name: "synthetic", OrgID: org.ID, Role: auth.DeskOfficer, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		viewers = append(viewers, casework.Viewer{UserID: u.ID, Email: u.Email, OrgID: org.ID, OrgName: o, Role: u.Role})
	}
	m, err := alert.NewManager(alert.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := casework.New(casework.Options{Store: db, Alerts: m, Audit: audit.New(db, nil)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Create(ctx, viewers[0], casework.Case{Title: "Synthetic Bangui watch", Places: []casework.Place{{Country: "CAF"}},
		Status: casework.Monitoring, Confidentiality: casework.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"2013-12-10", "2014-01-15"} {
		if _, err := svc.AddAction(ctx, viewers[0], c.ID, casework.Action{Type: casework.ActionType("statement"), At: day(at),
			Outcome: "synthetic statement of " + at}); err != nil {
			t.Fatal(err)
		}
	}

	month := day("2013-12-01")
	events := monthValue(t, db, "CAF", indicator.Events, month)
	fatalities := monthValue(t, db, "CAF", indicator.FatalitiesBest, month)
	if events != 41 || fatalities != 1318 {
		t.Fatalf("stored CAF 2013-12 indicators: %v events, %v fatalities; the sample has 41 and 1318", events, fatalities)
	}
	var sum12 float64
	for m := month.AddDate(0, -12, 0); m.Before(month); m = m.AddDate(0, 1, 0) {
		sum12 += monthValue(t, db, "CAF", indicator.FatalitiesBest, m)
	}

	for _, tc := range []struct {
		name    string
		viewer  casework.Viewer
		want    []string
		notWant []string
	}{
		{"owner", viewers[0],
			[]string{"Synthetic Bangui watch", "synthetic statement of 2013-12-10"},
			[]string{"synthetic statement of 2014-01-15"}},
		{"other organisation", viewers[1],
			[]string{"No case in Central African Republic that this reader may see."},
			[]string{"Synthetic Bangui watch", "synthetic statement"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := report.Build(ctx, db, report.Options{Month: day("2013-12-15"), Countries: []string{"caf"},
				Cases: svc, Viewer: tc.viewer, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Countries) != 1 {
				t.Fatalf("%d countries, want CAF alone", len(r.Countries))
			}
			caf := r.Countries[0]
			if cur := caf.Current(); cur.Events != 41 || cur.Fatalities != 1318 || len(caf.Months) != 13 || len(caf.History) != 25 {
				t.Errorf("CAF current month = %+v over %d months, want 41 events and 1318 fatalities over 13", cur, len(caf.Months))
			}
			if got, want := caf.Mean12Fatalities, sum12/12; got < want-1e-9 || got > want+1e-9 {
				t.Errorf("12-month mean fatalities %v, want %v from the indicators", got, want)
			}
			if caf.LastData != "2022-12" || caf.AfterData() {
				t.Errorf("CAF's last month of data %q (after it: %v), want 2022-12, which 2013-12 is not after", caf.LastData, caf.AfterData())
			}
			if len(caf.Alerts) == 0 {
				t.Error("no alert in CAF 2013-12, the height of the crisis")
			}
			for _, a := range caf.Alerts {
				if a.Window.End.Before(month) || !a.FirstWindow.End.Before(month.AddDate(0, 1, 0)) {
					t.Errorf("alert %d's episode on data of %s to %s misses the month", a.ID,
						a.FirstWindow.End.Format("2006-01-02"), a.Window.End.Format("2006-01-02"))
				}
				if a.New != (a.FirstWindow.End.Month() == time.December && a.FirstWindow.End.Year() == 2013) {
					t.Errorf("alert %d opened on data to %s: New is %v", a.ID, a.FirstWindow.End.Format("2006-01-02"), a.New)
				}
			}
			var buf bytes.Buffer
			if err := r.WriteHTML(&buf); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			wellFormed(t, html)
			want := append([]string{
				"Monthly tracker: December 2013",
				"Central African Republic (CAF)",
				`data-figure="events">41<`,
				`data-figure="fatalities">1,318<`,
				"UCDP GED data ends 2022-12",
				"GDELT data ends 2019-10",
				"Sundberg &amp; Melander (2013)",
				"Casework shown as " + tc.viewer.Email,
			}, tc.want...)
			if strings.Contains(html, "No event data stored") {
				t.Error("the report says CAF has no data in 2013-12")
			}
			for _, w := range want {
				if !strings.Contains(html, w) {
					t.Errorf("the report lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(html, w) {
					t.Errorf("the report shows %q", w)
				}
			}
			for _, a := range caf.Alerts {
				if !strings.Contains(html, template(a.Title)) {
					t.Errorf("the report lacks alert %q", a.Title)
				}
			}
			if os.Getenv("REPORT_HTML") != "" {
				os.WriteFile(os.Getenv("REPORT_HTML"), buf.Bytes(), 0o644)
			}
		})
	}
}

// template escapes s as html/template does text.
func template(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

// wellFormed parses the document as XML (the report writes HTML that is
// also well-formed XML) and checks it has two SVG charts a country.
func wellFormed(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	svgs, rects := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the report is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "svg":
				svgs++
			case "rect":
				rects++
			}
		}
	}
	if svgs != 2 || rects != 48 {
		t.Errorf("%d charts of %d bars, want 2 of 24 months each", svgs, rects)
	}
}
