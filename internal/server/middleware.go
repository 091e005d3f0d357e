package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"

	"threshold/internal/auth"
)

// requestInfo is what the layers of one request tell the access log.
type requestInfo struct {
	id    string
	route string // the matched pattern, or "unmatched"
	user  int64  // the principal's user id; 0 if signed out
}

type infoKey struct{}

// RequestID returns the request's ID, as sent back in X-Request-ID and
// logged with every line about the request.
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// ServeHTTP serves one request: it gives it an ID, recovers a panic,
// logs and counts it, and passes it to its route, or refuses it when no
// route matches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	info := &requestInfo{id: requestID(r), route: "unmatched"}
	h := w.Header()
	h.Set("X-Request-ID", info.id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	rec := &recorder{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	s.metrics.inFlight.Inc()
	defer func() {
		v := recover()
		cut := false
		if v == http.ErrAbortHandler { // a deliberate abort, as net/http has it
			cut = true
		} else if v != nil {
			s.log.Error("panic serving request", "request_id", info.id, "method", r.Method,
				"path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec.wrote {
				cut = true
			} else {
				s.refuse(rec, r, http.StatusInternalServerError, internalError(info.id))
			}
		}
		s.metrics.inFlight.Dec()
		d := s.now().Sub(start)
		s.metrics.observe(info.route, r.Method, rec.statusCode(), d.Seconds())
		s.logRequest(r, info, rec, d.Seconds())
		if cut {
			// The response was under way: cut the connection so the
			// client sees it broken rather than complete.
			panic(http.ErrAbortHandler)
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func (s *Server) logRequest(r *http.Request, info *requestInfo, rec *recorder, seconds float64) {
	level := slog.LevelInfo
	if rec.statusCode() >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("request_id", info.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", info.route),
		slog.Int("status", rec.statusCode()),
		slog.Int64("bytes", rec.bytes),
		slog.Float64("seconds", seconds),
		slog.Int64("user", info.user),
		slog.String("remote", r.RemoteAddr),
	)
}

// unmatched answers a request no route matches: 404, or 405 with the
// methods the path allows, as ServeMux decides.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	status := probe.status
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		// ServeMux's redirects to the clean path, or to the path with
		// its trailing slash: let it answer.
		h.ServeHTTP(w, r)
		return
	}
	msg := "no such page or endpoint: " + r.URL.Path
	if status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		msg = fmt.Sprintf("method %s is not allowed here; allowed: %s", r.Method, allow)
	}
	s.refuse(w, r, status, msg)
}

// guard wraps a route's handler with its limits, authentication, access
// policy and CSRF check.
func (s *Server) guard(rt Route) http.Handler {
	maxBody, timeout := rt.MaxBody, rt.Timeout
	if maxBody <= 0 {
		maxBody = s.maxBody
	}
	if timeout <= 0 {
		timeout = s.timeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		info, _ := ctx.Value(infoKey{}).(*requestInfo)
		if info == nil { // served by the mux directly, as in some tests
			info = &requestInfo{id: requestID(r)}
			ctx = context.WithValue(ctx, infoKey{}, info)
		}
		info.route = rt.Pattern

		start := s.now()
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(start.Add(timeout)) // unsupported by test recorders; then there is no deadline to extend
		rc.SetWriteDeadline(start.Add(timeout + writeGrace))
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()

		cred := requestCredentials(r)
		p, err := s.authenticate(ctx, cred)
		switch {
		case err == nil:
		case errors.Is(err, auth.ErrUnauthorized):
			if !rt.Public {
				s.refuse(w, r, http.StatusUnauthorized, "sign in: the session has expired or the credentials are not valid")
				return
			}
			p = nil // public routes serve the signed out
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			// Overloaded, or the client has gone: not a failure to log.
			s.refuse(w, r, http.StatusServiceUnavailable, "the server is busy; try again")
			return
		default:
			s.log.Error("authenticate", "request_id", info.id, "err", err)
			s.refuse(w, r, http.StatusInternalServerError, internalError(info.id))
			return
		}
		if !rt.Public {
			if err := authorize(&rt, p, r.Method, cred.bearer != ""); err != nil {
				if errors.Is(err, auth.ErrUnauthorized) {
					s.refuse(w, r, http.StatusUnauthorized, "sign in, or send an API token as Authorization: Bearer TOKEN")
				} else {
					s.refuse(w, r, http.StatusForbidden, forbidden(err))
				}
				return
			}
		}

		if r.ContentLength > maxBody {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, tooLarge(maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)

		// A cookie is sent by the browser whoever made the page that
		// sends the request: a change made on a session's authority needs
		// the session's CSRF token. Tokens are not sent automatically and
		// need none. A public route is served signed out instead.
		if p != nil && cred.bearer == "" && !safeMethod(r.Method) {
			if err := s.auth.CheckCSRF(p, csrfToken(r)); err != nil {
				var mb *http.MaxBytesError
				switch {
				case errors.As(err, &mb):
					s.refuse(w, r, http.StatusRequestEntityTooLarge, tooLarge(maxBody))
					return
				case !rt.Public:
					s.refuse(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
					return
				}
				p = nil
			}
		}
		if p != nil {
			info.user = p.UserID
		}
		if r.MultipartForm != nil {
			// Parsed here, on this copy of the request, so net/http would
			// not remove its temporary files.
			defer r.MultipartForm.RemoveAll()
		}
		if !rt.Public {
			// What a signed-in caller sees stays out of shared caches and
			// the browser's history; a handler may say otherwise.
			w.Header().Set("Cache-Control", "no-store")
		}
		rt.Handler.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
	})
}

func internalError(id string) string {
	return "internal error; the server log has the details under request ID " + id
}

func tooLarge(n int64) string {
	return "request body is larger than the limit of " + strconv.FormatInt(n, 10) + " bytes"
}

// forbidden says why a signed-in principal is refused. The policy's
// errors are written to be shown.
func forbidden(err error) string {
	if errors.Is(err, auth.ErrForbidden) {
		return err.Error()
	}
	return "forbidden"
}

// requestID returns the client's X-Request-ID if it is short and plain,
// else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); len(id) > 0 && len(id) <= 64 && plainID(id) {
		return id
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func plainID(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// recorder notes a response's status and size for the log and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (rec *recorder) WriteHeader(code int) {
	if !rec.wrote {
		rec.status, rec.wrote = code, true
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if !rec.wrote {
		rec.status, rec.wrote = http.StatusOK, true
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) statusCode() int {
	if !rec.wrote {
		return http.StatusOK
	}
	return rec.status
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Flush sends buffered data to the client, for streamed responses.
func (rec *recorder) Flush() {
	http.NewResponseController(rec.ResponseWriter).Flush()
}

// statusProbe captures what ServeMux's own 404 and 405 handlers would
// answer, so that the server can answer in its own format instead.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }
