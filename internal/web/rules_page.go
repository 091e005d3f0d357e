package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/indicator"
	"threshold/internal/rules"
	"threshold/internal/server"
)

// maxRulesSize is the largest rules file the editor takes; the default
// file is about 6 kB.
const maxRulesSize = 256 << 10

// rulesFileName names the edited file in problems: "rules.yaml:12:5".
const rulesFileName = "rules.yaml"

type rulesView struct {
	Version   string // the active file's version field
	VersionID int64  // its saved version; 0 for the embedded default
	Author    string
	Saved     string
	Rules     []ruleRow

	CanEdit  bool
	Body     string       // the editor's text
	Loaded   int64        // the saved version loaded into the editor, if not the active one
	Problems []problemRow // what is wrong with the text checked or saved
	Checked  string       // the result of a check that found nothing wrong
	Done     string
	History  []historyRow
}

// Edited reports whether the page answers a check or save, whose result
// then comes first, above the rules.
func (v rulesView) Edited() bool { return len(v.Problems) > 0 || v.Checked != "" }

type ruleRow struct {
	ID, Name, Description string
	Kind, Level, Period   string
	Severity              alert.Severity
	Scope, Labels         string
	Condition             string
}

type problemRow struct {
	Line, Column int
	Path, Msg    string
}

type historyRow struct {
	ID                     int64
	Version, Author, Saved string
	Active                 bool
}

// kindLabels name the rules' condition kinds for people.
var kindLabels = map[string]string{
	"indicator":     "Indicator",
	"detector":      "Detector",
	"forecast":      "Forecast",
	"coup":          "Coup",
	"first_fatal":   "First fatal event",
	"election":      "Election",
	"spread_admin1": "Spread to a new area",
	"spread_border": "Spread across a border",
}

func newRuleRow(r *rules.Rule) ruleRow {
	row := ruleRow{ID: r.ID, Name: r.Name, Description: r.Description, Kind: kindLabels[r.Kind()],
		Level: "Country", Period: "Month", Severity: r.Severity, Scope: "All countries", Condition: conditionText(r)}
	if r.Level == rules.Admin1Level || r.SpreadAdmin1 != nil {
		row.Level = "Admin-1 area"
	}
	if r.Period != "" {
		row.Period = strings.ToUpper(string(r.Period[:1])) + string(r.Period[1:])
	}
	if len(r.Scope) > 0 {
		row.Scope = strings.Join(r.Scope, ", ")
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		labels = append(labels, k+": "+r.Labels[k])
	}
	row.Labels = strings.Join(labels, ", ")
	return row
}

// conditionText says a rule's condition in words.
func conditionText(r *rules.Rule) string {
	period := string(r.Period)
	if period == "" {
		period = string(indicator.Month)
	}
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case r.Indicator != nil:
		c := r.Indicator
		s := fmt.Sprintf("%s %s %s", c.Name, c.Op, formatValue(c.Value))
		if c.For > 1 {
			s += fmt.Sprintf(" in each of %d consecutive %ss", c.For, period)
		} else {
			s += " in the " + period
		}
		return s
	case r.Detector != nil:
		c := r.Detector
		s := fmt.Sprintf("the %s detector alarms on %s", c.Method, c.Indicator)
		if c.MinValue > 0 {
			s += fmt.Sprintf(", with at least %s in the scored window", formatValue(c.MinValue))
		}
		if len(c.Config) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(c.Config)) {
				kv = append(kv, k+" "+formatValue(c.Config[k]))
			}
			s += " (" + strings.Join(kv, ", ") + ")"
		}
		return s
	case r.Forecast != nil:
		return fmt.Sprintf("a forecast gives %s a probability of at least %s%%", r.Forecast.Target, formatValue(r.Forecast.Probability*100))
	case r.Coup != nil:
		return "a coup or coup attempt in the " + period + ", reported by at least " + plural(max(r.Coup.MinSources, 1), "source")
	case r.FirstFatal != nil:
		c := r.FirstFatal
		return fmt.Sprintf("the first fatal event (at least %s) after %s without one", plural(max(c.MinFatalities, 1), "death"), plural(c.QuietMonths, "quiet month"))
	case r.Election != nil:
		c := r.Election
		return fmt.Sprintf("a national election within %s while %s is at least %s× its mean over the %s before (and at least %s)",
			plural(c.WithinDays, "day"), c.Indicator, formatValue(c.Ratio), plural(cmp.Or(c.Baseline, 12), period), formatValue(max(c.MinValue, 1)))
	case r.SpreadAdmin1 != nil:
		c := r.SpreadAdmin1
		s := fmt.Sprintf("violence in an area with none in the %s before, while the country had violence elsewhere", plural(c.QuietMonths, "month"))
		if c.MinFatalities > 0 {
			s += fmt.Sprintf("; at least %s in the area", plural(c.MinFatalities, "death"))
		}
		return s
	case r.SpreadBorder != nil:
		c := r.SpreadBorder
		s := fmt.Sprintf("violence after %s without, while a land neighbour had violence in the last %s", plural(c.QuietMonths, "quiet month"), plural(c.NeighbourMonths, "month"))
		if c.MinFatalities > 0 {
			s += fmt.Sprintf("; at least %s", plural(c.MinFatalities, "death"))
		}
		return s
	}
	return ""
}

