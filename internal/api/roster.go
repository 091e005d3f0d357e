package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
)

// Roster is the roster as the API serves it. *roster.Service implements
// it. Every method takes the caller as a casework.Viewer and applies the
// roster's need-to-know rule: a record the caller may not see does not
// exist.
type Roster interface {
	Add(ctx context.Context, v casework.Viewer, p roster.Person) (roster.Person, error)
	Get(ctx context.Context, v casework.Viewer, id int64) (roster.Person, error)
	List(ctx context.Context, v casework.Viewer, q roster.Query) ([]roster.Person, error)
	Update(ctx context.Context, v casework.Viewer, id int64, p roster.Patch) (roster.Person, error)
	Availability(ctx context.Context, v casework.Viewer, id int64, from, to time.Time) ([]roster.Span, error)
	MarkUnavailable(ctx context.Context, v casework.Viewer, id int64, start, end time.Time, note string) (roster.Period, error)
	ClearUnavailable(ctx context.Context, v casework.Viewer, id, periodID int64) error
	Match(ctx context.Context, v casework.Viewer, r roster.Request) (roster.Result, error)
	RequestDeployment(ctx context.Context, v casework.Viewer, d roster.Deployment, note string) (roster.Deployment, error)
	GetDeployment(ctx context.Context, v casework.Viewer, id int64) (roster.Deployment, error)
	Deployments(ctx context.Context, v casework.Viewer, q roster.DeploymentQuery) ([]roster.Deployment, error)
	Move(ctx context.Context, v casework.Viewer, id int64, to roster.Status, note string) (roster.Deployment, error)
}

// People's records are read by the keeper's admins, analysts and desk
// officers and by mediation experts (their own record only: the rule is
// the roster's business); partner viewers are refused at the door.
// Writers change records, match and deploy.
var (
	rosterReaders = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer, auth.MediationExpert)
	rosterMatch   = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)
	rosterWriters = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

const rosterNeedToKnow = " People's records are personal data: only the keeping organisation's admins, analysts and " +
	"desk officers, and the person themselves, know of a record; for anyone else it is a 404. Every read is audited."

