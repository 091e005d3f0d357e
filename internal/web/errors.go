package web

import (
	"errors"
	"fmt"
	"net/http"

	"threshold/internal/auth"
	"threshold/internal/server"
	"threshold/internal/store"
)

// errNotFound is a page that does not exist: an unknown country code, an
// unknown user.
var errNotFound = errors.New("not found")

// badRequestError is a request the user can correct; its message is shown.
type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &badRequestError{msg: fmt.Sprintf(format, args...)}
}

// handle adapts a handler that returns an error. It is the one place where
// errors become statuses: the error page shows a safe message, and only
// unexpected errors are logged, in full.
func (h *handler) handle(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var bad *badRequestError
		switch {
		case errors.As(err, &bad):
			h.errorPage(w, r, http.StatusBadRequest, bad.msg)
		case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, auth.ErrNotFound):
			h.errorPage(w, r, http.StatusNotFound, "")
		case errors.Is(err, auth.ErrUnauthorized):
			h.errorPage(w, r, http.StatusUnauthorized, "")
		case errors.Is(err, auth.ErrForbidden):
			h.errorPage(w, r, http.StatusForbidden, "")
		case errors.Is(err, auth.ErrThrottled):
			h.errorPage(w, r, http.StatusTooManyRequests, "")
		case r.Context().Err() != nil:
			// The client went away or the request timed out: nobody to
			// show a page to, nothing wrong with the server.
			h.Log.Debug("web: request ended early", "path", r.URL.Path, "err", err)
		default:
			id := server.RequestID(r.Context())
			h.Log.Error("web: page failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
			h.errorPage(w, r, http.StatusInternalServerError, "request ID "+id)
		}
	}
}

// errorPage renders a refusal or failure. The server calls it too (see
// server.Routes.HandleErrorPages) for the requests its middleware stops. A
// signed-out GET goes to the login page and comes back afterwards.
func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		server.PrincipalFrom(r.Context()) == nil {
		http.Redirect(w, r, "/login?next="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	// The server's message is for developers and scripts; people get a
	// sentence, with the message as a detail where it helps.
	title, text, detail := http.StatusText(status), "", msg
	switch status {
	case http.StatusBadRequest:
		title, text, detail = "Request not understood", msg, ""
	case http.StatusUnauthorized:
		title, text = "Please sign in", "Your session has ended. Sign in again to continue."
	case http.StatusForbidden:
		title, text = "Access denied", "Your role does not give access to this page. Ask an administrator if you need it."
	case http.StatusNotFound:
		title, text, detail = "Page not found", "There is no page at this address.", ""
	case http.StatusTooManyRequests:
		title, text = "Too many attempts", "Too many attempts in a short time. Wait a few minutes and try again."
	case http.StatusInternalServerError:
		title, text = "Something went wrong", "The page could not be shown. The error has been logged; try again, or tell an administrator if it persists."
	default:
		text, detail = msg, ""
	}
	if text == "" {
		text = http.StatusText(status) + "."
	}
	h.render(w, r, status, "error", title, errorView{Status: status, Message: text, Detail: detail})
}

type errorView struct {
	Status  int
	Message string
	Detail  string // the server's own words, e.g. the request ID of a failure
}
