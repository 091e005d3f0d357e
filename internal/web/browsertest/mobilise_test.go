package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/web/webtest"
)

// TestMobilise is issue 7's scenario in a browser: an analyst of the
// owner organisation asks the case page for a mediator (process design,
// French, two weeks from 1 December 2025), reads the ranked match with
// its reasons, requests a deployment of the synthetic mediator, approves
// it, and sees it on the case timeline; then allocates money to the case
// from the synthetic donor's contribution, with the form sent twice by a
// double submit, and sees one allocation in the fund.
func TestMobilise(t *testing.T) {
	b := browser(t)
	site := webtest.StartCases(t)
	base := site.URL
	dir := shots(t)
	ctx := context.Background()

	_, p, err := site.Auth.Login(ctx, webtest.Email(auth.Analyst), webtest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := site.Cases.Create(ctx, casework.ViewerOf(p, "192.0.2.1"), casework.Case{Title: "Synthetic browser-test case: mediation in Bangui",
		Places: casework.PlacesOf([]string{"CAF"}), Status: casework.Crisis, Confidentiality: casework.Internal})
	if err != nil {
		t.Fatal(err)
	}
	casePage := base + "/cases/" + strconv.FormatInt(c.ID, 10)
	person := strconv.FormatInt(site.Mediator.ID, 10)

	// The match.
	b.do(
		chromedp.Navigate(base+"/login"),
		signIn(auth.Analyst),
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(chromedp.CSS(`#match-form`)),
		chromedp.Click(chromedp.CSS(`#skill-process-design`)),
		chromedp.SendKeys(chromedp.CSS(`#match-languages`), "fr"),
		chromedp.SetValue(chromedp.CSS(`#match-start`), "2025-12-01"),
		chromedp.SetValue(chromedp.CSS(`#match-days`), "14"),
		chromedp.Click(chromedp.CSS(`#match-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#candidate-`+person)),
		screenshot(dir, "mobilise-match"),
	)
	cand := b.text(`#candidate-` + person)
	for _, want := range []string{webtest.MediatorName, "expertise", "languages", "region"} {
		if !strings.Contains(cand, want) {
			t.Errorf("the candidate reads %q, lacking %q", cand, want)
		}
	}

	// Request, then approve.
	b.do(
		chromedp.Click(chromedp.CSS(`#request-`+person)),
		chromedp.WaitVisible(chromedp.CSS(`#deployments tr[data-status="requested"]`)),
	)
	if n := count(b, `svg.chart.timeline .lane-deployments rect.dep-requested`); n != 1 {
		t.Errorf("the timeline shows %d requested deployments, want 1", n)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`#deployments button[id^="approve-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployments tr[data-status="approved"]`)),
		screenshot(dir, "mobilise-approved"),
	)
	if row := b.text(`#deployments tr[data-status="approved"]`); !strings.Contains(row, webtest.MediatorName) || !strings.Contains(row, "2025-12-01") {
		t.Errorf("the approved deployment reads %q", row)
	}
	if n := count(b, `svg.chart.timeline .lane-deployments rect.dep-approved`); n != 1 {
		t.Errorf("the timeline shows %d approved deployments, want 1", n)
	}
	title := get(b, chromedp.Evaluate[string](`document.querySelector("svg.chart.timeline .lane-deployments rect.dep-approved title").textContent`))
	if !strings.Contains(title, webtest.MediatorName) || !strings.Contains(title, "2025-12-01 to 2025-12-14") {
		t.Errorf("the timeline's deployment is titled %q", title)
	}

	// The fund: the form sent twice with its one idempotency key (a
	// double submit) allocates once.
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#alloc-amount`), "2500.00"),
		chromedp.SendKeys(chromedp.CSS(`#alloc-purpose`), "Synthetic mediation support"),
	)
	statuses := get(b, chromedp.Evaluate[[]int](`(async () => {
		const f = document.querySelector("#allocation-form");
		const send = () => fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))}).then(r => r.status);
		return Promise.all([send(), send()]);
	})()`, chromedp.EvalAwaitPromise))
	for _, s := range statuses {
		if s != 200 { // the redirect to the case page, followed
			t.Errorf("a submission of the allocation form answered %d", s)
		}
	}
	b.do(
		chromedp.Click(chromedp.CSS(`#allocate-button`)), // the page's own submit, a third time
		chromedp.WaitVisible(chromedp.CSS(`table.allocations tr[data-status="posted"]`)),
		screenshot(dir, "mobilise-fund"),
	)
	if n := count(b, `table.allocations tbody tr`); n != 1 {
		t.Errorf("the fund lists %d allocations to the case after one form sent three times, want 1", n)
	}
	if row := b.text(`table.allocations tr[data-status="posted"]`); !strings.Contains(row, "2500.00 USD") {
		t.Errorf("the allocation reads %q", row)
	}
	if cash := b.text(`#fund-cash`); cash != "97500.00 USD" {
		t.Errorf("the fund's cash reads %q, want 97500.00 USD", cash)
	}
	bal, err := site.Fund.Balance(ctx, casework.Everyone("browsertest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bal.Allocated) != 1 || bal.Allocated[0] != (fund.Amount{Currency: "USD", Amount: "2500.00", Minor: 250000}) {
		t.Errorf("the ledger holds allocations %+v, want 2500.00 USD", bal.Allocated)
	}
}
