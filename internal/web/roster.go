package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/roster"
	"threshold/internal/server"
)

// The roster pages follow the API's roster policies: the keeper
// organisation's admins, analysts and desk officers read its records and
// match; a mediation expert reads their own record; partner viewers see
// none (package roster applies the rule record by record, and a record
// one may not see is a 404).
var (
	rosterReaders  = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer, auth.MediationExpert)
	rosterMatchers = auth.Allow(auth.Admin, auth.Analyst, auth.DeskOfficer)
)

// rosterCalendarDays is how far ahead the person page's calendar reaches.
const rosterCalendarDays = 91 // 13 weeks

// rosterRoutes registers the roster pages. Requesting a deployment from
// the match page posts the case page's own form (case_mobilise.go).
func (h *handler) rosterRoutes(rs *server.Routes) {
	rs.HandleFunc("GET", "/roster", rosterReaders, h.handle(h.rosterPage))
	rs.HandleFunc("GET", "/roster/match", rosterMatchers, h.handle(h.rosterMatchPage))
	rs.HandleFunc("GET", "/roster/{id}", rosterReaders, h.handle(h.personPage))
}

type rosterView struct {
	Filter    rosterFilter
	Problems  []string
	Kinds     []option
	Areas     []option
	Rows      []personRow
	Total     int  // people the viewer sees before the language, region and availability filters
	CanMatch  bool // the viewer may match (link to the match page)
	FreeLabel string
}

// rosterFilter is the list's filter form, as submitted.
type rosterFilter struct {
	Q, Kind, Area, Language, Region, From, To string
	q                                         roster.Query
	lang                                      roster.Language
	from, to                                  time.Time
}

// Active reports whether any filter is set.
func (f rosterFilter) Active() bool {
	return f.Q != "" || f.Kind != "" || f.Area != "" || f.Language != "" || f.Region != "" || f.From != "" || f.To != ""
}

// personRow is one person in the list.
type personRow struct {
	ID        int64
	Name      string
	Kind      string
	Expertise string
	Languages string
	Places    string
	Clearance string
	Contract  string
	Org       string
	Today     string // available, on-deployment, unavailable
}

func newPersonRow(p roster.Person, today time.Time) personRow {
	status := string(roster.Available)
	if cal := roster.Calendar(p, today, today); len(cal) == 1 {
		status = string(cal[0].Status)
	}
	return personRow{ID: p.ID, Name: p.Name, Kind: kindText(p.Kind), Expertise: expertiseText(p.Expertise),
		Languages: languagesText(p.Languages), Places: placesOf(p), Clearance: levelText(p.Clearance),
		Contract: string(p.Contract), Org: p.Org, Today: status}
}

func kindText(k roster.Kind) string { return strings.ReplaceAll(string(k), "-", " ") }

// expertiseText writes "Process design 3/3, Elections 1/3".
func expertiseText(es []roster.Expertise) string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s %d/3", areaLabel(e.Area), e.Level))
	}
	return strings.Join(out, ", ")
}

// languagesText writes "en C1, fr native".
func languagesText(ls []roster.Language) string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Code+" "+string(l.Level))
	}
	return strings.Join(out, ", ")
}

// placesOf writes a person's countries, then the regions named outright
// or derived from them: "CAF, TCD; Africa, Middle Africa, …".
func placesOf(p roster.Person) string {
	s := strings.Join(p.Countries, ", ")
	if len(p.Regions) > 0 {
		if s != "" {
			s += "; "
		}
		s += strings.Join(p.Regions, ", ")
	}
	return s
}

// parseRosterFilter reads the filter form; what cannot be used is a
// problem and is ignored.
func parseRosterFilter(r *http.Request) (rosterFilter, []string) {
	q := r.URL.Query()
	f := rosterFilter{Q: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Area: q.Get("area"),
		Language: strings.TrimSpace(q.Get("language")), Region: strings.TrimSpace(q.Get("region")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	var problems []string
	f.q = roster.Query{Q: f.Q, Calendar: true}
	if f.Kind != "" {
		if !slices.Contains(roster.Kinds(), roster.Kind(f.Kind)) {
			problems = append(problems, fmt.Sprintf("Kind: %q is not envoy, mediation-expert or support-staff.", f.Kind))
			f.Kind = ""
		}
		f.q.Kind = roster.Kind(f.Kind)
	}
	if f.Area != "" {
		a, err := roster.ParseArea(f.Area)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Expertise: %q is not an expertise area.", f.Area))
			f.Area = ""
		}
		f.q.Area, f.Area = a, string(a)
	}
	if f.Language != "" {
		l, err := roster.ParseLanguage(f.Language)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Language: %q is not a code such as fr or fr:B2.", f.Language))
			f.Language = ""
		} else if !strings.Contains(f.Language, ":") {
			l.Level = roster.A1 // any level
		}
		f.lang = l
	}
	var err error
	if f.from, err = parseDay("Free from", f.From); err != nil {
		problems, f.From = append(problems, err.Error()+"."), ""
	}
	if f.to, err = parseDay("Free to", f.To); err != nil {
		problems, f.To = append(problems, err.Error()+"."), ""
	}
	switch {
	case f.from.IsZero() && !f.to.IsZero():
		f.from = f.to
	case !f.from.IsZero() && f.to.IsZero():
		f.to = f.from
	}
	if f.to.Before(f.from) || f.to.Sub(f.from) > roster.MaxDays*24*time.Hour {
		problems = append(problems, fmt.Sprintf("Free from %s to %s is not a window of 1 to %d days.", f.From, f.To, roster.MaxDays))
		f.from, f.to, f.From, f.To = time.Time{}, time.Time{}, "", ""
	}
	return f, problems
}

