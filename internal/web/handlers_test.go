package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/auth"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/web/webtest"
)

// page is a response, read.
type page struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, c *http.Client, u string) page {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) page {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (p page) want(t *testing.T, what string, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d", what, p.status, status)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
}

func (p page) wantRedirect(t *testing.T, what, location string) {
	t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusMovedPermanently {
		t.Errorf("%s: status %d, want a redirect", what, p.status)
	}
	if got := p.header.Get("Location"); got != location {
		t.Errorf("%s: redirect to %q, want %q", what, got, location)
	}
}

var loginToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// loginForm gets the login page and returns its form with the
// anti-forgery token filled in.
func loginForm(t *testing.T, site *webtest.Site, c *http.Client, email, password, next string) url.Values {
	t.Helper()
	p := get(t, c, site.URL+"/login")
	m := loginToken.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("login page has no csrf_token field")
	}
	return url.Values{"csrf_token": {m[1]}, "email": {email}, "password": {password}, "next": {next}}
}

func TestLogin(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)

	p := get(t, c, site.URL+"/countries/CAF?from=2020-01-01")
	p.wantRedirect(t, "signed out", "/login?next=%2Fcountries%2FCAF%3Ffrom%3D2020-01-01")

	form := loginForm(t, site, c, webtest.Email(auth.Analyst), webtest.Password, "/countries/CAF?from=2020-01-01")
	resp, err := c.PostForm(site.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	p = read(t, resp)
	p.wantRedirect(t, "sign in", "/countries/CAF?from=2020-01-01")
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == server.SessionCookie {
			session = ck
		}
	}
	switch {
	case session == nil:
		t.Fatalf("no %s cookie after signing in", server.SessionCookie)
	case !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/":
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/", session)
	case session.Secure:
		t.Errorf("session cookie is Secure on plain HTTP without SecureCookie")
	}
	get(t, c, site.URL+"/countries/CAF").want(t, "signed in", http.StatusOK, "Central African Republic")
	get(t, c, site.URL+"/login").wantRedirect(t, "login page when signed in", "/")

	// Signing out ends the session on the server, not only in the browser.
	csrf := regexp.MustCompile(`action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"`).FindStringSubmatch(get(t, c, site.URL+"/").body)
	if csrf == nil {
		t.Fatal("no sign-out form")
	}
	post(t, c, site.URL+"/logout", url.Values{"csrf_token": {csrf[1]}}).wantRedirect(t, "sign out", "/login")
	if _, err := site.Auth.SessionPrincipal(context.Background(), session.Value); err == nil {
		t.Errorf("the session still works after signing out")
	}
	get(t, c, site.URL+"/").wantRedirect(t, "after signing out", "/login?next=%2F")
}

func TestLoginRefusals(t *testing.T) {
	site := webtest.Start(t)
	email := webtest.Email(auth.DeskOfficer)
	tests := []struct {
		name     string
		form     func(c *http.Client) url.Values
		status   int
		contains string
	}{
		{"wrong password", func(c *http.Client) url.Values {
			return loginForm(t, site, c, email, "wrong password!", "")
		}, http.StatusUnauthorized, "The email or password is not right"},
		{"unknown email", func(c *http.Client) url.Values {
			return loginForm(t, site, c, "nobody@example.org", webtest.Password, "")
		}, http.StatusUnauthorized, "The email or password is not right"},
		{"no anti-forgery token", func(c *http.Client) url.Values {
			f := loginForm(t, site, c, email, webtest.Password, "")
			f.Del("csrf_token")
			return f
		}, http.StatusBadRequest, "The sign-in form had expired"},
		{"token of another form", func(c *http.Client) url.Values {
			f := loginForm(t, site, c, email, webtest.Password, "")
			f.Set("csrf_token", "forged")
			return f
		}, http.StatusBadRequest, "The sign-in form had expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := site.Client(t)
			p := post(t, c, site.URL+"/login", tt.form(c))
			p.want(t, tt.name, tt.status, tt.contains, `role="alert"`, `aria-invalid="true"`)
			if strings.Contains(p.header.Get("Set-Cookie"), server.SessionCookie+"=") {
				t.Errorf("%s: a session cookie was set", tt.name)
			}
		})
	}
}

