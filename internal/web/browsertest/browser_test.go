// Package browsertest drives the dashboard in real headless Chromium with
// chromedp, served by the whole process (app.New on 127.0.0.1:0): sign
// in, open the map, pick a country, read its chart and events; a partner
// viewer is kept out of the admin pages. It takes a
// screenshot of every page at 1280 px and at phone width (390 px) into
// $THRESHOLD_SCREENSHOTS, or a temporary directory, for people to look at.
//
// Chromium is the Debian package chromium; without it the tests are
// skipped, or fail under THRESHOLD_TEST_REQUIRE_ALL=1.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
	"github.com/chromedp/chromedp/kb"

	"threshold/internal/app"
	"threshold/internal/auth"
	"threshold/internal/ingest"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
	"threshold/internal/web/webtest"
)

// start runs the whole server process, app.New on 127.0.0.1:0, over a
// database holding the shared CAR sample and webtest's user of every
// role, and returns its base URL.
func start(t *testing.T) string {
	t.Helper()
	sample := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	db, path := storetest.SQLite(t)
	ctx := context.Background()
	if _, err := ingest.Files(ctx, db, []string{sample}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{DB: path, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	by := auth.Actor{Name: "browsertest"}
	if _, err := a.Auth().AddOrg(ctx, by, webtest.Org); err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles() {
		nu := auth.NewUser{Org: webtest.Org, Role: r, Email: webtest.Email(r), Password: webtest.Password}
		if _, err := a.Auth().AddUser(ctx, by, nu); err != nil {
			t.Fatal(err)
		}
	}
	return "http://" + a.Addr()
}

// tab is a headless Chromium tab for one test.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// browser starts headless Chromium with a fresh profile and returns a tab
// in it, closed when the test ends.
func browser(t *testing.T) *tab {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.Unavailable(t, "Chromium not found: install the Debian package chromium (apt-get install chromium)")
		return nil
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs tests as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &tab{t: t, ctx: ctx}
}

// do runs steps, failing the test on an error.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// get runs an action that returns a value.
func get[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *tab) text(sel string) string { b.t.Helper(); return get(b, chromedp.Text(chromedp.CSS(sel))) }
func (b *tab) location() string       { b.t.Helper(); return get(b, chromedp.Location()) }

// shots is where screenshots go.
func shots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("THRESHOLD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot saves the whole page at desktop width and at phone width
// (an iPhone 12, 390 px), as <name>-1280.png and <name>-390.png, and the
// first screen at each width as <name>-1280-first-screen.png and
// <name>-390-first-screen.png; then it returns to desktop width.
func screenshot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.EmulateViewport(1280, 900)(ctx, t); err != nil {
			return err
		}
		first, err := chromedp.CaptureScreenshot()(ctx, t)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		desk, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		if _, err := chromedp.Emulate(device.IPhone12)(ctx, t); err != nil {
			return err
		}
		phoneFirst, err := chromedp.CaptureScreenshot()(ctx, t)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		phone, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		if _, err := chromedp.EmulateReset()(ctx, t); err != nil {
			return err
		}
		if _, err := chromedp.EmulateViewport(1280, 900)(ctx, t); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-1280-first-screen.png"), first, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-1280.png"), desk, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-390-first-screen.png"), phoneFirst, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+"-390.png"), phone, 0o644)
	})
}

// signIn fills in the login form, which the browser is showing, and waits
// for the map.
func signIn(role auth.Role) chromedp.Action[chromedp.Void] {
	// Signed in, a desk officer lands on the alert inbox where the site
	// serves one, everyone else on the map.
	landed := chromedp.WaitVisible(chromedp.CSS(`.worldmap svg`))
	if role == auth.DeskOfficer {
		landed = chromedp.WaitVisible(chromedp.CSS(`header nav`))
	}
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.Clear(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), webtest.Email(role)),
		chromedp.SendKeys(chromedp.CSS(`#password`), webtest.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		landed,
	)
}

