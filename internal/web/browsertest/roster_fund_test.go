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

// TestRosterAndFundPages is issue 7's scenario through the standalone
// pages: an analyst of the owner organisation opens the roster, follows
// it to the match, matches the roster for a case (process design,
// French, ten days from 5 January 2026), requests the synthetic mediator
// from the ranked list, approves the deployment on the case page and
// sees it on the case timeline and the person's calendar; then allocates
// money to the case from the fund page, the form sent twice by a double
// submit, and sees one allocation on the fund page and in the ledger.
func TestRosterAndFundPages(t *testing.T) {
	b := browser(t)
	site := webtest.StartCases(t)
	base := site.URL
	dir := shots(t)
	ctx := context.Background()

	_, p, err := site.Auth.Login(ctx, webtest.Email(auth.Analyst), webtest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := site.Cases.Create(ctx, casework.ViewerOf(p, "192.0.2.1"), casework.Case{Title: "Synthetic roster-page case: Bangui talks",
		Places: casework.PlacesOf([]string{"CAF"}), Status: casework.Crisis, Confidentiality: casework.Internal})
	if err != nil {
		t.Fatal(err)
	}
	caseID := strconv.FormatInt(c.ID, 10)
	person := strconv.FormatInt(site.Mediator.ID, 10)

	// From the roster to the match.
	b.do(
		chromedp.Navigate(base+"/login"),
		signIn(auth.Analyst),
		chromedp.Click(chromedp.CSS(`nav a[href="/roster"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#person-`+person)),
		screenshot(dir, "roster-list"),
		chromedp.Click(chromedp.CSS(`#match-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#match-form`)),
		chromedp.SetValue(chromedp.CSS(`#match-case`), caseID),
		chromedp.Click(chromedp.CSS(`#skill-process-design`)),
		chromedp.SendKeys(chromedp.CSS(`#match-languages`), "fr"),
		chromedp.SetValue(chromedp.CSS(`#match-start`), "2026-01-05"),
		chromedp.SetValue(chromedp.CSS(`#match-days`), "10"),
		chromedp.Click(chromedp.CSS(`#match-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#candidate-`+person)),
		screenshot(dir, "roster-match"),
	)
	if s := b.text(`#match-summary`); !strings.Contains(s, "people ranked for case #"+caseID) {
		t.Errorf("the match summary reads %q", s)
	}
	cand := b.text(`#candidate-` + person)
	for _, want := range []string{webtest.MediatorName, "expertise", "process-design 3/3", "languages", "fr native", "region", "knows CAF"} {
		if !strings.Contains(cand, want) {
			t.Errorf("the candidate reads %q, lacking %q", cand, want)
		}
	}

	// Request from the match: the case page opens on the request; approve.
	b.do(
		chromedp.Click(chromedp.CSS(`#request-`+person)),
		chromedp.WaitVisible(chromedp.CSS(`#deployments tr[data-status="requested"]`)),
		chromedp.Click(chromedp.CSS(`#deployments button[id^="approve-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployments tr[data-status="approved"]`)),
	)
	if loc := get(b, chromedp.Evaluate[string](`location.pathname`)); loc != "/cases/"+caseID {
		t.Errorf("approving left the browser on %s, want the case page", loc)
	}
	title := get(b, chromedp.Evaluate[string](`document.querySelector("svg.chart.timeline .lane-deployments rect.dep-approved title").textContent`))
	if !strings.Contains(title, webtest.MediatorName) || !strings.Contains(title, "2026-01-05 to 2026-01-14") {
		t.Errorf("the timeline's deployment is titled %q", title)
	}

	// The person's calendar holds the deployment.
	b.do(
		chromedp.Navigate(base+"/roster/"+person),
		chromedp.WaitVisible(chromedp.CSS(`#calendar`)),
		screenshot(dir, "roster-person"),
	)
	if n := count(b, `table.calendar td.cal-on-deployment`); n != 10 {
		t.Errorf("the calendar shows %d days on deployment, want 10", n)
	}
	if row := b.text(`#deployments tr[data-status="approved"]`); !strings.Contains(row, "case #"+caseID) {
		t.Errorf("the person's deployment reads %q", row)
	}

	// The fund page: allocate to the case, the form sent twice with its
	// one idempotency key (a double submit), then by its own button.
	b.do(
		chromedp.Click(chromedp.CSS(`nav a[href="/fund"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#allocation-form`)),
		chromedp.SetValue(chromedp.CSS(`#alloc-case`), caseID),
		chromedp.SendKeys(chromedp.CSS(`#alloc-amount`), "3200.75"),
		chromedp.SendKeys(chromedp.CSS(`#alloc-purpose`), "Synthetic travel for the Bangui talks"),
	)
	statuses := get(b, chromedp.Evaluate[[]int](`(async () => {
		const f = document.querySelector("#allocation-form");
		const send = () => fetch(f.action, {method: "POST", body: new URLSearchParams(new FormData(f))}).then(r => r.status);
		return Promise.all([send(), send()]);
	})()`, chromedp.EvalAwaitPromise))
	for _, s := range statuses {
		if s != 200 { // the redirect to the fund page, followed
			t.Errorf("a submission of the allocation form answered %d", s)
		}
	}
	b.do(
		chromedp.Click(chromedp.CSS(`#allocate-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#done`)),
		chromedp.WaitVisible(chromedp.CSS(`#allocations tr[data-status="posted"]`)),
		screenshot(dir, "fund-page"),
	)
	if n := count(b, `#allocations tbody tr`); n != 1 {
		t.Errorf("the fund page lists %d allocations after one form sent three times, want 1", n)
	}
	if row := b.text(`#allocations tr[data-status="posted"]`); !strings.Contains(row, "3200.75 USD") || !strings.Contains(row, "case #"+caseID) {
		t.Errorf("the allocation reads %q", row)
	}
	if n := count(b, `#ledger tr[data-kind="allocation"]`); n != 1 {
		t.Errorf("the ledger holds %d allocation entries, want 1", n)
	}
	if cash := b.text(`#balance-USD`); !strings.Contains(cash, "96799.25") || !strings.Contains(cash, "3200.75") {
		t.Errorf("the USD balance reads %q, want cash 96799.25 and 3200.75 allocated", cash)
	}
	bal, err := site.Fund.Balance(ctx, casework.Everyone("browsertest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bal.Allocated) != 1 || bal.Allocated[0] != (fund.Amount{Currency: "USD", Amount: "3200.75", Minor: 320075}) {
		t.Errorf("the ledger holds allocations %+v, want 3200.75 USD", bal.Allocated)
	}
	// The case page shows the allocation made from the fund page.
	b.do(chromedp.Navigate(base+"/cases/"+caseID), chromedp.WaitVisible(chromedp.CSS(`table.allocations tr[data-status="posted"]`)))
}