func (a *API) registerRoster() {
	tags := []string{"roster"}
	handle(a, huma.Operation{
		OperationID: "create-person", Method: http.MethodPost, Path: Prefix + "/roster/people",
		Summary: "Put a person on the roster",
		Description: "Adds an envoy, mediation expert or support staff member, kept by the caller's organisation: " +
			"expertise areas with levels 1-3, languages with CEFR levels, countries (ISO alpha-3) and UN M49 regions " +
			"known, clearance and contract.",
		Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity},
	}, rosterWriters, limits{maxBody: 64 << 10}, a.createPerson)
	handle(a, huma.Operation{
		OperationID: "list-people", Method: http.MethodGet, Path: Prefix + "/roster/people",
		Summary: "List the roster", Description: "The people the caller may see, by name." + rosterNeedToKnow, Tags: tags,
	}, rosterReaders, limits{}, a.listPeople)
	handle(a, huma.Operation{
		OperationID: "get-person", Method: http.MethodGet, Path: Prefix + "/roster/people/{id}",
		Summary:     "Get a person with their unavailable periods and deployments",
		Description: "One record with its calendar's periods and its deployment history." + rosterNeedToKnow,
		Tags:        tags, Errors: []int{http.StatusNotFound},
	}, rosterReaders, limits{}, a.getPerson)
	handle(a, huma.Operation{
		OperationID: "update-person", Method: http.MethodPatch, Path: Prefix + "/roster/people/{id}",
		Summary: "Change a person's record",
		Description: "Changes the fields given; lists replace the stored ones. version, if given, must be the " +
			"record's: a record changed since is a 409." + rosterNeedToKnow,
		Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, rosterWriters, limits{maxBody: 64 << 10}, a.updatePerson)
	handle(a, huma.Operation{
		OperationID: "get-person-availability", Method: http.MethodGet, Path: Prefix + "/roster/people/{id}/availability",
		Summary:     "A person's availability calendar",
		Description: "Runs of days from from to to, each available, on-deployment or unavailable." + rosterNeedToKnow,
		Tags:        tags, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, rosterReaders, limits{}, a.personAvailability)
	handle(a, huma.Operation{
		OperationID: "create-person-unavailable", Method: http.MethodPost, Path: Prefix + "/roster/people/{id}/unavailable",
		Summary: "Record a period a person is unavailable", Tags: tags, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, rosterWriters, limits{maxBody: 8 << 10}, a.createUnavailable)
	handle(a, huma.Operation{
		OperationID: "delete-person-unavailable", Method: http.MethodDelete, Path: Prefix + "/roster/people/{id}/unavailable/{period}",
		Summary: "Remove an unavailable period", Tags: tags, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound},
	}, rosterWriters, limits{}, a.deleteUnavailable)
	const matchDoc = "Ranks the people free for the whole window for the case's places and confidentiality, with " +
		"the reasons for each rank (expertise, languages, regional experience, availability, standby contract, " +
		"fatigue: days deployed in the 12 months before the start), and counts those left out by reason (busy, " +
		"unavailable, clearance, no-expertise, kind). The case must be one the caller sees."
	handle(a, huma.Operation{
		OperationID: "match-roster", Method: http.MethodGet, Path: Prefix + "/roster/match",
		Summary: "Match the roster to a case", Description: matchDoc, Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, rosterMatch, limits{}, a.matchRosterQuery)
	handle(a, huma.Operation{
		OperationID: "match-roster-post", Method: http.MethodPost, Path: Prefix + "/roster/match",
		Summary: "Match the roster to a case (request in the body)", Description: matchDoc, Tags: tags,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, rosterWriters, limits{maxBody: 16 << 10}, a.matchRosterBody)
	handle(a, huma.Operation{
		OperationID: "create-deployment", Method: http.MethodPost, Path: Prefix + "/roster/deployments",
		Summary: "Request a deployment",
		Description: "Requests a person for a case from start for days days. A request holds the person for its " +
			"window until rejected or cancelled; a request overlapping another that holds the person, or an " +
			"unavailable period, is a 409, even when both are sent at once.",
		Tags: tags, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, rosterWriters, limits{maxBody: 8 << 10}, a.createDeployment)
	handle(a, huma.Operation{
		OperationID: "list-deployments", Method: http.MethodGet, Path: Prefix + "/roster/deployments",
		Summary: "List deployments", Description: "Deployments of the people the caller may see, newest first." + rosterNeedToKnow,
		Tags: tags,
	}, rosterReaders, limits{}, a.listDeployments)
	handle(a, huma.Operation{
		OperationID: "get-deployment", Method: http.MethodGet, Path: Prefix + "/roster/deployments/{id}",
		Summary: "Get a deployment with its history", Tags: tags, Errors: []int{http.StatusNotFound},
	}, rosterReaders, limits{}, a.getDeployment)
	handle(a, huma.Operation{
		OperationID: "create-deployment-transition", Method: http.MethodPost, Path: Prefix + "/roster/deployments/{id}/transitions",
		Summary: "Move a deployment on",
		Description: "requested -> approved -> active -> completed; requested -> rejected; requested or approved -> " +
			"cancelled. Any other move is a 409.",
		Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, rosterWriters, limits{maxBody: 8 << 10}, a.moveDeployment)
}

// rosterProblem turns the roster's errors into responses.
func rosterProblem(err error) error {
	var se huma.StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, roster.ErrNotFound), errors.Is(err, casework.ErrNotFound):
		return huma.Error404NotFound("not found")
	case errors.Is(err, roster.ErrForbidden):
		return huma.Error403Forbidden(err.Error())
	case errors.Is(err, roster.ErrDoubleBooked), errors.Is(err, roster.ErrUnavailable),
		errors.Is(err, roster.ErrInvalidTransition), errors.Is(err, roster.ErrConflict):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, roster.ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	}
	return err
}

// personFields are a person's fields as a request sets them.
type personFields struct {
	Name      string             `json:"name" maxLength:"200"`
	Email     string             `json:"email,omitempty" maxLength:"254" doc:"The person's user account, if any: they see their own record."`
	Kind      string             `json:"kind,omitempty" enum:"envoy,mediation-expert,support-staff" doc:"Default mediation-expert."`
	Expertise []roster.Expertise `json:"expertise,omitempty" maxItems:"8"`
	Languages []roster.Language  `json:"languages,omitempty" maxItems:"30"`
	Countries []string           `json:"countries,omitempty" maxItems:"250" doc:"ISO 3166-1 alpha-3 codes."`
	Regions   []string           `json:"regions,omitempty" maxItems:"40" doc:"UN M49 regions known besides their countries'."`
	Clearance string             `json:"clearance,omitempty" enum:"public,internal,confidential,strictly-confidential" doc:"Default internal."`
	Contract  string             `json:"contract,omitempty" enum:"staff,standby,consultant,secondment,pro-bono" doc:"Default consultant."`
	Notes     string             `json:"notes,omitempty" maxLength:"8000"`
}

type createPersonInput struct {
	remoteInput
	Body personFields
}

type personOutput struct {
	Body roster.Person
}

func (a *API) createPerson(ctx context.Context, in *createPersonInput) (*personOutput, error) {
	b := in.Body
	p, err := a.deps.Roster.Add(ctx, in.viewer(ctx), roster.Person{Name: b.Name, Email: b.Email, Kind: roster.Kind(b.Kind),
		Expertise: b.Expertise, Languages: b.Languages, Countries: b.Countries, Regions: b.Regions,
		Clearance: casework.Confidentiality(b.Clearance), Contract: roster.Contract(b.Contract), Notes: b.Notes})
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &personOutput{Body: p}, nil
}

type peopleInput struct {
	remoteInput
	Q     string `query:"q" maxLength:"200" doc:"Words that must all appear in the name or notes."`
	Kind  string `query:"kind" enum:"envoy,mediation-expert,support-staff"`
	Area  string `query:"area" enum:"process-design,power-sharing,constitution-making,security-arrangements,natural-resources,gender-inclusion,elections,transitional-justice"`
	Limit int    `query:"limit" minimum:"1" maximum:"10000" default:"500"`
}

type peopleOutput struct {
	Body struct {
		Items []roster.Person `json:"items"`
	}
}

func (a *API) listPeople(ctx context.Context, in *peopleInput) (*peopleOutput, error) {
	ps, err := a.deps.Roster.List(ctx, in.viewer(ctx), roster.Query{Q: in.Q, Kind: roster.Kind(in.Kind),
		Area: roster.Area(in.Area), Limit: in.Limit})
	if err != nil {
		return nil, rosterProblem(err)
	}
	out := &peopleOutput{}
	out.Body.Items = ps
	return out, nil
}

type personIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The person's ID."`
}

func (a *API) getPerson(ctx context.Context, in *personIDInput) (*personOutput, error) {
	p, err := a.deps.Roster.Get(ctx, in.viewer(ctx), in.ID)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &personOutput{Body: p}, nil
}

type updatePersonInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The person's ID."`
	Body struct {
		Name      *string             `json:"name,omitempty" maxLength:"200"`
		Email     *string             `json:"email,omitempty" maxLength:"254"`
		Kind      *string             `json:"kind,omitempty" enum:"envoy,mediation-expert,support-staff"`
		Expertise *[]roster.Expertise `json:"expertise,omitempty" maxItems:"8"`
		Languages *[]roster.Language  `json:"languages,omitempty" maxItems:"30"`
		Countries *[]string           `json:"countries,omitempty" maxItems:"250"`
		Regions   *[]string           `json:"regions,omitempty" maxItems:"40"`
		Clearance *string             `json:"clearance,omitempty" enum:"public,internal,confidential,strictly-confidential"`
		Contract  *string             `json:"contract,omitempty" enum:"staff,standby,consultant,secondment,pro-bono"`
		Notes     *string             `json:"notes,omitempty" maxLength:"8000"`
		Version   int64               `json:"version,omitempty" doc:"The version the change was made against."`
	}
}

func (a *API) updatePerson(ctx context.Context, in *updatePersonInput) (*personOutput, error) {
	b := in.Body
	pt := roster.Patch{Name: b.Name, Email: b.Email, Expertise: b.Expertise, Languages: b.Languages,
		Countries: b.Countries, Regions: b.Regions, Notes: b.Notes, Version: b.Version}
	if b.Kind != nil {
		k := roster.Kind(*b.Kind)
		pt.Kind = &k
	}
	if b.Clearance != nil {
		c := casework.Confidentiality(*b.Clearance)
		pt.Clearance = &c
	}
	if b.Contract != nil {
		c := roster.Contract(*b.Contract)
		pt.Contract = &c
	}
	p, err := a.deps.Roster.Update(ctx, in.viewer(ctx), in.ID, pt)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &personOutput{Body: p}, nil
}

// parseDay parses a YYYY-MM-DD value of location; "" is def.
func parseDay(location, s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, invalid(location, "not a date (YYYY-MM-DD)", s)
	}
	return d, nil
}

