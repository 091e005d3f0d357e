package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/indicator"
	"threshold/internal/roster"
	"threshold/internal/server"
	"threshold/internal/store"
)

// indicatorReader reads stored indicators. *store.DB, the dashboard's
// usual Deps.Data, implements it; the case timeline charts the monthly
// fatalities_best of the case's countries from it, and leaves the chart
// out when Deps.Data does not.
type indicatorReader interface {
	Indicators(ctx context.Context, q store.IndicatorQuery) ([]indicator.Value, error)
}

type caseView struct {
	Case       casework.Case
	StatusText string
	LevelText  string
	Places     []casePlace
	History    []statusRow
	Timeline   caseTimeline
	Actions    []actionRow
	Done       string

	AlertsOn bool // the user may read alerts: the timeline, the form and the report show them
	// Answered is each alert linked to the case's actions, with the time
	// to the first action that followed it.
	Answered []answeredRow
	Summary  *casework.Summary // the case's warning-to-action time; nil if no alert was answered
	Median   string
	P90      string

	CanAct      bool // may log actions
	CanEdit     bool // may change the status and the sharing list (owner organisation's writers)
	ActionTypes []option
	Choices     []alertChoice // the open alerts of the case's places, for the action form
	DefaultAt   string        // the action form's date and time, now
	Transitions []option      // the statuses the case may go to
	Orgs        []option      // the sharing list's checkboxes

	// DeploymentsOn: the roster is wired; Deployments are the case's
	// deployments of the people the user may see.
	DeploymentsOn bool
	Deployments   []deploymentRow
	AgreementsOn  bool // the timeline has the agreements' lane
	// Mobilise is the mediator and fund sections, for the owner
	// organisation's writers; nil for everyone else.
	Mobilise *mobiliseView
}

type casePlace struct {
	Country, Name, Admin1 string
	Known                 bool // the country has a page
}

type statusRow struct {
	At, From, To, Actor, Note string
}

type actionRow struct {
	ID               int64
	Type, TypeText   string
	At               string
	Actors, Partners string
	Alerts           []int64
	Outcome          string
	RecordedBy       string
	RecordedAt       string
	Anchor           string // the row's id, for the timeline's links
}

type alertChoice struct {
	ID                     int64
	Title, Place, Severity string
	State                  string
	Fired                  string
	Checked                bool
}

type answeredRow struct {
	AlertID      int64
	Title, Place string
	Fired        string
	ActionID     int64
	ActionAt     string
	Time         string // "3 days"; "" while no action followed the alert
}

