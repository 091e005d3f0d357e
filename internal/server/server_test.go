package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/auth"
)

// fakeAuth knows one session and two tokens per role:
// cookie "session-ROLE" with CSRF token "csrf-ROLE", and tokens
// "read-ROLE" and "write-ROLE". Cookie "broken" makes the service fail.
type fakeAuth struct{}

func (fakeAuth) SessionPrincipal(ctx context.Context, cookie string) (*auth.Principal, error) {
	switch cookie {
	case "broken":
		return nil, errors.New("database is down")
	case "slow":
		<-ctx.Done()
		return nil, fmt.Errorf("session: %w", ctx.Err())
	}
	role, ok := strings.CutPrefix(cookie, "session-")
	if r, err := auth.ParseRole(role); ok && err == nil {
		return &auth.Principal{UserID: 7, Email: role + "@example.org", Role: r, Via: "session",
			Scope: auth.ScopeWrite, CSRF: "csrf-" + role}, nil
	}
	return nil, auth.ErrUnauthorized
}

func (fakeAuth) TokenPrincipal(_ context.Context, bearer string) (*auth.Principal, error) {
	scope, role, ok := strings.Cut(bearer, "-")
	if r, err := auth.ParseRole(role); ok && err == nil && (scope == "read" || scope == "write") {
		return &auth.Principal{UserID: 8, Email: role + "@example.org", Role: r, Via: "token", Scope: auth.Scope(scope)}, nil
	}
	return nil, auth.ErrUnauthorized
}

func (fakeAuth) CheckCSRF(p *auth.Principal, token string) error {
	if token == "" || token != p.CSRF {
		return auth.ErrForbidden
	}
	return nil
}

// testRoutes covers every kind of route.
func testRoutes() *Routes {
	rs := &Routes{}
	echo := func(w http.ResponseWriter, r *http.Request) {
		p := PrincipalFrom(r.Context())
		who := "signed-out"
		if p != nil {
			who = string(p.Role)
		}
		io.WriteString(w, "hello "+who)
	}
	rs.HandlePublic("GET", "/public", http.HandlerFunc(echo))
	rs.HandlePublic("POST", "/login", http.HandlerFunc(echo))
	rs.HandleFunc("GET", "/api/v1/things", auth.Allow(auth.Admin, auth.Analyst), echo)
	rs.HandleFunc("POST", "/api/v1/things", auth.AllowWrite(auth.Admin, auth.Analyst), func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		echo(w, r)
	})
	rs.HandleFunc("POST", "/api/v1/read-policy", auth.Allow(auth.Analyst), echo)
	rs.HandleFunc("GET", "/api/v1/nobody", auth.Policy{}, echo)
	rs.HandleFunc("GET", "/page", auth.Everyone(), echo)
	rs.HandleFunc("POST", "/page", auth.AllowWrite(auth.Roles()...), echo)
	rs.HandleFunc("GET", "/api/v1/panic", auth.Everyone(), func(http.ResponseWriter, *http.Request) { panic("boom") })
	rs.Add(Route{Method: "POST", Pattern: "/api/v1/upload", Policy: auth.AllowWrite(auth.Analyst), MaxBody: 10,
		Handler: http.HandlerFunc(echo)})
	rs.Add(Route{Method: "GET", Pattern: "/api/v1/slow", Policy: auth.Everyone(), Timeout: 20 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			http.Error(w, r.Context().Err().Error(), http.StatusServiceUnavailable)
		})})
	return rs
}

