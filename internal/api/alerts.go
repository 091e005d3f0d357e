package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/server"
)

// Alerts is the alert inbox and lifecycle the API serves.
// *alert.Manager implements it.
type Alerts interface {
	List(ctx context.Context, q alert.Query) ([]alert.Alert, error)
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

// Alerts are confidential: partners and mediation experts do not see the
// inbox. Desks read and decide; silences, which hide warnings from
// everyone, are for admins and analysts.
var (
	alertReaders  = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)
	alertDeciders = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

func (a *API) registerAlerts() {
	handle(a, huma.Operation{
		OperationID: "list-alerts",
		Method:      http.MethodGet,
		Path:        Prefix + "/alerts",
		Summary:     "List alerts",
		Description: "The alert inbox, newest first, a page at a time, filtered by state, country, severity, rule, " +
			"assignee or group. An alert is one episode of one rule's condition holding for one place.",
		Tags: []string{"alerts"},
	}, alertReaders, limits{}, a.listAlerts)
	handle(a, huma.Operation{
		OperationID: "list-alert-groups",
		Method:      http.MethodGet,
		Path:        Prefix + "/alert-groups",
		Summary:     "List alerts grouped by country",
		Description: "The alerts the filters select (at most limit), grouped by country, each group with its " +
			"highest open severity and count of open alerts; groups in the order of their newest alert.",
		Tags: []string{"alerts"},
	}, alertReaders, limits{}, a.listAlertGroups)
	handle(a, huma.Operation{
		OperationID: "get-alert",
		Method:      http.MethodGet,
		Path:        Prefix + "/alerts/{id}",
		Summary:     "Get an alert with its history",
		Description: "The alert, its evidence and triggering events, and every change it went through, oldest first.",
		Tags:        []string{"alerts"},
		Errors:      []int{http.StatusNotFound},
	}, alertReaders, limits{}, a.getAlert)
	for _, op := range []struct {
		name, summary, doc string
		h                  func(context.Context, *alertChangeInput) (*alertOutput, error)
	}{
		{"acknowledge", "Acknowledge an alert", "Records that you have seen a firing alert. The body is ignored.", a.acknowledgeAlert},
		{"assign", "Assign an alert", "Gives an open alert to a user (by email) to follow; an empty assignee takes it back.", a.assignAlert},
		{"action", "Record an action on an alert", "Records what was done about a firing or acknowledged alert; note is required. " +
			"If the alert's condition has already cleared, it is resolved at once.", a.actionAlert},
		{"dismiss", "Dismiss an alert", "Records the decision that a firing or acknowledged alert needs nothing; reason is required. " +
			"If the alert's condition has already cleared, it is resolved at once.", a.dismissAlert},
		{"resolve", "Resolve an alert", "Closes an actioned or dismissed alert; note is optional. Resolved is final: the next " +
			"firing of the same rule and place opens a new alert.", a.resolveAlert},
	} {
		handle(a, huma.Operation{
			OperationID: op.name + "-alert",
			Method:      http.MethodPost,
			Path:        Prefix + "/alerts/{id}/" + op.name,
			Summary:     op.summary,
			Description: op.doc + " A change the alert's state does not allow is a 409, as is a change made at the same " +
				"time by someone else (read the alert again and retry).",
			Tags:   []string{"alerts"},
			Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
		}, alertDeciders, limits{maxBody: 64 << 10}, op.h)
	}
}

// remoteInput gives a handler the client's address, for the audit log.
type remoteInput struct {
	remote string
}

// Resolve records the client's address.
func (in *remoteInput) Resolve(ctx huma.Context) []error {
	in.remote = ctx.RemoteAddr()
	if host, _, err := net.SplitHostPort(in.remote); err == nil {
		in.remote = host
	}
	return nil
}

// actor is the signed-in caller as the actor of an alert change.
func (in *remoteInput) actor(ctx context.Context) alert.Actor {
	act := alert.Actor{Name: "anonymous", Remote: in.remote}
	if p := server.PrincipalFrom(ctx); p != nil {
		act.ID, act.Name = p.UserID, p.Email
	}
	return act
}

type alertsInput struct {
	State    []string `query:"state" enum:"firing,acknowledged,actioned,dismissed,resolved" doc:"Only alerts in these states (repeat or comma-separate)."`
	Open     bool     `query:"open" doc:"Only alerts that are not resolved."`
	Country  string   `query:"country" maxLength:"3" doc:"ISO 3166-1 alpha-3 code."`
	Group    string   `query:"group" maxLength:"64" doc:"Group key (the country's code)."`
	Severity string   `query:"severity" enum:"info,warning,critical" doc:"Only this severity."`
	Rule     string   `query:"rule" maxLength:"200" doc:"Only this rule's alerts."`
	Assignee string   `query:"assignee" maxLength:"320" doc:"Only alerts assigned to this email."`
	Limit    int      `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Alerts per page."`
	Cursor   string   `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

func (in *alertsInput) query() (alert.Query, error) {
	q := alert.Query{Open: in.Open, Country: strings.ToUpper(in.Country), Group: in.Group, Severity: alert.Severity(in.Severity),
		Rule: in.Rule, Assignee: in.Assignee, Limit: in.Limit}
	for _, s := range in.State {
		st, err := alert.ParseState(s)
		if err != nil {
			return q, invalid("query.state", err.Error(), s)
		}
		q.States = append(q.States, st)
	}
	before, err := decodeCursor(in.Cursor)
	q.Before = before
	return q, err
}

type alertsOutput struct {
	Body struct {
		Items      []alert.Alert `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

func (a *API) listAlerts(ctx context.Context, in *alertsInput) (*alertsOutput, error) {
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	items, err := a.deps.Alerts.List(ctx, q)
	if err != nil {
		return nil, alertProblem(err)
	}
	out := &alertsOutput{}
	out.Body.Items = items
	if len(items) == q.Limit && q.Limit > 0 {
		out.Body.NextCursor = encodeCursor(items[len(items)-1].ID)
	}
	return out, nil
}

type alertGroupsOutput struct {
	Body struct {
		Groups []alert.Group `json:"groups"`
	}
}

func (a *API) listAlertGroups(ctx context.Context, in *alertsInput) (*alertGroupsOutput, error) {
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	gs, err := a.deps.Alerts.Groups(ctx, q)
	if err != nil {
		return nil, alertProblem(err)
	}
	out := &alertGroupsOutput{}
	out.Body.Groups = gs
	if out.Body.Groups == nil {
		out.Body.Groups = []alert.Group{}
	}
	return out, nil
}

type alertIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The alert's ID."`
}

type alertDetailOutput struct {
	Body struct {
		Alert   alert.Alert        `json:"alert"`
		History []alert.Transition `json:"history"`
	}
}

// getAlert returns an alert with its history, and records the read of a
// confidential record in the audit log.
func (a *API) getAlert(ctx context.Context, in *alertIDInput) (*alertDetailOutput, error) {
	al, h, err := a.deps.Alerts.Get(ctx, in.ID)
	if err != nil {
		return nil, alertProblem(err)
	}
	if a.deps.Audit != nil {
		act := in.actor(ctx)
		e := audit.Entry{ActorID: act.ID, Actor: act.Name, Action: "read.confidential",
			Object: "alert:" + strconv.FormatInt(in.ID, 10), Remote: act.Remote}
		if err := a.deps.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
			return nil, err
		}
	}
	out := &alertDetailOutput{}
	out.Body.Alert, out.Body.History = al, h
	return out, nil
}

type alertChangeInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The alert's ID."`
	Body *struct {
		Note     string `json:"note,omitempty" maxLength:"4000" doc:"action: what was done (required); resolve: a closing note."`
		Reason   string `json:"reason,omitempty" maxLength:"4000" doc:"dismiss: why nothing is needed (required)."`
		Assignee string `json:"assignee,omitempty" maxLength:"320" doc:"assign: the user's email; empty to unassign."`
	}
}

func (in *alertChangeInput) note() string {
	if in.Body == nil {
		return ""
	}
	return in.Body.Note
}

type alertOutput struct {
	Body alert.Alert
}

func (a *API) change(ctx context.Context, in *alertChangeInput,
	fn func(id int64, act alert.Actor) (alert.Alert, error)) (*alertOutput, error) {
	al, err := fn(in.ID, in.actor(ctx))
	if err != nil {
		return nil, alertProblem(err)
	}
	return &alertOutput{Body: al}, nil
}

func (a *API) acknowledgeAlert(ctx context.Context, in *alertChangeInput) (*alertOutput, error) {
	return a.change(ctx, in, func(id int64, act alert.Actor) (alert.Alert, error) {
		return a.deps.Alerts.Acknowledge(ctx, id, act)
	})
}

func (a *API) assignAlert(ctx context.Context, in *alertChangeInput) (*alertOutput, error) {
	if in.Body == nil {
		return nil, invalid("body.assignee", "an assignee (or \"\" to unassign) is required", nil)
	}
	return a.change(ctx, in, func(id int64, act alert.Actor) (alert.Alert, error) {
		return a.deps.Alerts.Assign(ctx, id, act, in.Body.Assignee)
	})
}

func (a *API) actionAlert(ctx context.Context, in *alertChangeInput) (*alertOutput, error) {
	if strings.TrimSpace(in.note()) == "" {
		return nil, invalid("body.note", "say what was done", in.note())
	}
	return a.change(ctx, in, func(id int64, act alert.Actor) (alert.Alert, error) {
		return a.deps.Alerts.Action(ctx, id, act, in.note())
	})
}

func (a *API) dismissAlert(ctx context.Context, in *alertChangeInput) (*alertOutput, error) {
	reason := ""
	if in.Body != nil {
		reason = in.Body.Reason
	}
	if strings.TrimSpace(reason) == "" {
		return nil, invalid("body.reason", "a dismissal needs a reason", reason)
	}
	return a.change(ctx, in, func(id int64, act alert.Actor) (alert.Alert, error) {
		return a.deps.Alerts.Dismiss(ctx, id, act, reason)
	})
}

func (a *API) resolveAlert(ctx context.Context, in *alertChangeInput) (*alertOutput, error) {
	return a.change(ctx, in, func(id int64, act alert.Actor) (alert.Alert, error) {
		return a.deps.Alerts.Resolve(ctx, id, act, in.note())
	})
}

// alertProblem turns the alert package's errors into responses: unknown
// alerts and silences are 404s, changes the state does not allow and
// concurrent changes 409s, bad requests 422s; the message says why.
func alertProblem(err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, alert.ErrNotFound):
		return huma.Error404NotFound(err.Error())
	case errors.Is(err, alert.ErrTransition), errors.Is(err, alert.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, alert.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

// schemaName names the OpenAPI schemas of Go types as huma does, but
// prefixes the alert package's types with Alert (alert.Point is
// AlertPoint), since their short names (Point, Window, Group) collide
// with the API's own.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.PkgPath() == "threshold/internal/alert" && !strings.HasPrefix(name, "Alert") {
		name = "Alert" + name
	}
	if t.PkgPath() == "threshold/internal/casework" && !strings.HasPrefix(name, "Case") {
		name = "Case" + name // casework.Summary, Report, Place: CaseSummary, ...
	}
	if t.PkgPath() == "threshold/internal/roster" && !strings.HasPrefix(name, "Roster") {
		name = "Roster" + name // roster.Person, Period, Result: RosterPerson, ...
	}
	return name
}