func TestSignInMapCountry(t *testing.T) {
	b := browser(t)
	base := start(t)
	dir := shots(t)
	t.Logf("screenshots in %s", dir)

	// Signed out, the map sends the browser to the login page.
	b.do(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		screenshot(dir, "login"),
	)
	if loc := b.location(); !strings.HasPrefix(loc, base+"/login?next=") {
		t.Errorf("signed out, / went to %s, want the login page", loc)
	}

	// A wrong password is announced.
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#email`), webtest.Email(auth.Analyst)),
		chromedp.SendKeys(chromedp.CSS(`#password`), "not the password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)),
		screenshot(dir, "login-error"),
	)
	if alert := b.text(`[role="alert"]`); !strings.Contains(alert, "not right") {
		t.Errorf("after a wrong password the alert says %q", alert)
	}

	// Signed in, the map shows its window and the Central African
	// Republic shaded.
	b.do(signIn(auth.Analyst), screenshot(dir, "map"))
	if loc := b.location(); loc != base+"/" {
		t.Errorf("after signing in the browser is at %s, want /", loc)
	}
	if w := b.text(`#window`); !strings.Contains(w, "90 days to 30 Dec 2022") || !strings.Contains(w, "latest event in the data") {
		t.Errorf("the map's window reads %q", w)
	}
	caf := get(b, chromedp.AttributeValue(chromedp.CSS(`.worldmap a[href="/countries/CAF"]`), "class"))
	if !caf.Exists || caf.Value == "nodata" || caf.Value == "c0" {
		t.Errorf("the Central African Republic is shaded %q, want a class for fatalities", caf.Value)
	}

	// The 365-day window, chosen with the control (app.js submits it).
	b.do(
		chromedp.Click(chromedp.CSS(`input[name="days"][value="365"]`)),
		// The server checks the new choice's radio in the page it sends.
		chromedp.WaitVisible(chromedp.CSS(`input[name="days"][value="365"][checked]`)),
	)
	if w := b.text(`#window`); !strings.Contains(w, "365 days to 30 Dec 2022") {
		t.Errorf("after choosing 365 days the window reads %q", w)
	}

	// Clicking the country opens its page: chart, map and events.
	b.do(
		chromedp.Click(chromedp.CSS(`.worldmap a[href="/countries/CAF"] path`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart`)),
		screenshot(dir, "country"),
	)
	if loc := b.location(); loc != base+"/countries/CAF" {
		t.Errorf("clicking the country went to %s", loc)
	}
	if h1 := b.text(`h1`); !strings.Contains(h1, "Central African Republic") {
		t.Errorf("country page heading %q", h1)
	}
	if d := get(b, chromedp.TextContent(chromedp.CSS(`#chart-desc`))); !strings.Contains(d, "Aug 1991") {
		t.Errorf("chart description %q, want the months charted", d)
	}
	if rows := get(b, chromedp.Nodes(chromedp.CSSAll(`table.events tbody tr`))); len(rows) != 50 {
		t.Errorf("events table has %d rows, want a page of 50", len(rows))
	}
	if circles := get(b, chromedp.Nodes(chromedp.CSSAll(`svg.countrymap circle`))); len(circles) < 50 {
		t.Errorf("the country map has %d places, want many", len(circles))
	}

	// Filter the events to one category with the form.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#category`), "violence-against-civilians"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.filters a[href="/countries/CAF"]`)),
		screenshot(dir, "country-filtered"),
	)
	cats := get(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table.events tbody tr td:nth-child(3)")).map(td => td.textContent)`))
	if len(cats) == 0 {
		t.Errorf("no events of violence against civilians")
	}
	for _, c := range cats {
		if c != "Violence against civilians" {
			t.Errorf("filtered table holds a %q event", c)
			break
		}
	}
}

// The map works from the keyboard: countries are links in the tab order.
func TestKeyboardMap(t *testing.T) {
	b := browser(t)
	base := start(t)
	b.do(chromedp.Navigate(base+"/login"), signIn(auth.DeskOfficer),
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`.worldmap svg`)))
	focused := get(b, chromedp.Evaluate[bool](`(() => { const a = document.querySelector('.worldmap a[href="/countries/CAF"]'); a.focus(); return document.activeElement === a; })()`))
	if !focused {
		t.Fatalf("the country link cannot take focus")
	}
	b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	if loc := b.location(); loc != base+"/countries/CAF" {
		t.Errorf("Enter on the focused country went to %s", loc)
	}

	// Arrow keys move through the window's radios without reloading the
	// page at each step; the button applies the choice.
	b.do(
		chromedp.Navigate(base+"/"),
		chromedp.Focus(chromedp.CSS(`input[name="days"][value="90"]`)),
		chromedp.KeyEvent(kb.ArrowRight),
		chromedp.Sleep(300*time.Millisecond),
	)
	if loc := b.location(); loc != base+"/" {
		t.Errorf("an arrow key in the radios loaded %s", loc)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`form.controls button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="days"][value="365"][checked]`)),
	)
}

// A partner viewer cannot reach the admin pages; an admin can.
func TestAdminPages(t *testing.T) {
	b := browser(t)
	base := start(t)
	dir := shots(t)
	b.do(chromedp.Navigate(base+"/login"), signIn(auth.PartnerViewer))
	if nav := b.text(`header nav`); strings.Contains(nav, "Users") {
		t.Errorf("a partner viewer's navigation offers %q", nav)
	}
	b.do(
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
		screenshot(dir, "forbidden"),
	)
	if h1 := b.text(`h1`); h1 != "Access denied" {
		t.Errorf("a partner viewer at /admin/users sees %q, want Access denied", h1)
	}

	// The partner signs out; an admin signs in and adds an organisation.
	b.do(
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		signIn(auth.Admin),
		chromedp.Navigate(base+"/admin/orgs"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "ECOWAS Commission"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/orgs"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.done`)),
		screenshot(dir, "admin-orgs"),
	)
	if done := b.text(`.done`); done != "Added ECOWAS Commission." {
		t.Errorf("after adding an organisation the page says %q", done)
	}
	b.do(
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
		screenshot(dir, "admin-users"),
	)
	if h1 := b.text(`h1`); h1 != "Users" {
		t.Errorf("an admin at /admin/users sees %q", h1)
	}
}
