package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"threshold/internal/audit"
	"threshold/internal/indicator"
	"time"

	"threshold/internal/auth"
	"threshold/internal/ingest"
	"threshold/internal/server/servertest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

func carFile(t testing.TB) string {
	return testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
}

// started runs an app on a free loopback port until the test ends.
func started(t *testing.T, opts Options) *App {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	a, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return a
}

func get(t *testing.T, a *App, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+a.Addr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestRefusesOutOfDateSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh.db")
	_, err := New(context.Background(), Options{DB: path})
	if err == nil || !strings.Contains(err.Error(), "threshold migrate") {
		t.Fatalf("New on an unmigrated database: %v, want an error saying to run threshold migrate", err)
	}
	a, err := New(context.Background(), Options{DB: path, Migrate: true})
	if err != nil {
		t.Fatalf("New with Migrate: %v", err)
	}
	a.Stop(context.Background())
	a, err = New(context.Background(), Options{DB: path})
	if err != nil {
		t.Fatalf("New on a migrated database: %v", err)
	}
	a.Stop(context.Background())
}

// TestServe runs the whole process on both databases, with the real auth
// service: an API token made the way the CLI makes them reads
// statistics; a read-only one may not ingest.
func TestServe(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, []string{carFile(t)}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		a := started(t, Options{DB: url})
		if first, err := a.NeedsFirstAdmin(ctx); err != nil || !first {
			t.Errorf("NeedsFirstAdmin on a new database = %v, %v; want true", first, err)
		}
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} {
			if code, body := get(t, a, path, ""); code != 200 {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
		if code, _ := get(t, a, "/api/v1/stats?country=CAF", ""); code != 401 {
			t.Errorf("stats signed out: %d, want 401", code)
		}

		svc := a.Auth()
		cli := auth.Actor{Name: "cli:test"}
		if _, err := svc.AddOrg(ctx, cli, "UN DPPA"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddUser(ctx, cli, auth.NewUser{Email: "analyst@example.org", Org: "UN DPPA",
			Role: auth.Analyst, Password: "correct horse battery staple"}); err != nil {
			t.Fatal(err)
		}
		read, _, err := svc.CreateToken(ctx, cli, auth.NewToken{Email: "analyst@example.org", Name: "test", Scope: auth.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		code, body := get(t, a, "/api/v1/stats?by=country-month&country=CAF&from=2013&to=2013", read)
		if code != 200 || !strings.Contains(body, `"period":"2013-12"`) {
			t.Errorf("stats with a token: %d %s", code, body)
		}
		var stats struct {
			Items []struct{ Events int } `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &stats); err != nil || len(stats.Items) == 0 {
			t.Errorf("stats: %v %s", err, body)
		}
		req, _ := http.NewRequest("POST", "http://"+a.Addr()+"/api/v1/ingest", strings.NewReader(""))
		req.Header.Set("Authorization", "Bearer "+read)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("ingest with a read token: %d, want 403", resp.StatusCode)
		}
		if first, err := a.NeedsFirstAdmin(ctx); err != nil || first {
			t.Errorf("NeedsFirstAdmin with a user = %v, %v; want false", first, err)
		}
	})
}

// TestAccessMatrix walks every route the process serves, the dashboard's
// included once it registers, with every role, signed out, and read and
// write tokens, and checks each decision against the route's policy.
func TestAccessMatrix(t *testing.T) {
	db, url := storetest.SQLite(t)
	if _, err := ingest.Files(context.Background(), db, []string{carFile(t)}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), Options{DB: url, Auth: servertest.Auth{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop(context.Background())
	routes := a.Routes().All()
	public := 0
	for _, rt := range routes {
		if rt.Public {
			public++
			t.Logf("public: %s %s", rt.Method, rt.Pattern)
		}
	}
	t.Logf("%d routes, %d public", len(routes), public)
	servertest.CheckAccess(t, a.Handler(), routes)
}

// TestSessions signs in through the auth service and uses the session
// cookie as a browser would: reads need nothing more, changes need the
// session's CSRF token, and a tampered cookie is signed out.
func TestSessions(t *testing.T) {
	_, url := storetest.SQLite(t)
	a := started(t, Options{DB: url, Migrate: true})
	ctx := context.Background()
	svc := a.Auth()
	cli := auth.Actor{Name: "cli:test"}
	if _, err := svc.AddOrg(ctx, cli, "ECOWAS"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, cli, auth.NewUser{Email: "desk@example.org", Org: "ECOWAS",
		Role: auth.Analyst, Password: "correct horse battery staple"}); err != nil {
		t.Fatal(err)
	}
	cookie, p, err := svc.Login(ctx, "desk@example.org", "correct horse battery staple", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	car, err := os.ReadFile(carFile(t))
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		name   string
		method string
		path   string
		cookie string
		csrf   string
		body   bool // the CAR sample as an upload
		want   int
	}{
		{"read with a session", "GET", "/api/v1/stats?country=CAF", cookie, "", false, 200},
		{"page with a session", "GET", "/countries/CAF", cookie, "", false, 200},
		{"change without CSRF token", "POST", "/api/v1/ingest", cookie, "", true, 403},
		{"change with another token", "POST", "/api/v1/ingest", cookie, "forged", true, 403},
		{"change with the CSRF token", "POST", "/api/v1/ingest", cookie, p.CSRF, true, 200},
		{"tampered cookie on the API", "GET", "/api/v1/stats", cookie[:len(cookie)-1] + "x", "", false, 401},
		{"tampered cookie on a page", "GET", "/countries/CAF", cookie[:len(cookie)-1] + "x", "", false, 303},
	} {
		var body io.Reader
		ct := ""
		if tt.body {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			fw, _ := mw.CreateFormFile("file", "car.csv")
			fw.Write(car)
			mw.Close()
			body, ct = &b, mw.FormDataContentType()
		}
		req, _ := http.NewRequest(tt.method, "http://"+a.Addr()+tt.path, body)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		req.AddCookie(&http.Cookie{Name: "threshold_session", Value: tt.cookie})
		if tt.csrf != "" {
			req.Header.Set("X-CSRF-Token", tt.csrf)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %s %s: %d, want %d\n%.300s", tt.name, tt.method, tt.path, resp.StatusCode, tt.want, b)
		}
	}
	// The one accepted upload is in the audit log with its sender, and
	// the chain holds.
	recs, err := audit.New(a.DB(), nil).Latest(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	var uploads []audit.Record
	for _, r := range recs {
		if r.Action == "ingest" {
			uploads = append(uploads, r)
		}
	}
	if len(uploads) != 1 || uploads[0].Actor != "desk@example.org" || uploads[0].Object != "car.csv" ||
		uploads[0].Remote != "127.0.0.1" || !strings.Contains(string(uploads[0].Details), `"inserted":1848`) {
		t.Errorf("audited uploads = %+v, want one car.csv upload by desk@example.org from 127.0.0.1", uploads)
	}
	if n, _, err := audit.New(a.DB(), nil).Verify(ctx); err != nil || n < 4 {
		t.Errorf("audit Verify = %d entries, %v", n, err)
	}
	// The upload brought the indicators of the Central African Republic
	// (and its neighbours) up to date.
	dec := time.Date(2013, 12, 1, 0, 0, 0, 0, time.UTC)
	vals, err := a.DB().Indicators(ctx, store.IndicatorQuery{Country: "CAF", Kind: indicator.Month,
		Name: "fatalities_best", From: dec, To: dec})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) == 0 || vals[0].Value != 1318 {
		t.Errorf("CAF December 2013 fatalities after the upload = %+v, want 1318", vals)
	}
}
