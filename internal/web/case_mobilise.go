package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/roster"
	"threshold/internal/server"
)

// fundMovers may allocate fund money from the case page: admins and
// analysts, as package fund decides (desk officers read the fund).
var fundMovers = auth.AllowWrite(auth.Admin, auth.Analyst)

// mobiliseRoutes registers the case page's mobilisation forms: requesting
// a mediator's deployment, deciding on it, and allocating fund money to
// the case. Matching is a GET of the case page itself (?match=1).
func (h *handler) mobiliseRoutes(rs *server.Routes) {
	if h.Roster != nil {
		rs.HandleFunc("POST", "/cases/{id}/deployments", caseWriters, h.handle(h.requestDeployment))
		rs.HandleFunc("POST", "/cases/{id}/deployments/{dep}/approve", caseWriters, h.handle(h.decideDeployment(roster.Approved)))
		rs.HandleFunc("POST", "/cases/{id}/deployments/{dep}/reject", caseWriters, h.handle(h.decideDeployment(roster.Rejected)))
	}
	if h.Fund != nil {
		rs.HandleFunc("POST", "/cases/{id}/allocations", fundMovers, h.handle(h.allocateToCase))
	}
}

// mobiliseView is the case page's "Request a mediator" and "Fund"
// sections, shown only to the owner organisation's writers.
type mobiliseView struct {
	Roster bool // the mediator section is shown

	// The match form, as submitted (or its defaults).
	Skills     []option
	Languages  string
	Start      string
	Days       int
	Matched    bool   // the form was submitted and matched
	Problem    string // why the match could not run
	Candidates []candidateRow
	Considered int
	Excluded   string // "2 busy, 1 clearance"

	Fund        bool // the fund section is shown
	CanAllocate bool // the viewer moves money
	Reporting   string
	Cash        []fund.Amount // the fund's unallocated money per currency
	Allocations []allocRow
	Key         string // the allocation form's idempotency key
}

type candidateRow struct {
	Rank     int
	PersonID int64
	Name     string
	Kind     string
	Score    string
	Reasons  []reasonRow
}

type reasonRow struct {
	Factor, Points, Detail string
}

// deploymentRow is one deployment of the case, for its table; the roster
// shows each viewer only the people it may see.
type deploymentRow struct {
	ID          int64
	Anchor      string
	Person      string
	Role        string
	Start, End  string
	Days        int
	Status      string
	RequestedBy string
	CanDecide   bool // requested, and the viewer may approve or reject it
}

type allocRow struct {
	ID          int64
	Anchor      string
	Amount      string // "1250.00 USD"
	Purpose     string
	Status      string
	RequestedBy string
	RequestedAt string
}

// defaultDeploymentDays is the match form's duration before the user
// changes it.
const defaultDeploymentDays = 30

// caseDeployments returns the case's deployments the viewer may see,
// oldest start first; nil without Deps.Roster.
func (h *handler) caseDeployments(ctx context.Context, vw casework.Viewer, id int64) ([]roster.Deployment, error) {
	if h.Roster == nil {
		return nil, nil
	}
	ds, err := h.Roster.Deployments(ctx, vw, roster.DeploymentQuery{CaseID: id})
	if err != nil {
		return nil, rosterError(err)
	}
	slices.SortStableFunc(ds, func(a, b roster.Deployment) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID)) })
	return ds, nil
}

// deploymentRows lists deployments for the case page; decide lets the
// viewer approve or reject those still requested.
func deploymentRows(ds []roster.Deployment, decide bool) []deploymentRow {
	out := make([]deploymentRow, 0, len(ds))
	for _, d := range ds {
		out = append(out, deploymentRow{ID: d.ID, Anchor: "deployment-" + strconv.FormatInt(d.ID, 10), Person: d.Person,
			Role: d.Role, Start: d.Start.Format(time.DateOnly), End: d.End().Format(time.DateOnly), Days: d.Days,
			Status: string(d.Status), RequestedBy: d.RequestedBy, CanDecide: decide && d.Status == roster.Requested})
	}
	return out
}