// casePage shows one case the user may know of: its places, status and
// history, its timeline (the indicator chart of its countries, the alerts
// and the actions on one time axis), its actions, the warning-to-action
// time, and the forms the user's role and organisation allow. A case the
// user may not know of is a 404, as in the API; casework audits reads of
// confidential cases.
func (h *handler) casePage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	ctx := r.Context()
	vw := viewer(r)
	c, err := h.Cases.Get(ctx, vw, id)
	if err != nil {
		return caseError(err)
	}
	acts, err := h.Cases.Actions(ctx, vw, casework.ActionQuery{CaseID: id})
	if err != nil {
		return caseError(err)
	}
	p := server.PrincipalFrom(ctx)
	v := caseView{Case: c, StatusText: statusText(c.Status), LevelText: levelText(c.Confidentiality), Done: caseDone[r.FormValue("done")]}
	v.AlertsOn = h.Alerts != nil && alertReaders.Check(p) == nil
	v.CanAct = caseWriters.Check(p) == nil && vw.CanWrite()
	v.CanEdit = v.CanAct && p.OrgID == c.OwnerOrgID
	for _, pl := range c.Places {
		cp := casePlace{Country: pl.Country, Name: pl.Country, Admin1: pl.Admin1}
		if g, ok := h.Geo.Lookup(pl.Country); ok {
			cp.Name, cp.Known = g.Name, true
		}
		v.Places = append(v.Places, cp)
	}
	for _, s := range c.History {
		v.History = append(v.History, statusRow{At: formatTime(s.At), From: statusText(s.From), To: statusText(s.To), Actor: s.Actor, Note: s.Note})
	}
	// Oldest first, for the list and the timeline.
	slices.SortStableFunc(acts, func(a, b casework.Action) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	for _, a := range acts {
		v.Actions = append(v.Actions, actionRow{ID: a.ID, Type: string(a.Type), TypeText: a.Type.Label(), At: formatTime(a.At),
			Actors: strings.Join(a.Actors, ", "), Partners: strings.Join(a.Partners, ", "), Alerts: a.Alerts, Outcome: a.Outcome,
			RecordedBy: a.RecordedBy, RecordedAt: formatTime(a.RecordedAt), Anchor: "action-" + strconv.FormatInt(a.ID, 10)})
	}

	var alerts []alert.Alert // on the timeline: linked to an action, or in the case's places
	if v.AlertsOn {
		if alerts, err = h.caseAlerts(ctx, c, acts); err != nil {
			return err
		}
		v.Answered = answeredAlerts(alerts, acts)
		rep, err := h.Cases.Report(ctx, vw, unansweredDays*24*time.Hour)
		if err != nil {
			return caseError(err)
		}
		key := strconv.FormatInt(c.ID, 10)
		for i := range rep.ByCase {
			if s := rep.ByCase[i]; s.Key == key && s.Count > 0 {
				v.Summary, v.Median, v.P90 = &s, daysText(s.MedianDays), daysText(s.P90Days)
			}
		}
	}
	series, err := h.caseSeries(ctx, c)
	if err != nil {
		return err
	}
	// The deployments are for those the roster shows people to: partner
	// viewers see no lane and no table of them.
	v.DeploymentsOn = h.Roster != nil && (roster.CanWrite(vw) || vw.Role == auth.MediationExpert)
	var deps []roster.Deployment
	if v.DeploymentsOn {
		if deps, err = h.caseDeployments(ctx, vw, c.ID); err != nil {
			return err
		}
	}
	agrs, err := h.caseAgreements(ctx, vw, c.ID)
	if err != nil {
		return err
	}
	v.Timeline = newCaseTimeline(series, alerts, acts, c.CreatedAt, strings.Join(c.Countries, ", "),
		timelineMore{Deployments: deps, Agreements: agrs, DeploymentsOn: v.DeploymentsOn, AgreementsOn: h.Agreements != nil})
	v.AgreementsOn = h.Agreements != nil

	if v.CanAct {
		for _, t := range casework.ActionTypes() {
			v.ActionTypes = append(v.ActionTypes, option{Value: string(t), Label: t.Label()})
		}
		v.DefaultAt = h.Now().UTC().Format("2006-01-02T15:04")
		pre, _ := strconv.ParseInt(r.FormValue("alert"), 10, 64)
		for _, a := range alerts {
			if inPlaces(a, c.Places) && a.State.Open() {
				v.Choices = append(v.Choices, alertChoice{ID: a.ID, Title: a.Title, Place: a.Place(), Severity: string(a.Severity),
					State: string(a.State), Fired: formatTime(a.FiredAt), Checked: a.ID == pre})
			}
		}
	}
	if v.CanEdit {
		for _, s := range casework.Statuses() {
			if s != c.Status && casework.CheckTransition(c.Status, s) == nil {
				v.Transitions = append(v.Transitions, option{Value: string(s), Label: statusText(s)})
			}
		}
		if v.Orgs, err = h.orgOptions(r, c.OwnerOrg, c.SharedWith, nil); err != nil {
			return err
		}
		if v.Mobilise, err = h.mobilise(r, vw, c); err != nil {
			return err
		}
	}
	v.Deployments = deploymentRows(deps, v.Mobilise != nil && v.Mobilise.Roster)
	h.render(w, r, http.StatusOK, "case", "Case "+strconv.FormatInt(c.ID, 10)+": "+c.Title, v)
	return nil
}

