package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"threshold/internal/auth"
)

// Options configure a Server. Zero durations and sizes take the defaults
// given.
type Options struct {
	// Routes is the route table: the API's, the dashboard's. New adds the
	// operations routes (/healthz, /readyz, /metrics) to it.
	Routes *Routes
	// Auth resolves sessions and tokens. Nil authenticates nobody: only
	// Public routes can be used.
	Auth Authenticator
	// Ready reports whether the server can serve: /readyz answers 503
	// while it returns an error. Nil means always ready.
	Ready func(ctx context.Context) error
	// Metrics is the registry served at /metrics; nil makes a new one.
	Metrics *Metrics
	Log     *slog.Logger // access log and failures; nil discards them

	MaxBody           int64         // request body limit, default 1 MiB; routes may set their own
	Timeout           time.Duration // per-request deadline, default 30 s; routes may set their own
	ReadHeaderTimeout time.Duration // default 10 s
	IdleTimeout       time.Duration // keep-alive connections, default 2 min

	Now func() time.Time // clock for request durations; nil means time.Now
}

// Default limits.
const (
	DefaultMaxBody = 1 << 20
	DefaultTimeout = 30 * time.Second
	// writeGrace is how long past its deadline a handler may still write
	// its response, such as the error saying it ran out of time.
	writeGrace = 5 * time.Second
)

// Server is Threshold's HTTP server: an http.Handler built from a route
// table, and the http.Server that runs it.
type Server struct {
	routes    *Routes
	mux       *http.ServeMux
	auth      Authenticator
	ready     func(ctx context.Context) error
	metrics   *Metrics
	log       *slog.Logger
	errorPage ErrorPage
	maxBody   int64
	timeout   time.Duration
	now       func() time.Time

	srv *http.Server
}

// New builds the server for opts.Routes. It fails if two routes collide
// or a route is malformed.
func New(opts Options) (*Server, error) {
	if opts.Routes == nil {
		opts.Routes = &Routes{}
	}
	s := &Server{
		routes:    opts.Routes,
		mux:       http.NewServeMux(),
		auth:      opts.Auth,
		ready:     opts.Ready,
		metrics:   opts.Metrics,
		log:       opts.Log,
		errorPage: opts.Routes.errorPage,
		maxBody:   opts.MaxBody,
		timeout:   opts.Timeout,
		now:       opts.Now,
	}
	if s.auth == nil {
		s.auth = nobody{}
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.routes.HandlePublic(http.MethodGet, "/healthz", http.HandlerFunc(s.healthz))
	s.routes.HandlePublic(http.MethodGet, "/readyz", http.HandlerFunc(s.readyz))
	s.routes.HandlePublic(http.MethodGet, "/metrics", s.metrics.Handler())
	for _, rt := range s.routes.All() {
		if err := s.handle(rt); err != nil {
			return nil, err
		}
	}
	rht, idle := opts.ReadHeaderTimeout, opts.IdleTimeout
	if rht <= 0 {
		rht = 10 * time.Second
	}
	if idle <= 0 {
		idle = 2 * time.Minute
	}
	// Routes extend the read and write deadlines to their own timeouts;
	// these bound the requests no route matched.
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: rht,
		ReadTimeout:       s.timeout,
		WriteTimeout:      s.timeout + writeGrace,
		IdleTimeout:       idle,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// handle adds rt to the mux. ServeMux panics on a conflicting pattern;
// that becomes New's error.
func (s *Server) handle(rt Route) (err error) {
	if rt.Method == "" || len(rt.Pattern) == 0 || rt.Pattern[0] != '/' || rt.Handler == nil {
		return fmt.Errorf("route %s %q: want a method, a pattern starting with / and a handler", rt.Method, rt.Pattern)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("route %s %s: %v", rt.Method, rt.Pattern, v)
		}
	}()
	s.mux.Handle(rt.Method+" "+rt.Pattern, s.guard(rt))
	return nil
}

// Routes returns the route table the server serves.
func (s *Server) Routes() *Routes { return s.routes }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Serve accepts connections on ln until Shutdown. It returns nil after a
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for the requests in
// flight to finish. If ctx ends first, it closes the connections that
// remain and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready: database unreachable\n"))
			return
		}
	}
	w.Write([]byte("ok\n"))
}

// nobody is the Authenticator of a server without one.
type nobody struct{}

func (nobody) SessionPrincipal(context.Context, string) (*auth.Principal, error) {
	return nil, auth.ErrUnauthorized
}

func (nobody) TokenPrincipal(context.Context, string) (*auth.Principal, error) {
	return nil, auth.ErrUnauthorized
}

func (nobody) CheckCSRF(*auth.Principal, string) error { return auth.ErrForbidden }
