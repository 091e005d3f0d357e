// Package web is the dashboard: server-rendered pages for people, with a
// little JavaScript that only enhances them. A world map of recent
// violence, a page per country (monthly chart, map of events, events table,
// admin-1 breakdown), the login page and the administration of users and
// organisations. With Deps.Alerts, the alert pages: the inbox grouped by
// country (/alerts), each alert with its evidence chart, triggering events,
// deliveries, history and lifecycle forms (/alerts/{id}), and the silences
// (/silences); with Deps.Rules, the alert rules and, for admins, their
// editor (/rules). With Deps.Cases, casework: the cases the user may know
// of (/cases) and each case with its timeline, actions and
// warning-to-action time (/cases/{id}). With Deps.Forecasts, the stored
// forecasts: the world map's forecast layer (/?layer=forecast) and each
// country page's latest forecasts with their factors, its provinces' next
// month, and its past forecasts beside what happened. With
// Deps.FieldReports, the field report form for every signed-in user
// (/report: a plain POST, which static/report.js enhances with a draft kept
// on the phone and a queue sent when the connection returns) and the
// analysts' verification page (/field-reports).
//
// Each page is a handler file with a template of the same name in
// templates/; templates and static assets are embedded, and maps are drawn
// in Go as SVG from the Natural Earth shapes in package atlas, so the
// dashboard needs no CDN and no internet. Handlers return errors; one
// function (errors.go) maps them to a status and an error page.
//
// Access control, sessions and CSRF checks are the server's: its middleware
// authenticates each request, checks the route's policy and, on unsafe
// methods, the form field csrf_token against Principal.CSRF. This package
// declares the policy of each page in routes.go and puts the token in every
// form.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/fund"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/report"
	"threshold/internal/roster"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/web/atlas"
)

// Reader is the event data the dashboard shows. *store.DB implements it.
type Reader interface {
	// Stats counts events and sums fatalities per country (or admin-1
	// area) and period, for the events f selects.
	Stats(ctx context.Context, by store.Grouping, f event.Filter) ([]event.Period, error)
	// Events calls fn for each event f selects, in id order, within page.
	Events(ctx context.Context, f event.Filter, p store.Page, fn func(event.Stored) error) error
}

// Authenticator signs people in and out. *auth.Service implements it.
type Authenticator interface {
	// Login checks an email and password from remote (the client's
	// address) and starts a session: it returns the session cookie's value
	// and the signed-in principal. Wrong credentials or a disabled user
	// are auth.ErrUnauthorized; too many recent failures
	// auth.ErrThrottled.
	Login(ctx context.Context, email, password, remote string) (cookie string, p *auth.Principal, err error)
	// Logout ends p's session.
	Logout(ctx context.Context, p *auth.Principal, remote string) error
}

// Directory is the administration of organisations and users.
// *auth.Service implements it. by is the administrator making the change,
// for the audit log. A taken name or email is an error matching
// auth.ErrConflict; an unknown organisation or user auth.ErrNotFound.
type Directory interface {
	ListUsers(ctx context.Context) ([]auth.User, error)
	AddUser(ctx context.Context, by auth.Actor, nu auth.NewUser) (auth.User, error)
	DisableUser(ctx context.Context, by auth.Actor, email string) error
	ListOrgs(ctx context.Context) ([]auth.Org, error)
	AddOrg(ctx context.Context, by auth.Actor, name string) (auth.Org, error)
}

// Alerts is the alert inbox, the alerts' lifecycle and the silences.
// *alert.Manager implements it. actor is who makes a change, for the
// alert's history and the audit log.
type Alerts interface {
	Groups(ctx context.Context, q alert.Query) ([]alert.Group, error)
	Get(ctx context.Context, id int64) (alert.Alert, []alert.Transition, error)
	Acknowledge(ctx context.Context, id int64, actor alert.Actor) (alert.Alert, error)
	Assign(ctx context.Context, id int64, actor alert.Actor, assignee string) (alert.Alert, error)
	Action(ctx context.Context, id int64, actor alert.Actor, note string) (alert.Alert, error)
	Dismiss(ctx context.Context, id int64, actor alert.Actor, reason string) (alert.Alert, error)
	Resolve(ctx context.Context, id int64, actor alert.Actor, note string) (alert.Alert, error)
	AddSilence(ctx context.Context, actor alert.Actor, s alert.Silence) (alert.Silence, error)
	Silences(ctx context.Context, q alert.SilenceQuery) ([]alert.Silence, error)
	ExpireSilence(ctx context.Context, actor alert.Actor, id int64) (alert.Silence, error)
}

