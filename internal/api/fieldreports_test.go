package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/notify"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

const (
	syntheticGatewaySecret = "synthetic-gateway-secret-0123456789"
	syntheticPhone         = "+236 72 00 11 22 synthetic"
	injection              = `<script>alert("x")</script>`
)

// reportsFixture serves the API with field reports over a fresh SQLite
// database: users of every role in three synthetic organisations (token
// "<org>-<role>"), the gateway "sms" received by the first ("un").
type reportsFixture struct {
	h     http.Handler
	api   *API
	db    *store.DB
	log   *audit.Log
	now   time.Time
	orgUN int64
}

func newReportsFixture(t *testing.T) *reportsFixture {
	t.Helper()
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	f := &reportsFixture{db: db, now: time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.log = audit.New(db, clock)
	tokens := orgAuth{}
	for _, o := range []struct{ key, name string }{{"un", "Synthetic UN"}, {"au", "Synthetic AU"}, {"out", "Synthetic Outsider"}} {
		org, err := db.AddOrg(ctx, o.name, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if o.key == "un" {
			f.orgUN = org.ID
		}
		for _, r := range auth.Roles() {
			tokens[o.key+"-"+string(r)] = auth.Principal{UserID: org.ID*100 + int64(len(tokens)+1),
				Email: string(r) + "@" + o.key + ".example", OrgID: org.ID, OrgName: org.Name, Role: r, Via: "token", Scope: auth.ScopeWrite}
		}
	}
	sealer, err := fieldreport.NewSealer(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := fieldreport.New(fieldreport.Options{Store: db, Events: db, Audit: f.log, Sealer: sealer, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	gateways := func(name string) (fieldreport.Gateway, bool) {
		env := map[string]string{"THRESHOLD_GATEWAY_SMS_SECRET": syntheticGatewaySecret,
			"THRESHOLD_GATEWAY_SMS_ORG": strconv.FormatInt(f.orgUN, 10)}
		return fieldreport.GatewayFromEnv(func(k string) string { return env[k] }, name)
	}
	rs := &server.Routes{}
	met := server.NewMetrics()
	if f.api, err = Register(rs, Deps{Store: db, Metrics: met, Audit: f.log, FieldReports: svc, Gateways: gateways,
		Now: clock, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: tokens, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	f.h = srv
	return f
}

func (f *reportsFixture) do(t *testing.T, token, method, path, body string) (int, string, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Code, w.Body.String(), w.Header()
}

// count is how many field reports the database holds.
func (f *reportsFixture) count(t *testing.T) int {
	t.Helper()
	rs, err := f.db.FieldReports(context.Background(), fieldreport.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// gpsJPEG is a small synthetic JPEG carrying an EXIF block with a marker.
func gpsJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08SYNTHETIC-GPS-6.49N-17.45E")
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{0xFF, 0xD8}, seg...), payload...), b.Bytes()[2:]...)
}

func reportBody(extra string, atts ...string) string {
	var as []string
	for i, a := range atts {
		as = append(as, fmt.Sprintf(`{"name":"f%d","data":%q}`, i, a))
	}
	return `{"what":"synthetic: ` + strings.ReplaceAll(injection, `"`, `\"`) + ` shots near the market",
		"country":"CAF","admin1":"Ouham","place":"=HYPERLINK(\"http://x\")","latitude":6.49,"longitude":17.45,
		"date":"2024-03-01","involved":"<img src=x onerror=alert(1)>","casualties":2,"category":"battle",
		"confidence":"witnessed","reporter":{"kind":"contact","pseudonym":"Kite","contact":"` + syntheticPhone + `"},
		"attachments":[` + strings.Join(as, ",") + `]` + extra + `}`
}

func TestFieldReportsAPI(t *testing.T) {
	f := newReportsFixture(t)
	b64 := base64.StdEncoding.EncodeToString
	code, body, _ := f.do(t, "un-analyst", "POST", Prefix+"/field-reports", reportBody("", b64(gpsJPEG(t))))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct {
		ID          int64
		Attachments []fieldreport.Attached
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.ID == 0 || len(created.Attachments) != 1 {
		t.Fatalf("create answered %s (%v)", body, err)
	}
	if strings.Contains(body, syntheticPhone) || strings.Contains(body, "<script>") || !strings.Contains(body, `\u003cscript\u003e`) {
		t.Errorf("create answer leaks the contact or an unescaped script: %s", body)
	}
	id := strconv.FormatInt(created.ID, 10)

	t.Run("attachment stripped of GPS metadata", func(t *testing.T) {
		code, body, h := f.do(t, "au-partner-viewer", "GET", fmt.Sprintf("%s/field-reports/%s/attachments/%d", Prefix, id, created.Attachments[0].ID), "")
		if code != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Fatalf("attachment: %d %v", code, h)
		}
		if strings.Contains(body, "SYNTHETIC-GPS") || strings.Contains(body, "Exif") {
			t.Error("attachment still carries its EXIF GPS block")
		}
		if _, err := jpeg.Decode(strings.NewReader(body)); err != nil {
			t.Errorf("attachment is not a JPEG: %v", err)
		}
	})

	t.Run("identity only for the receiving organisation's analysts and admins", func(t *testing.T) {
		paths := []string{Prefix + "/field-reports/" + id, Prefix + "/field-reports", Prefix + "/field-reports?format=csv",
			Prefix + "/field-reports?status=unverified&country=CAF"}
		for _, tok := range []string{"un-partner-viewer", "au-partner-viewer", "au-analyst", "out-analyst", "un-desk-officer",
			"un-mediation-expert", "au-desk-officer"} {
			for _, p := range paths {
				code, body, _ := f.do(t, tok, "GET", p, "")
				if code != http.StatusOK {
					t.Errorf("%s GET %s: %d %s", tok, p, code, clip(body))
					continue
				}
				for _, leak := range []string{syntheticPhone, "Kite", "contact", "v1:", "reporter\":", "pseudonym"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s GET %s: response has %q\n%s", tok, p, leak, clip(body))
					}
				}
				if !strings.Contains(body, "shots near the market") {
					t.Errorf("%s GET %s: the report itself is missing", tok, p)
				}
			}
		}
		code, body, _ := f.do(t, "un-analyst", "GET", Prefix+"/field-reports/"+id, "")
		if code != http.StatusOK || !strings.Contains(body, syntheticPhone) || !strings.Contains(body, "Kite") {
			t.Errorf("own analyst: %d %s, want the contact", code, clip(body))
		}
		code, body, _ = f.do(t, "au-admin", "GET", Prefix+"/field-reports/"+id, "")
		if code != http.StatusOK || !strings.Contains(body, syntheticPhone) {
			t.Errorf("admin: %d %s, want the contact", code, clip(body))
		}
		code, body, _ = f.do(t, "un-analyst", "GET", Prefix+"/field-reports?format=csv", "")
		if code != http.StatusOK || strings.Contains(body, syntheticPhone) || !strings.Contains(body, "contact:Kite") {
			t.Errorf("own analyst's export: %d %s, want the pseudonym and never the contact", code, clip(body))
		}
		recs, _ := f.log.Latest(context.Background(), 100)
		reads := 0
		for _, r := range recs {
			if r.Action == "field-report.contact.read" && r.Object == "field-report:"+id {
				reads++
			}
		}
		if reads != 2 {
			t.Errorf("audited contact reads = %d, want 2", reads)
		}
	})

	t.Run("script injection stays text", func(t *testing.T) {
		_, body, _ := f.do(t, "au-analyst", "GET", Prefix+"/field-reports/"+id, "")
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, `\u003cimg src=x`) {
			t.Errorf("JSON not escaped: %s", clip(body))
		}
		code, body, h := f.do(t, "au-analyst", "GET", Prefix+"/field-reports?format=csv", "")
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("CSV export: %d %v", code, h)
		}
		if !strings.Contains(body, `'=HYPERLINK`) || !strings.Contains(body, `<script>alert(""x"")</script>`) {
			t.Errorf("CSV export: formula not quoted or text altered:\n%s", body)
		}
	})

	t.Run("malicious input refused, nothing stored", func(t *testing.T) {
		before := f.count(t)
		big := make([]byte, fieldreport.MaxAttachment+1)
		copy(big, gpsJPEG(t))
		for _, tt := range []struct {
			name, body, want string
		}{
			{"oversized attachment", reportBody("", b64(big)), "at most"},
			{"PNG that is really HTML", reportBody("", b64([]byte("<html><body><script>alert(1)</script></body></html>"))), "text/html"},
			{"PNG signature then HTML", reportBody("", b64(append([]byte("\x89PNG\r\n\x1a\n"), "<script>"...))), "not a readable image"},
			{"bad category", strings.Replace(reportBody(""), `"battle"`, `"<b>war</b>"`, 1), "category"},
			{"coordinates out of range", strings.Replace(reportBody(""), `6.49`, `96.49`, 1), "latitude"},
		} {
			code, body, _ := f.do(t, "un-analyst", "POST", Prefix+"/field-reports", tt.body)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Errorf("%s: %d %s, want 422 naming %q", tt.name, code, clip(body), tt.want)
			}
		}
		if n := f.count(t); n != before {
			t.Errorf("reports stored: %d, want %d", n, before)
		}
	})

	t.Run("verification", func(t *testing.T) {
		for _, tok := range []string{"un-partner-viewer", "un-desk-officer"} {
			if code, body, _ := f.do(t, tok, "PUT", Prefix+"/field-reports/"+id+"/status", `{"to":"under-review","reason":"x"}`); code != http.StatusForbidden {
				t.Errorf("%s transition: %d %s, want 403", tok, code, clip(body))
			}
		}
		if code, body, _ := f.do(t, "au-analyst", "PUT", Prefix+"/field-reports/"+id+"/status", `{"to":"verified","reason":"x"}`); code != http.StatusConflict {
			t.Errorf("unverified -> verified: %d %s, want 409", code, clip(body))
		}
		if code, body, _ := f.do(t, "au-analyst", "PUT", Prefix+"/field-reports/"+id+"/status", `{"to":"under-review","reason":"calling back"}`); code != http.StatusOK {
			t.Fatalf("under review: %d %s", code, clip(body))
		}
		code, body, _ := f.do(t, "un-analyst", "PUT", Prefix+"/field-reports/"+id+"/status",
			`{"to":"verified","reason":"second source","evidence":"synthetic radio log"}`)
		if code != http.StatusOK || !strings.Contains(body, `"status":"verified"`) || !strings.Contains(body, "field-report:"+id) ||
			!strings.Contains(body, "synthetic radio log") {
			t.Fatalf("verify: %d %s", code, clip(body))
		}
		if _, err := f.db.Event(context.Background(), event.Key{Source: event.FieldReport, SourceID: id}); err != nil {
			t.Errorf("verified report's event: %v", err)
		}
	})
}

// sign signs body as gateway "sms" would at ts.
func sign(r *http.Request, secret string, ts int64, body []byte) {
	r.Header.Set("X-Threshold-Timestamp", strconv.FormatInt(ts, 10))
	r.Header.Set("X-Threshold-Signature", notify.Sign([]byte(secret), ts, body))
}

func TestFieldReportGateway(t *testing.T) {
	f := newReportsFixture(t)
	body := []byte(`{"message_id":"sms-77","what":"synthetic: ` + strings.ReplaceAll(injection, `"`, `\"`) + ` road blocked",
		"country":"CAF","admin1":"Ouham","date":"2024-03-03","category":"riot","confidence":"reliable","flash":true,
		"reporter":{"kind":"contact","contact":"` + syntheticPhone + `"}}`)
	post := func(gateway string, body []byte, prep func(*http.Request)) (int, string) {
		r := httptest.NewRequest("POST", Prefix+"/field-reports/inbound/"+gateway, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		prep(r)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	ts := f.now.Unix()
	for _, tt := range []struct {
		name string
		gw   string
		body []byte
		prep func(*http.Request)
	}{
		{"unsigned", "sms", body, func(*http.Request) {}},
		{"wrong secret", "sms", body, func(r *http.Request) { sign(r, "synthetic-forger-secret-000000", ts, body) }},
		{"signature of another body", "sms", body, func(r *http.Request) { sign(r, syntheticGatewaySecret, ts, []byte("{}")) }},
		{"stale timestamp", "sms", body, func(r *http.Request) { sign(r, syntheticGatewaySecret, ts-3600, body) }},
		{"unknown gateway", "whatsapp", body, func(r *http.Request) { sign(r, syntheticGatewaySecret, ts, body) }},
	} {
		if code, resp := post(tt.gw, tt.body, tt.prep); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", tt.name, code, resp)
		}
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("forged requests stored %d reports", n)
	}
	signed := func(r *http.Request) { sign(r, syntheticGatewaySecret, ts, body) }
	code, resp := post("sms", body, signed)
	if code != http.StatusCreated || !strings.Contains(resp, `"status":"unverified"`) || strings.Contains(resp, syntheticPhone) {
		t.Fatalf("signed: %d %s", code, resp)
	}
	if code, resp := post("sms", body, signed); code != http.StatusUnauthorized {
		t.Errorf("replay: %d %s, want 401", code, resp)
	}
	resigned := func(r *http.Request) { sign(r, syntheticGatewaySecret, ts+1, body) }
	if code, resp := post("sms", body, resigned); code != http.StatusConflict {
		t.Errorf("same message id signed again: %d %s, want 409", code, resp)
	}
	if n := f.count(t); n != 1 {
		t.Errorf("stored %d reports, want 1", n)
	}
	// Received for the UN: its analyst sees the contact, the AU's does not.
	rs, _ := f.db.FieldReports(context.Background(), fieldreport.Query{})
	id := strconv.FormatInt(rs[0].ID, 10)
	if rs[0].OrgID != f.orgUN || rs[0].Channel != "gateway:sms" || !rs[0].Flash {
		t.Errorf("stored %+v", rs[0])
	}
	if _, body, _ := f.do(t, "un-analyst", "GET", Prefix+"/field-reports/"+id, ""); !strings.Contains(body, syntheticPhone) {
		t.Errorf("UN analyst does not see the contact: %s", clip(body))
	}
	if _, body, _ := f.do(t, "au-analyst", "GET", Prefix+"/field-reports/"+id, ""); strings.Contains(body, syntheticPhone) ||
		strings.Contains(body, "reporter") || strings.Contains(body, "sms-77") {
		t.Errorf("AU analyst sees the reporter: %s", clip(body))
	}
	bad := []byte(`{"message_id":"sms-78","what":"x","country":"CAF","date":"yesterday","category":"riot","confidence":"reliable"}`)
	if code, resp := post("sms", bad, func(r *http.Request) { sign(r, syntheticGatewaySecret, ts, bad) }); code != http.StatusUnprocessableEntity ||
		!strings.Contains(resp, "date") {
		t.Errorf("bad payload: %d %s, want 422 naming date", code, resp)
	}
}

func TestFieldMonitorsAPI(t *testing.T) {
	f := newReportsFixture(t)
	code, body, _ := f.do(t, "un-analyst", "POST", Prefix+"/field-monitors",
		`{"name":"Synthetic monitor","areas":[{"country":"CAF","admin1":"Vakaga"}],"interval_days":7,"active":true}`)
	if code != http.StatusOK || !strings.Contains(body, `"id":1`) {
		t.Fatalf("save monitor: %d %s", code, body)
	}
	if code, body, _ := f.do(t, "un-partner-viewer", "GET", Prefix+"/field-monitors", ""); code != http.StatusForbidden {
		t.Errorf("partner viewer lists monitors: %d %s", code, body)
	}
	if code, body, _ := f.do(t, "au-analyst", "GET", Prefix+"/field-monitors", ""); code != http.StatusOK || strings.Contains(body, "Synthetic monitor") {
		t.Errorf("another organisation's analyst sees the monitor: %d %s", code, body)
	}
	code, body, _ = f.do(t, "un-analyst", "GET", Prefix+"/field-monitors/silent", "")
	if code != http.StatusOK || !strings.Contains(body, `"admin1":"Vakaga"`) || !strings.Contains(body, `"quiet_days":-1`) {
		t.Errorf("silent areas: %d %s", code, body)
	}
}

func TestFieldReportGatewayDocumented(t *testing.T) {
	f := newReportsFixture(t)
	p := f.api.OpenAPI().Paths[Prefix+"/field-reports/inbound/{gateway}"]
	if p == nil || p.Post == nil {
		t.Fatal("gateway webhook not in the OpenAPI document")
	}
	if len(p.Post.Security) != 0 {
		t.Errorf("gateway webhook security = %v, want none (signed instead)", p.Post.Security)
	}
	b, err := json.Marshal(p.Post.RequestBody)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Inbound") {
		t.Errorf("request body not documented as the Inbound payload: %s", b)
	}
	schema := f.api.OpenAPI().Components.Schemas.Map()["Inbound"]
	if schema == nil || schema.Properties["message_id"] == nil || schema.Properties["attachments"] == nil {
		t.Errorf("Inbound schema = %+v", schema)
	}
}
