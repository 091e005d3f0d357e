package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/rules"
	"threshold/internal/server"
)

// inboxLimit is the most alerts the inbox reads for one filter; beyond it
// the page asks for a narrower filter.
const inboxLimit = 500

// alertActions are the changes people make to an alert, each posted to
// /alerts/{id}/<action>, as in the API.
var alertActions = []alert.Action{alert.ActAcknowledge, alert.ActAssign, alert.ActAction, alert.ActDismiss, alert.ActResolve}

// Values of the inbox's state filter besides the states themselves.
const (
	stateOpen = "open" // every state but resolved: the default
	stateAll  = "all"
)

type alertsView struct {
	Filter     alertsFilter
	Problems   []string // filter values that were ignored, and why
	States     []option
	Severities []option
	RuleIDs    []string // suggestions for the rule filter
	Assignees  []string // people an alert can be assigned to
	Groups     []alertGroupView
	Shown      int  // alerts on the page
	Capped     bool // the filter selects more than inboxLimit alerts
	Done       string
	Back       string // the page's own address, where forms return
	Me         string // the signed-in user's email
	CanSilence bool
	// Unanswered are the warnings older than UnansweredDays that no case
	// action answers, listed first; UnansweredOn when casework is there.
	Unanswered     []unansweredRow
	UnansweredDays int
	UnansweredOn   bool
}

// alertsFilter is the inbox's filter form, as submitted.
type alertsFilter struct {
	State, Severity, Country, Rule, Assignee string
	q                                        alert.Query
}

// Active reports whether the filter differs from the default (open
// alerts).
func (f alertsFilter) Active() bool {
	return f.State != stateOpen || f.Severity != "" || f.Country != "" || f.Rule != "" || f.Assignee != ""
}

type alertGroupView struct {
	Key, Name string
	Severity  alert.Severity
	Open      int
	Rows      []alertRow
}

// alertRow is one alert as the inbox and the detail page show it.
type alertRow struct {
	ID                    int64
	Severity              alert.Severity
	Title, Place          string
	Country, Admin1       string
	Rule                  string
	State                 alert.State
	Fired, LastSeen       string
	Assignee              string
	Silenced, Cleared     bool
	CanAck, CanDecide     bool // acknowledge; action or dismiss
	CanResolve, CanAssign bool
}

func newAlertRow(a alert.Alert) alertRow {
	return alertRow{
		ID: a.ID, Severity: a.Severity, Title: a.Title, Place: a.Place(), Country: a.Country, Admin1: a.Admin1,
		Rule: a.Rule, State: a.State, Fired: formatTime(a.FiredAt), LastSeen: formatTime(a.LastSeenAt),
		Assignee: a.Assignee, Silenced: a.SilencedBy != 0, Cleared: !a.ClearedAt.IsZero(),
		CanAck:     allowed(a.State, alert.ActAcknowledge),
		CanDecide:  allowed(a.State, alert.ActDismiss),
		CanResolve: allowed(a.State, alert.ActResolve),
		CanAssign:  a.State.Open(),
	}
}

// allowed reports whether act may change an alert in state s.
func allowed(s alert.State, act alert.Action) bool {
	_, err := alert.Next(s, act)
	return err == nil
}

// formatTime writes an instant as people read it, in UTC: "20 Nov 2025
// 09:30 UTC".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// doneMessages say what the last change did, by the done query value;
// the page never shows text from the address itself.
var doneMessages = map[string]string{
	string(alert.ActAcknowledge): "acknowledged",
	string(alert.ActAssign):      "assigned",
	"unassign":                   "unassigned",
	string(alert.ActAction):      "marked actioned",
	string(alert.ActDismiss):     "dismissed",
	string(alert.ActResolve):     "resolved",
}

// doneMessage is the status line after a change: "Alert 12 dismissed."
func doneMessage(r *http.Request) string {
	what, ok := doneMessages[r.FormValue("done")]
	id, err := strconv.ParseInt(r.FormValue("alert"), 10, 64)
	if !ok || err != nil || id <= 0 {
		return ""
	}
	return fmt.Sprintf("Alert %d %s.", id, what)
}

