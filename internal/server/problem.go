package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Problem is an error response as RFC 9457 defines it
// (application/problem+json). It has the shape of the JSON API's own
// errors (huma's ErrorModel), so that a client reads a refusal by the
// server and a validation error of an endpoint the same way.
type Problem struct {
	Type   string `json:"type,omitempty"` // absent: "about:blank", the status says it all
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors name the fields at fault, as the API's validation errors do.
	Errors []ProblemDetail `json:"errors,omitempty"`
}

// ProblemDetail is one field at fault.
type ProblemDetail struct {
	Message  string `json:"message,omitempty"`
	Location string `json:"location,omitempty"` // "query.from", "body", ...
	Value    any    `json:"value,omitempty"`
}

// IsAPI reports whether r is for the JSON API, whose errors are problem
// documents, rather than for a page.
func IsAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// WriteProblem writes p with its status.
func WriteProblem(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p) // the client has gone if this fails
}

// refuse answers a request the server itself refuses or fails: a problem
// document for the API, the error page hook for pages.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if IsAPI(r) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="threshold"`)
		}
		WriteProblem(w, Problem{Status: status, Detail: msg})
		return
	}
	if s.errorPage != nil {
		s.errorPage(w, r, status, msg)
		return
	}
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}