// keep reports whether p passes the filters the store does not apply:
// a language at or above a level, a country or region known, and being
// available for every day of a window.
func (f rosterFilter) keep(p roster.Person) bool {
	if f.lang.Code != "" && !slices.ContainsFunc(p.Languages, func(l roster.Language) bool {
		return l.Code == f.lang.Code && l.Level.Rank() >= f.lang.Level.Rank()
	}) {
		return false
	}
	if f.Region != "" && !slices.ContainsFunc(p.Countries, func(c string) bool { return strings.EqualFold(c, f.Region) }) &&
		!slices.ContainsFunc(p.Regions, func(r string) bool { return strings.EqualFold(r, f.Region) }) {
		return false
	}
	if !f.from.IsZero() {
		cal := roster.Calendar(p, f.from, f.to)
		if len(cal) != 1 || cal[0].Status != roster.Available {
			return false
		}
	}
	return true
}

// rosterPage lists the people the user may see, filtered by words, kind,
// expertise, language, region and availability in a window.
func (h *handler) rosterPage(w http.ResponseWriter, r *http.Request) error {
	vw := viewer(r)
	v := rosterView{CanMatch: roster.CanWrite(vw) && h.Cases != nil}
	v.Filter, v.Problems = parseRosterFilter(r)
	for _, k := range roster.Kinds() {
		v.Kinds = append(v.Kinds, option{Value: string(k), Label: kindText(k), Selected: v.Filter.Kind == string(k)})
	}
	for _, a := range roster.Areas() {
		v.Areas = append(v.Areas, option{Value: string(a), Label: areaLabel(a), Selected: v.Filter.Area == string(a)})
	}
	people, err := h.Roster.List(r.Context(), vw, v.Filter.q)
	if err != nil {
		return rosterError(err)
	}
	v.Total = len(people)
	today := roster.Day(h.Now())
	for _, p := range people {
		if v.Filter.keep(p) {
			v.Rows = append(v.Rows, newPersonRow(p, today))
		}
	}
	if !v.Filter.from.IsZero() {
		v.FreeLabel = v.Filter.from.Format(time.DateOnly) + " to " + v.Filter.to.Format(time.DateOnly)
	}
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "roster", "Roster", v)
	return nil
}

type personView struct {
	personRow
	Email       string
	Notes       string
	Regions     string
	Countries   string
	Weeks       [][]calendarDay // the calendar, Monday first
	Spans       []spanRow
	Unavailable []spanRow
	Deployments []personDeploymentRow
	From, To    string
}

// personDeploymentRow is one deployment in a person's history.
type personDeploymentRow struct {
	deploymentRow
	CaseID int64
}

// calendarDay is one day of the person's calendar.
type calendarDay struct {
	Date   string // 2025-11-20
	Day    int    // 20; 0 for a padding cell before the first day
	Status string
	Title  string
}

type spanRow struct {
	Start, End string
	Status     string
	Deployment int64
	Note       string
}

// personPage shows one person's record, their availability calendar for
// the coming weeks and their deployment history. Reading it is audited
// (package roster).
func (h *handler) personPage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	p, err := h.Roster.Get(r.Context(), viewer(r), id)
	if err != nil {
		return rosterError(err)
	}
	today := roster.Day(h.Now())
	end := today.AddDate(0, 0, rosterCalendarDays-1)
	v := personView{personRow: newPersonRow(p, today), Email: p.Email, Notes: p.Notes, Regions: strings.Join(p.Regions, ", "),
		Countries: strings.Join(p.Countries, ", "), From: today.Format(time.DateOnly), To: end.Format(time.DateOnly)}
	cal := roster.Calendar(p, today, end)
	for _, s := range cal {
		v.Spans = append(v.Spans, spanRow{Start: s.Start.Format(time.DateOnly), End: s.End.Format(time.DateOnly),
			Status: string(s.Status), Deployment: s.DeploymentID})
	}
	v.Weeks = calendarWeeks(cal)
	for _, u := range p.Unavailable {
		v.Unavailable = append(v.Unavailable, spanRow{Start: u.Start.Format(time.DateOnly), End: u.End.Format(time.DateOnly),
			Status: string(roster.Away), Note: u.Note})
	}
	for i, row := range deploymentRows(p.Deployments, false) {
		v.Deployments = append(v.Deployments, personDeploymentRow{row, p.Deployments[i].CaseID})
	}
	h.render(w, r, http.StatusOK, "person", p.Name, v)
	return nil
}

