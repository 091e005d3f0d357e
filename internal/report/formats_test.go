package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/report"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// fixture is the sample database with synthetic casework: two
// organisations' desk officers, and a confidential case of the first,
// shared with nobody, with an action in December 2013.
type fixture struct {
	db       *store.DB
	svc      *casework.Service
	viewers  []casework.Viewer
	secret   casework.Case
	outcome  string
	now      time.Time
	tracker  *report.Tracker
	auditLog *audit.Log
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{db: sampleDB(t), now: time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)}
	for _, o := range []string{"Synthetic UN", "Synthetic NGO"} {
		org, err := f.db.AddOrg(ctx, o, f.now)
		if err != nil {
			t.Fatal(err)
		}
		email := "desk@" + strings.ToLower(o[10:]) + ".example"
		u, err := f.db.AddUser(ctx, auth.User{Email: email, Name: "synthetic", OrgID: org.ID, Role: auth.DeskOfficer, CreatedAt: f.now, UpdatedAt: f.now})
		if err != nil {
			t.Fatal(err)
		}
		f.viewers = append(f.viewers, casework.Viewer{UserID: u.ID, Email: u.Email, OrgID: org.ID, OrgName: o, Role: u.Role})
	}
	m, err := alert.NewManager(alert.Options{Store: f.db})
	if err != nil {
		t.Fatal(err)
	}
	f.auditLog = audit.New(f.db, nil)
	if f.svc, err = casework.New(casework.Options{Store: f.db, Alerts: m, Audit: f.auditLog}); err != nil {
		t.Fatal(err)
	}
	f.secret, err = f.svc.Create(ctx, f.viewers[0], casework.Case{Title: "Synthetic restricted Bangui mediation",
		Places: []casework.Place{{Country: "CAF"}}, Status: casework.Monitoring, Confidentiality: casework.Confidential})
	if err != nil {
		t.Fatal(err)
	}
	f.outcome = "synthetic confidential meeting with armed group leaders"
	if _, err := f.svc.AddAction(ctx, f.viewers[0], f.secret.ID, casework.Action{Type: casework.ActionType("good-offices"),
		At: day("2013-12-12"), Outcome: f.outcome}); err != nil {
		t.Fatal(err)
	}
	f.tracker = &report.Tracker{Store: f.db, Audit: f.auditLog, Now: func() time.Time { return f.now }}
	return f
}