type availabilityInput struct {
	remoteInput
	ID   int64  `path:"id" minimum:"1" doc:"The person's ID."`
	From string `query:"from" maxLength:"10" doc:"First day, YYYY-MM-DD (default today)."`
	To   string `query:"to" maxLength:"10" doc:"Last day, YYYY-MM-DD (default 90 days after from)."`
}

type availabilityOutput struct {
	Body struct {
		Spans []roster.Span `json:"spans"`
	}
}

func (a *API) personAvailability(ctx context.Context, in *availabilityInput) (*availabilityOutput, error) {
	from, err := parseDay("query.from", in.From, roster.Day(a.now()))
	if err != nil {
		return nil, err
	}
	to, err := parseDay("query.to", in.To, from.AddDate(0, 0, 90))
	if err != nil {
		return nil, err
	}
	spans, err := a.deps.Roster.Availability(ctx, in.viewer(ctx), in.ID, from, to)
	if err != nil {
		return nil, rosterProblem(err)
	}
	out := &availabilityOutput{}
	out.Body.Spans = spans
	return out, nil
}

type unavailableInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The person's ID."`
	Body struct {
		Start string `json:"start" maxLength:"10" doc:"First unavailable day, YYYY-MM-DD."`
		End   string `json:"end" maxLength:"10" doc:"Last unavailable day, YYYY-MM-DD."`
		Note  string `json:"note,omitempty" maxLength:"2000"`
	}
}

