package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"threshold/internal/auth"
	"threshold/internal/server"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages holds one template set per page: the layout and partials, plus the
// page's own file, which defines "main".
type pages struct {
	byName map[string]*template.Template
}

func parsePages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, file)
		if err != nil {
			return nil, err
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every template gets: the layout's fields, and Page, the
// page's own data.
type view struct {
	Title string          // the page's title, before " · Threshold"
	User  *auth.Principal // nil when signed out
	Path  string          // the request's path, for the navigation
	Page  any
	// AlertsNav: the alert pages are registered and the user may read
	// them, so the navigation links to the inbox.
	AlertsNav bool
	// CasesNav: the case pages are registered, so the navigation links to
	// them.
	CasesNav bool
	// ReportNav: the field report pages are registered, so the navigation
	// links to the report form; FieldReportsNav, and the user may verify
	// reports, so it links to the verification page.
	ReportNav, FieldReportsNav bool
	// RosterNav, FundNav: the roster and fund pages are registered and
	// the user may read them.
	RosterNav, FundNav bool
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := h.pages.byName[name]
	if !ok {
		h.Log.Error("web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	v := view{Title: title, User: server.PrincipalFrom(r.Context()), Path: r.URL.Path, Page: data}
	v.AlertsNav = h.Alerts != nil && v.User != nil && alertReaders.Check(v.User) == nil
	v.CasesNav = h.Cases != nil && v.User != nil && caseReaders.Check(v.User) == nil
	v.ReportNav = h.FieldReports != nil && v.User != nil && reportSubmitters.Check(v.User) == nil
	v.FieldReportsNav = h.FieldReports != nil && v.User != nil && reportReaders.Check(v.User) == nil
	v.RosterNav = h.Roster != nil && v.User != nil && rosterReaders.Check(v.User) == nil
	v.FundNav = h.Fund != nil && v.User != nil && fundReaders.Check(v.User) == nil
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.Log.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store") // pages hold data a partner may not be cleared for
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	hd.Add("Vary", "Accept-Encoding")
	body := buf.Bytes()
	// Maps and tables make pages of 100-300 kB that compress five- to
	// tenfold: it matters on a field office's connection.
	if len(body) > 1024 && acceptsGzip(r) {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		zw.Write(body)
		if err := zw.Close(); err == nil {
			hd.Set("Content-Encoding", "gzip")
			body = z.Bytes()
		}
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// acceptsGzip reports whether the client takes gzip-encoded responses.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

var funcs = template.FuncMap{
	"asset": assetURL,
	"lower": strings.ToLower,
	"num":   formatInt,
	"date":  formatDate,
	"query": func(pairs ...string) template.URL { return template.URL(encodeQuery(pairs...)) },
	"roleName": func(r auth.Role) string {
		return strings.ToUpper(string(r[:1])) + strings.ReplaceAll(string(r[1:]), "-", " ")
	},
}

// formatInt writes n with thousands separators: 12345 -> "12,345".
func formatInt(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

// formatDate writes a civil date as people read it: "30 Dec 2022".
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2 Jan 2006")
}

// encodeQuery builds "?k=v&..." from key-value pairs, leaving out empty
// values; "" when all are empty.
func encodeQuery(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// day returns t's civil date, midnight UTC, as events store dates.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseDay parses a YYYY-MM-DD form value; "" is the zero time.
func parseDay(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not a date like 2022-12-31", field, s)
	}
	return t, nil
}
