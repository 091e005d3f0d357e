package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/server"
)

// reportChannel is the channel of the reports sent from the web form.
const reportChannel = "web"

// maxFieldReports is how many reports the verification page lists.
const maxFieldReports = 200

// reportForm is the report form as submitted.
type reportForm struct {
	What, Country, Admin1, Place, Date, Involved, Casualties string
	Category, Confidence, Identity, Pseudonym, ClientID      string
	Flash                                                    bool
}

type reportFormView struct {
	CSRF        string
	Form        reportForm
	Errors      map[string]string // field -> problem; "" for the whole form
	Sent        int64
	Categories  []option
	Confidences []option
	Today       string
}

// reportForm is the mobile-first report form; report.js keeps its draft and
// queues it while offline.
func (h *handler) reportForm(w http.ResponseWriter, r *http.Request) error {
	f := reportForm{Date: h.Now().UTC().Format(time.DateOnly), Confidence: string(fieldreport.Witnessed),
		Identity: string(fieldreport.Anonymous)}
	sent, _ := strconv.ParseInt(r.FormValue("sent"), 10, 64)
	h.showReportForm(w, r, http.StatusOK, f, nil, sent)
	return nil
}

func (h *handler) showReportForm(w http.ResponseWriter, r *http.Request, status int, f reportForm, errs map[string]string, sent int64) {
	v := reportFormView{Form: f, Errors: errs, Sent: sent, Today: h.Now().UTC().Format(time.DateOnly)}
	if p := server.PrincipalFrom(r.Context()); p != nil {
		v.CSRF = p.CSRF
	}
	v.Categories = []option{{Value: "", Label: "Choose…"}}
	for _, c := range event.Categories() {
		v.Categories = append(v.Categories, option{Value: string(c), Label: categoryLabel(c), Selected: string(c) == f.Category})
	}
	for _, c := range []fieldreport.Confidence{fieldreport.Witnessed, fieldreport.Reliable, fieldreport.Rumour} {
		v.Confidences = append(v.Confidences, option{Value: string(c), Label: confidenceLabel(c), Selected: string(c) == f.Confidence})
	}
	h.render(w, r, status, "report_form", "Send a field report", v)
}

func categoryLabel(c event.Category) string {
	s := strings.ReplaceAll(string(c), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func confidenceLabel(c fieldreport.Confidence) string {
	switch c {
	case fieldreport.Witnessed:
		return "I saw it"
	case fieldreport.Reliable:
		return "Told by someone I trust"
	default:
		return "Heard, not confirmed"
	}
}

// submitReport takes in a report from the form, as a plain POST or as
// report.js's fetch of a queued report. A report sent twice (the same
// client id) is stored once.
func (h *handler) submitReport(w http.ResponseWriter, r *http.Request) error {
	f := reportForm{
		What:       strings.TrimSpace(r.PostFormValue("what")),
		Country:    strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))),
		Admin1:     strings.TrimSpace(r.PostFormValue("admin1")),
		Place:      strings.TrimSpace(r.PostFormValue("place")),
		Date:       strings.TrimSpace(r.PostFormValue("date")),
		Involved:   strings.TrimSpace(r.PostFormValue("involved")),
		Casualties: strings.TrimSpace(r.PostFormValue("casualties")),
		Category:   strings.TrimSpace(r.PostFormValue("category")),
		Confidence: strings.TrimSpace(r.PostFormValue("confidence")),
		Identity:   strings.TrimSpace(r.PostFormValue("identity")),
		Pseudonym:  strings.TrimSpace(r.PostFormValue("pseudonym")),
		ClientID:   strings.TrimSpace(r.PostFormValue("client_id")),
		Flash:      r.PostFormValue("flash") != "",
	}
	errs := map[string]string{}
	rep := fieldreport.Report{What: f.What, Admin1: f.Admin1, Place: f.Place, Involved: f.Involved,
		Category: event.Category(f.Category), Confidence: fieldreport.Confidence(f.Confidence), Flash: f.Flash}
	if f.What == "" {
		errs["what"] = "Say what happened."
	}
	if c, ok := h.Geo.Lookup(f.Country); ok {
		rep.Country = c.ISO3
	} else {
		errs["country"] = "Give the country's ISO 3166-1 alpha-3 code, like CAF."
	}
	if d, err := time.Parse(time.DateOnly, f.Date); err != nil {
		errs["date"] = "Give the day it happened."
	} else {
		rep.Date = d
	}
	if f.Casualties != "" {
		n, err := strconv.Atoi(f.Casualties)
		if err != nil || n < 0 {
			errs["casualties"] = "Give a number of deaths, or leave it empty."
		} else {
			rep.Casualties = &n
		}
	}
	if !rep.Category.Valid() {
		errs["category"] = "Choose a category."
	}
	switch f.Identity {
	case string(fieldreport.Pseudonym):
		if f.Pseudonym == "" {
			errs["pseudonym"] = "Give a pseudonym, or send anonymously."
		}
		rep.Reporter = &fieldreport.Reporter{Kind: fieldreport.Pseudonym, Pseudonym: f.Pseudonym}
	default:
		rep.Reporter = &fieldreport.Reporter{Kind: fieldreport.Anonymous}
	}
	if f.ClientID != "" {
		if len(f.ClientID) > 100 {
			return badRequest("The report's client id is too long.")
		}
		rep.ExternalID = f.ClientID
	}
	var ups []fieldreport.Upload
	if file, hdr, err := r.FormFile("attachment"); err == nil {
		data, err := io.ReadAll(io.LimitReader(file, fieldreport.MaxAttachment+1))
		file.Close()
		if err != nil {
			return fmt.Errorf("read attachment: %w", err)
		}
		if len(data) > 0 {
			ups = append(ups, fieldreport.Upload{Name: hdr.Filename, Data: data})
		}
	}
	if len(errs) == 0 {
		if err := rep.Validate(); err != nil {
			errs[""] = strings.TrimPrefix(err.Error(), fieldreport.ErrInvalid.Error()+": ")
		}
	}
	if len(errs) > 0 {
		h.showReportForm(w, r, http.StatusBadRequest, f, errs, 0)
		return nil
	}
	v := fieldreport.ViewerOf(server.PrincipalFrom(r.Context()), server.RemoteHost(r))
	saved, err := h.FieldReports.Submit(r.Context(), v, reportChannel, rep, ups)
	switch {
	case errors.Is(err, fieldreport.ErrConflict) && rep.ExternalID != "":
		// Sent before, by a queue that did not hear the answer.
	case errors.Is(err, fieldreport.ErrInvalid), errors.Is(err, fieldreport.ErrNoKey):
		errs[""] = strings.TrimPrefix(err.Error(), fieldreport.ErrInvalid.Error()+": ")
		h.showReportForm(w, r, http.StatusBadRequest, f, errs, 0)
		return nil
	case err != nil:
		return fmt.Errorf("submit field report: %w", err)
	}
	http.Redirect(w, r, "/report?sent="+strconv.FormatInt(max(saved.ID, 0), 10), http.StatusSeeOther)
	return nil
}

