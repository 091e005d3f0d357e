package browsertest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"threshold/internal/auth"
	"threshold/internal/web/webtest"
)

// TestAlertInbox: an analyst opens the inbox from the navigation, with the
// alerts the default rules raise on the real CAR data for December 2013,
// acknowledges one, dismisses another with a reason (the browser refuses
// a dismissal without one), and sees both states change, on the inbox and
// in the alert's history. Then an admin saving a bad rules file sees its
// problems with their lines, and nothing is saved.
func TestAlertInbox(t *testing.T) {
	b := browser(t)
	site := webtest.StartAlerts(t)
	base := site.URL
	dir := shots(t)

	b.do(
		chromedp.Navigate(base+"/login"),
		signIn(auth.Analyst),
		chromedp.Click(chromedp.CSS(`header nav a[href="/alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.alerts`)),
		screenshot(dir, "alerts"),
	)
	if n := count(b, `table.alerts tbody tr`); n != len(site.Opened) {
		t.Errorf("the inbox lists %d alerts, want the %d the rules opened", n, len(site.Opened))
	}
	if h := b.text(`.alert-group h2`); !strings.Contains(h, "Central African Republic") {
		t.Errorf("the inbox's group is headed %q", h)
	}
	state := func(id string) string {
		b.t.Helper()
		v := get(b, chromedp.AttributeValue(chromedp.CSS(`#alert-`+id), "data-state"))
		return v.Value
	}
	if s := state("1"); s != "firing" {
		t.Fatalf("alert 1 is %q before anyone acts, want firing", s)
	}

	// Acknowledge alert 1.
	b.do(
		chromedp.Click(chromedp.CSS(`#alert-1 form[action="/alerts/1/acknowledge"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.done`)),
	)
	if done := b.text(`.done`); done != "Alert 1 acknowledged." {
		t.Errorf("after acknowledging the page says %q", done)
	}
	if s := state("1"); s != "acknowledged" {
		t.Errorf("alert 1 is %q after acknowledging, want acknowledged", s)
	}
	if n := count(b, `#alert-1 form[action="/alerts/1/acknowledge"]`); n != 0 {
		t.Errorf("alert 1 still offers to be acknowledged")
	}

	// Dismiss alert 2: without a reason the browser does not send the
	// form; with one, the alert is dismissed.
	dismiss := `#alert-2 form[action="/alerts/2/dismiss"]`
	b.do(
		chromedp.Click(chromedp.CSS(`#alert-2 details:has(form[action="/alerts/2/dismiss"]) summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason-2`)),
		chromedp.Click(chromedp.CSS(dismiss+` button`)),
	)
	valid := get(b, chromedp.Evaluate[bool](`document.querySelector("#reason-2").validity.valid`))
	if valid || state("2") != "firing" {
		t.Errorf("an empty reason is valid (%v) or alert 2 changed (%q)", valid, state("2"))
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#reason-2`), "Synthetic browser-test reason: the same deaths as alert 3."),
		chromedp.Click(chromedp.CSS(dismiss+` button`)),
		// Not .done: the acknowledgement's page, still shown while the
		// dismissal is posted, has one too.
		chromedp.WaitVisible(chromedp.CSS(`#alert-2[data-state="dismissed"]`)),
		screenshot(dir, "alerts-after"),
	)
	if done := b.text(`.done`); done != "Alert 2 dismissed." {
		t.Errorf("after dismissing the page says %q", done)
	}
	if s := state("2"); s != "dismissed" {
		t.Errorf("alert 2 is %q after dismissing, want dismissed", s)
	}

	// The detail page: the evidence chart with the window shaded, the
	// events, and the dismissal with its reason in the history.
	b.do(
		chromedp.Click(chromedp.CSS(`#alert-2 a[href="/alerts/2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg.chart.evidence`)),
		screenshot(dir, "alert"),
	)
	if s := b.text(`#alert-state`); s != "dismissed" {
		t.Errorf("the detail page shows state %q", s)
	}
	if n := count(b, `svg.chart.evidence rect.window`); n != 1 {
		t.Errorf("the evidence chart has %d shaded windows, want 1", n)
	}
	if n := count(b, `table.events tbody tr`); n == 0 {
		t.Errorf("the detail page lists no triggering events")
	}
	if h := b.text(`table.history`); !strings.Contains(h, "Synthetic browser-test reason") || !strings.Contains(h, "analyst@example.org") {
		t.Errorf("the history does not hold the dismissal by the analyst: %q", h)
	}

	// An admin saves a bad rules file.
	bad := "version: \"synthetic-bad\"\nrules:\n  - id: coup\n    name: Coup\n    severity: urgent\n    coup: {}\n"
	b.do(
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		signIn(auth.Admin),
		chromedp.Navigate(base+"/rules"),
		chromedp.WaitVisible(chromedp.CSS(`#rules-body`)),
		chromedp.SetValue(chromedp.CSS(`#rules-body`), bad),
		chromedp.Click(chromedp.CSS(`button[name="intent"][value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rules-problems`)),
		screenshot(dir, "rules-bad"),
	)
	if p := b.text(`#rules-problems`); !strings.Contains(p, "Line 5") || !strings.Contains(p, "rules[0].severity") || !strings.Contains(p, "not saved") {
		t.Errorf("the problems read %q, want line 5's severity and that nothing was saved", p)
	}
	if body := get(b, chromedp.Value(chromedp.CSS(`#rules-body`))); body != bad {
		t.Errorf("the editor holds %q after the refusal, want the text as typed", body)
	}
	if h, err := site.DB.RulesHistory(t.Context()); err != nil || len(h) != 0 {
		t.Errorf("a bad rules file was saved: %d versions (%v)", len(h), err)
	}
}

// count returns how many elements match a CSS selector now, without
// waiting for one to appear (chromedp.Nodes waits for at least one).
func count(b *tab, sel string) int {
	b.t.Helper()
	return get(b, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
}
