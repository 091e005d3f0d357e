package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/fieldreport"
	"threshold/internal/server"
	"threshold/internal/web/webtest"
)

// syntheticReport is a report form as a monitor fills it in.
func syntheticReport(tok string) url.Values {
	return url.Values{"csrf_token": {tok}, "what": {"Synthetic test report: armed men burned the market"},
		"country": {"caf"}, "admin1": {"Ouham"}, "place": {"Bossangoa"}, "date": {"2025-11-18"},
		"involved": {"synthetic armed group"}, "casualties": {"3"}, "category": {"violence-against-civilians"},
		"confidence": {"witnessed"}, "identity": {"pseudonym"}, "pseudonym": {"SyntheticKite"}}
}

// TestFieldReportFormAndVerification: a partner viewer sends a report with
// a pseudonym and may not verify it; an analyst of the receiving
// organisation sees the pseudonym and verifies it, and it becomes an event
// of source field-report.
func TestFieldReportFormAndVerification(t *testing.T) {
	site := webtest.StartFieldReports(t)
	ctx := context.Background()

	pc := site.Client(t)
	ptok := site.SignIn(t, pc, auth.PartnerViewer).CSRF
	get(t, pc, site.URL+"/report").want(t, "form", http.StatusOK, `id="report-form"`, `name="csrf_token" value="`+ptok+`"`,
		`<option value="violence-against-civilians">`, "/static/report.js?v=")

	// Refusals come back with the reason and the values given.
	bad := syntheticReport(ptok)
	bad.Set("country", "XYZ")
	bad.Set("casualties", "-1")
	post(t, pc, site.URL+"/report", bad).want(t, "bad form", http.StatusBadRequest, `id="country-error"`,
		`id="casualties-error"`, "Synthetic test report: armed men burned the market")
	noCSRF := syntheticReport("")
	post(t, pc, site.URL+"/report", noCSRF).want(t, "no CSRF", http.StatusForbidden)

	form := syntheticReport(ptok)
	form.Set("client_id", "web-synthetic-1")
	post(t, pc, site.URL+"/report", form).wantRedirect(t, "submit", "/report?sent=1")
	// A queue resending the same report stores it once.
	post(t, pc, site.URL+"/report", form).wantRedirect(t, "resend", "/report?sent=0")
	get(t, pc, site.URL+"/report?sent=1").want(t, "sent", http.StatusOK, `data-state="sent"`, "Report sent")
	all, err := site.Reports.List(ctx, fieldreport.Viewer{All: true}, fieldreport.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Channel != "web" || all[0].Country != "CAF" || all[0].Reporter == nil ||
		all[0].Reporter.Pseudonym != "SyntheticKite" || all[0].Casualties == nil || *all[0].Casualties != 3 {
		t.Fatalf("stored reports: %+v", all)
	}

	// The partner viewer may neither see the analysts' page nor verify.
	get(t, pc, site.URL+"/field-reports").want(t, "partner list", http.StatusForbidden)
	move := url.Values{"csrf_token": {ptok}, "to": {"verified"}, "reason": {"synthetic"}}
	post(t, pc, site.URL+"/field-reports/1/move", move).want(t, "partner verifies", http.StatusForbidden)

	ac := site.Client(t)
	atok := site.SignIn(t, ac, auth.Analyst).CSRF
	get(t, ac, site.URL+"/field-reports").want(t, "analyst list", http.StatusOK, `id="report-1"`,
		`class="reporter">pseudonym: SyntheticKite`, `action="/field-reports/1/move"`,
		`<select id="to-1" name="to"><option value="under-review">under-review</option><option value="rejected">rejected</option>`)
	// Straight from unverified to verified is refused: a report is reviewed first.
	move = url.Values{"csrf_token": {atok}, "to": {"verified"}, "reason": {"Synthetic: no review"}}
	post(t, ac, site.URL+"/field-reports/1/move", move).want(t, "skip review", http.StatusBadRequest, "unverified to verified")
	move.Set("to", "under-review")
	move.Set("reason", "Synthetic: calling a second monitor")
	post(t, ac, site.URL+"/field-reports/1/move", move).wantRedirect(t, "review", "/field-reports?status=under-review&moved=1&to=under-review")
	post(t, ac, site.URL+"/field-reports/1/move", url.Values{"csrf_token": {atok}, "to": {"verified"}}).
		want(t, "no reason", http.StatusBadRequest, "Give the reason")
	move = url.Values{"csrf_token": {atok}, "to": {"verified"}, "reason": {"Synthetic: confirmed by a second monitor"},
		"evidence": {"synthetic call"}}
	post(t, ac, site.URL+"/field-reports/1/move", move).wantRedirect(t, "verify", "/field-reports?status=verified&moved=1&to=verified")
	get(t, ac, site.URL+"/field-reports?status=verified&moved=1&to=verified").want(t, "verified", http.StatusOK,
		"Report 1 is now verified.", `data-status="verified"`, "<dt>Event</dt><dd>field-report:")
	post(t, ac, site.URL+"/field-reports/1/move", move).want(t, "final", http.StatusBadRequest)
	got, err := site.Reports.Get(ctx, fieldreport.Viewer{All: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != fieldreport.Verified || !strings.HasPrefix(got.EventID, "field-report:") {
		t.Errorf("after verification: status %s, event %q", got.Status, got.EventID)
	}
}

// TestFieldReportIdentityAndEscaping: an analyst of another organisation
// sees the report but never its reporter, and a script in a text field is
// shown escaped.
func TestFieldReportIdentityAndEscaping(t *testing.T) {
	site := webtest.StartFieldReports(t)
	ctx := context.Background()
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.Analyst).CSRF
	form := syntheticReport(tok)
	script := `<script>alert("synthetic")</script>`
	for _, k := range []string{"what", "admin1", "place", "involved"} {
		form.Set(k, form.Get(k)+script)
	}
	form.Set("pseudonym", "SyntheticOwl"+script)
	post(t, c, site.URL+"/report", form).wantRedirect(t, "submit", "/report?sent=1")
	p := get(t, c, site.URL+"/field-reports")
	p.want(t, "own org", http.StatusOK, "SyntheticOwl&lt;script&gt;", "Bossangoa&lt;script&gt;alert(&#34;synthetic&#34;)&lt;/script&gt;")
	if strings.Contains(p.body, script) {
		t.Errorf("the list page holds the script unescaped")
	}

	by := auth.Actor{Name: "synthetic test"}
	if _, err := site.Auth.AddOrg(ctx, by, "Synthetic Other Org"); err != nil {
		t.Fatal(err)
	}
	other := auth.NewUser{Org: "Synthetic Other Org", Role: auth.Analyst, Email: "synthetic-other-analyst@example.org",
		Name: "Synthetic other analyst", Password: webtest.Password}
	if _, err := site.Auth.AddUser(ctx, by, other); err != nil {
		t.Fatal(err)
	}
	cookie, _, err := site.Auth.Login(ctx, other.Email, webtest.Password, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	oc := site.Client(t)
	u, _ := url.Parse(site.URL)
	oc.Jar.SetCookies(u, []*http.Cookie{{Name: server.SessionCookie, Value: cookie, Path: "/"}})
	op := get(t, oc, site.URL+"/field-reports")
	op.want(t, "other org", http.StatusOK, `id="report-1"`, "Synthetic test report")
	for _, s := range []string{"SyntheticOwl", "pseudonym", `class="reporter"`} {
		if strings.Contains(op.body, s) {
			t.Errorf("another organisation's analyst sees %q", s)
		}
	}
}

// TestFieldReportAttachment: the form's attachment goes through the
// service's checks: a file named like a photo that is not one is refused,
// with the reason, and nothing is stored; a real PNG is kept.
func TestFieldReportAttachment(t *testing.T) {
	site := webtest.StartFieldReports(t)
	ctx := context.Background()
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.DeskOfficer).CSRF
	send := func(name string, data []byte) page {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, vs := range syntheticReport(tok) {
			for _, v := range vs {
				mw.WriteField(k, v)
			}
		}
		fw, err := mw.CreateFormFile("attachment", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
		mw.Close()
		resp, err := c.Post(site.URL+"/report", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		return read(t, resp)
	}
	send("synthetic-photo.jpg", []byte("#!/bin/sh\necho synthetic disguised script\n")).
		want(t, "disguised", http.StatusBadRequest, "The report was not sent.", "synthetic-photo.jpg", "Synthetic test report: armed men burned the market")
	all := fieldreport.Viewer{All: true}
	if rs, err := site.Reports.List(ctx, all, fieldreport.Query{}); err != nil || len(rs) != 0 {
		t.Fatalf("after a disguised attachment the service holds %d reports (%v)", len(rs), err)
	}

	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	send("synthetic.png", pic.Bytes()).wantRedirect(t, "png", "/report?sent=1")
	got, err := site.Reports.Get(ctx, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Type != "image/png" {
		t.Errorf("attachments stored: %+v", got.Attachments)
	}
}
