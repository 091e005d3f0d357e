package web_test

import (
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/web/webtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden files hold placeholders for the random tokens of forms and for
// the versions of static files, which change with every edit of them.
var (
	csrfValue    = regexp.MustCompile(`name="csrf_token" value="[^"]*"`)
	assetVersion = regexp.MustCompile(`\?v=[0-9a-f]{12}"`)
)

// TestPagesGolden renders each page as a user of a role sees it, against
// the CAR sample, and compares it with testdata/<name>.golden.html.
// Regenerate with go test ./internal/web -update, and review the diff.
func TestPagesGolden(t *testing.T) {
	site := webtest.Start(t)
	tests := []struct {
		name   string
		role   auth.Role // "" for signed out
		path   string
		status int
	}{
		{"login", "", "/login", http.StatusOK},
		{"world_map", auth.Analyst, "/", http.StatusOK},
		{"world_map_today", auth.PartnerViewer, "/?days=30&end=today", http.StatusOK},
		{"country_CAF", auth.Analyst, "/countries/CAF", http.StatusOK},
		{"country_CAF_filtered", auth.Analyst, "/countries/CAF?from=2021-01-01&to=2022-12-31&category=violence-against-civilians&admin1=Ouaka", http.StatusOK},
		{"country_TCD", auth.MediationExpert, "/countries/TCD", http.StatusOK},
		{"admin_users", auth.Admin, "/admin/users", http.StatusOK},
		{"admin_orgs", auth.Admin, "/admin/orgs", http.StatusOK},
		{"not_found", auth.Analyst, "/countries/XYZ", http.StatusNotFound},
		{"forbidden", auth.PartnerViewer, "/admin/users", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			if tt.role != "" {
				site.SignIn(t, c, tt.role)
			}
			resp, err := c.Get(site.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s as %q: status %d, want %d", tt.path, tt.role, resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q", tt.path, ct)
			}
			got := csrfValue.ReplaceAll(body, []byte(`name="csrf_token" value="CSRF"`))
			got = assetVersion.ReplaceAll(got, []byte(`?v=VERSION"`))
			golden(t, filepath.Join("testdata", tt.name+".golden.html"), got)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/web -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the rendered page:\n%s\n(run go test ./internal/web -update and review the diff)", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n- " + clip(w) + "\n+ " + clip(g)
		}
	}
	return "(no line differs)"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
