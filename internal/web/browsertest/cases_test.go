package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/web/webtest"
)

// TestCaseFromAlert is the scenario in a browser: a desk officer
// opens one of the real CAR alerts of December 2013 from the inbox,
// creates a case from it (the form comes prefilled with the alert's place
// and title), logs an envoy dispatch linked to the alert three days after
// it fired, and reads the warning-to-action time on the case page; the
// alert is now actioned.
func TestCaseFromAlert(t *testing.T) {
	b := browser(t)
	site := webtest.StartCases(t)
	base := site.URL
	dir := shots(t)
	const massBangui = "3" // mass-fatalities-admin1, Bangui province, critical

	b.do(
		chromedp.Navigate(base+"/login"),
		signIn(auth.DeskOfficer),
		chromedp.Click(chromedp.CSS(`header nav a[href="/alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.alerts`)),
		chromedp.Click(chromedp.CSS(`#alert-`+massBangui+` a[href="/alerts/`+massBangui+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#case-from-alert`)),
		chromedp.Click(chromedp.CSS(`#case-from-alert`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-case-form`)),
		screenshot(dir, "case-new"),
	)
	title := get(b, chromedp.Value(chromedp.CSS(`#case-title`)))
	if !strings.Contains(title, "Bangui province") {
		t.Errorf("the new case's title is prefilled with %q, want the alert's", title)
	}
	if c := get(b, chromedp.Value(chromedp.CSS(`#case-countries`))); c != "CAF" {
		t.Errorf("the new case's countries are prefilled with %q, want CAF", c)
	}
	if a := get(b, chromedp.Value(chromedp.CSS(`#case-admin1`))); a != "Bangui province" {
		t.Errorf("the new case's admin-1 area is prefilled with %q, want Bangui province", a)
	}

	b.do(
		chromedp.SetValue(chromedp.CSS(`#case-title`), "Synthetic browser-test case: Bangui, December 2013"),
		chromedp.SetValue(chromedp.CSS(`#case-status`), "crisis"),
		chromedp.SendKeys(chromedp.CSS(`#case-office`), "UNOCA Libreville"),
		chromedp.Click(chromedp.CSS(`#create-case`)),
		chromedp.WaitVisible(chromedp.CSS(`#action-form`)),
	)
	if h := b.text(`h1`); h != "Synthetic browser-test case: Bangui, December 2013" {
		t.Errorf("the case page is headed %q", h)
	}
	checked := get(b, chromedp.Evaluate[bool](`document.querySelector("#link-alert-`+massBangui+`").checked`))
	if !checked {
		t.Errorf("the action form does not offer the alert the case was opened from, checked")
	}
	if n := count(b, `svg.chart.timeline .lane-alerts circle.mark`); n == 0 {
		t.Errorf("the timeline marks no alert")
	}

	// An envoy dispatch three days after the alert fired (webtest.Now).
	b.do(
		chromedp.SetValue(chromedp.CSS(`#action-type`), "envoy-dispatch"),
		chromedp.SetValue(chromedp.CSS(`#action-date`), "2025-11-23T09:30"),
		chromedp.SendKeys(chromedp.CSS(`#action-actors`), "Synthetic envoy"),
		chromedp.SendKeys(chromedp.CSS(`#action-outcome`), "Synthetic browser-test outcome."),
		chromedp.Click(chromedp.CSS(`#log-action-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#w2a-median`)),
		screenshot(dir, "case"),
	)
	if m := b.text(`#w2a-median`); m != "3 days" {
		t.Errorf("the case page shows a median warning-to-action time of %q, want 3 days", m)
	}
	if r := b.text(`#answered-` + massBangui); !strings.Contains(r, "3 days") {
		t.Errorf("the answered alert's row reads %q, want its 3 days", r)
	}
	if n := count(b, `table.actions tr[data-type="envoy-dispatch"]`); n != 1 {
		t.Errorf("the actions list holds %d envoy dispatches, want 1", n)
	}
	if n := count(b, `svg.chart.timeline .lane-actions circle.mark`); n != 1 {
		t.Errorf("the timeline marks %d actions, want 1", n)
	}

	// The alert is actioned, on its page and in the store.
	b.do(
		chromedp.Click(chromedp.CSS(`#answered-`+massBangui+` a[href="/alerts/`+massBangui+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alert-state`)),
	)
	if s := b.text(`#alert-state`); s != string(alert.StateActioned) {
		t.Errorf("the alert's page shows state %q after the linked action, want actioned", s)
	}
	a, _, err := site.Alerts.Get(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != alert.StateActioned {
		t.Errorf("alert 3 is %s in the store, want actioned", a.State)
	}
}