func newTestServer(t *testing.T, rs *Routes, ready func(context.Context) error) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s, err := New(Options{Routes: rs, Auth: fakeAuth{}, Ready: ready, MaxBody: 1 << 10,
		Log: slog.New(slog.NewJSONHandler(&syncWriter{w: &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

type request struct {
	method, path string
	body         string
	contentType  string
	cookie       string // session cookie value
	bearer       string
	header       map[string]string
}

func (q request) build() *http.Request {
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequest(q.method, q.path, body)
	if q.contentType != "" {
		r.Header.Set("Content-Type", q.contentType)
	}
	if q.cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: q.cookie})
	}
	if q.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+q.bearer)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	return r
}

func TestServer(t *testing.T) {
	form := func(v url.Values) string { return v.Encode() }
	tests := []struct {
		name         string
		req          request
		wantStatus   int
		wantContains []string
		wantHeader   map[string]string
	}{
		{name: "healthz", req: request{method: "GET", path: "/healthz"}, wantStatus: 200, wantContains: []string{"ok"}},
		{name: "readyz", req: request{method: "GET", path: "/readyz"}, wantStatus: 200},
		{name: "metrics", req: request{method: "GET", path: "/metrics"}, wantStatus: 200,
			wantContains: []string{"threshold_http_requests_in_flight", "go_goroutines"}},
		{name: "public signed out", req: request{method: "GET", path: "/public"}, wantStatus: 200,
			wantContains: []string{"hello signed-out"}},
		{name: "public signed in", req: request{method: "GET", path: "/public", cookie: "session-analyst"},
			wantStatus: 200, wantContains: []string{"hello analyst"}},
		{name: "public with expired session is served signed out",
			req:        request{method: "GET", path: "/public", cookie: "session-expired"},
			wantStatus: 200, wantContains: []string{"hello signed-out"}},
		{name: "public POST without CSRF is served signed out",
			req:        request{method: "POST", path: "/login", cookie: "session-analyst"},
			wantStatus: 200, wantContains: []string{"hello signed-out"}},
		{name: "api signed out", req: request{method: "GET", path: "/api/v1/things"}, wantStatus: 401,
			wantContains: []string{`"status":401`, `"title":"Unauthorized"`, "Bearer TOKEN"},
			wantHeader:   map[string]string{"Content-Type": "application/problem+json", "WWW-Authenticate": `Bearer realm="threshold"`}},
		{name: "api bad token", req: request{method: "GET", path: "/api/v1/things", bearer: "nonsense"}, wantStatus: 401,
			wantContains: []string{"not valid"}},
		{name: "api basic auth refused",
			req:        request{method: "GET", path: "/api/v1/things", header: map[string]string{"Authorization": "Basic YTpi"}},
			wantStatus: 401},
		{name: "api expired session", req: request{method: "GET", path: "/api/v1/things", cookie: "session-gone"},
			wantStatus: 401},
		{name: "api token", req: request{method: "GET", path: "/api/v1/things", bearer: "read-analyst"},
			wantStatus: 200, wantContains: []string{"hello analyst"}, wantHeader: map[string]string{"Cache-Control": "no-store"}},
		{name: "bearer wins over cookie",
			req:        request{method: "GET", path: "/api/v1/things", bearer: "read-admin", cookie: "session-analyst"},
			wantStatus: 200, wantContains: []string{"hello admin"}},
		{name: "api wrong role", req: request{method: "GET", path: "/api/v1/things", bearer: "read-partner-viewer"},
			wantStatus: 403, wantContains: []string{"role partner-viewer may not do this"},
			wantHeader: map[string]string{"Content-Type": "application/problem+json"}},
		{name: "zero policy denies admin", req: request{method: "GET", path: "/api/v1/nobody", bearer: "write-admin"},
			wantStatus: 403},
		{name: "zero policy signed out", req: request{method: "GET", path: "/api/v1/nobody"}, wantStatus: 401},
		{name: "read token may not write", req: request{method: "POST", path: "/api/v1/things", bearer: "read-admin"},
			wantStatus: 403, wantContains: []string{"read-scoped token"}},
		{name: "read token may not POST a read policy",
			req:        request{method: "POST", path: "/api/v1/read-policy", bearer: "read-analyst"},
			wantStatus: 403},
		{name: "write token writes", req: request{method: "POST", path: "/api/v1/things", bearer: "write-admin", body: "x"},
			wantStatus: 200, wantContains: []string{"hello admin"}},
		{name: "session POST without CSRF", req: request{method: "POST", path: "/api/v1/things", cookie: "session-analyst"},
			wantStatus: 403, wantContains: []string{"CSRF"}},
		{name: "session POST with wrong CSRF",
			req: request{method: "POST", path: "/api/v1/things", cookie: "session-analyst",
				header: map[string]string{CSRFHeader: "csrf-admin"}},
			wantStatus: 403},
		{name: "session POST with CSRF header",
			req: request{method: "POST", path: "/api/v1/things", cookie: "session-analyst",
				header: map[string]string{CSRFHeader: "csrf-analyst"}},
			wantStatus: 200, wantContains: []string{"hello analyst"}},
		{name: "session form POST with CSRF field",
			req: request{method: "POST", path: "/page", cookie: "session-desk-officer",
				contentType: "application/x-www-form-urlencoded", body: form(url.Values{CSRFField: {"csrf-desk-officer"}})},
			wantStatus: 200, wantContains: []string{"hello desk-officer"}},
		{name: "session form POST with wrong CSRF field",
			req: request{method: "POST", path: "/page", cookie: "session-desk-officer",
				contentType: "application/x-www-form-urlencoded", body: form(url.Values{CSRFField: {"csrf-admin"}})},
			wantStatus: 403, wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{name: "page signed out redirects to login", req: request{method: "GET", path: "/page?x=1"},
			wantStatus: 303, wantHeader: map[string]string{"Location": "/login?next=%2Fpage%3Fx%3D1"}},
		{name: "page 404 is text", req: request{method: "GET", path: "/nowhere"}, wantStatus: 404,
			wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{name: "api 404 is a problem", req: request{method: "GET", path: "/api/v1/nowhere"}, wantStatus: 404,
			wantContains: []string{`"status":404`, "/api/v1/nowhere"},
			wantHeader:   map[string]string{"Content-Type": "application/problem+json"}},
		{name: "api 405 says what is allowed", req: request{method: "DELETE", path: "/api/v1/things"}, wantStatus: 405,
			wantContains: []string{"method DELETE is not allowed"},
			wantHeader:   map[string]string{"Allow": "GET, HEAD, POST"}},
		{name: "panic is a 500 problem", req: request{method: "GET", path: "/api/v1/panic", bearer: "read-analyst"},
			wantStatus: 500, wantContains: []string{"request ID"}},
		{name: "body over the route limit by length",
			req:        request{method: "POST", path: "/api/v1/upload", bearer: "write-analyst", body: strings.Repeat("x", 11)},
			wantStatus: 413, wantContains: []string{"limit of 10 bytes"}},
		{name: "body over the server limit by length",
			req:        request{method: "POST", path: "/api/v1/things", bearer: "write-analyst", body: strings.Repeat("x", 2000)},
			wantStatus: 413},
		{name: "authenticator failure is a 500", req: request{method: "GET", path: "/api/v1/things", cookie: "broken"},
			wantStatus: 500},
		{name: "authentication past the deadline", req: request{method: "GET", path: "/api/v1/slow", cookie: "slow"},
			wantStatus: 503, wantContains: []string{"busy"}},
		{name: "route timeout cancels the context", req: request{method: "GET", path: "/api/v1/slow", bearer: "read-analyst"},
			wantStatus: 503, wantContains: []string{"deadline exceeded"}},
		{name: "unclean path is redirected", req: request{method: "GET", path: "/api/v1/x/../things"}, wantStatus: 307,
			wantHeader: map[string]string{"Location": "/api/v1/things"}},
		{name: "request ID is echoed",
			req:        request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-ID": "abc-123"}},
			wantStatus: 200, wantHeader: map[string]string{"X-Request-ID": "abc-123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, testRoutes(), nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, tt.req.build())
			if w.Code != tt.wantStatus {
				t.Errorf("%s %s: status %d, want %d\n%s", tt.req.method, tt.req.path, w.Code, tt.wantStatus, w.Body)
			}
			for _, want := range tt.wantContains {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("%s %s: body %q does not contain %q", tt.req.method, tt.req.path, w.Body, want)
				}
			}
			for k, want := range tt.wantHeader {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s %s: header %s = %q, want %q", tt.req.method, tt.req.path, k, got, want)
				}
			}
			if w.Header().Get("X-Request-ID") == "" {
				t.Errorf("%s %s: no X-Request-ID", tt.req.method, tt.req.path)
			}
		})
	}
}

func TestProblemShape(t *testing.T) {
	s, _ := newTestServer(t, testRoutes(), nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, request{method: "GET", path: "/api/v1/things", bearer: "read-mediation-expert"}.build())
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("problem is not JSON: %v\n%s", err, w.Body)
	}
	want := map[string]any{"title": "Forbidden", "status": float64(403),
		"detail": "forbidden: role mediation-expert may not do this"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	s, _ := newTestServer(t, testRoutes(), nil)
	r := request{method: "POST", path: "/api/v1/things", bearer: "write-analyst"}.build()
	r.Body = io.NopCloser(strings.NewReader(strings.Repeat("x", 5000)))
	r.ContentLength = -1 // chunked: only reading finds the size
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 5000 bytes against a 1 KiB limit: status %d, want 413", w.Code)
	}
}

