package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/store"
	"threshold/internal/web/webtest"
)

// offline cuts the tab's connection (navigator.onLine false, every request
// failing) or restores it.
func offline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		rule := network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, rule); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// TestFieldReportOffline walks issue 10's scenario at a phone's viewport:
// a partner viewer fills in the report form with no connection, the report
// is queued on the phone and goes out when the connection returns; an
// analyst reviews and verifies it, and it becomes an event of source
// field-report on the country page and in the indicators.
func TestFieldReportOffline(t *testing.T) {
	b := browser(t)
	site := webtest.StartFieldReports(t)
	base := site.URL
	dir := shots(t)
	ctx := context.Background()
	all := fieldreport.Viewer{All: true}
	reports := func() []fieldreport.Report {
		t.Helper()
		rs, err := site.Reports.List(ctx, all, fieldreport.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	b.do(
		chromedp.EmulateViewport(375, 740),
		chromedp.Navigate(base+"/login"),
		signIn(auth.PartnerViewer),
		chromedp.Navigate(base+"/report"),
		chromedp.WaitVisible(chromedp.CSS(`#report-form`)),
		chromedp.SendKeys(chromedp.CSS(`#what`), "Synthetic test report: the market of Bossangoa burned"),
		chromedp.SendKeys(chromedp.CSS(`#country`), "CAF"),
		chromedp.SendKeys(chromedp.CSS(`#admin1`), "Ouham"),
		chromedp.SendKeys(chromedp.CSS(`#place`), "Bossangoa"),
		chromedp.SendKeys(chromedp.CSS(`#casualties`), "2"),
		chromedp.SetValue(chromedp.CSS(`#category`), "violence-against-civilians"),
		chromedp.SendKeys(chromedp.CSS(`#involved`), "synthetic armed group"),
	)
	// The draft is kept as the reporter types.
	if d := get(b, chromedp.Evaluate[string](`localStorage.getItem("threshold.report.draft") || ""`)); !strings.Contains(d, "Bossangoa") {
		t.Errorf("the draft kept is %q", d)
	}
	// A reload (a dropped connection, a closed tab) brings the draft back.
	b.do(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#report-form`)),
	)
	if v := get(b, chromedp.Value(chromedp.CSS(`#place`))); v != "Bossangoa" {
		t.Errorf("after a reload the form's place is %q, want the draft's Bossangoa", v)
	}

	b.do(
		offline(true),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="queued"]`)),
		screenshot(dir, "report-queued"),
		chromedp.EmulateViewport(375, 740),
	)
	if n := len(reports()); n != 0 {
		t.Fatalf("%d reports arrived while offline", n)
	}
	if q := queuedOnPhone(b); q != 1 {
		t.Errorf("%d reports queued on the phone, want 1", q)
	}

	b.do(
		offline(false),
		chromedp.WaitVisible(chromedp.CSS(`#report-status[data-state="sent"]`)),
	)
	rs := reports()
	if len(rs) != 1 || rs[0].Place != "Bossangoa" || rs[0].Status != fieldreport.Unverified || rs[0].Channel != "web" {
		t.Fatalf("after going online the service holds %+v", rs)
	}
	if q := queuedOnPhone(b); q != 0 {
		t.Errorf("%d reports still queued after sending", q)
	}
	id := rs[0].ID

	// An analyst reviews and verifies it.
	decide := func(to, reason string) chromedp.Action[chromedp.Void] {
		sel := `#report-` + itoa(id)
		return chromedp.Steps(
			chromedp.WaitVisible(chromedp.CSS(sel+` form.move-form`)),
			chromedp.SetValue(chromedp.CSS(sel+` select[name="to"]`), to),
			chromedp.SendKeys(chromedp.CSS(sel+` input[name="reason"]`), reason),
			chromedp.Click(chromedp.CSS(sel+` form.move-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.done`)),
		)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.Navigate(base+"/login"),
		signIn(auth.Analyst),
		chromedp.Click(chromedp.CSS(`header nav a[href="/field-reports"]`)),
		decide("under-review", "Synthetic: asking a second monitor"),
		chromedp.Navigate(base+"/field-reports?status=under-review"),
		decide("verified", "Synthetic: confirmed by a second monitor"),
		screenshot(dir, "field-reports-verified"),
	)
	if done := b.text(`.done`); done != "Report "+itoa(id)+" is now verified." {
		t.Errorf("after verifying the page says %q", done)
	}

	// It is an event of source field-report, counted in the indicators.
	var evs []event.Stored
	err := site.DB.Events(ctx, event.Filter{Country: "CAF", Source: event.FieldReport}, store.Page{Limit: 10},
		func(e event.Stored) error { evs = append(evs, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Admin1 != "Ouham" {
		t.Fatalf("field-report events of CAF: %+v", evs)
	}
	month := time.Date(webtest.Now.Year(), webtest.Now.Month(), 1, 0, 0, 0, 0, time.UTC)
	vals, err := site.DB.Indicators(ctx, store.IndicatorQuery{Country: "CAF", Name: "violent_events", From: month, To: month})
	if err != nil {
		t.Fatal(err)
	}
	counted := false
	for _, v := range vals {
		counted = counted || v.Value >= 1
	}
	if !counted {
		t.Errorf("the indicators of CAF for %s do not count the verified report: %+v", month.Format("2006-01"), vals)
	}
	b.do(
		chromedp.Navigate(base+"/countries/CAF"),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
	)
	if body, want := b.text(`main`), "field-report "+evs[0].SourceID; !strings.Contains(body, want) {
		t.Errorf("the country page's events do not show %q", want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
