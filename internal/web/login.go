package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/server"
)

// loginCookie holds the login form's anti-forgery token. The session's
// CSRF token cannot protect the login form, which is used before there is
// a session, so the form and a cookie carry the same random value (double
// submit): a page on another site can make a browser post a login form
// but cannot read or set this cookie.
const loginCookie = "threshold_login"

type loginView struct {
	Email string
	Next  string
	CSRF  string
	Error string // why the last attempt failed; "" for none
}

// loginPage shows the sign-in form; a signed-in user goes on to the page
// they asked for.
func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.FormValue("next"))
	if server.PrincipalFrom(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	h.showLogin(w, r, http.StatusOK, loginView{Next: next})
	return nil
}

// login checks the credentials, starts a session and sets its cookie.
func (h *handler) login(w http.ResponseWriter, r *http.Request) error {
	v := loginView{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf_token"))) != 1 {
		v.Error = "The sign-in form had expired. Please enter your email and password again."
		h.showLogin(w, r, http.StatusBadRequest, v)
		return nil
	}
	cookie, p, err := h.Auth.Login(r.Context(), v.Email, r.PostFormValue("password"), server.RemoteHost(r))
	switch {
	case errors.Is(err, auth.ErrThrottled):
		v.Error = "Too many failed sign-in attempts for this account or from this network. Wait a few minutes and try again, or ask an administrator."
		h.showLogin(w, r, http.StatusTooManyRequests, v)
		return nil
	case errors.Is(err, auth.ErrUnauthorized):
		v.Error = "The email or password is not right, or the account is disabled."
		h.showLogin(w, r, http.StatusUnauthorized, v)
		return nil
	case err != nil:
		return err
	}
	h.Log.Info("web: signed in", "user", p.Email, "role", p.Role)
	http.SetCookie(w, &http.Cookie{
		Name: server.SessionCookie, Value: cookie, Path: "/",
		Secure: h.secure(r), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1, Secure: h.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, h.home(p.Role, v.Next), http.StatusSeeOther)
	return nil
}

// home is where a sign-in without a page to return to lands: a desk
// officer's home is the alert inbox, which lists the unanswered warnings
// first; everyone else starts on the map.
func (h *handler) home(role auth.Role, next string) string {
	if next == "/" && role == auth.DeskOfficer && h.Alerts != nil {
		return "/alerts"
	}
	return next
}

// showLogin renders the form with a fresh anti-forgery token.
func (h *handler) showLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	var b [24]byte
	rand.Read(b[:])
	v.CSRF = base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: v.CSRF, Path: "/login", MaxAge: int(time.Hour / time.Second),
		Secure: h.secure(r), HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	h.render(w, r, status, "login", "Sign in", v)
}

// logout ends the session and clears its cookie.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	if p := server.PrincipalFrom(r.Context()); p != nil {
		if err := h.Auth.Logout(r.Context(), p, server.RemoteHost(r)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: server.SessionCookie, Path: "/", MaxAge: -1,
		Secure: h.secure(r), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// secure reports whether cookies must be Secure: over TLS, or when the
// server is configured so because a proxy terminates TLS.
func (h *handler) secure(r *http.Request) bool { return r.TLS != nil || h.SecureCookie }

// safeNext returns next if it is a path on this site, else "/": the login
// form must not send people to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return next
}