func TestLoginThrottled(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	email := webtest.Email(auth.PartnerViewer)
	for i := range auth.DefaultMaxFailures {
		p := post(t, c, site.URL+"/login", loginForm(t, site, c, email, "wrong password!", ""))
		p.want(t, "failure "+string(rune('1'+i)), http.StatusUnauthorized)
	}
	// Now even the right password is refused, with a message that says
	// why and what to do.
	p := post(t, c, site.URL+"/login", loginForm(t, site, c, email, webtest.Password, ""))
	p.want(t, "throttled", http.StatusTooManyRequests, "Too many failed sign-in attempts", "Wait a few minutes")
}

func TestSafeNext(t *testing.T) {
	site := webtest.Start(t)
	for next, want := range map[string]string{
		"/countries/CAF":              "/countries/CAF",
		"https://evil.example/":       "/",
		"//evil.example/":             "/",
		"/\\evil.example":             "/",
		"javascript:alert(1)":         "/",
		"/login?next=/admin/users":    "/",
		"/admin/users?added=a%40b":    "/admin/users?added=a%40b",
		"":                            "/",
		"/countries/CAF\r\nX-A: b":    "/",
		"/countries/CAF#events-title": "/countries/CAF#events-title",
	} {
		c := site.Client(t)
		p := post(t, c, site.URL+"/login", loginForm(t, site, c, webtest.Email(auth.Analyst), webtest.Password, next))
		p.wantRedirect(t, "next="+next, want)
	}
}

func TestWorldMap(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	site.SignIn(t, c, auth.PartnerViewer)
	tests := []struct {
		query    string
		contains []string
	}{
		// The default window ends at the latest event, and says so.
		{"", []string{"<strong>90 days to 30 Dec 2022</strong>", "latest event in the data</em>, not today",
			`<a href="/countries/CAF" class="c3"><title>Central African Republic: 120 fatalities, 25 events</title>`,
			`<a href="/countries/TCD" class="nodata">`}},
		{"?days=30", []string{"30 days to 30 Dec 2022", `class="c3"><title>Central African Republic: 79 fatalities, 10 events`}},
		{"?days=365&measure=events", []string{`class="c3"><title>Central African Republic: 773 fatalities, 105 events`}},
		// Ending today, CAR has data but no events: zero, not "no data".
		{"?end=today", []string{"90 days to 20 Nov 2025", "ending today", `<a href="/countries/CAF" class="c0">`,
			"No events in this window."}},
		// A chosen end day.
		{"?end=date&on=2019-10-24", []string{"90 days to 24 Oct 2019</strong> (27 Jul 2019 – 24 Oct 2019), ending on the day chosen",
			`class="c3"><title>Central African Republic: 144 fatalities, 17 events`, `name="on" value="2019-10-24"`}},
		// Bad values fall back to the defaults.
		{"?days=7&end=tomorrow&measure=x", []string{"90 days to 30 Dec 2022"}},
	}
	for _, tt := range tests {
		get(t, c, site.URL+"/"+tt.query).want(t, "map "+tt.query, http.StatusOK, tt.contains...)
	}
	get(t, c, site.URL+"/?end=date&on=24/10/2019").want(t, "bad end date", http.StatusBadRequest,
		`role="alert"`, "Ending on: give a date like 2019-10-24", "90 days to 30 Dec 2022")
}

