package server

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"threshold/internal/auth"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "threshold_session"

// CSRFHeader and CSRFField carry the anti-forgery token of a
// cookie-authenticated request that changes something: scripts send the
// header, HTML forms the field.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// Authenticator resolves a request's credentials to a principal. auth.Service
// implements it.
//
// SessionPrincipal and TokenPrincipal return auth.ErrUnauthorized (possibly
// wrapped) for an unknown, expired or revoked session or token or a
// disabled user; any other error is a failure of the service and answered
// with 500. CheckCSRF returns an error when token is not the anti-forgery
// token of p's session. All methods are safe for concurrent use.
type Authenticator interface {
	SessionPrincipal(ctx context.Context, cookie string) (*auth.Principal, error)
	TokenPrincipal(ctx context.Context, bearer string) (*auth.Principal, error)
	CheckCSRF(p *auth.Principal, token string) error
}

// credentials are what a request presents.
type credentials struct {
	bearer  string // from Authorization: Bearer
	cookie  string // the session cookie's value
	badAuth bool   // an Authorization header that is not a bearer token
}

func requestCredentials(r *http.Request) credentials {
	var c credentials
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if ok && strings.EqualFold(scheme, "Bearer") && tok != "" {
			c.bearer = tok
		} else {
			c.badAuth = true
		}
	}
	if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
		c.cookie = ck.Value
	}
	return c
}

// authenticate returns the request's principal, nil when it presents no
// credentials, or ErrUnauthorized when it presents bad ones. A bearer
// token wins over a cookie: scripts may run in a browser that is signed
// in.
func (s *Server) authenticate(ctx context.Context, c credentials) (*auth.Principal, error) {
	switch {
	case c.badAuth:
		return nil, auth.ErrUnauthorized
	case c.bearer != "":
		p, err := s.auth.TokenPrincipal(ctx, c.bearer)
		if err != nil {
			return nil, err
		}
		return p, nil
	case c.cookie != "":
		p, err := s.auth.SessionPrincipal(ctx, c.cookie)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, nil
}

// safeMethod reports whether m is a read that changes nothing, which
// needs no CSRF token and no write scope.
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// authorize checks p against the route's policy and, for a token request
// that changes something, the token's write scope whatever the policy
// says: a read-only token never changes data. (Sessions may write; CSRF
// tokens guard them instead.)
func authorize(rt *Route, p *auth.Principal, method string, byToken bool) error {
	if err := rt.Policy.Check(p); err != nil {
		return err
	}
	if byToken && !safeMethod(method) && p.Scope != auth.ScopeWrite {
		return fmt.Errorf("%w: a %s-scoped token may not change data", auth.ErrForbidden, p.Scope)
	}
	return nil
}

// csrfToken finds the anti-forgery token: in the header, else in the
// form. Reading a form reads the body, so this runs after the body limit
// is in place; a multipart form is parsed (files spill to disk) and left
// in r.MultipartForm for the handler.
func csrfToken(r *http.Request) string {
	if t := r.Header.Get(CSRFHeader); t != "" {
		return t
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		return r.PostFormValue(CSRFField)
	case "multipart/form-data":
		if err := r.ParseMultipartForm(multipartMemory); err != nil {
			return ""
		}
		if v := r.MultipartForm.Value[CSRFField]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// multipartMemory is how much of a multipart form is kept in memory while
// parsing it for its CSRF token; files beyond it go to temporary files.
const multipartMemory = 1 << 20
