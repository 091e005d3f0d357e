package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/server"
)

// Cases is casework as the API serves it. *casework.Service implements
// it. Every method takes the caller as a casework.Viewer and applies the
// need-to-know rule: a case the caller may not see does not exist.
type Cases interface {
	Create(ctx context.Context, v casework.Viewer, c casework.Case) (casework.Case, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error)
	List(ctx context.Context, v casework.Viewer, q casework.Query) ([]casework.Case, int, error)
	Update(ctx context.Context, v casework.Viewer, id int64, p casework.Patch) (casework.Case, error)
	AddAction(ctx context.Context, v casework.Viewer, caseID int64, a casework.Action) (casework.Action, error)
	Actions(ctx context.Context, v casework.Viewer, q casework.ActionQuery) ([]casework.Action, error)
	Report(ctx context.Context, v casework.Viewer, unansweredAfter time.Duration) (casework.Report, error)
}

// Every signed-in role may read cases (what each sees is the
// need-to-know rule's business); desks, analysts and admins change them.
var (
	caseReaders = auth.Everyone()
	caseWriters = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

const needToKnow = " Only cases the caller may know of exist for it: another organisation's case, unless shared " +
	"with the caller's, and a case above the caller's clearance are a 404 and absent from lists, searches, counts and " +
	"exports. Reading a confidential case is audited."

func (a *API) registerCases() {
	handle(a, huma.Operation{
		OperationID: "create-case", Method: http.MethodPost, Path: Prefix + "/cases",
		Summary: "Open a case",
		Description: "Opens a case owned by the caller's organisation: a situation under watch in one or more " +
			"countries (ISO alpha-3), with its confidentiality and the organisations it is shared with (by name). " +
			"With no responsible_staff the caller is named.",
		Tags: []string{"cases"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnprocessableEntity},
	}, caseWriters, limits{maxBody: 64 << 10}, a.createCase)
	handle(a, huma.Operation{
		OperationID: "list-cases", Method: http.MethodGet, Path: Prefix + "/cases",
		Summary: "List cases",
		Description: "The cases the caller may see, newest first, filtered by words of the title or lead office (q), " +
			"status, country, lead office or confidentiality; total counts them all. format=csv exports them." + needToKnow,
		Tags: []string{"cases"},
	}, caseReaders, limits{}, a.listCases)
	documentCSV(a, http.MethodGet, Prefix+"/cases", reflect.TypeFor[casesBody]())
	handle(a, huma.Operation{
		OperationID: "get-case", Method: http.MethodGet, Path: Prefix + "/cases/{id}",
		Summary:     "Get a case with its status history",
		Description: "One case with every status it went through." + needToKnow,
		Tags:        []string{"cases"}, Errors: []int{http.StatusNotFound},
	}, caseReaders, limits{}, a.getCase)
	handle(a, huma.Operation{
		OperationID: "update-case", Method: http.MethodPatch, Path: Prefix + "/cases/{id}",
		Summary: "Change a case",
		Description: "Changes the fields given (a JSON merge patch): title, places, status (with status_note for its " +
			"history; a closed case only reopens to monitoring), lead office, responsible staff, confidentiality and " +
			"shared_with, the whole sharing list (sharing and unsharing are audited). Only the owner organisation " +
			"changes a case. version, if given, must be the case's: a case changed since is a 409." + needToKnow,
		Tags:   []string{"cases"},
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, caseWriters, limits{maxBody: 64 << 10}, a.updateCase)
	handle(a, huma.Operation{
		OperationID: "create-case-action", Method: http.MethodPost, Path: Prefix + "/cases/{id}/actions",
		Summary: "Log an action on a case",
		Description: "Records a use of a diplomatic tool on the case, with its date, actors, partner organisations, " +
			"outcome and the alerts it answers: those still firing or acknowledged become actioned." + needToKnow,
		Tags: []string{"cases"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, caseWriters, limits{maxBody: 64 << 10}, a.createCaseAction)
	handle(a, huma.Operation{
		OperationID: "list-case-actions", Method: http.MethodGet, Path: Prefix + "/cases/{id}/actions",
		Summary:     "List a case's actions",
		Description: "The case's actions, newest first; format=csv exports them." + needToKnow,
		Tags:        []string{"cases"}, Errors: []int{http.StatusNotFound},
	}, caseReaders, limits{}, a.listCaseActions)
	documentCSV(a, http.MethodGet, Prefix+"/cases/{id}/actions", reflect.TypeFor[actionsBody]())
	handle(a, huma.Operation{
		OperationID: "list-actions", Method: http.MethodGet, Path: Prefix + "/actions",
		Summary:     "List actions",
		Description: "The actions of every case the caller may see, newest first; format=csv exports them." + needToKnow,
		Tags:        []string{"cases"},
	}, caseReaders, limits{}, a.listActions)
	documentCSV(a, http.MethodGet, Prefix+"/actions", reflect.TypeFor[actionsBody]())
}

// documentCSV says in the OpenAPI document that an operation answers
// JSON shaped as body, or CSV with format=csv.
func documentCSV(a *API, method, path string, body reflect.Type) {
	p := a.huma.OpenAPI().Paths[path]
	if p == nil {
		return
	}
	op := p.Get
	if method != http.MethodGet || op == nil {
		return
	}
	resp := op.Responses["200"]
	if resp == nil {
		return
	}
	schema := a.huma.OpenAPI().Components.Schemas.Schema(body, true, "")
	resp.Content = map[string]*huma.MediaType{
		"application/json": {Schema: schema},
		"text/csv":         {Schema: &huma.Schema{Type: "string"}},
	}
	delete(resp.Headers, "Content-Type")
}

// viewer is the caller as a casework viewer.
func (in *remoteInput) viewer(ctx context.Context) casework.Viewer {
	return casework.ViewerOf(server.PrincipalFrom(ctx), in.remote)
}

// caseProblem turns casework's errors into responses. A case the caller
// may not know of is the same 404 as one that does not exist.
func caseProblem(err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, casework.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, casework.ErrForbidden):
		return huma.Error403Forbidden(err.Error())
	case errors.Is(err, casework.ErrInvalidTransition), errors.Is(err, casework.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, casework.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

// caseFields are a case's fields as a request sets them.
type caseFields struct {
	Title      string           `json:"title" maxLength:"300" doc:"What the situation is."`
	Countries  []string         `json:"countries,omitempty" maxItems:"50" doc:"ISO 3166-1 alpha-3 codes of the whole countries concerned."`
	Places     []casework.Place `json:"places,omitempty" maxItems:"200" doc:"Countries narrowed to admin-1 areas (admin1 empty: the whole country)."`
	Status     string           `json:"status,omitempty" enum:"monitoring,active-preventive-engagement,crisis,follow-through,closed" doc:"Default monitoring."`
	LeadOffice string           `json:"lead_office,omitempty" maxLength:"200" doc:"The office leading, e.g. a regional office."`
	Staff      []string         `json:"responsible_staff,omitempty" maxItems:"50" doc:"Users' emails; they see the case at any confidentiality."`
	Level      string           `json:"confidentiality" enum:"public,internal,confidential,strictly-confidential"`
	SharedWith []string         `json:"shared_with,omitempty" maxItems:"100" doc:"Names of the organisations it is shared with, beside the owner."`
}

func places(countries []string, ps []casework.Place) []casework.Place {
	out := casework.PlacesOf(countries)
	return append(out, ps...)
}

type createCaseInput struct {
	remoteInput
	Body caseFields
}

type caseOutput struct {
	Body casework.Case
}

func (a *API) createCase(ctx context.Context, in *createCaseInput) (*caseOutput, error) {
	b := in.Body
	c, err := a.deps.Cases.Create(ctx, in.viewer(ctx), casework.Case{Title: b.Title, Places: places(b.Countries, b.Places),
		Status: casework.Status(b.Status), LeadOffice: b.LeadOffice, Staff: b.Staff,
		Confidentiality: casework.Confidentiality(b.Level), SharedWith: b.SharedWith})
	if err != nil {
		return nil, caseProblem(err)
	}
	return &caseOutput{Body: c}, nil
}

type casesInput struct {
	remoteInput
	Format          string   `query:"format" enum:"json,csv" default:"json" doc:"json, or csv to export."`
	Q               string   `query:"q" maxLength:"200" doc:"Words that must all appear in the title or lead office."`
	Status          []string `query:"status" enum:"monitoring,active-preventive-engagement,crisis,follow-through,closed" doc:"Only these statuses."`
	Country         string   `query:"country" pattern:"^[A-Za-z]{3}$" doc:"Only cases with a place in this country (ISO alpha-3)."`
	LeadOffice      string   `query:"lead_office" maxLength:"200"`
	Confidentiality string   `query:"confidentiality" enum:"public,internal,confidential,strictly-confidential"`
	Limit           int      `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type casesBody struct {
	Items []casework.Case `json:"items"`
	Total int             `json:"total" doc:"How many cases the filters select, beyond limit too."`
}

type exportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               any
}

func (a *API) listCases(ctx context.Context, in *casesInput) (*exportOutput, error) {
	q := casework.Query{Q: in.Q, Country: strings.ToUpper(in.Country), LeadOffice: in.LeadOffice,
		Confidentiality: casework.Confidentiality(in.Confidentiality), Limit: in.Limit}
	for _, s := range in.Status {
		q.Status = append(q.Status, casework.Status(s))
	}
	cs, n, err := a.deps.Cases.List(ctx, in.viewer(ctx), q)
	if err != nil {
		return nil, caseProblem(err)
	}
	if in.Format == "csv" {
		rows := [][]string{{"id", "title", "status", "confidentiality", "countries", "places", "lead_office",
			"responsible_staff", "owner_org", "shared_with", "created_by", "created_at", "updated_at"}}
		for _, c := range cs {
			ps := make([]string, 0, len(c.Places))
			for _, p := range c.Places {
				ps = append(ps, strings.TrimSuffix(p.Country+"/"+p.Admin1, "/"))
			}
			rows = append(rows, []string{strconv.FormatInt(c.ID, 10), c.Title, string(c.Status), string(c.Confidentiality),
				strings.Join(c.Countries, ";"), strings.Join(ps, ";"), c.LeadOffice, strings.Join(c.Staff, ";"), c.OwnerOrg,
				strings.Join(c.SharedWith, ";"), c.CreatedBy, c.CreatedAt.Format(time.RFC3339), c.UpdatedAt.Format(time.RFC3339)})
		}
		return csvOutput("cases.csv", rows)
	}
	return &exportOutput{ContentType: "application/json", Body: casesBody{Items: cs, Total: n}}, nil
}

// csvOutput is rows as a CSV download named name.
func csvOutput(name string, rows [][]string) (*exportOutput, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range rows {
		// A cell a spreadsheet would run as a formula is quoted with '.
		for i, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				if _, err := strconv.ParseFloat(c, 64); err != nil {
					r[i] = "'" + c
				}
			}
		}
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return &exportOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`,
		Body: buf.Bytes()}, nil
}

type caseIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The case's ID."`
}

func (a *API) getCase(ctx context.Context, in *caseIDInput) (*caseOutput, error) {
	c, err := a.deps.Cases.Get(ctx, in.viewer(ctx), in.ID)
	if err != nil {
		return nil, caseProblem(err)
	}
	return &caseOutput{Body: c}, nil
}

type updateCaseInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The case's ID."`
	Body struct {
		Title      *string          `json:"title,omitempty" maxLength:"300"`
		Countries  []string         `json:"countries,omitempty" maxItems:"50" doc:"With places, replaces the case's places."`
		Places     []casework.Place `json:"places,omitempty" maxItems:"200"`
		Status     *string          `json:"status,omitempty" enum:"monitoring,active-preventive-engagement,crisis,follow-through,closed"`
		StatusNote string           `json:"status_note,omitempty" maxLength:"4000" doc:"Why the status changed."`
		LeadOffice *string          `json:"lead_office,omitempty" maxLength:"200"`
		Staff      *[]string        `json:"responsible_staff,omitempty" maxItems:"50"`
		Level      *string          `json:"confidentiality,omitempty" enum:"public,internal,confidential,strictly-confidential"`
		SharedWith *[]string        `json:"shared_with,omitempty" maxItems:"100" doc:"The whole sharing list; [] shares with nobody."`
		Version    int64            `json:"version,omitempty" doc:"The version the change was made against."`
	}
}

func (a *API) updateCase(ctx context.Context, in *updateCaseInput) (*caseOutput, error) {
	b := in.Body
	p := casework.Patch{Title: b.Title, LeadOffice: b.LeadOffice, Staff: b.Staff, SharedWith: b.SharedWith,
		StatusNote: b.StatusNote, Version: b.Version}
	if b.Countries != nil || b.Places != nil {
		ps := places(b.Countries, b.Places)
		p.Places = &ps
	}
	if b.Status != nil {
		st := casework.Status(*b.Status)
		p.Status = &st
	}
	if b.Level != nil {
		l := casework.Confidentiality(*b.Level)
		p.Confidentiality = &l
	}
	c, err := a.deps.Cases.Update(ctx, in.viewer(ctx), in.ID, p)
	if err != nil {
		return nil, caseProblem(err)
	}
	return &caseOutput{Body: c}, nil
}

type createActionInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The case's ID."`
	Body struct {
		Type     string   `json:"type" enum:"statement,good-offices,envoy-dispatch,fact-finding-mission,security-council-briefing,regional-mediation-support,dialogue-facilitation,electoral-assistance-coordination,other"`
		Date     string   `json:"date" maxLength:"40" doc:"When it was taken: YYYY-MM-DD or an RFC 3339 time."`
		Actors   []string `json:"actors,omitempty" maxItems:"50"`
		Partners []string `json:"partners,omitempty" maxItems:"50" doc:"Partner organisations involved."`
		AlertIDs []int64  `json:"alert_ids,omitempty" maxItems:"100" doc:"The alerts it answers."`
		Outcome  string   `json:"outcome,omitempty" maxLength:"8000"`
	}
}

type actionOutput struct {
	Body casework.Action
}

// parseWhen reads a date or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func (a *API) createCaseAction(ctx context.Context, in *createActionInput) (*actionOutput, error) {
	at, err := parseWhen(in.Body.Date)
	if err != nil {
		return nil, invalid("body.date", "want YYYY-MM-DD or an RFC 3339 time", in.Body.Date)
	}
	act, err := a.deps.Cases.AddAction(ctx, in.viewer(ctx), in.ID, casework.Action{Type: casework.ActionType(in.Body.Type),
		At: at, Actors: in.Body.Actors, Partners: in.Body.Partners, Alerts: in.Body.AlertIDs, Outcome: in.Body.Outcome})
	if err != nil {
		return nil, caseProblem(err)
	}
	return &actionOutput{Body: act}, nil
}