type periodOutput struct {
	Body roster.Period
}

func (a *API) createUnavailable(ctx context.Context, in *unavailableInput) (*periodOutput, error) {
	start, err := parseDay("body.start", in.Body.Start, time.Time{})
	if err != nil {
		return nil, err
	}
	end, err := parseDay("body.end", in.Body.End, time.Time{})
	if err != nil {
		return nil, err
	}
	if start.IsZero() || end.IsZero() {
		return nil, invalid("body", "start and end are required", nil)
	}
	u, err := a.deps.Roster.MarkUnavailable(ctx, in.viewer(ctx), in.ID, start, end, in.Body.Note)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &periodOutput{Body: u}, nil
}

type periodIDInput struct {
	remoteInput
	ID     int64 `path:"id" minimum:"1" doc:"The person's ID."`
	Period int64 `path:"period" minimum:"1" doc:"The unavailable period's ID."`
}

func (a *API) deleteUnavailable(ctx context.Context, in *periodIDInput) (*struct{}, error) {
	if err := a.deps.Roster.ClearUnavailable(ctx, in.viewer(ctx), in.ID, in.Period); err != nil {
		return nil, rosterProblem(err)
	}
	return &struct{}{}, nil
}

// matchFields are a match request's fields.
type matchFields struct {
	CaseID    int64    `json:"case_id" query:"case_id" minimum:"1" doc:"The case the people are for."`
	Skills    []string `json:"skills" query:"skills" minItems:"1" maxItems:"8" doc:"Expertise areas needed."`
	Languages []string `json:"languages,omitempty" query:"languages" maxItems:"10" doc:"Languages needed (ISO 639 codes)."`
	Start     string   `json:"start" query:"start" maxLength:"10" doc:"First day, YYYY-MM-DD."`
	Days      int      `json:"days" query:"days" minimum:"1" maximum:"366" doc:"Length in days."`
	Kinds     []string `json:"kinds,omitempty" query:"kinds" maxItems:"3" doc:"Only these kinds."`
	Limit     int      `json:"limit,omitempty" query:"limit" minimum:"0" maximum:"500" doc:"How many to rank (default 20)."`
}

type matchQueryInput struct {
	remoteInput
	CaseID    int64    `query:"case_id" minimum:"1" required:"true" doc:"The case the people are for."`
	Skills    []string `query:"skills" maxItems:"8" required:"true" doc:"Expertise areas needed."`
	Languages []string `query:"languages" maxItems:"10" doc:"Languages needed (ISO 639 codes)."`
	Start     string   `query:"start" maxLength:"10" required:"true" doc:"First day, YYYY-MM-DD."`
	Days      int      `query:"days" minimum:"1" maximum:"366" required:"true" doc:"Length in days."`
	Kinds     []string `query:"kinds" maxItems:"3" doc:"Only these kinds."`
	Limit     int      `query:"limit" minimum:"0" maximum:"500" doc:"How many to rank (default 20)."`
}

type matchBodyInput struct {
	remoteInput
	Body matchFields
}

type matchOutput struct {
	Body roster.Result
}

func (a *API) matchRosterQuery(ctx context.Context, in *matchQueryInput) (*matchOutput, error) {
	return a.matchRoster(ctx, in.viewer(ctx), "query", matchFields{CaseID: in.CaseID, Skills: in.Skills,
		Languages: in.Languages, Start: in.Start, Days: in.Days, Kinds: in.Kinds, Limit: in.Limit})
}

