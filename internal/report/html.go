package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed monthly.html.tmpl
var templates embed.FS

// WriteHTML writes r as one self-contained HTML document: inline CSS and
// SVG charts, no scripts and nothing fetched. The document is also
// well-formed XML.
func (r Monthly) WriteHTML(w io.Writer) error {
	t, err := template.New("monthly.html.tmpl").Funcs(template.FuncMap{
		"num":    thousands,
		"mean":   func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"pct":    func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
		"day":    func(t time.Time) string { return t.Format("2006-01-02") },
		"month":  func(t time.Time) string { return t.Format("January 2006") },
		"stamp":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"isNaN":  math.IsNaN,
		"join":   strings.Join,
		"list":   func(cs ...barChart) []barChart { return cs },
		"change": change,
		"fatChart": func(c Country) barChart {
			return newBarChart("Fatalities (best estimate)", c.Chart24(), func(m Month) int { return m.Fatalities })
		},
		"evtChart": func(c Country) barChart {
			return newBarChart("Events", c.Chart24(), func(m Month) int { return m.Events })
		},
		"title":     Monthly.Title,
		"rules":     Call.RulesMet,
		"rulesText": func() []string { return RuleTexts },
	}).ParseFS(templates, "monthly.html.tmpl")
	if err != nil {
		return fmt.Errorf("report: template: %w", err)
	}
	if err := t.Execute(w, r); err != nil {
		return fmt.Errorf("report: write HTML: %w", err)
	}
	return nil
}

// Title is the document's title: "Monthly tracker: December 2013", or
// "Country brief: Central African Republic, December 2013".
func (r Monthly) Title() string {
	if r.Brief && len(r.Countries) == 1 {
		return "Country brief: " + r.Countries[0].Name + ", " + r.Month.Format("January 2006")
	}
	return "Monthly tracker: " + r.Month.Format("January 2006")
}

// thousands formats n with commas: 1318 is "1,318".
func thousands(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

// change says how the month's count compares with the mean of the twelve
// months before: "×4.2 the 12-month mean", or "none in the 12 months
// before" when that mean is zero.
func change(n int, mean float64) string {
	switch {
	case mean == 0 && n == 0:
		return "none this month nor in the 12 months before"
	case mean == 0:
		return "none in the 12 months before"
	default:
		return "×" + strconv.FormatFloat(float64(n)/mean, 'f', 1, 64) + " the 12-month mean"
	}
}
