package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/web/webtest"
)

// formKeyOf finds the idempotency key of the form with this id on a page.
func formKeyOf(t *testing.T, body, form string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + form + `">\s*<input type="hidden" name="csrf_token" value="[^"]*"><input type="hidden" name="key" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s with a key on the page", form)
	}
	return m[1]
}

// TestFundAccess checks who reads the fund page and uses its forms, as
// in the API: admins and analysts move money, desk officers read, others
// see nothing; a case one may not know of cannot be allocated to, and a
// case of another organisation is allocated to by its owner only.
func TestFundAccess(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	tests := []struct {
		name        string
		email       string
		page        int
		forms       bool
		contribute  int
		allocate    int // to the shared case, owned by the desk officer's organisation
		statement   int
		nav, strict bool
	}{
		{"admin", webtest.Email(auth.Admin), 200, true, 303, 303, 200, true, true},
		{"analyst", webtest.Email(auth.Analyst), 200, true, 303, 303, 200, true, false},
		{"desk", webtest.Email(auth.DeskOfficer), 200, false, 403, 403, 200, true, false},
		{"expert", webtest.Email(auth.MediationExpert), 403, false, 403, 403, 403, false, false},
		{"partner-viewer", webtest.Email(auth.PartnerViewer), 403, false, 403, 403, 403, false, false},
		{"partner-org desk", webtest.OrgEmail(webtest.PartnerOrg, auth.DeskOfficer), 200, false, 403, 403, 200, true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			tok := site.SignInAs(t, c, tt.email).CSRF
			p := get(t, c, site.URL+"/fund")
			p.want(t, "fund", tt.page)
			if got := strings.Contains(p.body, `id="contribution-form"`); got != tt.forms {
				t.Errorf("the contribution form is shown: %v, want %v", got, tt.forms)
			}
			if got := strings.Contains(p.body, `id="allocation-form"`); got != tt.forms {
				t.Errorf("the allocation form is shown: %v, want %v", got, tt.forms)
			}
			if tt.page == http.StatusOK && !strings.Contains(p.body, `id="balance-USD"`) {
				t.Error("no USD balance")
			}
			// The strictly confidential case, opened by the admin, is in
			// no one else's allocation form.
			if got := strings.Contains(p.body, "Synthetic strictly confidential case"); got != tt.strict {
				t.Errorf("the page names the strict case: %v, want %v", got, tt.strict)
			}
			key := "synthetic-key-" + strconv.Itoa(i)
			post(t, c, site.URL+"/fund/contributions", url.Values{"csrf_token": {tok}, "key": {key}, "donor": {"Synthetic Donor " + tt.name},
				"amount": {"5.00"}, "currency": {"USD"}}).want(t, "contribute", tt.contribute)
			post(t, c, site.URL+"/fund/allocations", url.Values{"csrf_token": {tok}, "key": {key + "-alloc"}, "case": {strconv.FormatInt(fx.shared, 10)},
				"amount": {"1.00"}, "currency": {"USD"}, "purpose": {"Synthetic purpose"}}).want(t, "allocate", tt.allocate)
			get(t, c, site.URL+"/fund/statement?format=pdf&donor="+url.QueryEscape(webtest.Donor)).want(t, "statement", tt.statement)
			home := get(t, c, site.URL+"/cases")
			if got := strings.Contains(home.body, `<a href="/fund"`); got != tt.nav {
				t.Errorf("the navigation links to the fund: %v, want %v", got, tt.nav)
			}
		})
	}
	// The analyst is not cleared for the strict case: it is a 404, and
	// the answer names nothing of it.
	c := site.Client(t)
	tok := site.SignInAs(t, c, webtest.Email(auth.Analyst)).CSRF
	p := post(t, c, site.URL+"/fund/allocations", url.Values{"csrf_token": {tok}, "key": {"k-strict"}, "case": {strconv.FormatInt(fx.strict, 10)},
		"amount": {"1.00"}, "currency": {"USD"}, "purpose": {"Synthetic purpose"}})
	p.want(t, "allocate to the strict case", http.StatusNotFound)
	if strings.Contains(p.body, "strictly confidential") {
		t.Error("the 404 names the case")
	}
	// A form without its CSRF token is refused.
	post(t, c, site.URL+"/fund/contributions", url.Values{"key": {"k-nocsrf"}, "donor": {"Synthetic"}, "amount": {"1.00"},
		"currency": {"USD"}}).want(t, "contribute without CSRF", http.StatusForbidden)
}

// TestFundFormsOnce submits the fund page's forms twice, as a double
// click or a resent request does: the money moves once and both answers
// lead to the same entry; the same form with other values is refused;
// an allocation the cash does not cover moves nothing.
func TestFundFormsOnce(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.Analyst).CSRF
	p := get(t, c, site.URL+"/fund")
	p.want(t, "fund", http.StatusOK, `<tr id="balance-USD"><th scope="row">USD</th><td class="num" data-label="Cash">`+webtest.Contribution+`</td>`)
	ckey, akey := formKeyOf(t, p.body, "contribution-form"), formKeyOf(t, p.body, "allocation-form")
	if ckey == akey {
		t.Fatal("the two forms share a key")
	}

	contrib := url.Values{"csrf_token": {tok}, "key": {ckey}, "donor": {"Synthetic Donor Twice"}, "amount": {"250.25"}, "currency": {"EUR"},
		"rate": {"1.1"}, "memo": {"synthetic"}}
	first := post(t, c, site.URL+"/fund/contributions", contrib)
	again := post(t, c, site.URL+"/fund/contributions", contrib)
	loc := first.header.Get("Location")
	if first.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/fund?done=contribution#entry-") || again.header.Get("Location") != loc {
		t.Fatalf("contribution twice: %d %q, then %d %q", first.status, loc, again.status, again.header.Get("Location"))
	}
	contrib.Set("amount", "999.00")
	post(t, c, site.URL+"/fund/contributions", contrib).want(t, "the same form with another amount", http.StatusUnprocessableEntity)

	alloc := url.Values{"csrf_token": {tok}, "key": {akey}, "case": {strconv.FormatInt(fx.shared, 10)}, "amount": {"1250.50"},
		"currency": {"USD"}, "purpose": {"Synthetic mediation support"}}
	first = post(t, c, site.URL+"/fund/allocations", alloc)
	again = post(t, c, site.URL+"/fund/allocations", alloc)
	loc = first.header.Get("Location")
	if first.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/fund?done=allocated#allocation-") || again.header.Get("Location") != loc {
		t.Fatalf("allocation twice: %d %q, then %d %q", first.status, loc, again.status, again.header.Get("Location"))
	}
	anchor := loc[strings.Index(loc, "#")+1:]

	p = get(t, c, site.URL+loc)
	p.want(t, "fund after", http.StatusOK, `id="done"`,
		`<tr id="balance-EUR"><th scope="row">EUR</th><td class="num" data-label="Cash">250.25</td><td class="num" data-label="Allocated">0.00</td><td class="num" data-label="Disbursed">0.00</td><td class="num" data-label="Received">250.25</td>`,
		`<tr id="balance-USD"><th scope="row">USD</th><td class="num" data-label="Cash">98749.50</td><td class="num" data-label="Allocated">1250.50</td>`,
		`<tr id="`+anchor+`" data-status="posted">`, "Synthetic mediation support", `data-kind="allocation"`, "275.28 USD")
	if n := strings.Count(p.body, `data-kind="contribution"`); n != 2 {
		t.Errorf("%d contributions in the ledger, want 2 (the site's and this one, once)", n)
	}
	if n := strings.Count(p.body, `data-kind="allocation"`); n != 1 {
		t.Errorf("%d allocations in the ledger, want 1", n)
	}

	// More than the cash: refused, nothing moves.
	over := url.Values{"csrf_token": {tok}, "key": {"synthetic-over"}, "case": {strconv.FormatInt(fx.shared, 10)}, "amount": {"200000.00"},
		"currency": {"USD"}, "purpose": {"Synthetic"}}
	post(t, c, site.URL+"/fund/allocations", over).want(t, "over the cash", http.StatusConflict, "nothing was moved")
	post(t, c, site.URL+"/fund/allocations", url.Values{"csrf_token": {tok}, "case": {"1"}, "amount": {"1.00"}, "currency": {"USD"}}).
		want(t, "no key", http.StatusBadRequest, "idempotency key")
	post(t, c, site.URL+"/fund/contributions", url.Values{"csrf_token": {tok}, "key": {"synthetic-bad"}, "donor": {"Synthetic"},
		"amount": {"1.005"}, "currency": {"USD"}}).want(t, "three decimals", http.StatusBadRequest, "amount")

	// The donor statements download.
	pdf := get(t, c, site.URL+"/fund/statement?format=pdf&donor="+url.QueryEscape("Synthetic Donor Twice"))
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix([]byte(pdf.body), []byte("%PDF-")) ||
		!strings.Contains(pdf.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("PDF statement: %d %q %q", pdf.status, pdf.header.Get("Content-Type"), pdf.header.Get("Content-Disposition"))
	}
	csv := get(t, c, site.URL+"/fund/statement?format=csv&donor="+url.QueryEscape("Synthetic Donor Twice"))
	csv.want(t, "CSV statement", http.StatusOK, ",contribution,EUR,250.25,1.1,USD,275.28,synthetic", "total received,EUR,250.25")
	get(t, c, site.URL+"/fund/statement?format=xlsx&donor=x").want(t, "xlsx statement", http.StatusBadRequest)
	get(t, c, site.URL+"/fund/statement").want(t, "no donor", http.StatusBadRequest)
}

// TestFundGolden renders the fund page as a desk officer of the owner
// organisation sees it after an allocation, against
// testdata/fund.golden.html (regenerate with go test ./internal/web
// -update).
func TestFundGolden(t *testing.T) {
	site := webtest.StartCases(t)
	fx := openCases(t, site)
	c := site.Client(t)
	tok := site.SignIn(t, c, auth.Analyst).CSRF
	post(t, c, site.URL+"/fund/allocations", url.Values{"csrf_token": {tok}, "key": {"golden"}, "case": {strconv.FormatInt(fx.shared, 10)},
		"amount": {"1250.50"}, "currency": {"USD"}, "purpose": {"Synthetic mediation support"}}).want(t, "allocate", http.StatusSeeOther)
	d := site.Client(t)
	site.SignIn(t, d, auth.DeskOfficer)
	p := get(t, d, site.URL+"/fund")
	p.want(t, "fund", http.StatusOK)
	got := csrfValue.ReplaceAllString(p.body, `name="csrf_token" value="CSRF"`)
	got = assetVersion.ReplaceAllString(got, `?v=VERSION"`)
	golden(t, "testdata/fund.golden.html", []byte(got))
}