func TestCountryPage(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	site.SignIn(t, c, auth.Analyst)
	base := site.URL + "/countries/CAF"

	get(t, c, site.URL+"/countries/caf?from=2020-01-01").wantRedirect(t, "lower-case code", "/countries/CAF?from=2020-01-01")
	get(t, c, site.URL+"/countries/ZZZ").want(t, "unknown code", http.StatusNotFound, "Page not found")

	p := get(t, c, base)
	p.want(t, "CAF", http.StatusOK, "14,948</strong> fatalities", "1,848</strong> events",
		"Events 1–50 of 1,848, newest first.", "Page 1 of 37", `href="/countries/CAF?page=2#events-title"`,
		"<th scope=\"row\">Bangui province</th><td class=\"num\">2,223</td>",
		// 1,737 events have where_prec 1-3, at 496 distinct places.
		"1,737 events at 496 places", "1,737 events drawn; 111 located only to a province or vaguer")
	firstDate := regexp.MustCompile(`<td class="nowrap" data-label="Date"><div>(\d{4}-\d\d-\d\d)`).FindStringSubmatch(p.body)
	if firstDate == nil || firstDate[1] != "2022-12-30" {
		t.Errorf("the table starts with %v, want the newest event, 2022-12-30", firstDate)
	}

	p = get(t, c, base+"?page=37")
	p.want(t, "last page", http.StatusOK, "Events 1,801–1,848 of 1,848", `rel="prev"`)
	if strings.Contains(p.body, `rel="next"`) {
		t.Errorf("the last page links to a next page")
	}
	get(t, c, base+"?page=99").want(t, "page past the end", http.StatusOK, "There is no page 99")

	// The deadliest event of the file: GED 62993, 800 deaths in Bangui on
	// 2013-12-05.
	p = get(t, c, base+"?sort=deadliest")
	_, table, _ := strings.Cut(p.body, `<table class="events">`)
	if m := regexp.MustCompile(`<td class="num" data-label="Deaths"><div>([\d,]+)`).FindStringSubmatch(table); m == nil || m[1] != "800" ||
		!strings.Contains(table[:strings.Index(table, "</tr>\n      <tr>")], "ucdp-ged 62993") {
		t.Errorf("deadliest first starts with %v deaths", m)
	}

	// Filters narrow the totals, the chart's months, the table and the
	// provinces alike.
	p = get(t, c, base+"?from=2021-01-01&to=2021-12-31&admin1=Ouaka+province&category=battle")
	p.want(t, "filtered", http.StatusOK, "Jan 2021 – Dec 2021", `<option value="Ouaka province" selected>`,
		`<option value="battle" selected>`, "in this selection", "Clear filters")
	rows := regexp.MustCompile(`<td data-label="Place"><div>([^<]*)<br><small>([^<]*)</small></div></td>\s*<td data-label="Category"><div>([^<]*)</div></td>`).FindAllStringSubmatch(p.body, -1)
	if len(rows) == 0 {
		t.Errorf("the filtered table is empty")
	}
	for _, m := range rows {
		if m[2] != "Ouaka province" || m[3] != "Battle" {
			t.Errorf("filtered table holds an event in %q of category %q", m[2], m[3])
		}
	}
	if n := strings.Count(p.body, `<th scope="row">Ouaka province</th>`); n != 1 {
		t.Errorf("the province table lists %d rows for Ouaka province, want 1", n)
	}

	p = get(t, c, base+"?from=31/12/2021&to=2020-01-01&category=war&sort=random")
	p.want(t, "bad filters", http.StatusBadRequest, `role="alert"`, "From: &#34;31/12/2021&#34; is not a date",
		"Category: &#34;war&#34; is not a category", "Order: &#34;random&#34;",
		// What is valid still applies: the events up to 2020-01-01.
		"12,796</strong> fatalities", "1,520</strong> events")

	get(t, c, site.URL+"/countries/TCD").want(t, "no data", http.StatusOK, "No events for Chad in the loaded data")
}

