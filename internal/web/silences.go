package web

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"threshold/internal/alert"
	"threshold/internal/server"
)

// maxExpired is how many expired silences the page lists, newest first.
const maxExpired = 100

// datetimeLocal is the format of an HTML datetime-local input.
const datetimeLocal = "2006-01-02T15:04"

type silencesView struct {
	ActiveTable  silenceTable
	ExpiredTable silenceTable
	MoreExpired  int // expired silences not listed
	CanEdit      bool
	Form         silenceForm
	Errors       map[string]string // field -> problem; "" for the whole form
	Done         string
	Severities   []option
	RuleIDs      []string
	Now          string // the clock, in the form's format, as the least end
}

// silenceTable is a table of silences; Edit adds the expire buttons,
// whose forms need the session's CSRF token.
type silenceTable struct {
	Rows []silenceRow
	Edit bool
	CSRF string
}

type silenceRow struct {
	ID                 int64
	Matchers           []string // "rule = coup"
	Starts, Ends       string
	CreatedBy, Comment string
	ExpiredBy          string
	Active             bool
}

// silenceForm is the add-silence form as submitted.
type silenceForm struct {
	Rule, Country, Admin1, Severity, Ends, Comment string
}

func newSilenceRow(s alert.Silence, now time.Time) silenceRow {
	row := silenceRow{ID: s.ID, Starts: formatTime(s.StartsAt), Ends: formatTime(s.EndsAt), CreatedBy: s.CreatedBy,
		Comment: s.Comment, ExpiredBy: s.ExpiredBy, Active: s.Active(now)}
	m := s.Matchers
	for _, kv := range [][2]string{{"rule", m.Rule}, {"country", m.Country}, {"admin-1 area", m.Admin1}, {"severity", string(m.Severity)}} {
		if kv[1] != "" {
			row.Matchers = append(row.Matchers, kv[0]+" = "+kv[1])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
		row.Matchers = append(row.Matchers, "label "+k+" = "+m.Labels[k])
	}
	return row
}

// silencesPage lists the active and expired silences and, for admins and
// analysts, offers the form to add one.
func (h *handler) silencesPage(w http.ResponseWriter, r *http.Request) error {
	var done string
	if id, err := strconv.ParseInt(r.FormValue("added"), 10, 64); err == nil && id > 0 {
		done = fmt.Sprintf("Added silence %d: new alerts it matches are stored and listed, but nobody is notified.", id)
	} else if id, err := strconv.ParseInt(r.FormValue("expired"), 10, 64); err == nil && id > 0 {
		done = fmt.Sprintf("Expired silence %d: new alerts it matched are notified again.", id)
	}
	f := silenceForm{Ends: h.Now().UTC().AddDate(0, 0, 7).Format(datetimeLocal)}
	return h.showSilences(w, r, http.StatusOK, f, nil, done)
}

func (h *handler) showSilences(w http.ResponseWriter, r *http.Request, status int, f silenceForm, errs map[string]string, done string) error {
	ctx := r.Context()
	now := h.Now()
	p := server.PrincipalFrom(ctx)
	v := silencesView{Form: f, Errors: errs, Done: done, Now: now.UTC().Format(datetimeLocal), CanEdit: silencers.Check(p) == nil}
	v.ActiveTable.Edit = v.CanEdit
	if p != nil {
		v.ActiveTable.CSRF = p.CSRF
	}
	active, err := h.Alerts.Silences(ctx, alert.SilenceQuery{At: now, Active: true})
	if err != nil {
		return fmt.Errorf("active silences: %w", err)
	}
	for _, s := range active {
		v.ActiveTable.Rows = append(v.ActiveTable.Rows, newSilenceRow(s, now))
	}
	expired, err := h.Alerts.Silences(ctx, alert.SilenceQuery{At: now, Expired: true})
	if err != nil {
		return fmt.Errorf("expired silences: %w", err)
	}
	for i, s := range expired {
		if i == maxExpired {
			v.MoreExpired = len(expired) - maxExpired
			break
		}
		v.ExpiredTable.Rows = append(v.ExpiredTable.Rows, newSilenceRow(s, now))
	}
	v.Severities = []option{{Value: "", Label: "Any"}}
	for _, s := range alert.Severities() {
		v.Severities = append(v.Severities, option{Value: string(s), Label: severityLabel(s), Selected: string(s) == f.Severity})
	}
	if v.RuleIDs, err = h.ruleIDs(ctx); err != nil {
		return err
	}
	h.render(w, r, status, "silences", "Silences", v)
	return nil
}

// addSilence creates a silence from the form. Problems are shown next to
// their fields.
func (h *handler) addSilence(w http.ResponseWriter, r *http.Request) error {
	f := silenceForm{
		Rule:     strings.TrimSpace(r.PostFormValue("rule")),
		Country:  strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))),
		Admin1:   strings.TrimSpace(r.PostFormValue("admin1")),
		Severity: strings.TrimSpace(r.PostFormValue("severity")),
		Ends:     strings.TrimSpace(r.PostFormValue("ends")),
		Comment:  strings.TrimSpace(r.PostFormValue("comment")),
	}
	now := h.Now()
	errs := map[string]string{}
	s := alert.Silence{Matchers: alert.Matchers{Rule: f.Rule, Admin1: f.Admin1}, StartsAt: now, Comment: f.Comment}
	if f.Country != "" {
		if c, ok := h.Geo.Lookup(f.Country); ok {
			s.Matchers.Country = c.ISO3
		} else {
			errs["country"] = "Give an ISO 3166-1 alpha-3 code, like CAF."
		}
	}
	if f.Severity != "" {
		sev, err := alert.ParseSeverity(f.Severity)
		if err != nil {
			errs["severity"] = "Choose a severity."
		}
		s.Matchers.Severity = sev
	}
	for field, val := range map[string]string{"rule": f.Rule, "admin1": f.Admin1} {
		if msg := checkText(val, false); msg != "" {
			errs[field] = msg
		}
	}
	if s.Matchers.Empty() && len(errs) == 0 {
		errs[""] = "Give at least one of rule, country, admin-1 area and severity: a silence of everything would mute every warning."
	}
	ends, err := time.ParseInLocation(datetimeLocal, f.Ends, time.UTC)
	if err != nil {
		ends, err = time.ParseInLocation(time.DateOnly, f.Ends, time.UTC)
	}
	switch {
	case err != nil:
		errs["ends"] = "Give a date and time, like 2026-12-31T18:00 (UTC)."
	case !ends.After(now):
		errs["ends"] = "The end must be in the future."
	}
	s.EndsAt = ends
	switch {
	case f.Comment == "":
		errs["comment"] = "Say why these alerts may be muted, and who follows them meanwhile."
	case utf8.RuneCountInString(f.Comment) > 4000:
		errs["comment"] = "Use at most 4,000 characters."
	}
	if len(errs) > 0 {
		return h.showSilences(w, r, http.StatusUnprocessableEntity, f, errs, "")
	}
	p := server.PrincipalFrom(r.Context())
	added, err := h.Alerts.AddSilence(r.Context(), alert.Actor{ID: p.UserID, Name: p.Email, Remote: server.RemoteHost(r)}, s)
	if errors.Is(err, alert.ErrInvalid) {
		return h.showSilences(w, r, http.StatusUnprocessableEntity, f, map[string]string{"": "The silence was refused: " + err.Error() + "."}, "")
	} else if err != nil {
		return fmt.Errorf("add silence: %w", err)
	}
	http.Redirect(w, r, "/silences"+encodeQuery("added", strconv.FormatInt(added.ID, 10)), http.StatusSeeOther)
	return nil
}

// expireSilence ends the silence with the path's id now.
func (h *handler) expireSilence(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	p := server.PrincipalFrom(r.Context())
	_, err = h.Alerts.ExpireSilence(r.Context(), alert.Actor{ID: p.UserID, Name: p.Email, Remote: server.RemoteHost(r)}, id)
	switch {
	case errors.Is(err, alert.ErrNotFound):
		return errNotFound
	case errors.Is(err, alert.ErrInvalid):
		return badRequest("Silence %d has already ended.", id)
	case err != nil:
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	http.Redirect(w, r, "/silences"+encodeQuery("expired", strconv.FormatInt(id, 10)), http.StatusSeeOther)
	return nil
}