func TestMultipartCSRF(t *testing.T) {
	for _, tt := range []struct {
		token string
		want  int
	}{{"csrf-analyst", 200}, {"wrong", 403}, {"", 403}} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if tt.token != "" {
			mw.WriteField(CSRFField, tt.token)
		}
		fw, _ := mw.CreateFormFile("file", "a.csv")
		fw.Write([]byte("a,b\n"))
		mw.Close()
		s, _ := newTestServer(t, testRoutes(), nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, request{method: "POST", path: "/api/v1/things", cookie: "session-analyst",
			contentType: mw.FormDataContentType(), body: body.String()}.build())
		if w.Code != tt.want {
			t.Errorf("multipart with csrf_token %q: status %d, want %d\n%s", tt.token, w.Code, tt.want, w.Body)
		}
	}
}

func TestErrorPageHook(t *testing.T) {
	rs := testRoutes()
	var got []int
	rs.HandleErrorPages(func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		got = append(got, status)
		w.WriteHeader(status)
		io.WriteString(w, "page: "+msg)
	})
	s, _ := newTestServer(t, rs, nil)
	for _, q := range []request{
		{method: "GET", path: "/page"},
		{method: "GET", path: "/nowhere"},
		{method: "GET", path: "/api/v1/things"}, // API: never the page hook
	} {
		s.ServeHTTP(httptest.NewRecorder(), q.build())
	}
	if diff := cmp.Diff([]int{401, 404}, got); diff != "" {
		t.Errorf("error page statuses (-want +got):\n%s", diff)
	}
}

