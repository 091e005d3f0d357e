// Package api is Threshold's JSON API, version 1, under /api/v1/: events
// (list, one with its provenance, GeoJSON), country-period statistics,
// ingest by upload and the quarantine.
//
// Operations are declared with huma, which validates parameters and
// generates the OpenAPI 3.1 document served at /api/v1/openapi.json from
// the handlers' own Go types. Every operation is registered through
// handle, which enters it in the server's route table with the access
// policy that guards it: the server authenticates, authorises and limits
// API requests exactly as it does pages, and the access-control tests
// that walk the route table cover the API.
//
// Errors are application/problem+json documents (RFC 9457); invalid
// input is a 4xx naming the parameter at fault, never a 500.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"threshold/internal/audit"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"threshold/internal/event"
	"threshold/internal/geo"
	"threshold/internal/ingest"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/warning"
)

// Store is the data the API reads and writes. *store.DB implements it.
type Store interface {
	ingest.Store
	Events(ctx context.Context, f event.Filter, p store.Page, fn func(event.Stored) error) error
	Event(ctx context.Context, k event.Key) (event.Stored, error)
	Versions(ctx context.Context, id int64) ([]store.Version, error)
	Stats(ctx context.Context, by store.Grouping, f event.Filter) ([]event.Period, error)
	Rejects(ctx context.Context, file string) ([]store.Reject, error)
}

// Metrics counts what the API ingests. *server.Metrics implements it.
type Metrics interface {
	Ingested(s ingest.Summary)
}

// Auditor records changes in the audit log. *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Indicators recomputes derived indicators after an ingest.
// *indicator.Updater implements it.
type Indicators interface {
	Recompute(ctx context.Context, countries []string, from, to time.Time) (int, error)
}

// Changes brings everything derived from the events (indicators, alert
// rules, alerts) up to date after an upload. *warning.Watcher implements
// it.
type Changes interface {
	Changed(ctx context.Context, countries []string, from, to time.Time) (warning.Report, error)
}

// Deps are what the API needs. Store is required; zero fields take the
// defaults given.
type Deps struct {
	Store   Store
	Metrics Metrics // nil counts nothing
	Audit   Auditor // records ingests; nil records nothing (tests only)
	// Indicators are recomputed for what an upload changed; nil skips it.
	Indicators Indicators
	// Changes, when set, replaces Indicators: indicators, then rules and
	// alerts, for what an upload changed.
	Changes Changes
	// Alerts serves the alert inbox, lifecycle and silences; nil leaves
	// those endpoints out.
	Alerts Alerts
	// Rules serves the alert rules file and its versions; nil leaves
	// those endpoints out.
	Rules RulesStore
	// Deliveries serves alerts' delivery logs; nil leaves that endpoint
	// out.
	Deliveries Deliveries
	// Cases serves casework (cases, actions, the warning-to-action
	// report); nil leaves those endpoints out.
	Cases Cases
	// Agreements serves follow-through on agreements; nil leaves those
	// endpoints out.
	Agreements Agreements
	// Roster serves the roster of envoys and mediation experts, matching
	// and deployments; nil leaves those endpoints out.
	Roster Roster
	// Fund serves the rapid-response fund (ledger, allocations,
	// reports); nil leaves those endpoints out.
	Fund Fund
	// FieldReports serves field reports and monitors; nil leaves those
	// endpoints out. Gateways finds inbound messaging gateways; nil
	// leaves the gateway webhook out.
	FieldReports FieldReports
	Gateways     Gateways

	Log *slog.Logger // nil discards
	Geo *geo.Table   // country codes; nil loads the embedded table
	Now func() time.Time

	// StatsCacheTTL is how long a statistics result is reused (default
	// 30 s; negative disables the cache). Ingests through the API clear
	// the cache at once; the TTL bounds how stale statistics can be after
	// an ingest by another process, such as the CLI.
	StatsCacheTTL time.Duration
	// MaxUpload limits an ingest upload, in bytes (default 256 MiB).
	MaxUpload int64
	// UploadTimeout bounds an ingest request, upload and ingest
	// together (default 15 min).
	UploadTimeout time.Duration
	// TempDir holds uploads while they are ingested; "" is os.TempDir.
	TempDir string
}