// calendarWeeks lays the spans' days out in weeks from Monday, padding
// the first week.
func calendarWeeks(spans []roster.Span) [][]calendarDay {
	var weeks [][]calendarDay
	var week []calendarDay
	for _, s := range spans {
		for d := s.Start; !d.After(s.End); d = d.AddDate(0, 0, 1) {
			if week == nil {
				week = make([]calendarDay, (int(d.Weekday())+6)%7)
			}
			title := d.Format("Mon 2 Jan 2006") + ": " + string(s.Status)
			if s.DeploymentID != 0 {
				title += " (deployment " + strconv.FormatInt(s.DeploymentID, 10) + ")"
			}
			week = append(week, calendarDay{Date: d.Format(time.DateOnly), Day: d.Day(), Status: string(s.Status), Title: title})
			if len(week) == 7 {
				weeks, week = append(weeks, week), nil
			}
		}
	}
	if week != nil {
		weeks = append(weeks, week)
	}
	return weeks
}

type rosterMatchView struct {
	Cases  []option
	CaseID int64
	Owned  bool // the viewer's organisation owns the case: it may request deployments
	*mobiliseView
}

// rosterMatchLimit is the most cases the match page offers.
const rosterMatchLimit = 500

// rosterMatchPage matches the roster for a case the user may know of and
// a requested profile, ranking the people free for the window with the
// reasons for each rank; for a case the user's organisation owns, each
// candidate has the request form of the case page.
func (h *handler) rosterMatchPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	vw := viewer(r)
	if !roster.CanWrite(vw) || h.Cases == nil {
		return fmt.Errorf("%w: role %s may not match the roster", auth.ErrForbidden, vw.Role)
	}
	cases, _, err := h.Cases.List(ctx, vw, casework.Query{Limit: rosterMatchLimit})
	if err != nil {
		return caseError(err)
	}
	v := rosterMatchView{mobiliseView: &mobiliseView{Roster: true}}
	q := r.URL.Query()
	if s := q.Get("case"); s != "" {
		if v.CaseID, err = strconv.ParseInt(s, 10, 64); err != nil || v.CaseID <= 0 {
			return badRequest("Case: %q is not a case number.", s)
		}
	}
	var chosen *casework.Case
	for i, c := range cases {
		sel := c.ID == v.CaseID
		if sel {
			chosen = &cases[i]
		}
		v.Cases = append(v.Cases, option{Value: strconv.FormatInt(c.ID, 10), Label: fmt.Sprintf("#%d %s (%s)", c.ID, c.Title, placesText(c.Places)), Selected: sel})
	}
	if v.CaseID != 0 && chosen == nil {
		c, err := h.Cases.Get(ctx, vw, v.CaseID) // beyond the list's limit, or a case one may not know of (404)
		if err != nil {
			return caseError(err)
		}
		chosen = &c
		v.Cases = append(v.Cases, option{Value: strconv.FormatInt(c.ID, 10), Label: fmt.Sprintf("#%d %s", c.ID, c.Title), Selected: true})
	}
	m := v.mobiliseView
	skills := q["skill"]
	for _, a := range roster.Areas() {
		m.Skills = append(m.Skills, option{Value: string(a), Label: areaLabel(a), Selected: slices.Contains(skills, string(a))})
	}
	m.Languages = strings.TrimSpace(q.Get("languages"))
	if m.Start = strings.TrimSpace(q.Get("start")); m.Start == "" {
		m.Start = roster.Day(h.Now()).AddDate(0, 0, 3).Format(time.DateOnly)
	}
	m.Days = defaultDeploymentDays
	if s := q.Get("days"); s != "" {
		if m.Days, err = strconv.Atoi(s); err != nil {
			m.Problem = fmt.Sprintf("Days: %q is not a number of days.", s)
		}
	}
	if chosen != nil {
		if p := server.PrincipalFrom(ctx); p != nil && p.OrgID == chosen.OwnerOrgID {
			v.Owned = true
		}
	}
	if chosen != nil && m.Problem == "" && q.Get("match") != "" {
		if err := h.match(ctx, vw, *chosen, m, skills); err != nil {
			return err
		}
	}
	h.render(w, r, http.StatusOK, "roster_match", "Match the roster", v)
	return nil
}

// visibleCases lists the cases vw may know of for a form's select (those
// organisation owner owns; any, for owner 0), by number and title.
func visibleCases(ctx context.Context, cs Cases, vw casework.Viewer, owner int64) ([]option, error) {
	list, _, err := cs.List(ctx, vw, casework.Query{Limit: rosterMatchLimit})
	if err != nil {
		return nil, caseError(err)
	}
	var out []option
	for _, c := range list {
		if owner == 0 || c.OwnerOrgID == owner {
			out = append(out, option{Value: strconv.FormatInt(c.ID, 10), Label: fmt.Sprintf("#%d %s", c.ID, c.Title)})
		}
	}
	return out, nil
}
