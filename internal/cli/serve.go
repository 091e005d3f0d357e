package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"threshold/internal/app"
	"threshold/internal/feed"
	"threshold/internal/notify"
	"threshold/internal/store"
)

const serveHelp = `
usage: threshold serve [--db DB] [--addr 127.0.0.1:8080] [--demo] [--migrate] [flags]

Serve runs the Threshold server: the JSON API under /api/v1/ (described
by /api/v1/openapi.json), the dashboard, and /healthz, /readyz and
/metrics for operations. It stops on SIGTERM or Ctrl-C, letting requests
in flight finish first.

--demo ingests the sample data bundled with Threshold before serving (as
"threshold demo" does); it implies --migrate. Without --migrate, serve
refuses a database whose schema is out of date: run "threshold migrate".

There is no default account. When no user exists, serve prints how to
create the first admin with "threshold org add" and "threshold user add".

Alerts go to the receivers of the routing table (--routes; see "threshold
alerts --help"); webhooks are signed with the secret in the environment
variable each webhook names, and email goes through the SMTP server set by
THRESHOLD_SMTP_HOST, _PORT, _FROM, _USERNAME, _PASSWORD and _TLS
(mandatory, opportunistic or none).

--feed-dir DIR or --feed-url URL (a GDELT 2.0 lastupdate.txt) makes the
server ingest a GDELT-style feed of 15-minute export files every
--feed-every, in order and each file once, as "threshold feed" does.
Periodic work (rule evaluation, follow-through checks, the feed, the
monthly report email) runs once per period across every server sharing
the database, so several servers may run behind one reverse proxy.

Every flag can also be set by an environment variable, named after the
flag: --addr by THRESHOLD_ADDR, --session-idle by THRESHOLD_SESSION_IDLE,
and so on. A flag wins over its variable.
`