// Defaults.
const (
	DefaultStatsCacheTTL = 30 * time.Second
	DefaultMaxUpload     = 256 << 20
	DefaultUploadTimeout = 15 * time.Minute
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// API serves the endpoints.
type API struct {
	st      Store
	metrics Metrics
	log     *slog.Logger
	geo     *geo.Table
	now     func() time.Time
	deps    Deps

	huma   huma.API
	mux    *captureMux
	routes *server.Routes

	stats  *statsCache
	ingest chan struct{} // one ingest at a time: the database has one writer
}

// Register adds the API's operations to routes, with the policy of each.
func Register(routes *server.Routes, deps Deps) (*API, error) {
	if deps.Store == nil {
		return nil, fmt.Errorf("api: no store")
	}
	a := &API{st: deps.Store, metrics: deps.Metrics, log: deps.Log, geo: deps.Geo, now: deps.Now, deps: deps,
		mux: &captureMux{handlers: map[string]http.HandlerFunc{}}, routes: routes, ingest: make(chan struct{}, 1)}
	if a.metrics == nil {
		a.metrics = noMetrics{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.geo == nil {
		g, err := geo.Load()
		if err != nil {
			return nil, err
		}
		a.geo = g
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.deps.MaxUpload <= 0 {
		a.deps.MaxUpload = DefaultMaxUpload
	}
	if a.deps.UploadTimeout <= 0 {
		a.deps.UploadTimeout = DefaultUploadTimeout
	}
	ttl := deps.StatsCacheTTL
	if ttl == 0 {
		ttl = DefaultStatsCacheTTL
	}
	a.stats = newStatsCache(ttl, 1024, a.now)

	a.huma = humago.New(a.mux, config())
	// The OpenAPI documents huma serves describe the API to anyone:
	// they hold no data.
	for pattern, h := range a.mux.takeAll() {
		method, path := splitPattern(pattern)
		routes.HandlePublic(method, path, h)
	}
	a.registerEvents()
	a.registerStats()
	a.registerIngest()
	a.registerRejects()
	a.registerExport()
	if deps.Alerts != nil {
		a.registerAlerts()
		a.registerSilences()
	}
	if deps.Deliveries != nil {
		a.registerDeliveries()
	}
	if deps.Rules != nil {
		a.registerRules()
	}
	if deps.Cases != nil {
		a.registerCases()
		a.registerReports()
	}
	if deps.Agreements != nil {
		a.registerAgreements()
	}
	if deps.Roster != nil {
		a.registerRoster()
	}
	if deps.FieldReports != nil {
		a.registerFieldReports()
	}
	if deps.Fund != nil {
		a.registerFund()
	}
	return a, nil
}

// OpenAPI returns the API's OpenAPI document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.huma.OpenAPI() }

func config() huma.Config {
	cfg := huma.DefaultConfig("Threshold API", "1.0.0")
	cfg.Info.Description = "Threshold's JSON API: events from UCDP, ACLED, GDELT and ICEWS on one model, " +
		"country-period statistics, ingest by upload and the quarantine of bad rows. " +
		"Authenticate with an API token (`threshold token create --user EMAIL`) sent as " +
		"`Authorization: Bearer TOKEN`, or a browser session. Errors are RFC 9457 problem documents."
	cfg.OpenAPIPath = Prefix + "/openapi"
	cfg.DocsPath = ""    // the default docs page loads scripts from a CDN
	cfg.SchemasPath = "" // schemas are in the document's components
	cfg.CreateHooks = nil
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"token": {Type: "http", Scheme: "bearer",
			Description: "An API token, created with `threshold token create --user EMAIL`. Read-scoped tokens may only read."},
		"session": {Type: "apiKey", In: "cookie", Name: server.SessionCookie,
			Description: "A browser session. Requests that change data also need the session's CSRF token in the " +
				server.CSRFHeader + " header."},
	}
	return cfg
}

// captureMux is the mux huma registers operations on. It keeps each
// handler for handle to enter in the server's route table, which serves
// them; it serves nothing itself.
type captureMux struct {
	handlers map[string]http.HandlerFunc
}

func (m *captureMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.handlers[pattern] = h
}

func (m *captureMux) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

func (m *captureMux) take(pattern string) http.HandlerFunc {
	h, ok := m.handlers[pattern]
	if !ok {
		panic("api: huma registered no handler for " + pattern)
	}
	delete(m.handlers, pattern)
	return h
}

func (m *captureMux) takeAll() map[string]http.HandlerFunc {
	all := m.handlers
	m.handlers = map[string]http.HandlerFunc{}
	return all
}

func splitPattern(p string) (method, path string) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:]
		}
	}
	return "", p
}

type noMetrics struct{}

func (noMetrics) Ingested(ingest.Summary) {}
