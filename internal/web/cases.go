package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/server"
)

// Every signed-in role may open the case pages (what each sees is the
// need-to-know rule's business, applied by casework); desks, analysts and
// admins open cases and log actions, as in the API.
var (
	caseReaders = auth.Everyone()
	caseWriters = auth.AllowWrite(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

// casesLimit is the most cases the list shows for one filter.
const casesLimit = 200

// unansweredDays is the age past which the inbox lists an unanswered
// warning first, unless the address says otherwise (unanswered_days).
const unansweredDays = 14

type casesView struct {
	Filter    casesFilter
	Problems  []string
	Statuses  []option // the filter's
	Levels    []option // the filter's
	Rows      []caseRow
	Total     int  // how many cases the filter selects
	Capped    bool // more than casesLimit
	CanCreate bool
	Form      caseForm
	FormError string // why the new case was refused
}

// casesFilter is the list's filter form, as submitted.
type casesFilter struct {
	Q, Status, Country, LeadOffice, Level string
	q                                     casework.Query
}

// Active reports whether any filter is set.
func (f casesFilter) Active() bool {
	return f.Q != "" || f.Status != "" || f.Country != "" || f.LeadOffice != "" || f.Level != ""
}

// caseRow is one case in the list.
type caseRow struct {
	ID                 int64
	Title              string
	Status, StatusText string
	Level, LevelText   string
	Places             string
	LeadOffice         string
	Owner              string
	SharedWith         string
	Updated            string
}

func newCaseRow(c casework.Case) caseRow {
	return caseRow{ID: c.ID, Title: c.Title, Status: string(c.Status), StatusText: statusText(c.Status),
		Level: string(c.Confidentiality), LevelText: levelText(c.Confidentiality), Places: placesText(c.Places),
		LeadOffice: c.LeadOffice, Owner: c.OwnerOrg, SharedWith: strings.Join(c.SharedWith, ", "), Updated: formatTime(c.UpdatedAt)}
}

// caseForm is the new-case form: empty, prefilled from an alert, or as
// submitted when it was refused.
type caseForm struct {
	Title, Countries, Admin1, LeadOffice string
	Status, Level                        string
	FromAlert                            int64 // the alert the case is opened from; 0 for none
	AlertTitle                           string
	Statuses, Levels                     []option
	Orgs                                 []option // organisations to share with, beside the user's own
}

// statusText names a status for people: "active preventive engagement".
func statusText(s casework.Status) string { return strings.ReplaceAll(string(s), "-", " ") }

// levelText names a confidentiality level for people.
func levelText(l casework.Confidentiality) string { return strings.ReplaceAll(string(l), "-", " ") }

// placesText writes places as "CAF / Bangui province, TCD".
func placesText(ps []casework.Place) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		s := p.Country
		if p.Admin1 != "" {
			s += " / " + p.Admin1
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// viewer is the signed-in user as a casework viewer.
func viewer(r *http.Request) casework.Viewer {
	return casework.ViewerOf(server.PrincipalFrom(r.Context()), server.RemoteHost(r))
}

// caseError turns casework's refusals into pages: a case the user may not
// know of is the same 404 as one that does not exist, as in the API.
func caseError(err error) error {
	switch {
	case errors.Is(err, casework.ErrNotFound):
		return errNotFound
	case errors.Is(err, casework.ErrForbidden):
		return fmt.Errorf("%w: %w", auth.ErrForbidden, err)
	case errors.Is(err, casework.ErrInvalid):
		return badRequest("%s", err.Error())
	}
	return err
}

// casesPage lists the cases the user may know of, filtered, with the
// new-case form for those who may open one. ?alert=ID prefills the form
// from an alert.
func (h *handler) casesPage(w http.ResponseWriter, r *http.Request) error {
	v := casesView{}
	v.Filter, v.Problems = parseCasesFilter(r)
	form := caseForm{Status: string(casework.Monitoring), Level: string(casework.Internal)}
	if id, err := strconv.ParseInt(r.FormValue("alert"), 10, 64); err == nil && id > 0 {
		if err := h.prefillFromAlert(r, &form, id); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusBadRequest
	}
	return h.renderCases(w, r, status, v, form)
}

// prefillFromAlert fills the new-case form with an alert's place and
// title, for the users who may read alerts; others get an empty form.
func (h *handler) prefillFromAlert(r *http.Request, f *caseForm, id int64) error {
	if h.Alerts == nil || alertReaders.Check(server.PrincipalFrom(r.Context())) != nil {
		return nil
	}
	a, _, err := h.Alerts.Get(r.Context(), id)
	if errors.Is(err, alert.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return fmt.Errorf("alert %d: %w", id, err)
	}
	f.Title, f.Countries, f.Admin1, f.FromAlert, f.AlertTitle = a.Title, a.Country, a.Admin1, a.ID, a.Title
	return nil
}

// renderCases reads the list v's filter selects and renders it with form.
func (h *handler) renderCases(w http.ResponseWriter, r *http.Request, status int, v casesView, form caseForm) error {
	ctx := r.Context()
	q := v.Filter.q
	q.Limit = casesLimit
	cs, n, err := h.Cases.List(ctx, viewer(r), q)
	if err != nil {
		return caseError(err)
	}
	for _, c := range cs {
		v.Rows = append(v.Rows, newCaseRow(c))
	}
	v.Total, v.Capped = n, n > len(cs)
	v.Statuses = []option{{Value: "", Label: "Any"}}
	for _, s := range casework.Statuses() {
		v.Statuses = append(v.Statuses, option{Value: string(s), Label: statusText(s), Selected: string(s) == v.Filter.Status})
	}
	v.Levels = []option{{Value: "", Label: "Any"}}
	for _, l := range casework.Levels() {
		v.Levels = append(v.Levels, option{Value: string(l), Label: levelText(l), Selected: string(l) == v.Filter.Level})
	}
	p := server.PrincipalFrom(ctx)
	v.CanCreate = caseWriters.Check(p) == nil
	if v.CanCreate {
		for _, s := range casework.Statuses() {
			if s != casework.Closed {
				form.Statuses = append(form.Statuses, option{Value: string(s), Label: statusText(s), Selected: string(s) == form.Status})
			}
		}
		for _, l := range casework.Levels() {
			form.Levels = append(form.Levels, option{Value: string(l), Label: levelText(l), Selected: string(l) == form.Level})
		}
		if form.Orgs, err = h.orgOptions(r, p.OrgName, nil, form.Orgs); err != nil {
			return err
		}
	}
	v.Form = form
	h.render(w, r, status, "cases", "Cases", v)
	return nil
}

// orgOptions lists the organisations a case may be shared with: every one
// but owner, those in shared checked. A form's own choices (prev), when
// given, are kept.
func (h *handler) orgOptions(r *http.Request, owner string, shared []string, prev []option) ([]option, error) {
	if prev != nil {
		return prev, nil
	}
	orgs, err := h.Admin.ListOrgs(r.Context())
	if err != nil {
		return nil, fmt.Errorf("organisations: %w", err)
	}
	var out []option
	for _, o := range orgs {
		if o.Name == owner {
			continue
		}
		out = append(out, option{Value: o.Name, Label: o.Name, Selected: slices.Contains(shared, o.Name)})
	}
	slices.SortFunc(out, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return out, nil
}

// parseCasesFilter reads the filter form; bad values are dropped and
// reported.
func parseCasesFilter(r *http.Request) (casesFilter, []string) {
	var f casesFilter
	var problems []string
	if q := strings.TrimSpace(r.FormValue("q")); q != "" {
		f.Q, f.q.Q = q, q
	}
	if s := strings.TrimSpace(r.FormValue("status")); s != "" {
		st, err := casework.ParseStatus(s)
		if err != nil {
			problems = append(problems, "Status: "+strconv.Quote(s)+" is not a status")
		} else {
			f.Status, f.q.Status = string(st), []casework.Status{st}
		}
	}
	if c := strings.ToUpper(strings.TrimSpace(r.FormValue("country"))); c != "" {
		if !isISO3(c) {
			problems = append(problems, "Country: "+strconv.Quote(c)+" is not an ISO 3166-1 alpha-3 code like CAF")
		} else {
			f.Country, f.q.Country = c, c
		}
	}
	if o := strings.TrimSpace(r.FormValue("lead_office")); o != "" {
		f.LeadOffice, f.q.LeadOffice = o, o
	}
	if l := strings.TrimSpace(r.FormValue("confidentiality")); l != "" {
		lv, err := casework.ParseConfidentiality(l)
		if err != nil {
			problems = append(problems, "Confidentiality: "+strconv.Quote(l)+" is not a level")
		} else {
			f.Level, f.q.Confidentiality = string(lv), lv
		}
	}
	return f, problems
}

func isISO3(s string) bool {
	return len(s) == 3 && !strings.ContainsFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' })
}

// createCase opens a case from the new-case form and shows it. A refused
// form comes back with its values and the reason. A case opened from an
// alert offers that alert first in its action form.
func (h *handler) createCase(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	form := caseForm{Title: r.PostFormValue("title"), Countries: r.PostFormValue("countries"), Admin1: r.PostFormValue("admin1"),
		LeadOffice: r.PostFormValue("lead_office"), Status: r.PostFormValue("status"), Level: r.PostFormValue("confidentiality")}
	form.FromAlert, _ = strconv.ParseInt(r.PostFormValue("from_alert"), 10, 64)
	shared := r.PostForm["shared_with"]
	places, perr := parsePlaces(form.Countries, form.Admin1)
	c := casework.Case{Title: form.Title, Places: places, Status: casework.Status(form.Status), LeadOffice: form.LeadOffice,
		Confidentiality: casework.Confidentiality(form.Level), SharedWith: shared}
	var err error
	if perr == nil {
		c, err = h.Cases.Create(ctx, viewer(r), c)
	}
	if perr != nil || errors.Is(err, casework.ErrInvalid) {
		msg := ""
		if perr != nil {
			msg = perr.Error()
		} else {
			msg = err.Error()
		}
		p := server.PrincipalFrom(ctx)
		if form.Orgs, err = h.orgOptions(r, p.OrgName, shared, nil); err != nil {
			return err
		}
		if form.FromAlert > 0 {
			var from caseForm
			if err := h.prefillFromAlert(r, &from, form.FromAlert); err != nil || from.FromAlert == 0 {
				form.FromAlert = 0
			}
			form.AlertTitle = from.AlertTitle
		}
		return h.renderCases(w, r, http.StatusUnprocessableEntity, casesView{FormError: msg}, form)
	}
	if err != nil {
		return caseError(err)
	}
	to := "/cases/" + strconv.FormatInt(c.ID, 10) + "?done=created"
	if form.FromAlert > 0 {
		to += "&alert=" + strconv.FormatInt(form.FromAlert, 10) + "#log-action"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// parsePlaces reads the form's countries (ISO alpha-3 codes separated by
// commas or spaces) and admin-1 areas (one a line, "Area" when there is
// one country, else "ISO/Area"). A country with areas is narrowed to
// them.
func parsePlaces(countries, admin1 string) ([]casework.Place, error) {
	codes := strings.FieldsFunc(strings.ToUpper(countries), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	codes = slices.Compact(codes)
	areas := map[string][]string{}
	for _, line := range strings.Split(admin1, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		iso, area, ok := strings.Cut(line, "/")
		switch {
		case ok && isISO3(strings.ToUpper(strings.TrimSpace(iso))):
			iso, area = strings.ToUpper(strings.TrimSpace(iso)), strings.TrimSpace(area)
			if !slices.Contains(codes, iso) {
				codes = append(codes, iso)
			}
		case len(codes) == 1:
			iso, area = codes[0], line
		default:
			return nil, fmt.Errorf("admin-1 area %q: with several countries, write it as ISO/Area, e.g. CAF/Ouaka", line)
		}
		areas[iso] = append(areas[iso], area)
	}
	var out []casework.Place
	for _, c := range codes {
		if len(areas[c]) == 0 {
			out = append(out, casework.Place{Country: c})
		}
		for _, a := range areas[c] {
			out = append(out, casework.Place{Country: c, Admin1: a})
		}
	}
	return out, nil
}

// unansweredRow is a warning nobody has answered, for the inbox.
type unansweredRow struct {
	ID                     int64
	Title, Place, Severity string
	State                  string
	Fired                  string
	Age                    string // "21 days"
}

// unanswered lists the warnings older than the inbox's age (14 days, or
// unanswered_days) that no case action answers and nobody has decided
// on, oldest first, from casework's warning-to-action report. It returns
// nil, 0 when the case pages are not registered.
func (h *handler) unanswered(r *http.Request) ([]unansweredRow, int, error) {
	if h.Cases == nil {
		return nil, 0, nil
	}
	days := unansweredDays
	if d, err := strconv.Atoi(r.FormValue("unanswered_days")); err == nil && d >= 0 && d <= 3650 {
		days = d
	}
	rep, err := h.Cases.Report(r.Context(), viewer(r), time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, days, fmt.Errorf("warning-to-action report: %w", err)
	}
	var out []unansweredRow
	for _, u := range rep.Unanswered {
		place := u.Country
		if u.Admin1 != "" {
			place += " / " + u.Admin1
		}
		out = append(out, unansweredRow{ID: u.AlertID, Title: u.Title, Place: place, Severity: u.Severity, State: u.State,
			Fired: formatTime(u.FiredAt), Age: daysText(u.AgeDays)})
	}
	return out, days, nil
}

// daysText writes a number of days: "0 days", "1 day", "2.5 days".
func daysText(d float64) string {
	s := strconv.FormatFloat(d, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "1" {
		return "1 day"
	}
	return s + " days"
}

// alertCases is what an alert's page offers casework: opening a case from
// the alert, and logging an action on a case in its place.
type alertCases struct {
	CanWrite bool       // may open cases and log actions
	Cases    []caseLink // cases the user sees whose places hold the alert's
}

type caseLink struct {
	ID                int64
	Title, StatusText string
	Places, LevelText string
}

// alertCases lists the cases the user may know of whose places hold
// alert a, for its page; nil when the case pages are not registered.
func (h *handler) alertCases(r *http.Request, a alert.Alert) (*alertCases, error) {
	if h.Cases == nil {
		return nil, nil
	}
	out := &alertCases{CanWrite: caseWriters.Check(server.PrincipalFrom(r.Context())) == nil}
	cs, _, err := h.Cases.List(r.Context(), viewer(r), casework.Query{Country: a.Country, Limit: casesLimit})
	if err != nil {
		return nil, fmt.Errorf("cases of %s: %w", a.Country, err)
	}
	for _, c := range cs {
		if c.Status != casework.Closed && inPlaces(a, c.Places) {
			out.Cases = append(out.Cases, caseLink{ID: c.ID, Title: c.Title, StatusText: statusText(c.Status),
				Places: placesText(c.Places), LevelText: levelText(c.Confidentiality)})
		}
	}
	return out, nil
}
