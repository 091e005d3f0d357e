package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/agreement"
	"threshold/internal/auth"
	"threshold/internal/casework"
)

// Agreements is follow-through on agreements as the API serves it.
// *agreement.Service implements it. Reads apply the agreement access rule
// (package agreement): an agreement linked to a non-public case the
// caller may not see does not exist for it.
type Agreements interface {
	List(ctx context.Context, v casework.Viewer, q agreement.Query) ([]agreement.Agreement, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (agreement.Agreement, error)
	Create(ctx context.Context, v casework.Viewer, a agreement.Agreement) (agreement.Agreement, error)
	AddProvision(ctx context.Context, v casework.Viewer, agreementID int64, p agreement.Provision) (agreement.Provision, error)
	SetStatus(ctx context.Context, v casework.Viewer, provisionID int64, h agreement.StatusChange) (agreement.Provision, error)
	Link(ctx context.Context, v casework.Viewer, agreementID, caseID int64) (agreement.Agreement, error)
	Suggest(ctx context.Context, v casework.Viewer, agreementID, caseID int64, limit int) ([]agreement.Suggestion, error)
}

// Every signed-in role reads agreements; desks, analysts and admins
// change them.
var (
	agreementReaders = auth.Everyone()
	agreementWriters = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

const agreementAccess = " Agreements are public data, except one linked to a case that is not public: it exists only for " +
	"callers who may see one of its linked cases (a 404 otherwise), and the linked cases shown are those the caller sees."

func (a *API) registerAgreements() {
	handle(a, huma.Operation{
		OperationID: "list-agreements", Method: http.MethodGet, Path: Prefix + "/agreements",
		Summary: "List agreements",
		Description: "Peace agreements, political accords and water-sharing arrangements, most recently signed first, " +
			"filtered by country (ISO alpha-3), words of the name, conflict or parties (q) and linked case, without provisions." + agreementAccess,
		Tags: []string{"agreements"},
	}, agreementReaders, limits{}, a.listAgreements)
	handle(a, huma.Operation{
		OperationID: "get-agreement", Method: http.MethodGet, Path: Prefix + "/agreements/{id}",
		Summary:     "Get an agreement with its provisions and their status histories",
		Description: "One agreement, each provision with its implementation status over time." + agreementAccess,
		Tags:        []string{"agreements"}, Errors: []int{http.StatusNotFound},
	}, agreementReaders, limits{}, a.getAgreement)
	handle(a, huma.Operation{
		OperationID: "create-agreement", Method: http.MethodPost, Path: Prefix + "/agreements",
		Summary: "Enter an agreement by hand",
		Description: "Enters an agreement not in the UCDP data, such as a water-sharing arrangement, with any provisions. " +
			"Agreements entered by hand are followed at once: overdue and stalled provisions raise alerts.",
		Tags: []string{"agreements"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnprocessableEntity},
	}, agreementWriters, limits{maxBody: 256 << 10}, a.createAgreement)
	handle(a, huma.Operation{
		OperationID: "create-agreement-provision", Method: http.MethodPost, Path: Prefix + "/agreements/{id}/provisions",
		Summary:     "Add a provision to an agreement",
		Description: "Adds a commitment with its responsible party, deadline and status (default not-started)." + agreementAccess,
		Tags:        []string{"agreements"}, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, agreementWriters, limits{maxBody: 64 << 10}, a.createProvision)
	handle(a, huma.Operation{
		OperationID: "set-provision-status", Method: http.MethodPost, Path: Prefix + "/provisions/{id}/status",
		Summary: "Record a provision's implementation status",
		Description: "Appends a line to the provision's status history (not-started, minimal, intermediate, full, as the " +
			"Peace Accords Matrix codes them): the day it describes (default today), its source and a note. Audited; " +
			"follow-through alerts of the agreement's countries are re-evaluated." + agreementAccess,
		Tags:   []string{"agreements"},
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, agreementWriters, limits{maxBody: 64 << 10}, a.setProvisionStatus)
	handle(a, huma.Operation{
		OperationID: "link-agreement-case", Method: http.MethodPost, Path: Prefix + "/agreements/{id}/cases/{case}",
		Summary: "Link an agreement to a case",
		Description: "Links the agreement to a case the caller sees; linked agreements are followed. Linking to a case " +
			"that is not public restricts the agreement to those who see one of its cases." + agreementAccess,
		Tags:   []string{"agreements"},
		Errors: []int{http.StatusNotFound},
	}, agreementWriters, limits{}, a.linkAgreement)
	handle(a, huma.Operation{
		OperationID: "list-agreement-suggestions", Method: http.MethodGet, Path: Prefix + "/agreements/{id}/suggestions",
		Summary:     "Suggest cases to link an agreement to",
		Description: "Open cases the caller sees with a place in one of the agreement's countries, not linked yet." + agreementAccess,
		Tags:        []string{"agreements"}, Errors: []int{http.StatusNotFound},
	}, agreementReaders, limits{}, a.agreementSuggestions)
}

// agreementProblem turns agreement's errors into responses.
func agreementProblem(err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, agreement.ErrNotFound), errors.Is(err, casework.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, agreement.ErrForbidden):
		return huma.Error403Forbidden(err.Error())
	case errors.Is(err, agreement.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

type agreementsInput struct {
	remoteInput
	Country string `query:"country" pattern:"^[A-Za-z]{3}$" doc:"Only agreements concerning this country (ISO alpha-3)."`
	Q       string `query:"q" maxLength:"200" doc:"Words that must all appear in the name, conflict or parties."`
	Case    int64  `query:"case" minimum:"0" doc:"Only agreements linked to this case (the case's agreement milestones)."`
	Limit   int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type agreementsBody struct {
	Items []agreement.Agreement `json:"items"`
}

type agreementsOutput struct {
	Body agreementsBody
}

func (a *API) listAgreements(ctx context.Context, in *agreementsInput) (*agreementsOutput, error) {
	as, err := a.deps.Agreements.List(ctx, in.viewer(ctx), agreement.Query{Country: in.Country, Q: in.Q, CaseID: in.Case, Limit: in.Limit})
	if err != nil {
		return nil, agreementProblem(err)
	}
	if as == nil {
		as = []agreement.Agreement{}
	}
	return &agreementsOutput{Body: agreementsBody{Items: as}}, nil
}

type agreementIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The agreement's ID."`
}

type agreementOutput struct {
	Body agreement.Agreement
}

func (a *API) getAgreement(ctx context.Context, in *agreementIDInput) (*agreementOutput, error) {
	ag, err := a.deps.Agreements.Get(ctx, in.viewer(ctx), in.ID)
	if err != nil {
		return nil, agreementProblem(err)
	}
	return &agreementOutput{Body: ag}, nil
}

// provisionFields are a provision's fields as a request sets them.
type provisionFields struct {
	Category    string `json:"category,omitempty" maxLength:"40" doc:"A UCDP provision code (cease, ddr, pp, ...) or other (the default)."`
	Text        string `json:"text,omitempty" maxLength:"4000" doc:"What the parties committed to; a UCDP category's name by default."`
	Responsible string `json:"responsible,omitempty" maxLength:"300" doc:"The party responsible for implementing it."`
	Deadline    string `json:"deadline,omitempty" maxLength:"10" doc:"YYYY-MM-DD."`
	Status      string `json:"status,omitempty" enum:"not-started,minimal,intermediate,full" doc:"Default not-started."`
}

func (f provisionFields) provision(loc string) (agreement.Provision, error) {
	p := agreement.Provision{Category: f.Category, Text: f.Text, Responsible: f.Responsible, Status: agreement.Status(f.Status)}
	if f.Deadline != "" {
		d, err := time.Parse(time.DateOnly, f.Deadline)
		if err != nil {
			return p, invalid(loc+".deadline", "want YYYY-MM-DD", f.Deadline)
		}
		p.Deadline = d
	}
	return p, nil
}

type createAgreementInput struct {
	remoteInput
	Body struct {
		Name         string            `json:"name" maxLength:"500"`
		Kind         string            `json:"kind,omitempty" enum:"peace-agreement,political-accord,water-sharing,other" doc:"Default peace-agreement."`
		Parties      []string          `json:"parties,omitempty" maxItems:"100"`
		ThirdParties string            `json:"third_parties,omitempty" maxLength:"4000"`
		Signed       string            `json:"signed" maxLength:"10" doc:"The day it was signed, YYYY-MM-DD."`
		Countries    []string          `json:"countries" minItems:"1" maxItems:"50" doc:"ISO 3166-1 alpha-3 codes."`
		ConflictIDs  []int64           `json:"conflict_ids,omitempty" maxItems:"50" doc:"UCDP conflict ids."`
		URL          string            `json:"url,omitempty" maxLength:"2000"`
		Notes        string            `json:"notes,omitempty" maxLength:"8000"`
		Provisions   []provisionFields `json:"provisions,omitempty" maxItems:"200"`
	}
}

func (a *API) createAgreement(ctx context.Context, in *createAgreementInput) (*agreementOutput, error) {
	b := in.Body
	signed, err := time.Parse(time.DateOnly, b.Signed)
	if err != nil {
		return nil, invalid("body.signed", "want YYYY-MM-DD", b.Signed)
	}
	ag := agreement.Agreement{Name: b.Name, Kind: agreement.Kind(b.Kind), Parties: b.Parties, ThirdParties: b.ThirdParties,
		Signed: signed, Countries: b.Countries, ConflictIDs: b.ConflictIDs, URL: b.URL, Notes: b.Notes}
	for i, pf := range b.Provisions {
		p, err := pf.provision("body.provisions[" + strconv.Itoa(i) + "]")
		if err != nil {
			return nil, err
		}
		ag.Provisions = append(ag.Provisions, p)
	}
	for i, c := range ag.Countries {
		if _, ok := a.geo.Lookup(strings.ToUpper(strings.TrimSpace(c))); !ok {
			return nil, invalid("body.countries["+strconv.Itoa(i)+"]", "unknown ISO alpha-3 code", c)
		}
	}
	out, err := a.deps.Agreements.Create(ctx, in.viewer(ctx), ag)
	if err != nil {
		return nil, agreementProblem(err)
	}
	return &agreementOutput{Body: out}, nil
}

type createProvisionInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The agreement's ID."`
	Body provisionFields
}

type provisionOutput struct {
	Body agreement.Provision
}

func (a *API) createProvision(ctx context.Context, in *createProvisionInput) (*provisionOutput, error) {
	p, err := in.Body.provision("body")
	if err != nil {
		return nil, err
	}
	out, err := a.deps.Agreements.AddProvision(ctx, in.viewer(ctx), in.ID, p)
	if err != nil {
		return nil, agreementProblem(err)
	}
	return &provisionOutput{Body: out}, nil
}

type provisionStatusInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The provision's ID."`
	Body struct {
		Status string `json:"status" enum:"not-started,minimal,intermediate,full"`
		On     string `json:"on,omitempty" maxLength:"10" doc:"The day the status describes, YYYY-MM-DD; default today; not in the future."`
		Source string `json:"source,omitempty" maxLength:"1000" doc:"Where it was observed: a report, a mission."`
		Note   string `json:"note,omitempty" maxLength:"8000"`
	}
}

func (a *API) setProvisionStatus(ctx context.Context, in *provisionStatusInput) (*provisionOutput, error) {
	h := agreement.StatusChange{To: agreement.Status(in.Body.Status), Source: in.Body.Source, Note: in.Body.Note}
	if in.Body.On != "" {
		on, err := time.Parse(time.DateOnly, in.Body.On)
		if err != nil {
			return nil, invalid("body.on", "want YYYY-MM-DD", in.Body.On)
		}
		h.On = on
	}
	out, err := a.deps.Agreements.SetStatus(ctx, in.viewer(ctx), in.ID, h)
	if err != nil {
		return nil, agreementProblem(err)
	}
	return &provisionOutput{Body: out}, nil
}

type linkAgreementInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The agreement's ID."`
	Case int64 `path:"case" minimum:"1" doc:"The case's ID."`
}

func (a *API) linkAgreement(ctx context.Context, in *linkAgreementInput) (*agreementOutput, error) {
	out, err := a.deps.Agreements.Link(ctx, in.viewer(ctx), in.ID, in.Case)
	if err != nil {
		return nil, agreementProblem(err)
	}
	return &agreementOutput{Body: out}, nil
}

type suggestionsOutput struct {
	Body struct {
		Items []agreement.Suggestion `json:"items"`
	}
}

func (a *API) agreementSuggestions(ctx context.Context, in *agreementIDInput) (*suggestionsOutput, error) {
	v := in.viewer(ctx)
	if _, err := a.deps.Agreements.Get(ctx, v, in.ID); err != nil {
		return nil, agreementProblem(err)
	}
	ss, err := a.deps.Agreements.Suggest(ctx, v, in.ID, 0, 100)
	if err != nil {
		return nil, agreementProblem(err)
	}
	out := &suggestionsOutput{}
	out.Body.Items = ss
	if ss == nil {
		out.Body.Items = []agreement.Suggestion{}
	}
	return out, nil
}
