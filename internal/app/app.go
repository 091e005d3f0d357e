// Package app assembles Threshold's server process: the database, the
// auth service, the JSON API, the dashboard and the HTTP server, in one
// function that reads as the system's table of contents. It owns no
// signals and reads no flags, so that tests, benchmarks and the serve
// command all run the same process in-process: New, Start (on
// 127.0.0.1:0 if need be), Addr, Stop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/api"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/feed"
	"threshold/internal/fund"
	"threshold/internal/geo"
	"threshold/internal/queue"
	"threshold/internal/report"
	"threshold/internal/roster"
	"threshold/internal/schedule"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/web"
)

// Options configure an App. Zero values take the defaults given.
type Options struct {
	DB      string // SQLite file path or postgres:// URL (required)
	Addr    string // listen address, default 127.0.0.1:8080; port 0 picks a free one
	Migrate bool   // bring the schema up to date; without it an out-of-date schema is an error

	Log *slog.Logger     // nil discards
	Now func() time.Time // the clock; nil means time.Now

	SessionIdle   time.Duration // sign out after this long idle (auth's default: 8 h)
	SessionMaxAge time.Duration // sign out this long after login however active (auth's default: 7 days)
	SecureCookie  bool          // mark session cookies Secure on plain HTTP, behind a TLS proxy

	RequestTimeout time.Duration // per request, default 30 s; uploads get UploadTimeout
	MaxUpload      int64         // bytes per ingest upload, default 256 MiB
	UploadTimeout  time.Duration // per ingest upload, default 15 min
	StatsCacheTTL  time.Duration // default 30 s; negative disables the cache

	// Warnings configure rules, routing and delivery.
	Warnings WarningOptions
	// EvaluateEvery is how often every rule is evaluated over every
	// country even without new data (time-based triggers such as an
	// approaching election), and agreements' follow-through checked,
	// default 1 h; negative disables both. Like all periodic work it runs
	// once per period across the servers on the database (see jobs.go).
	EvaluateEvery time.Duration
	// Schedule configures the scheduler of periodic work; its ID names
	// this server in the job queue's tables (default host-pid).
	Schedule schedule.Config

	// Feed, with a Dir or a URL, is a GDELT-style feed polled every
	// FeedEvery (default 15 min) and ingested through the warning
	// pipeline; its Store, AfterIngest, Log and Now are the app's.
	Feed      feed.Config
	FeedEvery time.Duration

	// Auth replaces the auth service as the server's authenticator, for
	// tests and benchmarks; nil uses the auth service over the database.
	Auth server.Authenticator
}

// DefaultAddr is where the server listens unless told otherwise: loopback
// only, since the server speaks plain HTTP.
const DefaultAddr = "127.0.0.1:8080"

// App is a Threshold server process.
type App struct {
	opts   Options
	log    *slog.Logger
	db     *store.DB
	auth   *auth.Service
	api    *api.API
	warn   *Warnings
	agree  *agreement.Service // follow-through, checked with the rules
	routes *server.Routes
	srv    *server.Server
	audit  *audit.Log
	feed   *feed.Feed          // nil without Options.Feed
	queue  *queue.Queue        // the process's one River client: deliveries, report emails, periodic runs
	sched  *schedule.Scheduler // periodic work, once across servers

	reports    *report.Service   // the monthly tracker and briefs
	reportMail *report.Scheduler // their monthly email to subscribers

	mu     sync.Mutex
	ln     net.Listener
	served chan error // Serve's result, once started

	bg     sync.WaitGroup     // background work: the statistics warm-up, renotify
	cancel context.CancelFunc // ends background work
}