// alertsPage is the inbox: the alerts the filter selects, grouped by
// country, with the changes each alert's state allows.
func (h *handler) alertsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := alertsView{Back: r.URL.RequestURI(), Done: doneMessage(r), CanSilence: silencers.Check(server.PrincipalFrom(ctx)) == nil}
	if p := server.PrincipalFrom(ctx); p != nil {
		v.Me = p.Email
	}
	v.Filter, v.Problems = parseAlertsFilter(r)
	v.States = []option{{Value: stateOpen, Label: "Open"}, {Value: stateAll, Label: "All"}}
	for _, s := range alert.States() {
		v.States = append(v.States, option{Value: string(s), Label: stateLabel(s)})
	}
	for i := range v.States {
		v.States[i].Selected = v.States[i].Value == v.Filter.State
	}
	v.Severities = []option{{Value: "", Label: "Any"}}
	for _, s := range slices.Backward(alert.Severities()) {
		v.Severities = append(v.Severities, option{Value: string(s), Label: severityLabel(s), Selected: string(s) == v.Filter.Severity})
	}
	var err error
	if v.RuleIDs, err = h.ruleIDs(ctx); err != nil {
		return err
	}
	if v.Assignees, err = h.assignees(ctx); err != nil {
		return err
	}

	if v.Unanswered, v.UnansweredDays, err = h.unanswered(r); err != nil {
		return err
	}
	v.UnansweredOn = h.Cases != nil

	q := v.Filter.q
	q.Limit = inboxLimit
	groups, err := h.Alerts.Groups(ctx, q)
	if err != nil {
		return err
	}
	for _, g := range groups {
		gv := alertGroupView{Key: g.Key, Name: g.Key, Severity: g.Severity, Open: g.Open}
		if c, ok := h.Geo.Lookup(g.Key); ok {
			gv.Name = c.Name
		}
		for _, a := range g.Alerts {
			gv.Rows = append(gv.Rows, newAlertRow(a))
		}
		v.Shown += len(g.Alerts)
		v.Groups = append(v.Groups, gv)
	}
	v.Capped = v.Shown >= inboxLimit
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "alerts", "Alerts", v)
	return nil
}

// parseAlertsFilter reads the filter form. Bad values are dropped and
// reported, so that the page still shows the inbox.
func parseAlertsFilter(r *http.Request) (alertsFilter, []string) {
	f := alertsFilter{State: stateOpen}
	var problems []string
	switch st := strings.TrimSpace(r.FormValue("state")); st {
	case "", stateOpen:
		f.q.Open = true
	case stateAll:
		f.State = stateAll
	default:
		s, err := alert.ParseState(st)
		if err != nil {
			problems = append(problems, "State: "+strconv.Quote(st)+" is not a state; open alerts are shown")
			f.q.Open = true
			break
		}
		f.State, f.q.States = string(s), []alert.State{s}
	}
	if sev := strings.TrimSpace(r.FormValue("severity")); sev != "" {
		s, err := alert.ParseSeverity(sev)
		if err != nil {
			problems = append(problems, "Severity: "+strconv.Quote(sev)+" is not a severity")
		} else {
			f.Severity, f.q.Severity = string(s), s
		}
	}
	if c := strings.ToUpper(strings.TrimSpace(r.FormValue("country"))); c != "" {
		if len(c) != 3 || strings.ContainsFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) {
			problems = append(problems, "Country: "+strconv.Quote(c)+" is not an ISO 3166-1 alpha-3 code like CAF")
		} else {
			f.Country, f.q.Country = c, c
		}
	}
	if rule := strings.TrimSpace(r.FormValue("rule")); rule != "" {
		f.Rule, f.q.Rule = rule, rule
	}
	if a := strings.TrimSpace(r.FormValue("assignee")); a != "" {
		f.Assignee, f.q.Assignee = a, a
		if email, err := auth.NormalizeEmail(a); err == nil {
			f.q.Assignee = email
		}
	}
	return f, problems
}