func TestAdminOrgsAndUsers(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	admin := site.SignIn(t, c, auth.Admin)
	tok := admin.CSRF

	// Organisations.
	post(t, c, site.URL+"/admin/orgs", url.Values{"csrf_token": {tok}, "name": {"  African Union Commission "}}).
		wantRedirect(t, "add org", "/admin/orgs?added=African+Union+Commission")
	get(t, c, site.URL+"/admin/orgs?added=African+Union+Commission").want(t, "orgs", http.StatusOK,
		"Added African Union Commission.", `<th scope="row">African Union Commission</th><td class="num">0</td>`,
		`<th scope="row">UNOCA</th><td class="num">5</td>`)
	post(t, c, site.URL+"/admin/orgs", url.Values{"csrf_token": {tok}, "name": {"UNOCA"}}).
		want(t, "duplicate org", http.StatusUnprocessableEntity, "An organisation with this name exists.", `aria-invalid="true"`)
	post(t, c, site.URL+"/admin/orgs", url.Values{"csrf_token": {tok}, "name": {""}}).
		want(t, "empty org", http.StatusUnprocessableEntity, "Enter a name.")
	post(t, c, site.URL+"/admin/orgs", url.Values{"name": {"No Token"}}).
		want(t, "org without CSRF token", http.StatusForbidden, "Access denied")

	// Users.
	add := url.Values{"csrf_token": {tok}, "email": {"Amina.Diallo@Example.org"}, "name": {"Amina Diallo"},
		"org": {"African Union Commission"}, "role": {"desk-officer"}, "password": {"a long enough secret"}}
	post(t, c, site.URL+"/admin/users", add).wantRedirect(t, "add user", "/admin/users?added=amina.diallo%40example.org")
	p := get(t, c, site.URL+"/admin/users?added=amina.diallo%40example.org")
	p.want(t, "users", http.StatusOK, "Added amina.diallo@example.org.", "<td>Amina Diallo</td>", "<td>Desk officer</td>")
	post(t, c, site.URL+"/admin/users", add).want(t, "duplicate user", http.StatusUnprocessableEntity, "A user with this email exists.")

	bad := url.Values{"csrf_token": {tok}, "email": {"not an email"}, "name": {"x\x01"}, "org": {""}, "role": {"king"}, "password": {"short"}}
	p = post(t, c, site.URL+"/admin/users", bad)
	p.want(t, "bad user", http.StatusUnprocessableEntity, "Enter an email address", "Use letters, digits and punctuation only.",
		"Choose an organisation.", "Choose a role.", "Use at least 12 characters.", `id="password-error"`)
	if strings.Contains(p.body, "short") {
		t.Errorf("the form echoes the password")
	}
	bad = url.Values{"csrf_token": {tok}, "email": {"new@example.org"}, "org": {"Nowhere"}, "role": {"analyst"}, "password": {"a long enough secret"}}
	post(t, c, site.URL+"/admin/users", bad).want(t, "unknown org", http.StatusUnprocessableEntity, "This organisation does not exist")

	// Disabling a user ends their session at once.
	c2 := site.Client(t)
	site.SignIn(t, c2, auth.Analyst)
	get(t, c2, site.URL+"/").want(t, "analyst before", http.StatusOK)
	id := regexp.MustCompile(`action="/admin/users/(\d+)/disable">[\s\S]{0,200}Disable analyst@example.org`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatal("no disable form for the analyst")
	}
	post(t, c, site.URL+"/admin/users/"+id[1]+"/disable", url.Values{"csrf_token": {tok}}).
		wantRedirect(t, "disable", "/admin/users?disabled=analyst%40example.org")
	get(t, c2, site.URL+"/").wantRedirect(t, "analyst after", "/login?next=%2F")

	post(t, c, site.URL+"/admin/users/99999/disable", url.Values{"csrf_token": {tok}}).want(t, "unknown user", http.StatusNotFound)
	post(t, c, site.URL+"/admin/users/x/disable", url.Values{"csrf_token": {tok}}).want(t, "bad id", http.StatusNotFound)
	post(t, c, site.URL+"/admin/users/"+strconv.FormatInt(admin.UserID, 10)+"/disable", url.Values{"csrf_token": {tok}}).
		want(t, "self", http.StatusBadRequest, "You cannot disable your own account")
	if strings.Contains(get(t, c, site.URL+"/admin/users").body, "Disable admin@example.org") {
		t.Errorf("the admin is offered to disable themself")
	}
}

