package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

// eventsPerPage is the length of a page of the events table.
const eventsPerPage = 50

type countryView struct {
	ISO3, Name string
	Filter     countryFilter
	Problems   []string // filter values that were ignored, and why
	Categories []option
	Admin1s    []option

	Events, Fatalities int    // totals for the selection
	Counted            int    // events read whose source gives a death toll (GDELT and ICEWS give none)
	Span               string // "Aug 1991 – Dec 2022": the months charted
	Months             []monthly
	Chart              chart
	Map                countryMap

	Sorts          []option
	Rows           []eventRow
	Page, Pages    int    // the table's page, from 1, and how many there are
	RowFrom, RowTo int    // the rows shown, from 1; 0 when none
	Listed         int    // events the table orders: the selection, up to maxMapEvents
	Capped         bool   // the selection has more events than were read
	PrevPage       string // query of the previous page; "" on the first
	NextPage       string // query of the next page; "" on the last

	Areas []areaRow

	// Forecast is the forecasts section; nil without Deps.Forecasts.
	Forecast *countryForecast
}

// countryFilter is the events form, as submitted.
type countryFilter struct {
	From, To, Category, Admin1 string
	Sort                       string // the table's order
	f                          event.Filter
}

// query returns the filter as a query string, with extra pairs appended.
func (cf countryFilter) query(extra ...string) string {
	sort := cf.Sort
	if sort == sortNewest {
		sort = ""
	}
	q := encodeQuery(append([]string{"from", cf.From, "to", cf.To, "category", cf.Category, "admin1", cf.Admin1, "sort", sort}, extra...)...)
	if q == "" {
		return "?"
	}
	return q
}

// Query is the filter's query string, for links to the first page.
func (cf countryFilter) Query() string { return cf.query() }

// pageParam is the page query value: none for the first.
func pageParam(n int) string {
	if n <= 1 {
		return ""
	}
	return strconv.Itoa(n)
}

// Active reports whether any filter is set.
func (cf countryFilter) Active() bool {
	return cf.From != "" || cf.To != "" || cf.Category != "" || cf.Admin1 != ""
}

type option struct {
	Value, Label string
	Selected     bool
}

type eventRow struct {
	ID                 int64
	Date, DateNote     string
	Place, Admin1      string
	Category           string
	Actor1, Actor2     string
	Best, Range        string
	Source, SourceNote string
}

type areaRow struct {
	Name       string
	Events     int
	Fatalities int
	Share      string // of the selection's fatalities, "12%"
}

var categoryLabels = map[event.Category]string{
	event.Battle:                   "Battle",
	event.ViolenceAgainstCivilians: "Violence against civilians",
	event.ExplosionRemoteViolence:  "Explosion or remote violence",
	event.Riot:                     "Riot",
	event.Protest:                  "Protest",
	event.Coup:                     "Coup",
	event.Threat:                   "Threat",
	event.DiplomaticCooperation:    "Diplomatic cooperation",
	event.DiplomaticConflict:       "Diplomatic conflict",
	event.Other:                    "Other",
}

var datePrecisionNotes = map[event.DatePrecision]string{
	event.Days:  "within 2–6 days",
	event.Week:  "within a week",
	event.Month: "within a month",
	event.Year:  "within a year",
}

// countryPage shows one country: totals, a monthly chart, a map of events,
// the events table and the admin-1 breakdown, all for the filter's
// selection.
func (h *handler) countryPage(w http.ResponseWriter, r *http.Request) error {
	iso3 := r.PathValue("iso3")
	if up := strings.ToUpper(iso3); up != iso3 {
		http.Redirect(w, r, "/countries/"+up+encodeQuery("from", r.FormValue("from"), "to", r.FormValue("to"),
			"category", r.FormValue("category"), "admin1", r.FormValue("admin1")), http.StatusMovedPermanently)
		return nil
	}
	c, ok := h.Geo.Lookup(iso3)
	if !ok {
		return errNotFound
	}
	v := countryView{ISO3: c.ISO3, Name: c.Name}
	v.Filter, v.Problems = parseCountryFilter(r, c.ISO3)
	f := v.Filter.f
	ctx := r.Context()

	months, err := h.Data.Stats(ctx, store.CountryMonth, f)
	if err != nil {
		return err
	}
	for _, p := range months {
		v.Events += p.Events
		v.Fatalities += p.Fatalities
	}
	v.Months = fillMonths(months, f.From, f.To)
	if n := len(v.Months); n > 0 {
		v.Span = v.Months[0].Label + " – " + v.Months[n-1].Label
	}
	v.Chart = newChart(v.Months)

	areas, err := h.Data.Stats(ctx, store.Admin1Month, f)
	if err != nil {
		return err
	}
	v.Areas = areaRows(areas, v.Fatalities)
	all, err := h.Data.Stats(ctx, store.Admin1Month, event.Filter{Country: c.ISO3})
	if err != nil {
		return err
	}
	v.Admin1s = admin1Options(all, v.Filter.Admin1)
	for _, o := range sortOptions {
		o.Selected = o.Value == v.Filter.Sort
		v.Sorts = append(v.Sorts, o)
	}
	for _, cat := range event.Categories() {
		v.Categories = append(v.Categories, option{Value: string(cat), Label: categoryLabels[cat], Selected: string(cat) == v.Filter.Category})
	}

	// One pass over the selection draws the map and fills the table.
	v.Page, _ = strconv.Atoi(r.FormValue("page"))
	v.Page = max(v.Page, 1)
	top := &topRows{order: v.Filter.Sort, k: min(v.Page*eventsPerPage, maxMapEvents)}
	pc := newPlaceCollector()
	read := 0
	err = h.Data.Events(ctx, f, store.Page{Limit: maxMapEvents, NoRaw: true}, func(s event.Stored) error {
		read++
		if s.Fatalities.Best != nil {
			v.Counted++
		}
		pc.add(&s.Event)
		top.add(&s)
		return nil
	})
	if err != nil {
		return err
	}
	v.Map = h.newCountryMap(c.ISO3, pc)
	v.Capped = read == maxMapEvents && v.Events > maxMapEvents
	v.Map.Capped = v.Capped
	v.Pages = (read + eventsPerPage - 1) / eventsPerPage
	first := (v.Page - 1) * eventsPerPage
	for _, row := range top.page(first, eventsPerPage) {
		v.Rows = append(v.Rows, newEventRow(row.id, &row.e))
	}
	if len(v.Rows) > 0 {
		v.RowFrom, v.RowTo = first+1, first+len(v.Rows)
	}
	if v.Page > 1 {
		v.PrevPage = v.Filter.query("page", pageParam(v.Page-1))
	}
	if v.Page < v.Pages {
		v.NextPage = v.Filter.query("page", strconv.Itoa(v.Page+1))
	}
	v.Listed = read
	if h.Forecasts != nil {
		if v.Forecast, err = h.countryForecasts(ctx, c.ISO3); err != nil {
			return err
		}
	}

	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "country", c.Name, v)
	return nil
}