// RulesStore keeps the versions of the alert rules file. *store.DB
// implements it. ActiveRules is store.ErrNotFound while none was saved
// (the embedded default rules are then active).
type RulesStore interface {
	ActiveRules(ctx context.Context) (store.RulesVersion, error)
	RulesHistory(ctx context.Context) ([]store.RulesVersion, error)
	SaveRules(ctx context.Context, body, author string, at time.Time) (store.RulesVersion, error)
}

// EventLookup finds one event by its key, or store.ErrNotFound.
// *store.DB implements it.
type EventLookup interface {
	Event(ctx context.Context, k event.Key) (event.Stored, error)
}

// DeliveryLog is the delivery log of each alert, oldest entry first.
// *notify.Notifier implements it.
type DeliveryLog interface {
	Log(ctx context.Context, alertID int64) ([]store.Delivery, error)
}

// Auditor records changes and reads of confidential records in the audit
// log. *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Cases is casework as the dashboard shows it. *casework.Service
// implements it. Every method takes the signed-in user as a
// casework.Viewer and applies the need-to-know rule: a case the user may
// not see is casework.ErrNotFound, and absent from lists and reports.
type Cases interface {
	Create(ctx context.Context, v casework.Viewer, c casework.Case) (casework.Case, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error)
	List(ctx context.Context, v casework.Viewer, q casework.Query) ([]casework.Case, int, error)
	Update(ctx context.Context, v casework.Viewer, id int64, p casework.Patch) (casework.Case, error)
	AddAction(ctx context.Context, v casework.Viewer, caseID int64, a casework.Action) (casework.Action, error)
	Actions(ctx context.Context, v casework.Viewer, q casework.ActionQuery) ([]casework.Action, error)
	Report(ctx context.Context, v casework.Viewer, unansweredAfter time.Duration) (casework.Report, error)
}