func runServe(ctx context.Context, args []string, env *Env) error {
	fs := newFlags("serve", serveHelp, env)
	cfg := &envDefaults{env: env}
	db := dbFlag(fs, env)
	addr := fs.String("addr", cfg.str("THRESHOLD_ADDR", app.DefaultAddr), "listen address (env THRESHOLD_ADDR)")
	demo := fs.Bool("demo", false, "ingest the bundled sample data first")
	migrate := fs.Bool("migrate", cfg.bool("THRESHOLD_MIGRATE", false), "bring the database schema up to date (env THRESHOLD_MIGRATE)")
	logLevel := fs.String("log-level", cfg.str("THRESHOLD_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env THRESHOLD_LOG_LEVEL)")
	logFormat := fs.String("log-format", cfg.str("THRESHOLD_LOG_FORMAT", "text"), "log format: text or json (env THRESHOLD_LOG_FORMAT)")
	idle := fs.Duration("session-idle", cfg.duration("THRESHOLD_SESSION_IDLE", 8*time.Hour), "sign people out after this long idle (env THRESHOLD_SESSION_IDLE)")
	maxAge := fs.Duration("session-max-age", cfg.duration("THRESHOLD_SESSION_MAX_AGE", 7*24*time.Hour), "sign people out this long after they signed in (env THRESHOLD_SESSION_MAX_AGE)")
	secure := fs.Bool("secure-cookie", cfg.bool("THRESHOLD_SECURE_COOKIE", false), "mark session cookies Secure even on plain HTTP, behind a TLS proxy (env THRESHOLD_SECURE_COOKIE)")
	timeout := fs.Duration("request-timeout", cfg.duration("THRESHOLD_REQUEST_TIMEOUT", 30*time.Second), "time limit of a request, uploads excepted (env THRESHOLD_REQUEST_TIMEOUT)")
	maxUpload := fs.Int64("max-upload-mb", cfg.int64("THRESHOLD_MAX_UPLOAD_MB", 256), "size limit of an ingest upload, in MiB (env THRESHOLD_MAX_UPLOAD_MB)")
	routes := fs.String("routes", cfg.str("THRESHOLD_ROUTES", ""), "alert routing table file; default: regional desks without subscribers (env THRESHOLD_ROUTES)")
	baseURL := fs.String("base-url", cfg.str("THRESHOLD_BASE_URL", ""), "public URL of the server, for links in alert notifications (env THRESHOLD_BASE_URL)")
	feedDir := fs.String("feed-dir", cfg.str("THRESHOLD_FEED_DIR", ""), "ingest GDELT 2.0 export files appearing in this directory (env THRESHOLD_FEED_DIR)")
	feedURL := fs.String("feed-url", cfg.str("THRESHOLD_FEED_URL", ""), "ingest the GDELT 2.0 export files this lastupdate.txt lists (env THRESHOLD_FEED_URL)")
	feedEvery := fs.Duration("feed-every", cfg.duration("THRESHOLD_FEED_EVERY", app.DefaultFeedEvery), "how often the feed is polled (env THRESHOLD_FEED_EVERY)")
	shutdown := fs.Duration("shutdown-timeout", cfg.duration("THRESHOLD_SHUTDOWN_TIMEOUT", 30*time.Second), "how long requests in flight may take to finish at shutdown (env THRESHOLD_SHUTDOWN_TIMEOUT)")
	if cfg.err != nil {
		return usageError{cfg.err.Error()}
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	log, err := newServerLog(env, *logLevel, *logFormat)
	if err != nil {
		return usageError{err.Error()}
	}
	if *maxUpload <= 0 {
		return usageError{"--max-upload-mb must be positive"}
	}

	smtp, err := notify.SMTPConfigFromEnv(func(k string) (string, bool) { v := env.Getenv(k); return v, v != "" })
	if err != nil {
		return usageError{err.Error()}
	}
	a, err := app.New(ctx, app.Options{
		DB: *db, Addr: *addr, Migrate: *migrate || *demo, Log: log,
		SessionIdle: *idle, SessionMaxAge: *maxAge, SecureCookie: *secure,
		RequestTimeout: *timeout, MaxUpload: *maxUpload << 20,
		Warnings: app.WarningOptions{Routes: *routes, BaseURL: *baseURL, Notify: notify.Config{SMTP: smtp}, Getenv: env.Getenv},
		Feed:     feed.Config{Dir: *feedDir, URL: *feedURL}, FeedEvery: *feedEvery,
	})
	if err != nil {
		return err
	}
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *shutdown)
		defer cancel()
		return a.Stop(sctx)
	}
	if *demo {
		fmt.Fprintf(env.Stdout, "Ingesting the bundled sample data into %s\n\n", store.MaskURL(*db))
		sum, err := ingestSample(ctx, a.DB(), env, a.Warnings())
		if err != nil {
			stop()
			return err
		}
		printIngestSummary(env, sum)
		fmt.Fprintln(env.Stdout)
		if err := replaySample(ctx, a.DB(), env, a.Warnings()); err != nil {
			stop()
			return err
		}
	}
	if err := a.Start(); err != nil {
		stop()
		return err
	}
	fmt.Fprintf(env.Stdout, "Threshold is serving http://%s (database %s). Stop it with Ctrl-C.\n", a.Addr(), store.MaskURL(*db))
	if first, err := a.NeedsFirstAdmin(ctx); err != nil {
		log.Warn("cannot tell whether any user exists", "err", err)
	} else if first {
		printFirstAdmin(env, *db, a.Addr())
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(env.Stdout, "Shutting down: finishing the requests in flight.")
		return stop()
	case err := <-a.Done():
		return fmt.Errorf("server stopped: %w", joinStop(err, stop()))
	}
}

func joinStop(err, stopErr error) error {
	if err == nil {
		return stopErr
	}
	return err
}

// printFirstAdmin tells the operator of a server without users how to
// create the first admin. There is never a default password.
func printFirstAdmin(env *Env, db, addr string) {
	dbFlag := ""
	if db != "threshold.db" && env.Getenv("THRESHOLD_DB") != db {
		dbFlag = " --db " + shellQuote(db)
	}
	fmt.Fprintf(env.Stdout, `
No user exists yet, and there is no default account. Create the first admin:

	threshold org add%[1]s "Your organisation"
	threshold user add%[1]s --org "Your organisation" --role admin you@example.org

then sign in at http://%[2]s/login, or make an API token for scripts with

	threshold token create%[1]s --user you@example.org

`, dbFlag, addr)
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$`\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// newServerLog makes the server's structured log on standard error.
func newServerLog(env *Env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(env.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(env.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// envDefaults reads flag defaults from THRESHOLD_* variables, keeping
// the first malformed one as err.
type envDefaults struct {
	env *Env
	err error
}

func (e *envDefaults) str(name, def string) string {
	if v := e.env.Getenv(name); v != "" {
		return v
	}
	return def
}

func (e *envDefaults) duration(name string, def time.Duration) time.Duration {
	v := e.env.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s=%q: want a duration such as 30s or 8h", name, v)
	}
	return d
}

func (e *envDefaults) bool(name string, def bool) bool {
	v := e.env.Getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b
}

func (e *envDefaults) int64(name string, def int64) int64 {
	v := e.env.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s=%q: want a whole number", name, v)
	}
	return n
}