type actionsBody struct {
	Items []casework.Action `json:"items"`
}

type caseActionsInput struct {
	remoteInput
	Format string `query:"format" enum:"json,csv" default:"json" doc:"json, or csv to export."`
	ID     int64  `path:"id" minimum:"1" doc:"The case's ID."`
	Limit  int    `query:"limit" minimum:"1" maximum:"5000" default:"1000"`
}

func (a *API) listCaseActions(ctx context.Context, in *caseActionsInput) (*exportOutput, error) {
	return a.actions(ctx, in.viewer(ctx), casework.ActionQuery{CaseID: in.ID, Limit: in.Limit}, in.Format)
}

type actionsInput struct {
	remoteInput
	Format string `query:"format" enum:"json,csv" default:"json" doc:"json, or csv to export."`
	Limit  int    `query:"limit" minimum:"1" maximum:"5000" default:"1000"`
}

func (a *API) listActions(ctx context.Context, in *actionsInput) (*exportOutput, error) {
	return a.actions(ctx, in.viewer(ctx), casework.ActionQuery{Limit: in.Limit}, in.Format)
}

func (a *API) actions(ctx context.Context, v casework.Viewer, q casework.ActionQuery, format string) (*exportOutput, error) {
	as, err := a.deps.Cases.Actions(ctx, v, q)
	if err != nil {
		return nil, caseProblem(err)
	}
	if format == "csv" {
		rows := [][]string{{"id", "case_id", "type", "date", "actors", "partners", "alert_ids", "outcome", "recorded_by", "recorded_at"}}
		for _, x := range as {
			ids := make([]string, 0, len(x.Alerts))
			for _, id := range x.Alerts {
				ids = append(ids, strconv.FormatInt(id, 10))
			}
			rows = append(rows, []string{strconv.FormatInt(x.ID, 10), strconv.FormatInt(x.CaseID, 10), string(x.Type),
				x.At.Format(time.RFC3339), strings.Join(x.Actors, ";"), strings.Join(x.Partners, ";"), strings.Join(ids, ";"),
				x.Outcome, x.RecordedBy, x.RecordedAt.Format(time.RFC3339)})
		}
		return csvOutput("actions.csv", rows)
	}
	return &exportOutput{ContentType: "application/json", Body: actionsBody{Items: as}}, nil
}