func (f fixture) build(t *testing.T, v casework.Viewer, brief bool) report.Monthly {
	t.Helper()
	r, err := report.Build(context.Background(), f.db, report.Options{Month: day("2013-12-01"), Countries: []string{"CAF"},
		Cases: f.svc, Viewer: v, Agreements: f.db, Overrides: f.db, Maps: true, Brief: brief, Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// render writes r in every format; the PDF is given as pdftotext's text.
func render(t *testing.T, r report.Monthly) map[report.Format]string {
	t.Helper()
	out := map[report.Format]string{}
	for _, f := range report.Formats() {
		var buf bytes.Buffer
		if err := r.Write(&buf, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if buf.Len() == 0 {
			t.Fatalf("%s: empty", f)
		}
		out[f] = buf.String()
		if f == report.PDF {
			out[f] = pdfText(t, buf.Bytes())
		}
	}
	return out
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		testenv.Unavailable(t, "pdftotext not found: install poppler-utils")
		t.SkipNow()
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestReportFormats renders the CAF brief of December 2013 in every
// format from the sample data, with an analyst's override, and checks
// each carries the call, its evidence and the override; the PDF is
// rendered to PNG with pdftoppm and must be drawn, not blank; and a
// reader of another organisation never sees the restricted case, in any
// format.
func TestReportFormats(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)

	draftReport := f.build(t, f.viewers[0], true)
	draftCall := draftReport.Countries[0].Call
	if draftCall.Draft.Trend != report.Deteriorated {
		t.Errorf("CAF December 2013 (1,318 deaths against a 12-month mean of %.1f) drafted %s, want deteriorated; evidence %+v",
			draftReport.Countries[0].Mean12Fatalities, draftCall.Draft.Trend, draftCall.Evidence)
	}
	if draftCall.RulesMet() == "none" {
		t.Error("the draft names no rule met")
	}
	// The analyst confirms the trend and adds a resolution opportunity.
	reason := "synthetic review: Libreville talks resume"
	want := report.Verdict{Trend: report.Deteriorated, RiskAlert: draftCall.Draft.RiskAlert, ResolutionOpportunity: true}
	if _, err := f.tracker.Override(ctx, report.Actor{Name: "analyst@un.example", ID: f.viewers[0].UserID},
		draftReport, "CAF", want, ""); err == nil {
		t.Error("an override without a reason was accepted")
	}
	if _, err := f.tracker.Override(ctx, report.Actor{Name: "analyst@un.example", ID: f.viewers[0].UserID},
		draftReport, "CAF", want, reason); err != nil {
		t.Fatal(err)
	}
	recs, err := f.auditLog.Latest(ctx, 1)
	if err != nil || len(recs) != 1 || recs[0].Action != "tracker.override" || !strings.Contains(string(recs[0].Details), reason) {
		t.Errorf("audit log's last record %+v (%v), want the override with its reason", recs, err)
	}
	drafts, err := f.db.TrackerCalls(ctx, day("2013-12-01"), []string{"CAF"})
	if err != nil || len(drafts) != 1 || drafts[0].Trend != string(draftCall.Draft.Trend) {
		t.Errorf("stored draft %+v (%v), want the draft kept beside the override", drafts, err)
	}

	r := f.build(t, f.viewers[0], true)
	c := r.Countries[0]
	if c.Call.Override == nil || c.Call.Final() != want || c.Call.Draft != draftCall.Draft || c.Call.Override.Reason != reason {
		t.Fatalf("call after override: %+v", c.Call)
	}
	if c.Map == nil || len(c.Map.Places) == 0 || len(c.Map.Country) == 0 {
		t.Fatalf("CAF map: %+v", c.Map)
	}
	outs := render(t, r)
	for format, doc := range outs {
		var wants []string
		switch format {
		case report.JSON, report.CSV:
			wants = []string{"CAF", "Central African Republic", "deteriorated", reason, "analyst@un.example"}
		default:
			wants = []string{"Country brief: Central African Republic, December 2013", "Central African Republic (CAF)",
				"resolution opportunity", reason, "analyst@un.example", "Middle Africa", f.secret.Title, "1,318",
				"UCDP GED data ends 2022-12", "How the calls are drafted"}
		}
		flat := strings.Join(strings.Fields(doc), " ")
		for _, w := range wants {
			if !strings.Contains(flat, w) && !strings.Contains(doc, w) {
				t.Errorf("%s lacks %q", format, w)
			}
		}
	}
	var js struct {
		Calls []report.Call `json:"calls"`
	}
	if err := json.Unmarshal([]byte(outs[report.JSON]), &js); err != nil || len(js.Calls) != 1 || js.Calls[0].Override == nil ||
		js.Calls[0].Draft != draftCall.Draft || len(js.Calls[0].Evidence) == 0 {
		t.Errorf("JSON calls %+v (%v)", js.Calls, err)
	}
	rows, err := csv.NewReader(strings.NewReader(outs[report.CSV])).ReadAll()
	if err != nil || len(rows) != 2 || len(rows[0]) != len(report.CSVHeader) || rows[1][1] != "CAF" || rows[1][5] != "true" {
		t.Errorf("CSV %q (%v)", rows, err)
	}

	t.Run("PDF as PNG", func(t *testing.T) {
		var buf bytes.Buffer
		if err := r.WritePDF(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			testenv.Unavailable(t, "pdftoppm not found: install poppler-utils")
			return
		}
		dir := t.TempDir()
		in := filepath.Join(dir, "brief.pdf")
		if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "50", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, out)
		}
		pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
		if len(pages) < 2 {
			t.Fatalf("%d pages, want the brief and the notes", len(pages))
		}
		// The brief's first page carries the map and charts: count its
		// red pixels (the month reported and the places' circles).
		img := decodePNG(t, pages[0])
		ink, red := 0, 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				if r < 240 || g < 240 || bl < 240 {
					ink++
				}
				if r > 150 && g < 120 && bl < 120 {
					red++
				}
			}
		}
		total := b.Dx() * b.Dy()
		if ink < total/50 || red < 20 {
			t.Errorf("brief page: %d of %d pixels inked, %d red; want a drawn page with the map's circles and the highlighted bars", ink, total, red)
		}
		t.Logf("brief page %dx%d: %d inked, %d red pixels", b.Dx(), b.Dy(), ink, red)
	})

	t.Run("agreement milestone", func(t *testing.T) {
		path := testenv.SharedData(t, "ucdp-peace", "ucdp-peace-agreements-221.csv")
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		g, err := geo.Load()
		if err != nil {
			t.Fatal(err)
		}
		all, err := agreement.ParseUCDP(path, fh, g)
		if err != nil {
			t.Fatal(err)
		}
		var caf []agreement.Agreement
		for _, a := range all {
			if slices.Contains(a.Countries, "CAF") {
				caf = append(caf, a)
			}
		}
		svc, err := agreement.New(agreement.Options{Store: f.db})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Import(ctx, casework.Everyone("test"), caf); err != nil {
			t.Fatal(err)
		}
		r, err := report.Build(ctx, f.db, report.Options{Month: day("2013-01-01"), Countries: []string{"CAF"}, Agreements: f.db,
			Viewer: f.viewers[1], Now: f.now})
		if err != nil {
			t.Fatal(err)
		}
		c := r.Countries[0]
		if len(c.Milestones) == 0 || !c.Milestones[0].On.Equal(day("2013-01-11")) || !c.Call.Draft.ResolutionOpportunity ||
			!strings.Contains(c.Call.RulesMet(), "O1") {
			t.Errorf("CAF January 2013 (the Libreville agreement of 11 January): milestones %+v, call %+v", c.Milestones, c.Call.Draft)
		}
	})

	t.Run("clearance", func(t *testing.T) {
		other := f.build(t, f.viewers[1], false)
		for format, doc := range render(t, other) {
			for _, secret := range []string{f.secret.Title, f.outcome, fmt.Sprintf("#%d Synthetic", f.secret.ID), "Bangui mediation"} {
				if strings.Contains(doc, secret) || strings.Contains(strings.Join(strings.Fields(doc), " "), secret) {
					t.Errorf("%s for %s shows %q", format, f.viewers[1].Email, secret)
				}
			}
			if format == report.HTML || format == report.Markdown || format == report.PDF {
				if !strings.Contains(strings.Join(strings.Fields(doc), " "), "No case in Central African Republic that this reader may see.") {
					t.Errorf("%s does not say the reader sees no case", format)
				}
			}
		}
	})
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want report.Format
		ok   bool
	}{{"pdf", report.PDF, true}, {" Markdown", report.Markdown, true}, {"md", report.Markdown, true}, {"CSV", report.CSV, true},
		{"docx", "", false}, {"", "", false}} {
		got, err := report.ParseFormat(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, got, err)
		}
	}
}