// parseCountryFilter reads the filter form. Bad values are dropped from
// the filter and reported, so that the page still shows something.
func parseCountryFilter(r *http.Request, iso3 string) (countryFilter, []string) {
	cf := countryFilter{f: event.Filter{Country: iso3}}
	var problems []string
	from, err := parseDay("From", r.FormValue("from"))
	if err != nil {
		problems = append(problems, err.Error())
	} else if !from.IsZero() {
		cf.From, cf.f.From = from.Format(time.DateOnly), from
	}
	to, err := parseDay("To", r.FormValue("to"))
	if err != nil {
		problems = append(problems, err.Error())
	} else if !to.IsZero() {
		cf.To, cf.f.To = to.Format(time.DateOnly), to
	}
	if !cf.f.From.IsZero() && !cf.f.To.IsZero() && cf.f.To.Before(cf.f.From) {
		problems = append(problems, "To: the end date is before the start date; both are ignored")
		cf.From, cf.To, cf.f.From, cf.f.To = "", "", time.Time{}, time.Time{}
	}
	if cat := event.Category(r.FormValue("category")); cat != "" {
		if cat.Valid() {
			cf.Category, cf.f.Category = string(cat), cat
		} else {
			problems = append(problems, "Category: "+strconv.Quote(string(cat))+" is not a category")
		}
	}
	if a := strings.TrimSpace(r.FormValue("admin1")); a != "" {
		cf.Admin1, cf.f.Admin1 = a, a
	}
	switch sort := r.FormValue("sort"); sort {
	case "", sortNewest:
		cf.Sort = sortNewest
	case sortOldest, sortDeadliest:
		cf.Sort = sort
	default:
		cf.Sort = sortNewest
		problems = append(problems, "Order: "+strconv.Quote(sort)+" is not an order of the table")
	}
	return cf, problems
}

func admin1Options(periods []event.Period, selected string) []option {
	seen := map[string]bool{}
	var out []option
	for _, p := range periods {
		if p.Admin1 == "" || seen[p.Admin1] {
			continue
		}
		seen[p.Admin1] = true
		out = append(out, option{Value: p.Admin1, Label: p.Admin1, Selected: p.Admin1 == selected})
	}
	if selected != "" && !seen[selected] {
		out = append(out, option{Value: selected, Label: selected, Selected: true})
	}
	slices.SortFunc(out, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return out
}

func areaRows(periods []event.Period, total int) []areaRow {
	byName := map[string]*areaRow{}
	var out []*areaRow
	for _, p := range periods {
		a, ok := byName[p.Admin1]
		if !ok {
			name := p.Admin1
			if name == "" {
				name = "Not recorded"
			}
			a = &areaRow{Name: name}
			byName[p.Admin1] = a
			out = append(out, a)
		}
		a.Events += p.Events
		a.Fatalities += p.Fatalities
	}
	rows := make([]areaRow, 0, len(out))
	for _, a := range out {
		if total > 0 {
			a.Share = strconv.Itoa(int(float64(a.Fatalities)*100/float64(total)+0.5)) + "%"
		} else {
			a.Share = "–"
		}
		rows = append(rows, *a)
	}
	slices.SortFunc(rows, func(a, b areaRow) int {
		return cmp.Or(cmp.Compare(b.Fatalities, a.Fatalities), cmp.Compare(b.Events, a.Events), strings.Compare(a.Name, b.Name))
	})
	return rows
}

func newEventRow(id int64, e *event.Event) eventRow {
	row := eventRow{
		ID:       id,
		Date:     e.DateStart.Format(time.DateOnly),
		DateNote: datePrecisionNotes[e.DatePrecision],
		Place:    e.Place, Admin1: e.Admin1,
		Category: categoryLabels[e.Category],
		Actor1:   e.Actor1, Actor2: e.Actor2,
		Source: string(e.Source) + " " + e.SourceID,
	}
	if !e.DateEnd.Equal(e.DateStart) {
		row.Date += " to " + e.DateEnd.Format(time.DateOnly)
	}
	if e.Version != "" {
		row.SourceNote = "release " + e.Version
	}
	f := e.Fatalities
	if f.Best != nil {
		row.Best = formatInt(*f.Best)
	} else {
		row.Best = "–"
	}
	if f.Low != nil && f.High != nil && (*f.Low != *f.High) {
		row.Range = formatInt(*f.Low) + "–" + formatInt(*f.High)
	}
	return row
}
