package web

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/server"
)

type fakeAuth struct{}

func (fakeAuth) Login(_ context.Context, email, password, remote string) (string, *auth.Principal, error) {
	if password != "right" {
		return "", nil, auth.ErrUnauthorized
	}
	return "cookie-value", &auth.Principal{Email: email, Role: auth.Analyst}, nil
}

func (fakeAuth) Logout(context.Context, *auth.Principal, string) error { return nil }

// The session cookie is Secure over TLS and when configured, whatever
// else.
func TestSessionCookie(t *testing.T) {
	for _, tt := range []struct {
		tls, configured, want bool
	}{{false, false, false}, {true, false, true}, {false, true, true}, {true, true, true}} {
		pages, err := parsePages()
		if err != nil {
			t.Fatal(err)
		}
		h := &handler{Deps: Deps{Auth: fakeAuth{}, SecureCookie: tt.configured, Log: discard()}, pages: pages}
		form := url.Values{"email": {"a@example.org"}, "password": {"right"}, "csrf_token": {"tok"}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: loginCookie, Value: "tok"})
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		h.handle(h.login)(w, r)
		var got *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == server.SessionCookie {
				got = c
			}
		}
		if got == nil {
			t.Fatalf("TLS %v, configured %v: no session cookie (status %d)", tt.tls, tt.configured, w.Code)
		}
		if got.Secure != tt.want || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Value != "cookie-value" {
			t.Errorf("TLS %v, configured %v: cookie %+v, want Secure %v", tt.tls, tt.configured, got, tt.want)
		}
	}
}

func TestSafeNextUnit(t *testing.T) {
	for next, want := range map[string]string{
		"/":                  "/",
		"/countries/CAF?a=b": "/countries/CAF?a=b",
		"//x":                "/",
		"/\\x":               "/",
		"http://x/":          "/",
		"x":                  "/",
		"/login":             "/",
		"/logout":            "/logout",
		"/a\tb":              "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestFormatInt(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 14948: "14,948"} {
		if got := formatInt(n); got != want {
			t.Errorf("formatInt(%d) = %q, want %q", n, got, want)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestHome: a desk officer who signs in without a page to return to lands
// on the alert inbox (unanswered warnings first), when alerts are served;
// everyone else, and anyone with a page to return to, lands there.
func TestHome(t *testing.T) {
	withAlerts := &handler{Deps: Deps{Alerts: (*alert.Manager)(nil)}}
	without := &handler{}
	for _, tc := range []struct {
		h    *handler
		role auth.Role
		next string
		want string
	}{
		{withAlerts, auth.DeskOfficer, "/", "/alerts"},
		{withAlerts, auth.DeskOfficer, "/cases/3", "/cases/3"},
		{withAlerts, auth.Analyst, "/", "/"},
		{withAlerts, auth.PartnerViewer, "/", "/"},
		{without, auth.DeskOfficer, "/", "/"},
	} {
		if got := tc.h.home(tc.role, tc.next); got != tc.want {
			t.Errorf("home(%s, %q) = %q, want %q", tc.role, tc.next, got, tc.want)
		}
	}
}