// New opens the database and builds the process; Start serves it.
func New(ctx context.Context, opts Options) (_ *App, err error) {
	if opts.DB == "" {
		return nil, errors.New("app: no database")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &App{opts: opts, log: opts.Log, routes: &server.Routes{}}

	// The database, at the schema this binary knows.
	db, err := store.Open(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	a.db = db
	if err := a.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	g, err := geo.Load()
	if err != nil {
		db.Close()
		return nil, err
	}

	// One job queue for the process, which every package that runs jobs
	// registers its workers with: the River leader then rescues every
	// kind of job a dead server left running (package queue).
	if a.queue, err = queue.Open(ctx, db, queue.Config{ID: opts.Schedule.ID, Log: opts.Log}); err != nil {
		db.Close()
		return nil, err
	}
	defer func() {
		if err != nil {
			a.queue.Stop(context.WithoutCancel(ctx))
		}
	}()
	opts.Warnings.Notify.Queue = a.queue
	opts.Schedule.Queue = a.queue
	a.opts.Schedule = opts.Schedule

	// People and access, every change audited.
	auditLog := audit.New(db, opts.Now)
	a.audit = auditLog
	a.auth = auth.NewService(db, auth.Options{
		Now:         opts.Now,
		IdleTimeout: opts.SessionIdle,
		MaxAge:      opts.SessionMaxAge,
		Audit:       auditLog,
	})
	var authn server.Authenticator = authenticator{a.auth}
	if opts.Auth != nil {
		authn = opts.Auth
	}

	// Warnings: rules, alerts, routing and durable delivery.
	if opts.Warnings.Log == nil {
		opts.Warnings.Log = opts.Log
	}
	if opts.Warnings.Now == nil {
		opts.Warnings.Now = opts.Now
	}
	if a.warn, err = NewWarnings(ctx, db, opts.Warnings); err != nil {
		db.Close()
		return nil, err
	}

	// Casework: cases, the actions that answer warnings, need-to-know.
	cases, err := casework.New(casework.Options{Store: db, Alerts: a.warn.Alerts, Audit: auditLog, Geo: g, Now: opts.Now, Log: opts.Log})
	if err != nil {
		db.Close()
		return nil, err
	}

	// Follow-through: agreements, their provisions' implementation, and
	// alerts on overdue and stalled provisions through the same pipeline.
	agreements, err := agreement.New(agreement.Options{Store: db, Alerts: a.warn.Alerts, Audit: auditLog, Geo: g, Now: opts.Now, Log: opts.Log})
	if err != nil {
		db.Close()
		return nil, err
	}

	a.agree = agreements

	// Mobilise: the roster of envoys and mediation experts.
	rost, err := roster.New(roster.Options{Store: db, Cases: cases, Audit: auditLog, Geo: g, Now: opts.Now, Log: opts.Log})
	if err != nil {
		db.Close()
		return nil, err
	}

	// The rapid-response fund: a double-entry ledger.
	money, err := fund.New(fund.Options{Store: db, Cases: cases, Deployments: rost, Audit: auditLog, Now: opts.Now, Log: opts.Log})
	if err != nil {
		db.Close()
		return nil, err
	}

	// The monthly tracker and briefs, for the dashboard and the monthly
	// email to subscribers (jobs.go).
	a.reports = &report.Service{Source: db, Cases: cases, Agreements: db, Overrides: db,
		Tracker: &report.Tracker{Store: db, Audit: auditLog, Now: opts.Now}, Now: opts.Now}
	a.reportMail = &report.Scheduler{Reports: a.reports, Subscriptions: db, Mail: a.warn.Notifier, Log: opts.Log}

	// The surfaces, each registering its routes with their policies.
	metrics := server.NewMetrics()
	if a.api, err = api.Register(a.routes, api.Deps{
		Store: db, Metrics: metrics, Audit: auditLog, Changes: a.warn.Watcher, Alerts: a.warn.Alerts,
		Deliveries: a.warn.Notifier, Rules: db, Cases: cases,
		FieldReports: a.warn.FieldReports, Gateways: a.warn.Gateways, Roster: rost, Fund: money, Agreements: agreements,
		Log: opts.Log, Geo: g, Now: opts.Now,
		StatsCacheTTL: opts.StatsCacheTTL, MaxUpload: opts.MaxUpload, UploadTimeout: opts.UploadTimeout,
	}); err != nil {
		db.Close()
		return nil, err
	}
	if err := web.Register(a.routes, web.Deps{
		Data: db, Auth: a.auth, Admin: a.auth, Geo: g,
		Alerts: a.warn.Alerts, Rules: db, Events: db, Deliveries: a.warn.Notifier, Audit: auditLog, Cases: cases,
		Roster: rost, Fund: money, Agreements: agreements, Forecasts: db, FieldReports: a.warn.FieldReports,
		Reports: a.reports,
		Log:     opts.Log, Now: opts.Now, SecureCookie: opts.SecureCookie,
	}); err != nil {
		db.Close()
		return nil, err
	}

	// Continuous ingest, and the periodic work (jobs.go).
	if err := a.newFeed(); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.newScheduler(); err != nil {
		db.Close()
		return nil, err
	}

	// The server over all of it.
	a.srv, err = server.New(server.Options{
		Routes:  a.routes,
		Auth:    authn,
		Ready:   a.ready,
		Metrics: metrics,
		Log:     opts.Log,
		Timeout: opts.RequestTimeout,
		Now:     opts.Now,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// checkSchema migrates, or refuses a schema other than the one this
// binary knows.
func (a *App) checkSchema(ctx context.Context) error {
	if a.opts.Migrate {
		applied, err := a.db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			a.log.Info("migrated the database", "applied", applied)
		}
		return nil
	}
	current, latest, err := a.db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case current < latest:
		return fmt.Errorf("the database %s is at schema version %d and this threshold needs %d: "+
			"run 'threshold migrate' first, or start the server with --migrate",
			store.MaskURL(a.opts.DB), current, latest)
	case current > latest:
		return fmt.Errorf("the database %s is at schema version %d, newer than this threshold knows (%d): "+
			"run a newer threshold", store.MaskURL(a.opts.DB), current, latest)
	}
	// What Migrate would mend of a killed ingest. A server whose role may
	// not create indexes still serves: queries are slower without them,
	// not wrong.
	if err := a.db.RepairIndexes(ctx); err != nil {
		a.log.Warn("the events indexes a killed ingest left missing could not be built", "err", err)
	}
	return nil
}

// ready is the readiness check: the database answers.
func (a *App) ready(ctx context.Context) error {
	_, _, err := a.db.SchemaVersion(ctx)
	return err
}

// Start listens on Options.Addr and serves in the background.
func (a *App) Start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		return errors.New("app: already started")
	}
	ln, err := net.Listen("tcp", a.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.ln = ln
	a.served = make(chan error, 1)
	go func() { a.served <- a.srv.Serve(ln) }()
	a.log.Info("listening", "addr", ln.Addr().String(), "db", store.MaskURL(a.opts.DB), "dialect", a.db.Dialect())

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if err := a.api.Warm(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("statistics warm-up", "err", err)
		}
	}()
	// The queue stops gracefully in Stop, not when ctx ends.
	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job queue: %w", err)
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		a.renotify(ctx)
	}()
	if err := a.sched.Start(ctx); err != nil {
		return fmt.Errorf("start the scheduler: %w", err)
	}
	return nil
}

