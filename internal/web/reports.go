package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/report"
	"threshold/internal/server"
)

// The monthly tracker holds alerts, which are confidential as in the
// inbox: desks, analysts and admins read it. Analysts and admins review
// the calls.
var (
	trackerReaders   = alertReaders
	trackerReviewers = auth.AllowWrite(auth.Admin, auth.Analyst)
)

type reportsView struct {
	Month, Region, Country string
	Problems               []string
	Report                 *report.Monthly
	Rows                   []callRow
	Downloads              []download
	CanReview              bool
	Trends                 []string
	Done                   string
}

type callRow struct {
	ISO3, Name, Region    string
	Trend, Flags, Rules   string
	Draft, Review         string
	Overridden, RiskAlert bool
	Opportunity           bool
	Deaths, Mean12        string
	Evidence              []report.Evidence
	BriefURL              string
}

type download struct{ Label, URL string }

// monthlyReportPage is the tracker for a month (?month=2013-12, default
// the last whole month), for a region (?region=Middle Africa) or
// countries (?country=CAF), as the reader may see it; ?format=pdf, html,
// md, json or csv downloads it in that format, and ?brief=1 with one
// country gives the country brief.
func (h *handler) monthlyReportPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := reportsView{Month: strings.TrimSpace(q.Get("month")), Region: strings.TrimSpace(q.Get("region")),
		Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))), Trends: []string{"deteriorated", "improved", "unchanged"}}
	v.Done = q.Get("done")
	if v.Month == "" {
		now := h.Now().UTC()
		v.Month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	}
	month, err := time.Parse("2006-01", v.Month)
	if err != nil {
		v.Problems = append(v.Problems, fmt.Sprintf("Month %q is not YYYY-MM.", v.Month))
	}
	var countries []string
	for _, c := range strings.Split(v.Country, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if _, ok := h.Geo.Lookup(c); !ok {
			v.Problems = append(v.Problems, fmt.Sprintf("Country %q is not an ISO alpha-3 code.", c))
		}
		countries = append(countries, c)
	}
	if v.Region != "" && !report.KnownRegion(h.Geo, v.Region) {
		v.Problems = append(v.Problems, fmt.Sprintf("Region %q is not a UN M49 region, subregion or intermediate region.", v.Region))
	}
	format := report.Format("")
	if f := q.Get("format"); f != "" {
		if format, err = report.ParseFormat(f); err != nil {
			v.Problems = append(v.Problems, "Format: "+err.Error()+".")
		}
	}
	brief := q.Get("brief") == "1" && len(countries) == 1
	if len(v.Problems) > 0 {
		if format != "" {
			return badRequest("%s", strings.Join(v.Problems, " "))
		}
		return h.renderReports(w, r, http.StatusBadRequest, v)
	}
	rep, err := h.Reports.Build(r.Context(), viewer(r), report.Options{Month: month, Countries: countries, Region: v.Region,
		Maps: format == report.PDF || format == report.HTML, Brief: brief})
	if err != nil {
		return err
	}
	if format != "" {
		var buf bytes.Buffer
		if err := rep.Write(&buf, format); err != nil {
			return err
		}
		hd := w.Header()
		hd.Set("Content-Type", format.ContentType())
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		// The HTML report is one document with inline styles and SVG, no
		// scripts: nothing else may load.
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
		name := "tracker-" + v.Month
		if brief {
			name = "brief-" + strings.ToLower(countries[0]) + "-" + v.Month
		}
		disp := "attachment"
		if format == report.HTML {
			disp = "inline"
		}
		hd.Set("Content-Disposition", fmt.Sprintf(`%s; filename="%s.%s"`, disp, name, format))
		hd.Set("Content-Length", strconv.Itoa(buf.Len()))
		_, err := w.Write(buf.Bytes())
		return err
	}
	v.Report = &rep
	for _, c := range rep.Countries {
		f := c.Call.Final()
		row := callRow{ISO3: c.ISO3, Name: c.Name, Region: c.Region, Trend: string(f.Trend), Flags: f.Flags(),
			Rules: c.Call.RulesMet(), Draft: string(c.Call.Draft.Trend), Overridden: c.Call.Overridden(),
			RiskAlert: f.RiskAlert, Opportunity: f.ResolutionOpportunity, Evidence: c.Call.Evidence,
			Deaths: formatInt(c.Current().Fatalities), Mean12: strconv.FormatFloat(c.Mean12Fatalities, 'f', 1, 64),
			BriefURL: "/reports/monthly?" + url.Values{"month": {v.Month}, "country": {c.ISO3}, "brief": {"1"}, "format": {"pdf"}}.Encode()}
		if d := c.Call.Draft.Flags(); d != "" {
			row.Draft += "; " + d
		}
		if o := c.Call.Override; o != nil {
			row.Review = fmt.Sprintf("%s on %s: %s", o.By, o.At.UTC().Format("2006-01-02"), o.Reason)
		}
		v.Rows = append(v.Rows, row)
	}
	for _, f := range report.Formats() {
		vals := url.Values{"month": {v.Month}, "format": {string(f)}}
		if v.Region != "" {
			vals.Set("region", v.Region)
		}
		if v.Country != "" {
			vals.Set("country", v.Country)
		}
		v.Downloads = append(v.Downloads, download{Label: strings.ToUpper(string(f)), URL: "/reports/monthly?" + vals.Encode()})
	}
	v.CanReview = trackerReviewers.Check(server.PrincipalFrom(r.Context())) == nil
	return h.renderReports(w, r, http.StatusOK, v)
}

func (h *handler) renderReports(w http.ResponseWriter, r *http.Request, status int, v reportsView) error {
	title := "Monthly tracker"
	if m, err := time.Parse("2006-01", v.Month); err == nil {
		title += ", " + m.Format("January 2006")
	}
	h.render(w, r, status, "reports", title, v)
	return nil
}

// overrideCall records an analyst's call for a country and month in place
// of the draft, with a reason, and returns to the tracker.
func (h *handler) overrideCall(w http.ResponseWriter, r *http.Request) error {
	month, err := time.Parse("2006-01", r.PostFormValue("month"))
	if err != nil {
		return badRequest("Month %q is not YYYY-MM.", r.PostFormValue("month"))
	}
	country := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))
	if _, ok := h.Geo.Lookup(country); !ok {
		return badRequest("Country %q is not an ISO alpha-3 code.", country)
	}
	trend, err := report.ParseTrend(r.PostFormValue("trend"))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return badRequest("An override needs a reason.")
	}
	call := report.Verdict{Trend: trend, RiskAlert: r.PostFormValue("risk_alert") != "", ResolutionOpportunity: r.PostFormValue("opportunity") != ""}
	if err := h.Reports.Override(r.Context(), viewer(r), month, country, call, reason); err != nil {
		if errors.Is(err, report.ErrNoCall) {
			return errNotFound
		}
		return err
	}
	back := url.Values{"month": {month.Format("2006-01")}, "country": {r.PostFormValue("back_country")},
		"region": {r.PostFormValue("back_region")}, "done": {"Override recorded for " + country + "."}}
	http.Redirect(w, r, "/reports/monthly?"+back.Encode(), http.StatusSeeOther)
	return nil
}