// rulesPage lists the active rules and, for admins, the editor and the
// saved versions. ?edit=ID loads a saved version into the editor, to
// restore it.
func (h *handler) rulesPage(w http.ResponseWriter, r *http.Request) error {
	var done string
	if id := r.FormValue("saved"); id != "" {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			done = fmt.Sprintf("Saved version %d of the rules: it is now active.", n)
		}
	}
	v, err := h.rulesView(r.Context(), r)
	if err != nil {
		return err
	}
	v.Done = done
	if edit := r.FormValue("edit"); edit != "" && v.CanEdit {
		id, _ := strconv.ParseInt(edit, 10, 64)
		found := false
		hist, err := h.Rules.RulesHistory(r.Context())
		if err != nil {
			return fmt.Errorf("rules history: %w", err)
		}
		for _, hv := range hist {
			if hv.ID == id {
				v.Body, v.Loaded, found = hv.Body, hv.ID, true
			}
		}
		if !found {
			return errNotFound
		}
	}
	h.render(w, r, http.StatusOK, "rules", "Alert rules", v)
	return nil
}

// rulesView reads the active rules and, for admins, the history.
func (h *handler) rulesView(ctx context.Context, r *http.Request) (rulesView, error) {
	f, ver, err := h.activeRules(ctx)
	if err != nil {
		return rulesView{}, err
	}
	v := rulesView{Version: f.Version, VersionID: ver.ID, Author: ver.Author, Saved: formatTime(ver.CreatedAt), Body: ver.Body,
		CanEdit: rulesEditors.Check(server.PrincipalFrom(ctx)) == nil}
	for i := range f.Rules {
		v.Rules = append(v.Rules, newRuleRow(&f.Rules[i]))
	}
	if v.CanEdit {
		hist, err := h.Rules.RulesHistory(ctx)
		if err != nil {
			return v, fmt.Errorf("rules history: %w", err)
		}
		for _, hv := range hist {
			v.History = append(v.History, historyRow{ID: hv.ID, Version: hv.Version, Author: hv.Author,
				Saved: formatTime(hv.CreatedAt), Active: hv.ID == ver.ID})
		}
	}
	return v, nil
}

// editRules checks or saves the editor's text (the button pressed says
// which). Every problem is shown with its line; a file with problems is
// never saved. A save stores a new version, active at once, with its
// author and time, and is audited.
func (h *handler) editRules(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	body := strings.ReplaceAll(r.PostFormValue("rules"), "\r\n", "\n")
	intent := r.PostFormValue("intent")
	if intent != "check" && intent != "save" {
		return badRequest("Press Check or Save.")
	}
	v, err := h.rulesView(ctx, r)
	if err != nil {
		return err
	}
	v.Body = body
	var f *rules.File
	switch {
	case strings.TrimSpace(body) == "":
		v.Problems = []problemRow{{Msg: "The rules file is empty."}}
	case len(body) > maxRulesSize:
		v.Problems = []problemRow{{Msg: fmt.Sprintf("The rules file has %s bytes; the most is %s.", formatInt(len(body)), formatInt(maxRulesSize))}}
	case !utf8.ValidString(body):
		v.Problems = []problemRow{{Msg: "The rules file is not UTF-8 text."}}
	default:
		f, err = rules.Parse(rulesFileName, []byte(body))
		v.Problems = problemRows(err)
	}
	if len(v.Problems) > 0 {
		h.render(w, r, http.StatusUnprocessableEntity, "rules", "Alert rules", v)
		return nil
	}
	if intent == "check" {
		v.Checked = fmt.Sprintf("No problems found: version %q with %d rules. Nothing was saved.", f.Version, len(f.Rules))
		h.render(w, r, http.StatusOK, "rules", "Alert rules", v)
		return nil
	}
	p := server.PrincipalFrom(ctx)
	saved, err := h.Rules.SaveRules(ctx, body, p.Email, h.Now())
	if err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	e := audit.Entry{ActorID: p.UserID, Actor: p.Email, Action: "rules.save", Object: "rules:" + strconv.FormatInt(saved.ID, 10),
		Remote: server.RemoteHost(r), Details: map[string]any{"version": f.Version, "rules": len(f.Rules)}}
	if err := h.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
		return fmt.Errorf("audit rules save %d: %w", saved.ID, err)
	}
	h.Log.InfoContext(ctx, "web: rules saved", "id", saved.ID, "version", f.Version, "rules", len(f.Rules), "by", p.Email)
	http.Redirect(w, r, "/rules"+encodeQuery("saved", strconv.FormatInt(saved.ID, 10)), http.StatusSeeOther)
	return nil
}

// problemRows lists what rules.Parse found wrong, in file order.
func problemRows(err error) []problemRow {
	if err == nil {
		return nil
	}
	var re *rules.Error
	if !errors.As(err, &re) {
		return []problemRow{{Msg: err.Error()}}
	}
	var out []problemRow
	for _, p := range re.Problems {
		out = append(out, problemRow{Line: p.Line, Column: p.Column, Path: p.Path, Msg: p.Msg})
	}
	if len(out) == 0 {
		out = append(out, problemRow{Msg: err.Error()})
	}
	return out
}