// mobilise builds the mediator and fund sections for an owner
// organisation's writer, running the match when the form was submitted.
func (h *handler) mobilise(r *http.Request, vw casework.Viewer, c casework.Case) (*mobiliseView, error) {
	ctx := r.Context()
	m := &mobiliseView{}
	if h.Roster != nil && roster.CanWrite(vw) {
		m.Roster = true
		q := r.URL.Query()
		chosen := q["skill"]
		for _, a := range roster.Areas() {
			m.Skills = append(m.Skills, option{Value: string(a), Label: areaLabel(a), Selected: slices.Contains(chosen, string(a))})
		}
		m.Languages = strings.TrimSpace(q.Get("languages"))
		m.Start = strings.TrimSpace(q.Get("start"))
		if m.Start == "" {
			m.Start = roster.Day(h.Now()).AddDate(0, 0, 3).Format(time.DateOnly)
		}
		m.Days = defaultDeploymentDays
		if s := q.Get("days"); s != "" {
			m.Days, _ = strconv.Atoi(s)
		}
		if q.Get("match") != "" {
			if err := h.match(ctx, vw, c, m, chosen); err != nil {
				return nil, err
			}
		}
	}
	if h.Fund != nil && fund.CanRead(vw) {
		m.Fund, m.CanAllocate, m.Reporting = true, fund.CanWrite(vw), h.Fund.Reporting()
		bal, err := h.Fund.Balance(ctx, vw)
		if err != nil {
			return nil, fundError(err)
		}
		m.Cash = bal.Cash
		allocs, err := h.Fund.Allocations(ctx, vw, fund.AllocQuery{Target: &fund.Target{Kind: "case", ID: c.ID}})
		if err != nil {
			return nil, fundError(err)
		}
		for _, a := range allocs {
			m.Allocations = append(m.Allocations, allocRow{ID: a.ID, Anchor: "allocation-" + strconv.FormatInt(a.ID, 10),
				Amount: a.Amount + " " + a.Currency, Purpose: a.Purpose, Status: string(a.Status),
				RequestedBy: a.RequestedBy, RequestedAt: formatTime(a.RequestedAt)})
		}
		if m.CanAllocate {
			// A key per rendering of the form: submitting it twice (a
			// double click, a resent request) allocates once.
			m.Key = rand.Text()
		}
	}
	if !m.Roster && !m.Fund {
		return nil, nil
	}
	return m, nil
}

// match runs the roster's match for the submitted form; what the user
// can correct goes to m.Problem.
func (h *handler) match(ctx context.Context, vw casework.Viewer, c casework.Case, m *mobiliseView, chosen []string) error {
	req := roster.Request{CaseID: c.ID, Languages: splitList(m.Languages), Days: m.Days}
	var problems []string
	for _, s := range chosen {
		a, err := roster.ParseArea(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%q is not an expertise area", s))
			continue
		}
		req.Skills = append(req.Skills, a)
	}
	start, err := time.Parse(time.DateOnly, m.Start)
	if err != nil {
		problems = append(problems, fmt.Sprintf("start %q is not a date like 2025-11-23", m.Start))
	}
	req.Start = start
	if len(problems) > 0 {
		m.Problem = strings.Join(problems, "; ") + "."
		return nil
	}
	res, err := h.Roster.Match(ctx, vw, req)
	switch {
	case errors.Is(err, roster.ErrInvalid):
		m.Problem = err.Error() + "."
		return nil
	case err != nil:
		return rosterError(err)
	}
	m.Matched, m.Considered = true, res.Considered
	var ex []string
	for _, k := range slices.Sorted(maps.Keys(res.Excluded)) {
		if n := res.Excluded[k]; n > 0 {
			ex = append(ex, fmt.Sprintf("%d %s", n, k))
		}
	}
	m.Excluded = strings.Join(ex, ", ")
	for _, cd := range res.Candidates {
		row := candidateRow{Rank: cd.Rank, PersonID: cd.PersonID, Name: cd.Name, Kind: string(cd.Kind), Score: strconv.FormatFloat(cd.Score, 'f', 1, 64)}
		for _, rs := range cd.Reasons {
			row.Reasons = append(row.Reasons, reasonRow{Factor: rs.Factor, Points: strconv.FormatFloat(rs.Points, 'f', 1, 64), Detail: rs.Detail})
		}
		m.Candidates = append(m.Candidates, row)
	}
	return nil
}

