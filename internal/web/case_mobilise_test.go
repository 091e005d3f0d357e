package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/web/webtest"
)

// allocKey finds the allocation form's idempotency key on a case page.
var allocKey = regexp.MustCompile(`name="key" value="([^"]+)"`)

// TestMobiliseAccess checks who is offered the mediator and fund sections
// of a case page, and who may use their forms: only the owner
// organisation's admins, analysts and desk officers (money: admins and
// analysts); partners, partner viewers and mediation experts see none of
// it, and a case one may not know of stays a 404.
func TestMobiliseAccess(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	tests := []struct {
		name     string
		email    string
		page     int  // status of the shared case's page
		deploys  bool // the deployments' lane and table
		mediator bool // the mediator section
		fund     bool // the fund section
		allocate bool // the allocation form
		request  int  // status of a deployment request on the shared case
		alloc    int  // status of an allocation to the shared case
	}{
		{"admin", webtest.Email(auth.Admin), http.StatusOK, true, true, true, true, http.StatusSeeOther, http.StatusSeeOther},
		{"analyst", webtest.Email(auth.Analyst), http.StatusOK, true, true, true, true, http.StatusSeeOther, http.StatusSeeOther},
		{"desk", webtest.Email(auth.DeskOfficer), http.StatusOK, true, true, true, false, http.StatusSeeOther, http.StatusForbidden},
		{"expert", webtest.Email(auth.MediationExpert), http.StatusOK, true, false, false, false, http.StatusForbidden, http.StatusForbidden},
		{"partner-viewer", webtest.Email(auth.PartnerViewer), http.StatusOK, false, false, false, false, http.StatusForbidden, http.StatusForbidden},
		{"partner-org desk", webtest.OrgEmail(webtest.PartnerOrg, auth.DeskOfficer), http.StatusOK, true, false, false, false, http.StatusForbidden, http.StatusForbidden},
		{"partner-org viewer", webtest.OrgEmail(webtest.PartnerOrg, auth.PartnerViewer), http.StatusOK, false, false, false, false, http.StatusForbidden, http.StatusForbidden},
		{"other-org desk", webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer), http.StatusNotFound, false, false, false, false, http.StatusNotFound, http.StatusForbidden},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			tok := site.SignInAs(t, c, tt.email).CSRF
			p := get(t, c, site.URL+casePath(fx.shared, "")+"?match=1&skill=process-design&start=2026-01-05&days=10")
			p.want(t, "case page", tt.page)
			for what, want := range map[string]bool{`id="deployments"`: tt.deploys, `lane-deployments`: tt.deploys, `id="mediator"`: tt.mediator, `id="candidates"`: tt.mediator,
				`id="fund"`: tt.fund, `id="allocation-form"`: tt.allocate, webtest.MediatorName: tt.mediator, `id="fund-cash"`: tt.fund} {
				if got := strings.Contains(p.body, what); got != want {
					t.Errorf("the page holds %q: %v, want %v", what, got, want)
				}
			}
			// Each request asks for its own window, a year on, so that
			// the ones allowed collide neither with each other nor with
			// the match above.
			start := webtest.Now.AddDate(1, 0, 20*i).Format(time.DateOnly)
			post(t, c, site.URL+casePath(fx.shared, "deployments"), url.Values{"csrf_token": {tok},
				"person": {strconv.FormatInt(site.Mediator.ID, 10)}, "start": {start}, "days": {"5"}}).
				want(t, "request a deployment", tt.request)
			post(t, c, site.URL+casePath(fx.shared, "allocations"), url.Values{"csrf_token": {tok},
				"key": {"synthetic-key-" + tt.name}, "amount": {"10.00"}, "currency": {"USD"}, "purpose": {"Synthetic purpose"}}).
				want(t, "allocate", tt.alloc)
		})
	}

	// A case the user may not know of is a 404 for every form, even to
	// the owner organisation's people who are not cleared for it.
	c := site.Client(t)
	tok := site.SignInAs(t, c, webtest.Email(auth.Analyst)).CSRF
	get(t, c, site.URL+casePath(fx.strict, "")).want(t, "analyst reads the strict case", http.StatusNotFound)
	for _, form := range []string{"deployments", "deployments/1/approve", "deployments/1/reject", "allocations"} {
		p := post(t, c, site.URL+casePath(fx.strict, form), url.Values{"csrf_token": {tok}, "key": {"k"},
			"person": {strconv.FormatInt(site.Mediator.ID, 10)}, "start": {"2026-03-01"}, "days": {"5"}, "amount": {"1.00"}, "currency": {"USD"}})
		p.want(t, "analyst posts "+form+" on the strict case", http.StatusNotFound)
		if strings.Contains(p.body, "strictly confidential") {
			t.Errorf("the 404 of %s names the case", form)
		}
	}
}