func TestReadyzFails(t *testing.T) {
	s, logs := newTestServer(t, testRoutes(), func(context.Context) error { return errors.New("dial tcp: refused") })
	w := httptest.NewRecorder()
	s.ServeHTTP(w, request{method: "GET", path: "/readyz"}.build())
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database down: status %d, want 503", w.Code)
	}
	if !strings.Contains(logs.String(), "dial tcp: refused") {
		t.Errorf("log does not say why: %s", logs)
	}
}

func TestAccessLogAndMetrics(t *testing.T) {
	s, logs := newTestServer(t, testRoutes(), nil)
	s.ServeHTTP(httptest.NewRecorder(), request{method: "GET", path: "/api/v1/things", bearer: "read-analyst",
		header: map[string]string{"X-Request-ID": "req-1"}}.build())
	s.ServeHTTP(httptest.NewRecorder(), request{method: "GET", path: "/api/v1/panic", bearer: "read-analyst"}.build())
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logs.String(), "\n", 2)[0]), &line); err != nil {
		t.Fatalf("log line: %v\n%s", err, logs)
	}
	for k, want := range map[string]any{"msg": "request", "request_id": "req-1", "route": "/api/v1/things",
		"status": float64(200), "user": float64(8), "method": "GET"} {
		if line[k] != want {
			t.Errorf("access log %s = %v, want %v", k, line[k], want)
		}
	}
	if !strings.Contains(logs.String(), `"panic":"boom"`) {
		t.Errorf("panic not logged: %s", logs)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, request{method: "GET", path: "/metrics"}.build())
	for _, want := range []string{
		`threshold_http_requests_total{method="GET",route="/api/v1/things",status="200"} 1`,
		`threshold_http_requests_total{method="GET",route="/api/v1/panic",status="500"} 1`,
		`threshold_http_request_duration_seconds_count{method="GET",route="/api/v1/things"} 1`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	h := http.NotFoundHandler()
	for _, tt := range []struct {
		name   string
		routes []Route
	}{
		{"duplicate", []Route{{Method: "GET", Pattern: "/a", Public: true, Handler: h}, {Method: "GET", Pattern: "/a", Public: true, Handler: h}}},
		{"no method", []Route{{Pattern: "/a", Public: true, Handler: h}}},
		{"no handler", []Route{{Method: "GET", Pattern: "/a", Public: true}}},
		{"relative", []Route{{Method: "GET", Pattern: "a", Public: true, Handler: h}}},
		{"clashes with healthz", []Route{{Method: "GET", Pattern: "/healthz", Public: true, Handler: h}}},
	} {
		rs := &Routes{}
		for _, r := range tt.routes {
			rs.Add(r)
		}
		if _, err := New(Options{Routes: rs}); err == nil {
			t.Errorf("New with %s routes: no error", tt.name)
		}
	}
}

// TestGracefulShutdown checks that Shutdown lets a request in flight
// finish and refuses new connections.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	rs := &Routes{}
	rs.HandlePublic("GET", "/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	}))
	s, _ := newTestServer(t, rs, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	// Wait until the listener is closed, then let the request finish.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections after Shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: body %q, err %v; want it to finish", r.body, r.err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