func TestPartnerViewerKeptOut(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	p := site.SignIn(t, c, auth.PartnerViewer)
	for _, path := range []string{"/admin/users", "/admin/orgs"} {
		get(t, c, site.URL+path).want(t, "GET "+path, http.StatusForbidden, "Access denied")
		post(t, c, site.URL+path, url.Values{"csrf_token": {p.CSRF}, "name": {"X"}}).want(t, "POST "+path, http.StatusForbidden, "Access denied")
	}
	if strings.Contains(get(t, c, site.URL+"/").body, `href="/admin/users"`) {
		t.Errorf("a partner viewer's navigation links to the admin pages")
	}
}

func TestStatic(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	home := get(t, c, site.URL+"/login").body
	css := regexp.MustCompile(`href="(/static/style\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	if css == nil {
		t.Fatal("no versioned stylesheet link")
	}
	p := get(t, c, site.URL+css[1])
	p.want(t, "style.css", http.StatusOK, ":focus-visible")
	if cc := p.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css Content-Type %q", ct)
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/%2e%2e/web.go", "/static/../web.go"} {
		if p := get(t, c, site.URL+path); p.status == http.StatusOK || strings.Contains(p.body, "package web") {
			t.Errorf("GET %s: status %d, want a refusal", path, p.status)
		}
	}
}

// TestAccess walks every dashboard route with every role, signed out, and
// with API tokens, through the server's middleware.
func TestAccess(t *testing.T) {
	site := webtest.Start(t)
	routes := site.Routes(t)
	srv, err := server.New(server.Options{Routes: routes, Auth: servertest.Auth{}})
	if err != nil {
		t.Fatal(err)
	}
	var mine []server.Route
	for _, rt := range routes.All() {
		switch rt.Pattern {
		case "/healthz", "/readyz", "/metrics":
		default:
			mine = append(mine, rt)
		}
	}
	if len(mine) != 11 {
		t.Errorf("the dashboard has %d routes, want 11", len(mine))
	}
	for _, rt := range mine {
		admin := strings.HasPrefix(rt.Pattern, "/admin/")
		switch {
		case rt.Public != (rt.Pattern == "/login" || rt.Pattern == "/static/"):
			t.Errorf("%s %s: Public = %v", rt.Method, rt.Pattern, rt.Public)
		case admin && !slices.Equal(rt.Policy.Roles(), []auth.Role{auth.Admin}):
			t.Errorf("%s %s: roles %v, want admin only", rt.Method, rt.Pattern, rt.Policy.Roles())
		case rt.Method == http.MethodPost && !rt.Public && !rt.Policy.Write():
			t.Errorf("%s %s: a read policy on a change", rt.Method, rt.Pattern)
		}
	}
	servertest.CheckAccess(t, srv, mine)
}

// Pages are sent gzip-compressed to clients that take it.
func TestGzip(t *testing.T) {
	site := webtest.Start(t)
	c := site.Client(t)
	c.Transport = &http.Transport{DisableCompression: true}
	site.SignIn(t, c, auth.Analyst)
	for _, enc := range []string{"gzip", "gzip, deflate, br", "br", "", "gzip;q=0"} {
		req, _ := http.NewRequest("GET", site.URL+"/countries/CAF", nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := strings.HasPrefix(enc, "gzip") && enc != "gzip;q=0"
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, resp.Header.Get("Content-Encoding"))
			continue
		}
		if want {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !strings.Contains(string(plain), "Central African Republic") {
				t.Errorf("the gzip body does not decode to the page: %v", err)
			}
			if len(body)*4 > len(plain) {
				t.Errorf("gzip made %d bytes of %d", len(body), len(plain))
			}
		}
	}
}
