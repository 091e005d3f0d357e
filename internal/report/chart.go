package report

import "fmt"

// barChart is a small SVG bar chart of one figure over the report's
// thirteen months, the month reported highlighted. Coordinates are SVG
// user units.
type barChart struct {
	Title         string
	Width, Height int
	Max           int
	Bars          []bar
	BaseY         int
}

// bar is one month's bar and its labels.
type bar struct {
	X, Y, W, H int
	Label      string // "Dec 2013"
	Short      string // "D"
	Value      int
	Current    bool
}

// newBarChart lays out the values of the months in c under title; value
// picks the figure.
func newBarChart(title string, months []Month, value func(Month) int) barChart {
	const (
		width, height = 390, 130
		left, top     = 4, 16
		bottom        = 18
		gap           = 4
	)
	ch := barChart{Title: title, Width: width, Height: height, BaseY: height - bottom}
	for _, m := range months {
		ch.Max = max(ch.Max, value(m))
	}
	n := len(months)
	if n == 0 {
		return ch
	}
	slot := (width - left) / n
	plot := height - top - bottom
	for i, m := range months {
		v := value(m)
		h := 0
		if ch.Max > 0 {
			h = v * plot / ch.Max
		}
		if v > 0 && h == 0 {
			h = 1 // a month with any count stays visible
		}
		ch.Bars = append(ch.Bars, bar{
			X: left + i*slot, Y: ch.BaseY - h, W: slot - gap, H: h,
			Label: m.Start.Format("Jan 2006"), Short: m.Start.Format("Jan")[:1],
			Value: v, Current: i == n-1,
		})
	}
	return ch
}

// ViewBox is the chart's SVG viewBox attribute.
func (c barChart) ViewBox() string { return fmt.Sprintf("0 0 %d %d", c.Width, c.Height) }

// BaseYLabel is the baseline of the month initials under the bars.
func (c barChart) BaseYLabel() int { return c.BaseY + 12 }