// Roster is the roster as the case page uses it: matching people to a
// case, requesting their deployment and deciding on it. *roster.Service
// implements it; it applies the roster's access rules (people are seen by
// their keeper organisation's writers only).
type Roster interface {
	Match(ctx context.Context, v casework.Viewer, r roster.Request) (roster.Result, error)
	RequestDeployment(ctx context.Context, v casework.Viewer, d roster.Deployment, note string) (roster.Deployment, error)
	Deployments(ctx context.Context, v casework.Viewer, q roster.DeploymentQuery) ([]roster.Deployment, error)
	GetDeployment(ctx context.Context, v casework.Viewer, id int64) (roster.Deployment, error)
	Move(ctx context.Context, v casework.Viewer, id int64, to roster.Status, note string) (roster.Deployment, error)
	// List and Get are the roster pages' (roster.go).
	List(ctx context.Context, v casework.Viewer, q roster.Query) ([]roster.Person, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (roster.Person, error)
}

// Fund is the rapid-response fund as the case page uses it.
// *fund.Service implements it; key is an idempotency key, so that a form
// submitted twice pays once.
type Fund interface {
	Allocate(ctx context.Context, v casework.Viewer, key string, r fund.AllocationRequest) (fund.Alloc, bool, error)
	Allocations(ctx context.Context, v casework.Viewer, q fund.AllocQuery) ([]fund.Alloc, error)
	Balance(ctx context.Context, v casework.Viewer) (fund.Balances, error)
	Reporting() string
	// The fund pages' (fund.go).
	Contribute(ctx context.Context, v casework.Viewer, key string, r fund.ContributionRequest) (fund.Entry, bool, error)
	Journal(ctx context.Context, v casework.Viewer, q fund.JournalQuery) ([]fund.Entry, error)
	BySource(ctx context.Context, v casework.Viewer) ([]fund.SourceRow, error)
	ByCase(ctx context.Context, v casework.Viewer) ([]fund.TargetRow, error)
	RequestToDisbursement(ctx context.Context, v casework.Viewer) (fund.TimingReport, error)
	Statement(ctx context.Context, v casework.Viewer, donor, format string, w io.Writer) error
}

// Agreements are the agreements linked to cases, with their provisions'
// implementation. *agreement.Service implements it.
type Agreements interface {
	List(ctx context.Context, v casework.Viewer, q agreement.Query) ([]agreement.Agreement, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (agreement.Agreement, error)
}

// Forecasts is the stored production forecasts (threshold forecast run)
// and the month indicators that tell what happened in the months they
// forecast. *store.DB implements it.
type Forecasts interface {
	Forecasts(ctx context.Context, q store.ForecastQuery) ([]store.Forecast, error)
	Indicators(ctx context.Context, q store.IndicatorQuery) ([]indicator.Value, error)
}

// FieldReports is field reporting as the dashboard uses it.
// *fieldreport.Service implements it. Every method takes the signed-in
// user as a fieldreport.Viewer, and what a viewer may see of a reporter is
// the service's rule: the pages show what it returns.
type FieldReports interface {
	Submit(ctx context.Context, v fieldreport.Viewer, channel string, r fieldreport.Report, ups []fieldreport.Upload) (fieldreport.Report, error)
	List(ctx context.Context, v fieldreport.Viewer, q fieldreport.Query) ([]fieldreport.Report, error)
	Move(ctx context.Context, v fieldreport.Viewer, id int64, t fieldreport.Transition) (fieldreport.Report, error)
}

// Reports builds the monthly tracker and country briefs as a reader may
// see them, and records analysts' overrides. *report.Service implements
// it.
type Reports interface {
	Build(ctx context.Context, v casework.Viewer, o report.Options) (report.Monthly, error)
	Override(ctx context.Context, v casework.Viewer, month time.Time, country string, call report.Verdict, reason string) error
}

// Deps is what the dashboard needs from the rest of the program.
type Deps struct {
	Data  Reader
	Auth  Authenticator
	Admin Directory
	Geo   *geo.Table
	// Alerts adds the alert inbox, the alert pages and the silences page;
	// nil leaves them out.
	Alerts Alerts
	// Rules adds the rules page; nil leaves it out. It needs Audit, which
	// records every save.
	Rules RulesStore
	// Events shows an alert's triggering events; nil lists their keys
	// only.
	Events EventLookup
	// Deliveries shows each alert's delivery log; nil leaves it out.
	Deliveries DeliveryLog
	// Cases adds the case pages; nil leaves them out. The alert pages
	// then offer to open a case from an alert, and the inbox lists the
	// unanswered warnings first.
	Cases Cases
	// Roster adds the deployments lane to the case timeline and, for the
	// owner organisation's writers, the mediator request form; nil leaves
	// them out. It needs Cases.
	Roster Roster
	// Fund adds the case's allocations and the fund's balance to the case
	// page, and the allocation form for those who move money; nil leaves
	// them out. It needs Cases.
	Fund Fund
	// Agreements adds the agreements lane (signing days, provision
	// status changes) to the case timeline; nil leaves it out.
	Agreements Agreements
	// Forecasts adds the forecast layer of the world map and the
	// forecasts section of the country pages; nil leaves them out.
	Forecasts Forecasts
	// FieldReports adds the field report form (/report) and the
	// analysts' verification page (/field-reports); nil leaves them out.
	FieldReports FieldReports
	// Reports adds the monthly tracker (/reports/monthly) and its
	// review; nil leaves them out.
	Reports Reports
	// Audit records rules saves and reads of alerts; nil records no reads.
	Audit Auditor
	Log   *slog.Logger     // nil discards
	Now   func() time.Time // the clock; nil means time.Now
	// SecureCookie marks the session cookie Secure even on plain HTTP
	// requests, for a server behind a proxy that terminates TLS. Requests
	// that arrive over TLS always get a Secure cookie.
	SecureCookie bool
}

// handler holds the dependencies of every page.
type handler struct {
	Deps
	world    *atlas.Atlas // 1:110m shapes for the world map
	detailed *atlas.Atlas // 1:50m shapes for country maps
	worldMap *worldMap    // the world map's shapes, projected once
	pages    *pages
	covCache coverageCache
}

// Register adds the dashboard's pages and static assets to routes.
func Register(routes *server.Routes, deps Deps) error {
	switch {
	case deps.Data == nil:
		return errors.New("web: Deps.Data is nil")
	case deps.Auth == nil:
		return errors.New("web: Deps.Auth is nil")
	case deps.Admin == nil:
		return errors.New("web: Deps.Admin is nil")
	case deps.Geo == nil:
		return errors.New("web: Deps.Geo is nil")
	case deps.Rules != nil && deps.Audit == nil:
		return errors.New("web: Deps.Rules is set without Deps.Audit: saves of the rules must be audited")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	h := &handler{Deps: deps}
	var err error
	if h.world, err = atlas.World(deps.Geo); err != nil {
		return err
	}
	if h.detailed, err = atlas.Detailed(deps.Geo); err != nil {
		return err
	}
	h.worldMap = newWorldMap(h.world, deps.Geo)
	if h.pages, err = parsePages(); err != nil {
		return err
	}
	h.routes(routes)
	return nil
}