type fieldReportsView struct {
	CSRF     string
	Statuses []option
	Rows     []fieldReportRow
	Done     string
	CanMove  bool
}

type fieldReportRow struct {
	fieldreport.Report
	Received string
	Day      string
	Moves    []option // the statuses it may move to
}

// fieldReportsPage lists reports by status, each with the form that moves
// it through verification. Reporters are shown as the service returns
// them: only to those entitled.
func (h *handler) fieldReportsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := server.PrincipalFrom(ctx)
	v := fieldReportsView{CanMove: reportVerifiers.Check(p) == nil}
	if p != nil {
		v.CSRF = p.CSRF
	}
	status := r.FormValue("status")
	q := fieldreport.Query{Limit: maxFieldReports}
	switch {
	case status == "":
		q.Status = []fieldreport.Status{fieldreport.Unverified, fieldreport.UnderReview}
	case status == "all":
	case slices.Contains(fieldreport.Statuses(), fieldreport.Status(status)):
		q.Status = []fieldreport.Status{fieldreport.Status(status)}
	default:
		return badRequest("Unknown status %q.", status)
	}
	v.Statuses = []option{{Value: "", Label: "In verification", Selected: status == ""}}
	for _, s := range fieldreport.Statuses() {
		v.Statuses = append(v.Statuses, option{Value: string(s), Label: string(s), Selected: string(s) == status})
	}
	v.Statuses = append(v.Statuses, option{Value: "all", Label: "All", Selected: status == "all"})
	to := fieldreport.Status(r.FormValue("to"))
	if id, err := strconv.ParseInt(r.FormValue("moved"), 10, 64); err == nil && id > 0 && slices.Contains(fieldreport.Statuses(), to) {
		v.Done = fmt.Sprintf("Report %d is now %s.", id, to)
	}
	reps, err := h.FieldReports.List(ctx, fieldreport.ViewerOf(p, server.RemoteHost(r)), q)
	if err != nil {
		return fmt.Errorf("list field reports: %w", err)
	}
	for _, rep := range reps {
		row := fieldReportRow{Report: rep, Received: formatTime(rep.ReceivedAt), Day: rep.Date.UTC().Format(time.DateOnly)}
		for _, s := range fieldreport.Statuses() {
			if fieldreport.CanMove(rep.Status, s) {
				row.Moves = append(row.Moves, option{Value: string(s), Label: string(s)})
			}
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, http.StatusOK, "field_reports", "Field reports", v)
	return nil
}

// moveFieldReport applies a verification step from the page's form.
func (h *handler) moveFieldReport(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	t := fieldreport.Transition{
		To:       fieldreport.Status(r.PostFormValue("to")),
		Reason:   strings.TrimSpace(r.PostFormValue("reason")),
		Evidence: strings.TrimSpace(r.PostFormValue("evidence")),
	}
	if s := strings.TrimSpace(r.PostFormValue("duplicate_of")); s != "" {
		if t.DuplicateOf, err = strconv.ParseInt(s, 10, 64); err != nil {
			return badRequest("Give the number of the report it duplicates.")
		}
	}
	if s := r.PostFormValue("version"); s != "" {
		if t.Version, err = strconv.ParseInt(s, 10, 64); err != nil {
			return badRequest("Bad report version.")
		}
	}
	if t.Reason == "" {
		return badRequest("Give the reason for the decision.")
	}
	v := fieldreport.ViewerOf(server.PrincipalFrom(r.Context()), server.RemoteHost(r))
	rep, err := h.FieldReports.Move(r.Context(), v, id, t)
	switch {
	case errors.Is(err, fieldreport.ErrNotFound):
		return errNotFound
	case errors.Is(err, fieldreport.ErrForbidden):
		return auth.ErrForbidden
	case errors.Is(err, fieldreport.ErrConflict):
		return badRequest("The report changed meanwhile: reload the page and decide again.")
	case errors.Is(err, fieldreport.ErrInvalidTransition), errors.Is(err, fieldreport.ErrInvalid):
		return badRequest("The report cannot be moved so: %s", err.Error())
	case err != nil:
		return fmt.Errorf("move field report %d: %w", id, err)
	}
	http.Redirect(w, r, fmt.Sprintf("/field-reports?status=%s&moved=%d&to=%s", rep.Status, rep.ID, rep.Status), http.StatusSeeOther)
	return nil
}