func (a *API) matchRosterBody(ctx context.Context, in *matchBodyInput) (*matchOutput, error) {
	return a.matchRoster(ctx, in.viewer(ctx), "body", in.Body)
}

func (a *API) matchRoster(ctx context.Context, v casework.Viewer, loc string, f matchFields) (*matchOutput, error) {
	start, err := parseDay(loc+".start", f.Start, time.Time{})
	if err != nil {
		return nil, err
	}
	r := roster.Request{CaseID: f.CaseID, Start: start, Days: f.Days, Limit: f.Limit}
	for i, s := range f.Skills {
		for _, part := range strings.Split(s, ",") { // skills=a,b as well as skills=a&skills=b
			ar, err := roster.ParseArea(part)
			if err != nil {
				return nil, invalid(loc+".skills["+strconv.Itoa(i)+"]", err.Error(), s)
			}
			r.Skills = append(r.Skills, ar)
		}
	}
	for _, s := range f.Languages {
		r.Languages = append(r.Languages, strings.Split(s, ",")...)
	}
	for _, k := range f.Kinds {
		r.Kinds = append(r.Kinds, roster.Kind(k))
	}
	res, err := a.deps.Roster.Match(ctx, v, r)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &matchOutput{Body: res}, nil
}

type createDeploymentInput struct {
	remoteInput
	Body struct {
		PersonID int64  `json:"person_id" minimum:"1"`
		CaseID   int64  `json:"case_id" minimum:"1"`
		Start    string `json:"start" maxLength:"10" doc:"First day, YYYY-MM-DD."`
		Days     int    `json:"days" minimum:"1" maximum:"366"`
		Role     string `json:"role,omitempty" maxLength:"300"`
		Note     string `json:"note,omitempty" maxLength:"4000"`
	}
}

type deploymentOutput struct {
	Body roster.Deployment
}

func (a *API) createDeployment(ctx context.Context, in *createDeploymentInput) (*deploymentOutput, error) {
	b := in.Body
	start, err := parseDay("body.start", b.Start, time.Time{})
	if err != nil {
		return nil, err
	}
	d, err := a.deps.Roster.RequestDeployment(ctx, in.viewer(ctx), roster.Deployment{PersonID: b.PersonID, CaseID: b.CaseID,
		Start: start, Days: b.Days, Role: b.Role}, b.Note)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &deploymentOutput{Body: d}, nil
}

type deploymentsInput struct {
	remoteInput
	PersonID int64    `query:"person_id" minimum:"0"`
	CaseID   int64    `query:"case_id" minimum:"0"`
	Status   []string `query:"status" enum:"requested,approved,active,completed,rejected,cancelled"`
	Limit    int      `query:"limit" minimum:"1" maximum:"10000" default:"500"`
}

type deploymentsOutput struct {
	Body struct {
		Items []roster.Deployment `json:"items"`
	}
}

func (a *API) listDeployments(ctx context.Context, in *deploymentsInput) (*deploymentsOutput, error) {
	q := roster.DeploymentQuery{PersonID: in.PersonID, CaseID: in.CaseID, Limit: in.Limit}
	for _, s := range in.Status {
		q.Status = append(q.Status, roster.Status(s))
	}
	ds, err := a.deps.Roster.Deployments(ctx, in.viewer(ctx), q)
	if err != nil {
		return nil, rosterProblem(err)
	}
	out := &deploymentsOutput{}
	out.Body.Items = ds
	return out, nil
}

type deploymentIDInput struct {
	remoteInput
	ID int64 `path:"id" minimum:"1" doc:"The deployment's ID."`
}

func (a *API) getDeployment(ctx context.Context, in *deploymentIDInput) (*deploymentOutput, error) {
	d, err := a.deps.Roster.GetDeployment(ctx, in.viewer(ctx), in.ID)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &deploymentOutput{Body: d}, nil
}

type moveDeploymentInput struct {
	remoteInput
	ID   int64 `path:"id" minimum:"1" doc:"The deployment's ID."`
	Body struct {
		Status string `json:"status" enum:"approved,active,completed,rejected,cancelled"`
		Note   string `json:"note,omitempty" maxLength:"4000"`
	}
}

func (a *API) moveDeployment(ctx context.Context, in *moveDeploymentInput) (*deploymentOutput, error) {
	d, err := a.deps.Roster.Move(ctx, in.viewer(ctx), in.ID, roster.Status(in.Body.Status), in.Body.Note)
	if err != nil {
		return nil, rosterProblem(err)
	}
	return &deploymentOutput{Body: d}, nil
}
