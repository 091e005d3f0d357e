package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/fieldreport"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/notify"
	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/warning"
)

// WarningOptions configure the warning pipeline. Zero values take the
// defaults given.
type WarningOptions struct {
	// Routes is a routing table file (see alert.ParseRoutes); "" is the
	// embedded default, regional desks without subscribers.
	Routes string
	// BaseURL is the server's public URL, for links in notifications.
	BaseURL string
	// Notify configures delivery; its zero value reads SMTP settings from
	// nothing (no email) and takes the notifier's defaults.
	Notify notify.Config
	Log    *slog.Logger     // nil discards
	Now    func() time.Time // nil is time.Now
	// Getenv reads secrets: the field reports' contact key
	// (THRESHOLD_FIELD_REPORT_KEY) and gateway secrets
	// (THRESHOLD_GATEWAY_<NAME>_SECRET); nil is os.Getenv.
	Getenv func(string) string
}

// Warnings is the warning half of the loop assembled over one database:
// the Watcher that runs after each change, the alert Manager, and the
// durable Notifier whose queue lives in the same database. The server
// Starts the notifier's workers; a command-line ingest only enqueues, and
// a running server delivers.
type Warnings struct {
	Watcher  *warning.Watcher
	Alerts   *alert.Manager
	Notifier *notify.Notifier
	// FieldReports takes reports from the field; verified ones become
	// events through the Watcher, flash ones raise alerts, and the
	// Watcher relinks the reports in verification after every change.
	FieldReports *fieldreport.Service
	// Gateways finds an inbound messaging gateway's configuration.
	Gateways func(name string) (fieldreport.Gateway, bool)
}

// NewWarnings assembles the pipeline over db, migrated.
func NewWarnings(ctx context.Context, db *store.DB, o WarningOptions) (*Warnings, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	routing, err := alert.DefaultRouting()
	if o.Routes != "" {
		var data []byte
		if data, err = os.ReadFile(o.Routes); err != nil {
			return nil, fmt.Errorf("routing table: %w", err)
		}
		routing, err = alert.ParseRoutes(o.Routes, data)
	}
	if err != nil {
		return nil, err
	}
	// Deliveries keep real time whatever the app's clock: their signature
	// timestamps are checked by receivers against their own clocks.
	n, err := notify.New(ctx, db, o.Notify, o.Log)
	if err != nil {
		return nil, err
	}
	auditLog := audit.New(db, o.Now)
	m, err := alert.NewManager(alert.Options{
		Store: db, Routing: routing, Notifier: n, Audit: auditLog,
		Log: o.Log, Now: o.Now, BaseURL: o.BaseURL,
	})
	if err != nil {
		return nil, err
	}
	g, err := geo.Load()
	if err != nil {
		return nil, err
	}
	w := &warning.Watcher{
		Store:      db,
		Geo:        g,
		Indicators: indicator.NewUpdater(db),
		Rules:      (&rulesCache{db: db}).active,
		Alerts:     m,
		Now:        o.Now,
		Log:        o.Log,
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	sealer, err := fieldreport.SealerFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	frs, err := fieldreport.New(fieldreport.Options{
		Store: db, Events: db, Changes: w, Pending: w, Alerts: m, Audit: auditLog, Sealer: sealer,
		Now: o.Now, Log: o.Log,
	})
	if err != nil {
		return nil, err
	}
	w.AfterChange = func(ctx context.Context, countries []string, from, to time.Time) error {
		_, err := frs.Relink(ctx, countries, from, to)
		return err
	}
	return &Warnings{Watcher: w, Alerts: m, Notifier: n, FieldReports: frs,
		Gateways: func(name string) (fieldreport.Gateway, bool) { return fieldreport.GatewayFromEnv(getenv, name) },
	}, nil
}

// ActiveRules returns the rules in force: the newest version saved in the
// database, or the embedded default when none was saved.
func ActiveRules(ctx context.Context, db *store.DB) (*rules.File, error) {
	return (&rulesCache{db: db}).active(ctx)
}

// rulesCache parses the rules in force once per saved version instead of
// at every evaluation. Each call still reads which version is newest, so a
// version saved by another server is used from its next evaluation on. The
// parsed file is shared read-only by concurrent evaluations.
type rulesCache struct {
	db *store.DB

	mu   sync.Mutex
	id   int64 // the cached version's id; 0: the embedded default
	file *rules.File
}

func (c *rulesCache) active(ctx context.Context) (*rules.File, error) {
	v, err := c.db.ActiveRules(ctx)
	if errors.Is(err, store.ErrNotFound) {
		v, err = store.RulesVersion{}, nil
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file != nil && c.id == v.ID {
		return c.file, nil
	}
	f := rules.Default()
	if v.ID != 0 {
		if f, err = v.File(); err != nil {
			return nil, fmt.Errorf("the saved rules (version %s) no longer parse: %w", v.Version, err)
		}
	}
	c.id, c.file = v.ID, f
	return f, nil
}