// stateLabel names a state for people.
func stateLabel(s alert.State) string {
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

func severityLabel(s alert.Severity) string {
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// ruleIDs lists the ids of the active rules, for the rule filter's
// suggestions: the embedded default rules when there is no rules store.
func (h *handler) ruleIDs(ctx context.Context) ([]string, error) {
	f := rules.Default()
	if h.Rules != nil {
		var err error
		if f, _, err = h.activeRules(ctx); err != nil {
			return nil, err
		}
	}
	var ids []string
	for _, r := range f.Rules {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// assignees lists the emails of the active users who may read alerts, the
// people an alert can be given to.
func (h *handler) assignees(ctx context.Context) ([]string, error) {
	users, err := h.Admin.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if !u.Disabled && slices.Contains(alertReaders.Roles(), u.Role) {
			out = append(out, u.Email)
		}
	}
	slices.Sort(out)
	return out, nil
}

// changeAlert returns the handler of one lifecycle change posted from the
// inbox or the detail page. The form's back field says where to return:
// a page under /alerts, by default the alert's own.
func (h *handler) changeAlert(act alert.Action) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		ctx := r.Context()
		p := server.PrincipalFrom(ctx)
		actor := alert.Actor{ID: p.UserID, Name: p.Email, Remote: server.RemoteHost(r)}
		text := strings.TrimSpace(r.PostFormValue("text"))
		if n := len([]rune(text)); n > 4000 {
			return badRequest("The text has %d characters; use at most 4,000.", n)
		}
		done := string(act)
		switch act {
		case alert.ActAcknowledge:
			_, err = h.Alerts.Acknowledge(ctx, id, actor)
		case alert.ActAssign:
			var assignee string
			if assignee, err = h.checkAssignee(ctx, r.PostFormValue("assignee")); err != nil {
				return err
			}
			if assignee == "" {
				done = "unassign"
			}
			_, err = h.Alerts.Assign(ctx, id, actor, assignee)
		case alert.ActAction:
			if text == "" {
				return badRequest("Say what was done: recording an action needs a note.")
			}
			_, err = h.Alerts.Action(ctx, id, actor, text)
		case alert.ActDismiss:
			if text == "" {
				return badRequest("Say why nothing is needed: a dismissal needs a reason.")
			}
			_, err = h.Alerts.Dismiss(ctx, id, actor, text)
		case alert.ActResolve:
			_, err = h.Alerts.Resolve(ctx, id, actor, text)
		default:
			return errNotFound
		}
		if err != nil {
			return h.alertChangeError(w, r, id, act, err)
		}
		back := "/alerts/" + strconv.FormatInt(id, 10)
		if b := r.PostFormValue("back"); alertsBack(b) {
			back = b
		}
		http.Redirect(w, r, withDone(back, done, id), http.StatusSeeOther)
		return nil
	}
}

// alertsBack reports whether a form's back field is a page of the alert
// pages on this site, in clean form: the inbox or an alert.
func alertsBack(back string) bool {
	if safeNext(back) != back {
		return false
	}
	u, err := url.Parse(back)
	if err != nil || path.Clean(u.Path) != u.Path {
		return false
	}
	return u.Path == "/alerts" || strings.HasPrefix(u.Path, "/alerts/")
}

// withDone adds the status line's parameters to a local address, and an
// anchor on the changed alert's row.
func withDone(back, done string, id int64) string {
	u, err := url.Parse(back)
	if err != nil {
		return back
	}
	q := u.Query()
	q.Set("done", done)
	q.Set("alert", strconv.FormatInt(id, 10))
	u.RawQuery = q.Encode()
	if u.Path == "/alerts" {
		u.Fragment = "alert-" + strconv.FormatInt(id, 10)
	} else {
		u.Fragment = ""
	}
	return u.String()
}

// checkAssignee returns the normalised email of the user an alert is to
// be assigned to, "" to take it back. The user must be active and able to
// read alerts.
func (h *handler) checkAssignee(ctx context.Context, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	email, err := auth.NormalizeEmail(s)
	if err != nil {
		return "", badRequest("Assign to: %q is not an email address.", s)
	}
	people, err := h.assignees(ctx)
	if err != nil {
		return "", err
	}
	if !slices.Contains(people, email) {
		return "", badRequest("Assign to: %s is not an active user who can read alerts.", email)
	}
	return email, nil
}

// alertChangeError turns a refused change into a page that says why: a
// state that does not allow it, or someone else's change at the same time,
// is a conflict (409) showing the alert's state now.
func (h *handler) alertChangeError(w http.ResponseWriter, r *http.Request, id int64, act alert.Action, err error) error {
	switch {
	case errors.Is(err, alert.ErrNotFound):
		return errNotFound
	case errors.Is(err, alert.ErrInvalid):
		return badRequest("The change was refused: %v.", err)
	case errors.Is(err, alert.ErrTransition), errors.Is(err, alert.ErrConflict):
		msg := fmt.Sprintf("Alert %d could not be %s: someone may have changed it first.", id, cmp.Or(doneMessages[string(act)], string(act)))
		if a, _, gerr := h.Alerts.Get(r.Context(), id); gerr == nil {
			msg = fmt.Sprintf("Alert %d is %s now, so it cannot be %s. Open it again to see what changed.", id, a.State, cmp.Or(doneMessages[string(act)], string(act)))
		}
		h.errorPage(w, r, http.StatusConflict, msg)
		return nil
	}
	return fmt.Errorf("alert %d: %s: %w", id, act, err)
}