// areaLabel is an expertise area for people: "Process design".
func areaLabel(a roster.Area) string {
	s := strings.ReplaceAll(string(a), "-", " ")
	switch a {
	case roster.SecurityArrangements:
		s += " and ceasefires"
	case roster.NaturalResources:
		s += " and water"
	case roster.GenderInclusion:
		s = "gender and inclusion"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ownedCase returns case id for a change the case page's mobilisation
// forms make: only the owner organisation's writers may. A case the user
// may not know of is a 404.
func (h *handler) ownedCase(r *http.Request, id int64) (casework.Case, error) {
	c, err := h.Cases.Get(r.Context(), viewer(r), id)
	if err != nil {
		return casework.Case{}, caseError(err)
	}
	if p := server.PrincipalFrom(r.Context()); p == nil || p.OrgID != c.OwnerOrgID {
		return casework.Case{}, fmt.Errorf("%w: only the case's owner organisation mobilises for it", auth.ErrForbidden)
	}
	return c, nil
}

// requestDeployment requests a person from the match for the case: the
// roster refuses a person already held in the window (409).
func (h *handler) requestDeployment(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	if _, err := h.ownedCase(r, id); err != nil {
		return err
	}
	person, err := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
	if err != nil || person <= 0 {
		return badRequest("Person: %q is not a person on the roster.", r.PostFormValue("person"))
	}
	start, err := time.Parse(time.DateOnly, strings.TrimSpace(r.PostFormValue("start")))
	if err != nil {
		return badRequest("Start: %q is not a date like 2025-11-23.", r.PostFormValue("start"))
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil {
		return badRequest("Days: %q is not a number of days.", r.PostFormValue("days"))
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if n := len([]rune(note)); n > 4000 {
		return badRequest("The note has %d characters; use at most 4,000.", n)
	}
	d, err := h.Roster.RequestDeployment(r.Context(), viewer(r), roster.Deployment{PersonID: person, CaseID: id, Start: start, Days: days,
		Role: strings.TrimSpace(r.PostFormValue("role"))}, note)
	if err != nil {
		return h.rosterRefusal(w, r, err)
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done=deployment#deployment-"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}

// decideDeployment approves or rejects a requested deployment of the
// case, as the roster allows.
func (h *handler) decideDeployment(to roster.Status) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := caseID(r)
		if err != nil {
			return err
		}
		if _, err := h.ownedCase(r, id); err != nil {
			return err
		}
		dep, err := strconv.ParseInt(r.PathValue("dep"), 10, 64)
		if err != nil || dep <= 0 {
			return errNotFound
		}
		vw := viewer(r)
		d, err := h.Roster.GetDeployment(r.Context(), vw, dep)
		if err != nil {
			return rosterError(err)
		}
		if d.CaseID != id {
			return errNotFound
		}
		note := strings.TrimSpace(r.PostFormValue("note"))
		if n := len([]rune(note)); n > 4000 {
			return badRequest("The note has %d characters; use at most 4,000.", n)
		}
		if _, err := h.Roster.Move(r.Context(), vw, dep, to, note); err != nil {
			return h.rosterRefusal(w, r, err)
		}
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done="+string(to)+"#deployment-"+strconv.FormatInt(dep, 10), http.StatusSeeOther)
		return nil
	}
}

// rosterRefusal shows a conflict the user must resolve (a person already
// held, unavailable, a deployment decided meanwhile) as a 409 page, and
// passes other errors on.
func (h *handler) rosterRefusal(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, roster.ErrDoubleBooked):
		h.errorPage(w, r, http.StatusConflict, "That person is already held by another deployment in this window. Match again to see who is free.")
		return nil
	case errors.Is(err, roster.ErrUnavailable):
		h.errorPage(w, r, http.StatusConflict, "That person has recorded themselves unavailable in this window.")
		return nil
	case errors.Is(err, roster.ErrInvalidTransition), errors.Is(err, roster.ErrConflict):
		h.errorPage(w, r, http.StatusConflict, "The deployment was decided by someone else in the meantime. Open the case again to see its status.")
		return nil
	}
	return rosterError(err)
}

// rosterError maps the roster's refusals to pages: a person or deployment
// the user may not know of is a 404, as in the API.
func rosterError(err error) error {
	switch {
	case errors.Is(err, roster.ErrNotFound), errors.Is(err, casework.ErrNotFound):
		return errNotFound
	case errors.Is(err, roster.ErrForbidden):
		return fmt.Errorf("%w: %w", auth.ErrForbidden, err)
	case errors.Is(err, roster.ErrInvalid):
		return badRequest("%s.", err.Error())
	}
	return err
}

// allocateToCase allocates fund money to the case. The form's hidden
// idempotency key makes a repeated submission return the first answer
// and move no money; an allocation the fund's cash does not cover is a
// 409.
func (h *handler) allocateToCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	if _, err := h.ownedCase(r, id); err != nil {
		return err
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" || len(key) > 200 {
		return badRequest("The form has no valid idempotency key: open the case again and resubmit.")
	}
	req := fund.AllocationRequest{CaseID: id, Amount: strings.TrimSpace(r.PostFormValue("amount")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), Rate: strings.TrimSpace(r.PostFormValue("rate")),
		Purpose: strings.TrimSpace(r.PostFormValue("purpose"))}
	a, _, err := h.Fund.Allocate(r.Context(), viewer(r), key, req)
	switch {
	case errors.Is(err, fund.ErrInsufficient):
		h.errorPage(w, r, http.StatusConflict, fmt.Sprintf("The fund's %s cash does not cover %s %s: nothing was allocated.", req.Currency, req.Amount, req.Currency))
		return nil
	case errors.Is(err, fund.ErrKeyReused):
		h.errorPage(w, r, http.StatusUnprocessableEntity, "This form was already submitted with other values. Open the case again for a new form.")
		return nil
	case err != nil:
		return fundError(err)
	}
	done := "allocated"
	if a.Status == fund.Pending {
		done = "pending"
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done="+done+"#allocation-"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	return nil
}

// fundError maps the fund's refusals to pages.
func fundError(err error) error {
	var fe *fund.FieldError
	switch {
	case errors.As(err, &fe):
		return badRequest("%s: %s.", fe.Field, fe.Msg)
	case errors.Is(err, fund.ErrNotFound), errors.Is(err, casework.ErrNotFound):
		return errNotFound
	case errors.Is(err, fund.ErrForbidden):
		return fmt.Errorf("%w: %w", auth.ErrForbidden, err)
	case errors.Is(err, fund.ErrInvalid):
		return badRequest("%s.", err.Error())
	}
	return err
}