// TestMobiliseFlow requests the synthetic mediator for a case from the
// match, refuses a double booking, approves, and allocates fund money
// once even when the form is sent twice; the deployment and the
// agreement's milestones are on the case timeline.
func TestMobiliseFlow(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	id := fx.shared
	desk := site.Client(t)
	tok := site.SignIn(t, desk, auth.DeskOfficer).CSRF

	// The match ranks the mediator, with the reasons.
	p := get(t, desk, site.URL+casePath(id, "")+"?match=1&skill=process-design&languages=fr&start=2025-12-01&days=14")
	p.want(t, "match", http.StatusOK, `id="candidate-`+strconv.FormatInt(site.Mediator.ID, 10)+`"`, webtest.MediatorName,
		`<span class="factor">expertise</span>`, `<span class="factor">languages</span>`, `id="match-summary"`)
	bad := get(t, desk, site.URL+casePath(id, "")+"?match=1&start=2025-12-01&days=14")
	bad.want(t, "match without skills", http.StatusOK, `id="match-problem"`)

	req := url.Values{"csrf_token": {tok}, "person": {strconv.FormatInt(site.Mediator.ID, 10)}, "start": {"2025-12-01"}, "days": {"14"},
		"role": {"Synthetic process adviser"}}
	r := post(t, desk, site.URL+casePath(id, "deployments"), req)
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "?done=deployment#deployment-") {
		t.Fatalf("request: status %d, location %q", r.status, r.header.Get("Location"))
	}
	dep := r.header.Get("Location")[strings.LastIndex(r.header.Get("Location"), "-")+1:]
	post(t, desk, site.URL+casePath(id, "deployments"), req).want(t, "double booking", http.StatusConflict, "already held")
	p = get(t, desk, site.URL+casePath(id, ""))
	p.want(t, "requested", http.StatusOK, `<tr id="deployment-`+dep+`" data-status="requested">`, `id="approve-`+dep+`"`,
		`class="span dep-requested"`)

	// Deciding goes through the case the deployment belongs to.
	post(t, desk, site.URL+casePath(fx.confidential, "deployments/"+dep+"/approve"), url.Values{"csrf_token": {tok}}).
		want(t, "approve through another case", http.StatusNotFound)
	post(t, desk, site.URL+casePath(id, "deployments/"+dep+"/approve"), url.Values{"csrf_token": {tok}}).
		wantRedirect(t, "approve", casePath(id, "")+"?done=approved#deployment-"+dep)
	post(t, desk, site.URL+casePath(id, "deployments/"+dep+"/reject"), url.Values{"csrf_token": {tok}}).
		want(t, "reject an approved deployment", http.StatusConflict)
	p = get(t, desk, site.URL+casePath(id, "")+"?done=approved")
	p.want(t, "approved", http.StatusOK, `<tr id="deployment-`+dep+`" data-status="approved">`, `class="span dep-approved"`,
		"Deployment approved.", "Synthetic process adviser")
	if strings.Contains(p.body, `id="approve-`+dep+`"`) {
		t.Errorf("an approved deployment is offered for approval")
	}

	// Money: an analyst allocates once, whatever the retries.
	an := site.Client(t)
	atok := site.SignIn(t, an, auth.Analyst).CSRF
	p = get(t, an, site.URL+casePath(id, ""))
	m := allocKey.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("the allocation form has no idempotency key")
	}
	if again := allocKey.FindStringSubmatch(get(t, an, site.URL+casePath(id, "")).body); again == nil || again[1] == m[1] {
		t.Errorf("two renderings of the form share the key %q", m[1])
	}
	alloc := url.Values{"csrf_token": {atok}, "key": {m[1]}, "amount": {"2500.00"}, "currency": {"USD"}, "purpose": {"Synthetic mediation support"}}
	first := post(t, an, site.URL+casePath(id, "allocations"), alloc)
	second := post(t, an, site.URL+casePath(id, "allocations"), alloc)
	if first.status != http.StatusSeeOther || first.header.Get("Location") != second.header.Get("Location") {
		t.Errorf("a resent form: %d %q, then %d %q; want the same redirect", first.status, first.header.Get("Location"),
			second.status, second.header.Get("Location"))
	}
	p = get(t, an, site.URL+casePath(id, ""))
	p.want(t, "allocated", http.StatusOK, "97500.00 USD", "2500.00 USD", "Synthetic mediation support")
	if n := strings.Count(p.body, `<tr id="allocation-`); n != 1 {
		t.Errorf("%d allocation rows after a resent form, want 1", n)
	}

	tests := []struct {
		name   string
		key    string
		amount string
		status int
		says   string
	}{
		{"more than the cash", "synthetic-k1", "1000000.00", http.StatusConflict, "does not cover"},
		{"key reused with another body", m[1], "10.00", http.StatusUnprocessableEntity, "already submitted"},
		{"not an amount", "synthetic-k2", "12,50", http.StatusBadRequest, "amount"},
		{"no key", "", "10.00", http.StatusBadRequest, "idempotency key"},
	}
	for _, tt := range tests {
		f := url.Values{"csrf_token": {atok}, "key": {tt.key}, "amount": {tt.amount}, "currency": {"USD"}, "purpose": {"Synthetic"}}
		post(t, an, site.URL+casePath(id, "allocations"), f).want(t, tt.name, tt.status, tt.says)
	}
	if p := get(t, an, site.URL+casePath(id, "")); !strings.Contains(p.body, "97500.00 USD") {
		t.Errorf("refused allocations moved money")
	}
	// Above the approval threshold (USD 50,000.00) an allocation waits
	// for an admin and moves no money.
	big := post(t, an, site.URL+casePath(id, "allocations"), url.Values{"csrf_token": {atok}, "key": {"synthetic-k3"},
		"amount": {"60000.00"}, "currency": {"USD"}, "purpose": {"Synthetic large mission"}})
	if loc := big.header.Get("Location"); big.status != http.StatusSeeOther || !strings.Contains(loc, "?done=pending#allocation-") {
		t.Errorf("an allocation above the threshold: status %d, location %q", big.status, loc)
	}
	get(t, an, site.URL+casePath(id, "")+"?done=pending").want(t, "pending", http.StatusOK, "97500.00 USD",
		`data-status="pending-approval"`, "waits for an admin")

	// Agreement milestones: the signing day and a provision's change.
	ctx := context.Background()
	_, pr, err := site.Auth.Login(ctx, webtest.Email(auth.DeskOfficer), webtest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	v := casework.ViewerOf(pr, "192.0.2.1")
	a, err := site.Agreements.Create(ctx, v, agreement.Agreement{Name: "Synthetic accord of Bangui", Kind: agreement.PeaceAgreement,
		Parties: []string{"Synthetic party A", "Synthetic party B"}, Signed: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Countries: []string{"CAF"},
		Provisions: []agreement.Provision{{Category: "cease", Text: "Synthetic ceasefire provision"}}})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = site.Agreements.Link(ctx, v, a.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := site.Agreements.SetStatus(ctx, v, a.Provisions[0].ID, agreement.StatusChange{To: agreement.Minimal,
		On: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), Note: "Synthetic observation"}); err != nil {
		t.Fatal(err)
	}
	p = get(t, desk, site.URL+casePath(id, ""))
	p.want(t, "agreement lane", http.StatusOK, `class="mark signed"`, "signed 2025-06-01: Synthetic accord of Bangui",
		`class="mark prov-minimal"`)
	// The other organisation knows neither the case nor its lanes.
	other := site.Client(t)
	site.SignInAs(t, other, webtest.OrgEmail(webtest.OtherOrg, auth.DeskOfficer))
	get(t, other, site.URL+casePath(id, "")).want(t, "other org", http.StatusNotFound)
}
