package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"threshold/internal/report"
	"threshold/internal/testenv"
)

// TestMonthlyInChromium opens the CAF 2013-12 report in headless Chromium
// from a file: it renders the stored figures and both charts, and fetches
// nothing.
func TestMonthlyInChromium(t *testing.T) {
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.Unavailable(t, "Chromium not found: install the Debian package chromium (apt-get install chromium)")
		return
	}
	db := sampleDB(t)
	r, err := report.Build(context.Background(), db, report.Options{Month: day("2013-12-01"), Countries: []string{"CAF"},
		Now: time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC), Maps: true})
	if err != nil {
		t.Fatal(err)
	}
	wantPlaces := len(r.Countries[0].Map.Places)
	if wantPlaces == 0 {
		t.Fatal("no place on the CAF map of October to December 2013")
	}
	file := filepath.Join(t.TempDir(), "caf-2013-12.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs tests as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1024, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(alloc)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS(`#sources`))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sel, want string }{
		{`h1`, "Monthly tracker: December 2013"},
		{`#country-CAF h2`, "Central African Republic (CAF)"},
		{`#country-CAF [data-figure="events"]`, "41"},
		{`#country-CAF [data-figure="fatalities"]`, "1,318"},
		{`#tracker [data-country="CAF"] [data-call="trend"]`, string(r.Countries[0].Call.Final().Trend)},
	} {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(tc.sel)))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s shows %q, want %q", tc.sel, got, tc.want)
		}
	}
	for _, tc := range []struct {
		what, js string
		want     int
	}{
		{"charts and map drawn", `[...document.querySelectorAll("svg")].filter(s => s.getBoundingClientRect().width > 100).length`, 3},
		{"bars drawn", `[...document.querySelectorAll("svg rect")].filter(r => r.getBoundingClientRect().width > 0).length`, 48},
		{"places on the map", `[...document.querySelectorAll("svg.map circle")].filter(c => c.getBoundingClientRect().width > 0).length`, wantPlaces},
		{"country outline drawn", `Math.round(document.querySelector("svg.map path.country").getBoundingClientRect().width) > 200 ? 1 : 0`, 1},
		{"tracker rows", `document.querySelectorAll("#tracker tr[data-country]").length`, 1},
		{"highlighted bars", `[...document.querySelectorAll("svg rect.current")].filter(r => getComputedStyle(r).fill === "rgb(179, 38, 30)").length`, 2},
		{"resources fetched", `performance.getEntriesByType("resource").length`, 0},
	} {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[int](tc.js))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: %d, want %d", tc.what, got, tc.want)
		}
	}
}
