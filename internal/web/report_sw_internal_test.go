package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReportWorkerHeaders checks that the field report form's service
// worker may take the scope /report and is revalidated on every visit,
// and that no other static file gets either.
func TestReportWorkerHeaders(t *testing.T) {
	h := staticFiles()
	tests := []struct {
		path, allowed, cache, ctype string
	}{
		{"/static/report-sw.js", "/report", "no-cache", "javascript"},
		{"/static/" + reportWorker + "?v=" + assetVersions[reportWorker], "/report", "no-cache", "javascript"},
		{"/static/report.js", "", "public, max-age=300", "javascript"},
		{assetURL("style.css"), "", "public, max-age=31536000, immutable", "text/css"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		res := rec.Result()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tt.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Service-Worker-Allowed"); got != tt.allowed {
			t.Errorf("GET %s: Service-Worker-Allowed %q, want %q", tt.path, got, tt.allowed)
		}
		if got := res.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
		if got := res.Header.Get("Content-Type"); !strings.Contains(got, tt.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tt.path, got, tt.ctype)
		}
	}
}