// caseDone are the status lines after a change, by the done query value.
var caseDone = map[string]string{
	"created": "Case opened.",
	"action":  "Action logged.",
	"status":  "Status changed.",
	"sharing": "Sharing list saved.",

	"deployment": "Deployment requested.",
	"approved":   "Deployment approved.",
	"rejected":   "Deployment rejected.",
	"allocated":  "Allocation posted.",
	"pending":    "Allocation requested: above the approval threshold, it waits for an admin's approval.",
}

// caseAlerts returns the alerts of a case's timeline, oldest first: those
// its actions answer, and those of its places (a country-wide alert
// concerns each of the country's areas).
func (h *handler) caseAlerts(ctx context.Context, c casework.Case, acts []casework.Action) ([]alert.Alert, error) {
	byID := map[int64]alert.Alert{}
	for _, iso := range c.Countries {
		groups, err := h.Alerts.Groups(ctx, alert.Query{Country: iso, Limit: inboxLimit})
		if err != nil {
			return nil, fmt.Errorf("alerts of %s: %w", iso, err)
		}
		for _, g := range groups {
			for _, a := range g.Alerts {
				if inPlaces(a, c.Places) {
					byID[a.ID] = a
				}
			}
		}
	}
	for _, act := range acts {
		for _, id := range act.Alerts {
			if _, ok := byID[id]; ok {
				continue
			}
			a, _, err := h.Alerts.Get(ctx, id)
			if errors.Is(err, alert.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("alert %d: %w", id, err)
			}
			byID[id] = a
		}
	}
	out := make([]alert.Alert, 0, len(byID))
	for _, a := range byID {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b alert.Alert) int { return cmp.Or(a.FiredAt.Compare(b.FiredAt), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// inPlaces reports whether an alert concerns one of places: the whole
// country, or an area the places name (a country-wide alert concerns every
// area of it).
func inPlaces(a alert.Alert, places []casework.Place) bool {
	for _, p := range places {
		if p.Country == a.Country && (p.Admin1 == "" || a.Admin1 == "" || strings.EqualFold(p.Admin1, a.Admin1)) {
			return true
		}
	}
	return false
}

// answeredAlerts lists each alert linked to the actions, with the first
// linked action dated at or after it fired: the warning-to-action time
// as casework computes it (see casework.Compute).
func answeredAlerts(alerts []alert.Alert, acts []casework.Action) []answeredRow {
	byID := map[int64]alert.Alert{}
	for _, a := range alerts {
		byID[a.ID] = a
	}
	var out []answeredRow
	seen := map[int64]bool{}
	for _, act := range acts { // oldest first
		for _, id := range act.Alerts {
			if seen[id] {
				continue
			}
			a, ok := byID[id]
			if !ok {
				continue
			}
			if act.At.Before(a.FiredAt) {
				continue // it answers nothing: a later action may
			}
			seen[id] = true
			out = append(out, answeredRow{AlertID: id, Title: a.Title, Place: a.Place(), Fired: formatTime(a.FiredAt),
				ActionID: act.ID, ActionAt: formatTime(act.At), Time: daysText(act.At.Sub(a.FiredAt).Hours() / 24)})
		}
	}
	for _, act := range acts {
		for _, id := range act.Alerts {
			if a, ok := byID[id]; ok && !seen[id] {
				seen[id] = true
				out = append(out, answeredRow{AlertID: id, Title: a.Title, Place: a.Place(), Fired: formatTime(a.FiredAt)})
			}
		}
	}
	return out
}

// caseSeries returns the monthly fatalities_best of the case's countries
// (whole countries, summed) from the stored indicators; nil when Deps.Data
// does not read indicators.
func (h *handler) caseSeries(ctx context.Context, c casework.Case) ([]monthly, error) {
	ir, ok := h.Data.(indicatorReader)
	if !ok {
		return nil, nil
	}
	whole := ""
	byMonth := map[time.Time]float64{}
	for _, iso := range c.Countries {
		vals, err := ir.Indicators(ctx, store.IndicatorQuery{Country: iso, Admin1: &whole, Kind: indicator.Month, Name: "fatalities_best"})
		if err != nil {
			return nil, fmt.Errorf("indicators of %s: %w", iso, err)
		}
		for _, v := range vals {
			byMonth[v.Start] += v.Value
		}
	}
	if len(byMonth) == 0 {
		return nil, nil
	}
	months := slicesSortedTimes(byMonth)
	var out []monthly
	for m := months[0]; !m.After(months[len(months)-1]); m = m.AddDate(0, 1, 0) {
		out = append(out, monthly{Month: m, Label: m.Format("Jan 2006"), Fatalities: int(math.Round(byMonth[m]))})
	}
	return out, nil
}

func slicesSortedTimes(m map[time.Time]float64) []time.Time {
	out := make([]time.Time, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// caseTimeline is a case's history on one time axis: the monthly
// fatalities of its countries as bars, and lanes of markers below them
// for the alerts (at FiredAt) and the actions (at their date); with the
// roster, a lane of the deployments (a bar from first to last day,
// coloured by status); with the agreements, a lane of their milestones
// (the signing day, each provision's status changes). Coordinates are SVG
// user units, as in chart.
type caseTimeline struct {
	Width, Height float64
	Left, Right   float64
	Top, Bottom   float64 // the fatalities panel
	TitleY        float64
	Title         string
	YLabelX       float64
	YTicks        []chartTick
	Bars          []chartBar
	Windows       []chartBar // the alerts' windows, shaded behind the bars
	HasSeries     bool
	Lanes         []timelineLane
	XTicks        []chartTick
	XAxisY        float64
	TickTop       float64
	TickBottom    float64
	Span          string // "Jan 1989 – Nov 2025"
	SeriesSpan    string // the months the stored indicators cover
	Empty         bool   // nothing to draw
}

type timelineLane struct {
	Label  string
	Class  string
	Y      float64 // the lane's line
	LabelY float64
	Marks  []timelineMark
	Bars   []timelineBar
}

type timelineMark struct {
	X, Y  float64
	Href  string // "" links nowhere
	Title string
	Class string // "" is a plain marker
}

// timelineBar is a span on a lane: a deployment's window.
type timelineBar struct {
	X, Y, W, H float64
	Href       string
	Title      string
	Class      string
}

// timelineMore is what the timeline draws besides the series, alerts and
// actions: the lanes of deployments and agreement milestones, each drawn
// (even empty) when its service is wired.
type timelineMore struct {
	Deployments   []roster.Deployment
	Agreements    []agreement.Agreement // with their provisions
	DeploymentsOn bool
	AgreementsOn  bool
}

// caseAgreements returns the agreements linked to the case, with their
// provisions and status histories; nil without Deps.Agreements.
func (h *handler) caseAgreements(ctx context.Context, vw casework.Viewer, id int64) ([]agreement.Agreement, error) {
	if h.Agreements == nil {
		return nil, nil
	}
	list, err := h.Agreements.List(ctx, vw, agreement.Query{CaseID: id})
	if err != nil {
		if errors.Is(err, agreement.ErrNotFound) {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("agreements of case %d: %w", id, err)
	}
	out := make([]agreement.Agreement, 0, len(list))
	for _, a := range list {
		full, err := h.Agreements.Get(ctx, vw, a.ID)
		if errors.Is(err, agreement.ErrNotFound) {
			continue // gone in the meantime
		} else if err != nil {
			return nil, fmt.Errorf("agreement %d: %w", a.ID, err)
		}
		out = append(out, full)
	}
	slices.SortFunc(out, func(a, b agreement.Agreement) int { return cmp.Or(a.Signed.Compare(b.Signed), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

const (
	laneHeight = 34.0
	markSize   = 6.0
)

// timelineLead is how far before the case's first dated fact (an alert's
// window or firing, an action, the case's opening) the timeline starts,
// to show what led up to it.
const timelineLead = 24 // months

// newCaseTimeline lays out the timeline from timelineLead months before
// the case's first dated fact (or the series' start, if later) to the
// last month of the series or the markers. Each alert's window is shaded
// on the series, its firing marked in the alerts' lane.
func newCaseTimeline(series []monthly, alerts []alert.Alert, acts []casework.Action, opened time.Time, countries string, more timelineMore) caseTimeline {
	c := caseTimeline{Width: chartWidth, Left: chartLeft, Right: chartWidth - chartRight, YLabelX: chartLeft - 6,
		Top: chartTop, Bottom: chartTop + panelHeight, TitleY: chartTop - 10,
		Title: "Fatalities per month (best estimate), " + countries}
	var first, last time.Time
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		if first.IsZero() || m.Before(first) {
			first = m
		}
		if m.After(last) {
			last = m
		}
	}
	for _, m := range series {
		see(m.Month)
	}
	for _, a := range alerts {
		see(a.FiredAt)
	}
	for _, a := range acts {
		see(a.At)
	}
	for _, d := range more.Deployments {
		see(d.Start)
		see(d.End())
	}
	for _, a := range more.Agreements {
		see(a.Signed)
		for _, p := range a.Provisions {
			for _, ch := range p.History {
				see(ch.On)
			}
		}
	}
	if first.IsZero() {
		c.Empty, c.Height = true, 0
		return c
	}
	// The axis reaches the case's opening: without it, a case with no
	// action, seen by someone who may not read its alerts, would end with
	// the series, before the lead that starts it.
	see(opened)
	focus := opened
	for _, a := range alerts {
		for _, t := range []time.Time{a.Window.Start, a.FiredAt} {
			if !t.IsZero() && (focus.IsZero() || t.Before(focus)) {
				focus = t
			}
		}
	}
	for _, a := range acts {
		if focus.IsZero() || a.At.Before(focus) {
			focus = a.At
		}
	}
	if !focus.IsZero() {
		lead := time.Date(focus.Year(), focus.Month()-timelineLead, 1, 0, 0, 0, 0, time.UTC)
		if lead.After(first) {
			first = lead
		}
	}
	months := fillMonths(nil, first, last)
	byMonth := map[time.Time]int{}
	for _, m := range series {
		byMonth[m.Month] = m.Fatalities
	}
	for i := range months {
		months[i].Fatalities = byMonth[months[i].Month]
	}
	c.Span = months[0].Label + " – " + months[len(months)-1].Label
	start := first
	plotW := c.Right - c.Left
	step := plotW / float64(len(months))
	// x places an instant on the axis of months, so that markers line up
	// with the bars of their month.
	x := func(t time.Time) float64 {
		t = t.UTC()
		ms := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		idx := (t.Year()-start.Year())*12 + int(t.Month()-start.Month())
		frac := float64(t.Sub(ms)) / float64(ms.AddDate(0, 1, 0).Sub(ms))
		return round1(c.Left + (float64(idx)+frac)*step)
	}

	c.HasSeries = len(series) > 0
	if c.HasSeries {
		c.SeriesSpan = series[0].Label + " – " + series[len(series)-1].Label
	}
	maxV := 0
	for _, m := range months {
		maxV = max(maxV, m.Fatalities)
	}
	ticks, top := niceTicks(maxV)
	scale := panelHeight / float64(top)
	for _, t := range ticks {
		c.YTicks = append(c.YTicks, chartTick{Pos: round1(c.Bottom - float64(t)*scale), Label: formatInt(t)})
	}
	gap := 0.0
	if step >= 4 {
		gap = math.Min(step*0.2, 4)
	}
	for i, m := range months {
		if m.Fatalities == 0 {
			continue
		}
		hgt := math.Max(float64(m.Fatalities)*scale, 1)
		c.Bars = append(c.Bars, chartBar{X: round1(c.Left + float64(i)*step + gap/2), Y: round1(c.Bottom - hgt),
			W: round1(math.Max(step-gap, 0.6)), H: round1(hgt), Title: m.Label + ": " + formatInt(m.Fatalities) + " fatalities"})
	}

	if c.HasSeries {
		for _, a := range alerts {
			w := a.Window
			if w.Start.IsZero() || w.Start.Before(start) {
				continue
			}
			wEnd := w.End.AddDate(0, 0, 1)
			if w.End.IsZero() {
				wEnd = w.Start.AddDate(0, 0, 1)
			}
			x0, x1 := x(w.Start), x(wEnd)
			c.Windows = append(c.Windows, chartBar{X: x0, Y: c.Top, W: round1(math.Max(x1-x0, 1)), H: panelHeight,
				Title: fmt.Sprintf("Alert %d's window: %s", a.ID, windowText(w))})
		}
	}

	y := c.Bottom + laneHeight
	alertLane := timelineLane{Label: "Alerts", Class: "alerts", Y: y}
	for _, a := range alerts {
		alertLane.Marks = append(alertLane.Marks, timelineMark{X: x(a.FiredAt), Y: y, Href: "/alerts/" + strconv.FormatInt(a.ID, 10),
			Title: fmt.Sprintf("Alert %d fired %s: %s", a.ID, formatTime(a.FiredAt), a.Title)})
	}
	y += laneHeight
	actionLane := timelineLane{Label: "Actions", Class: "actions", Y: y}
	for _, a := range acts {
		actionLane.Marks = append(actionLane.Marks, timelineMark{X: x(a.At), Y: y, Href: "#action-" + strconv.FormatInt(a.ID, 10),
			Title: fmt.Sprintf("Action %d, %s: %s", a.ID, formatTime(a.At), a.Type.Label())})
	}
	c.Lanes = []timelineLane{alertLane, actionLane}
	// Deployments and milestones before the axis starts (an agreement
	// signed long before the case) are left out; a deployment that began
	// before it is drawn from the axis' start.
	if more.DeploymentsOn {
		y += laneHeight
		lane := timelineLane{Label: "Deployments", Class: "deployments", Y: y}
		for _, d := range more.Deployments {
			end := d.End().AddDate(0, 0, 1)
			if !end.After(start) {
				continue
			}
			x0, x1 := x(d.Start), x(end)
			if d.Start.Before(start) {
				x0 = c.Left
			}
			lane.Bars = append(lane.Bars, timelineBar{X: x0, Y: y - markSize, W: round1(math.Max(x1-x0, 4)), H: 2 * markSize,
				Href: "#deployment-" + strconv.FormatInt(d.ID, 10), Class: "dep-" + string(d.Status),
				Title: fmt.Sprintf("Deployment %d, %s, %s to %s (%d days): %s", d.ID, cmp.Or(d.Person, "a person on the roster"),
					d.Start.Format(time.DateOnly), d.End().Format(time.DateOnly), d.Days, d.Status)})
		}
		c.Lanes = append(c.Lanes, lane)
	}
	if more.AgreementsOn {
		y += laneHeight
		lane := timelineLane{Label: "Agreements", Class: "agreements", Y: y}
		for _, a := range more.Agreements {
			if !a.Signed.IsZero() && !a.Signed.Before(start) {
				lane.Marks = append(lane.Marks, timelineMark{X: x(a.Signed), Y: y, Class: "signed",
					Title: fmt.Sprintf("Agreement %d signed %s: %s", a.ID, a.Signed.Format(time.DateOnly), a.Name)})
			}
			for _, p := range a.Provisions {
				for _, ch := range p.History {
					if ch.On.IsZero() || ch.On.Before(start) {
						continue
					}
					title := fmt.Sprintf("%s, provision %d (%s): %s on %s", a.Name, p.ID, p.Category, ch.To, ch.On.Format(time.DateOnly))
					if ch.From != "" {
						title = fmt.Sprintf("%s, provision %d (%s): %s → %s on %s", a.Name, p.ID, p.Category, ch.From, ch.To, ch.On.Format(time.DateOnly))
					}
					lane.Marks = append(lane.Marks, timelineMark{X: x(ch.On), Y: y, Class: "prov-" + string(ch.To), Title: title})
				}
			}
		}
		c.Lanes = append(c.Lanes, lane)
	}
	for i := range c.Lanes {
		c.Lanes[i].LabelY = c.Lanes[i].Y - markSize - 4
	}
	c.TickTop, c.TickBottom = y+markSize+4, y+markSize+8
	c.XAxisY = c.TickBottom + 12
	c.Height = c.XAxisY + 10
	c.XTicks = monthTicks(months, c.Left, step)
	return c
}

// caseID reads the case id of a path.
func caseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// addCaseAction logs an action from the case page's form: its type, date
// and time, actors and partners (one a line or separated by commas), the
// alerts it answers (checked) and its outcome.
func (h *handler) addCaseAction(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	at, err := parseWhenForm(r.PostFormValue("date"))
	if err != nil {
		return err
	}
	a := casework.Action{Type: casework.ActionType(r.PostFormValue("type")), At: at, Actors: splitList(r.PostFormValue("actors")),
		Partners: splitList(r.PostFormValue("partners")), Outcome: strings.TrimSpace(r.PostFormValue("outcome"))}
	if n := len([]rune(a.Outcome)); n > 8000 {
		return badRequest("The outcome notes have %d characters; use at most 8,000.", n)
	}
	for _, s := range r.PostForm["alert"] {
		aid, err := strconv.ParseInt(s, 10, 64)
		if err != nil || aid <= 0 {
			return badRequest("Linked alerts: %q is not an alert number.", s)
		}
		a.Alerts = append(a.Alerts, aid)
	}
	act, err := h.Cases.AddAction(r.Context(), viewer(r), id, a)
	if err != nil {
		return caseError(err)
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done=action#action-"+strconv.FormatInt(act.ID, 10), http.StatusSeeOther)
	return nil
}

// parseWhenForm reads a datetime-local value ("2025-11-20T09:30") or a
// date, in UTC.
func parseWhenForm(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("Date: %q is not a date and time like 2025-11-20T09:30.", s)
}

// splitList splits a form's list: one item a line, or separated by
// commas or semicolons.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// changeCaseStatus moves a case to another status, with a note for its
// history; only the owner organisation's writers may.
func (h *handler) changeCaseStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	st, err := casework.ParseStatus(r.PostFormValue("status"))
	if err != nil {
		return badRequest("Status: choose one of the statuses.")
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	note := strings.TrimSpace(r.PostFormValue("note"))
	if n := len([]rune(note)); n > 4000 {
		return badRequest("The note has %d characters; use at most 4,000.", n)
	}
	_, err = h.Cases.Update(r.Context(), viewer(r), id, casework.Patch{Status: &st, StatusNote: note, Version: version})
	return h.afterCaseChange(w, r, id, "status", err)
}

// shareCase replaces a case's sharing list with the organisations
// checked; only the owner organisation's writers may. casework audits
// each organisation added or removed.
func (h *handler) shareCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	orgs := r.PostForm["shared_with"]
	if orgs == nil {
		orgs = []string{}
	}
	_, err = h.Cases.Update(r.Context(), viewer(r), id, casework.Patch{SharedWith: &orgs, Version: version})
	return h.afterCaseChange(w, r, id, "sharing", err)
}

// afterCaseChange returns to the case after a change, or says why it was
// refused: a status the case cannot go to, or someone else's change in
// between, is a conflict (409).
func (h *handler) afterCaseChange(w http.ResponseWriter, r *http.Request, id int64, done string, err error) error {
	switch {
	case err == nil:
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
		return nil
	case errors.Is(err, casework.ErrInvalidTransition):
		h.errorPage(w, r, http.StatusConflict, fmt.Sprintf("Case %d cannot go to that status: %v.", id, err))
		return nil
	case errors.Is(err, casework.ErrConflict):
		h.errorPage(w, r, http.StatusConflict, fmt.Sprintf("Case %d was changed by someone else in the meantime. Open it again to see what changed.", id))
		return nil
	}
	return caseError(err)
}