// renotify re-enqueues alerts whose delivery was never enqueued (a crash
// between committing an alert and enqueuing it). Enqueue is idempotent,
// so servers starting together send nothing twice.
func (a *App) renotify(ctx context.Context) {
	if n, err := a.warn.Alerts.Renotify(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("renotify pending alerts", "err", err)
	} else if n > 0 {
		a.log.Info("renotified pending alerts", "alerts", n)
	}
}

// Addr returns the address the server listens on, once started: with
// port 0 in Options.Addr, the port picked.
func (a *App) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// Done returns a channel that yields Serve's error if the server stops
// by itself, or nil after Stop. Nil before Start.
func (a *App) Done() <-chan error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.served
}

// Stop stops accepting connections, lets the requests in flight finish
// until ctx ends, ends background work, then closes the database.
func (a *App) Stop(ctx context.Context) error {
	a.mu.Lock()
	started := a.ln != nil
	a.mu.Unlock()
	var err error
	if started {
		err = a.srv.Shutdown(ctx)
		a.cancel()
		a.bg.Wait()
		err = errors.Join(err, a.sched.Stop(ctx))
	}
	// Waits for the jobs in flight (cancelled when ctx ends: they are
	// retried by another server), or just closes an unstarted queue.
	err = errors.Join(err, a.queue.Stop(ctx))
	a.api.Close()
	return errors.Join(err, a.db.Close())
}

// Handler returns the server's handler, for tests that need no listener.
func (a *App) Handler() http.Handler { return a.srv }

// Routes returns the route table: every page and endpoint with its
// policy.
func (a *App) Routes() *server.Routes { return a.routes }

// Warnings returns the warning pipeline.
func (a *App) Warnings() *Warnings { return a.warn }

// DB returns the database.
func (a *App) DB() *store.DB { return a.db }

// Auth returns the auth service.
func (a *App) Auth() *auth.Service { return a.auth }

// NeedsFirstAdmin reports whether no user exists yet, so that the
// operator should be told how to create the first admin.
func (a *App) NeedsFirstAdmin(ctx context.Context) (bool, error) {
	users, err := a.auth.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	return len(users) == 0, nil
}

// authenticator is the auth service as the server's Authenticator.
type authenticator struct{ *auth.Service }

func (authenticator) CheckCSRF(p *auth.Principal, token string) error {
	return auth.CheckCSRF(p, token)
}
