package web

import (
	"fmt"
	"math"
	"time"

	"threshold/internal/event"
)

// monthly is one month of a country's events, for the chart and its table.
type monthly struct {
	Month      time.Time
	Label      string // "Mar 2022"
	Events     int
	Fatalities int
}

// fillMonths returns one entry per month from the first period to the last
// (or from from to to, when set), with zeros for months without events.
func fillMonths(periods []event.Period, from, to time.Time) []monthly {
	byMonth := map[string]event.Period{}
	var first, last time.Time
	for _, p := range periods {
		m, err := time.Parse("2006-01", p.Period)
		if err != nil {
			continue
		}
		q := byMonth[p.Period]
		q.Events += p.Events
		q.Fatalities += p.Fatalities
		byMonth[p.Period] = q
		if first.IsZero() || m.Before(first) {
			first = m
		}
		if m.After(last) {
			last = m
		}
	}
	if !from.IsZero() {
		first = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if !to.IsZero() {
		last = time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if first.IsZero() || last.IsZero() {
		return nil
	}
	var out []monthly
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		p := byMonth[m.Format("2006-01")]
		out = append(out, monthly{Month: m, Label: m.Format("Jan 2006"), Events: p.Events, Fatalities: p.Fatalities})
	}
	return out
}

// chart is a two-panel bar chart of months: fatalities above, events
// below, on one time axis. Coordinates are SVG user units.
type chart struct {
	Width, Height float64
	Left, Right   float64 // the plot's horizontal extent
	Panels        []chartPanel
	XTicks        []chartTick
	XAxisY        float64 // where the month labels go
	TickTop       float64 // the time axis' tick marks, from TickTop to TickBottom
	TickBottom    float64
	YLabelX       float64 // where value labels end
	Months        int
}

type chartPanel struct {
	Title    string
	Class    string
	Top      float64
	Bottom   float64
	YTicks   []chartTick
	Bars     []chartBar
	AllZero  bool
	TitleY   float64
	Baseline float64 // the zero line
}

type chartTick struct {
	Pos   float64
	Label string
}

type chartBar struct {
	X, Y, W, H float64
	Title      string
}

const (
	chartWidth  = 720.0
	chartLeft   = 52.0 // room for y labels
	chartRight  = 12.0
	panelHeight = 130.0
	panelGap    = 46.0
	chartTop    = 26.0
)

func newChart(months []monthly) chart {
	c := chart{Width: chartWidth, Left: chartLeft, Right: chartWidth - chartRight, YLabelX: chartLeft - 6, Months: len(months)}
	if len(months) == 0 {
		return c
	}
	plotW := c.Right - c.Left
	step := plotW / float64(len(months))
	gap := 0.0
	if step >= 4 {
		gap = math.Min(step*0.2, 4)
	}
	panels := []struct {
		title, class string
		value        func(monthly) int
		unit         string
	}{
		{"Fatalities per month (best estimate)", "fatalities", func(m monthly) int { return m.Fatalities }, "fatalities"},
		{"Events per month", "events", func(m monthly) int { return m.Events }, "events"},
	}
	top := chartTop
	for _, pd := range panels {
		p := chartPanel{Title: pd.title, Class: pd.class, Top: top, Bottom: top + panelHeight, TitleY: top - 10}
		maxV := 0
		for _, m := range months {
			maxV = max(maxV, pd.value(m))
		}
		p.AllZero = maxV == 0
		ticks, yMax := niceTicks(maxV)
		scale := panelHeight / float64(yMax)
		for _, t := range ticks {
			p.YTicks = append(p.YTicks, chartTick{Pos: p.Bottom - float64(t)*scale, Label: formatInt(t)})
		}
		p.Baseline = p.Bottom
		for i, m := range months {
			v := pd.value(m)
			if v == 0 {
				continue
			}
			h := math.Max(float64(v)*scale, 1) // a month with one death stays visible
			p.Bars = append(p.Bars, chartBar{
				X: round1(c.Left + float64(i)*step + gap/2), Y: round1(p.Bottom - h),
				W: round1(math.Max(step-gap, 0.6)), H: round1(h),
				Title: fmt.Sprintf("%s: %s %s", m.Label, formatInt(v), pd.unit),
			})
		}
		c.Panels = append(c.Panels, p)
		top = p.Bottom + panelGap
	}
	last := c.Panels[len(c.Panels)-1]
	c.XAxisY = last.Bottom + 16
	c.TickTop, c.TickBottom = last.Bottom, last.Bottom+4
	c.Height = c.XAxisY + 10
	c.XTicks = monthTicks(months, c.Left, step)
	return c
}

// niceTicks returns about four round tick values from 0 and the axis top.
func niceTicks(maxV int) ([]int, int) {
	if maxV <= 0 {
		return []int{0, 1}, 1
	}
	step, _ := niceStep(float64(maxV))
	s := max(int(step), 1)
	top := ((maxV + s - 1) / s) * s
	var ticks []int
	for t := 0; t <= top; t += s {
		ticks = append(ticks, t)
	}
	return ticks, top
}

// niceStep is the round step (1, 2 or 5 times a power of ten) that cuts
// 0..maxV (> 0) into about four intervals, and that power of ten.
func niceStep(maxV float64) (step, mag float64) {
	raw := maxV / 4
	mag = math.Pow(10, math.Floor(math.Log10(raw)))
	switch r := raw / mag; {
	case r <= 1:
		step = mag
	case r <= 2:
		step = 2 * mag
	case r <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	return step, mag
}

// monthTicks labels the time axis: months over short spans, years (every
// one, two, five or ten) over long ones, at most about ten labels.
func monthTicks(months []monthly, left, step float64) []chartTick {
	var out []chartTick
	n := len(months)
	if n <= 18 {
		every := 1
		if n > 9 {
			every = 3
		}
		for i, m := range months {
			if i%every == 0 {
				out = append(out, chartTick{Pos: round1(left + (float64(i)+0.5)*step), Label: m.Month.Format("Jan 2006")})
			}
		}
		return out
	}
	years := n / 12
	every := 1
	for _, e := range []int{1, 2, 5, 10, 20} {
		every = e
		if years/e <= 9 {
			break
		}
	}
	for i, m := range months {
		if m.Month.Month() == time.January && m.Month.Year()%every == 0 {
			out = append(out, chartTick{Pos: round1(left + float64(i)*step), Label: m.Month.Format("2006")})
		}
	}
	return out
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
