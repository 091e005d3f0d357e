package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/rules"
	"threshold/internal/server"
	"threshold/internal/store"
)

type alertView struct {
	Alert       alert.Alert
	Row         alertRow
	CountryName string
	Known       bool   // the country is in the code table, so it has a page
	Window      string // "1 Dec 2013 – 31 Dec 2013"
	FirstWindow string // the window that opened the alert, when it differs
	Score       string
	Labels      []string // "theme: violence"
	Rule        *ruleRow // the rule in the active rules file; nil if it is no longer there
	RulesOn     bool     // the rules page is registered

	History    []transitionRow
	Chart      evidenceChart
	Evidence   []evidenceRow
	Indicator  string
	Events     []eventRow
	Missing    []string // keys of triggering events not in the data
	EventKeys  bool     // events are listed by key only: no event lookup is wired
	Receivers  []string
	Deliveries []deliveryRow
	DeliveryOn bool // the delivery log is available
	Assignees  []string
	Done       string
	Back       string
	// Cases is the casework entry point: opening a case from the alert,
	// and the cases in its place to log an action on; nil when the case
	// pages are not registered.
	Cases *alertCases
}

type transitionRow struct {
	At, Action, From, To, Actor, Note string
}

type deliveryRow struct {
	At, Event, Receiver, Channel, Target, Status, Detail string
	Attempt                                              int
}

// actionLabels name history actions for people.
var actionLabels = map[alert.Action]string{
	alert.ActOpen:        "Opened",
	alert.ActAcknowledge: "Acknowledged",
	alert.ActAssign:      "Assigned",
	alert.ActAction:      "Actioned",
	alert.ActDismiss:     "Dismissed",
	alert.ActResolve:     "Resolved",
	alert.ActClear:       "Condition cleared",
	alert.ActRefire:      "Fired again",
	alert.ActEscalate:    "Severity raised",
}

// alertPage shows one alert: what fired and why, the evidence chart with
// the window highlighted, the triggering events, where it was routed and
// delivered, its whole history, and the changes its state allows. Reading
// it is recorded in the audit log, as alerts are confidential.
func (h *handler) alertPage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	ctx := r.Context()
	a, hist, err := h.Alerts.Get(ctx, id)
	if errors.Is(err, alert.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return fmt.Errorf("alert %d: %w", id, err)
	}
	if h.Audit != nil {
		p := server.PrincipalFrom(ctx)
		e := audit.Entry{ActorID: p.UserID, Actor: p.Email, Action: "read.confidential",
			Object: "alert:" + strconv.FormatInt(id, 10), Remote: server.RemoteHost(r)}
		if err := h.Audit.Record(context.WithoutCancel(ctx), e); err != nil {
			return fmt.Errorf("audit read of alert %d: %w", id, err)
		}
	}
	v := alertView{Alert: a, Row: newAlertRow(a), CountryName: a.Country, Done: doneMessage(r), Back: r.URL.Path,
		Window: windowText(a.Window), Score: formatValue(a.Score), Indicator: a.Indicator, Receivers: a.Receivers}
	if c, ok := h.Geo.Lookup(a.Country); ok {
		v.CountryName, v.Known = c.Name, true
	}
	if a.FirstWindow != a.Window && !a.FirstWindow.Start.IsZero() {
		v.FirstWindow = windowText(a.FirstWindow)
	}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		v.Labels = append(v.Labels, k+": "+a.Labels[k])
	}
	if h.Rules != nil {
		v.RulesOn = true
		f, _, err := h.activeRules(ctx)
		if err != nil {
			return err
		}
		for i := range f.Rules {
			if f.Rules[i].ID == a.Rule {
				row := newRuleRow(&f.Rules[i])
				v.Rule = &row
			}
		}
	}
	for _, t := range hist {
		v.History = append(v.History, transitionRow{At: formatTime(t.At), Action: actionLabels[t.Action],
			From: string(t.From), To: string(t.To), Actor: t.Actor, Note: t.Note})
	}
	v.Chart = newEvidenceChart(a.Evidence, a.Window)
	for _, p := range a.Evidence {
		v.Evidence = append(v.Evidence, evidenceRow{Label: p.Label, Value: formatValue(p.Value), InWindow: inWindow(p, a.Window)})
	}
	if err := h.triggeringEvents(ctx, a, &v); err != nil {
		return err
	}
	if h.Deliveries != nil {
		v.DeliveryOn = true
		log, err := h.Deliveries.Log(ctx, id)
		if err != nil {
			return fmt.Errorf("delivery log of alert %d: %w", id, err)
		}
		for _, d := range log {
			v.Deliveries = append(v.Deliveries, newDeliveryRow(d))
		}
	}
	if v.Assignees, err = h.assignees(ctx); err != nil {
		return err
	}
	if v.Cases, err = h.alertCases(r, a); err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "alert", "Alert "+strconv.FormatInt(id, 10)+": "+a.Title, v)
	return nil
}

// triggeringEvents looks up the alert's events by key, in the alert's
// order; keys no longer in the data are listed as missing.
func (h *handler) triggeringEvents(ctx context.Context, a alert.Alert, v *alertView) error {
	if h.Events == nil {
		v.EventKeys = true
		for _, k := range a.Events {
			v.Missing = append(v.Missing, k.String())
		}
		return nil
	}
	for _, k := range a.Events {
		s, err := h.Events.Event(ctx, k)
		switch {
		case errors.Is(err, store.ErrNotFound):
			v.Missing = append(v.Missing, k.String())
		case err != nil:
			return fmt.Errorf("alert %d: event %s: %w", a.ID, k, err)
		default:
			v.Events = append(v.Events, newEventRow(s.ID, &s.Event))
		}
	}
	return nil
}

func newDeliveryRow(d store.Delivery) deliveryRow {
	row := deliveryRow{At: formatTime(d.At), Event: d.Event, Receiver: d.Receiver, Channel: d.Channel,
		Target: d.Target, Status: d.Status, Attempt: d.Attempt, Detail: d.Error}
	if d.HTTPStatus != 0 {
		row.Detail = strings.TrimSpace("HTTP " + strconv.Itoa(d.HTTPStatus) + " " + d.Error)
	}
	return row
}

// windowText writes a window of civil days: "1 Dec 2013 – 31 Dec 2013",
// or one day.
func windowText(w alert.Window) string {
	if w.Start.IsZero() {
		return ""
	}
	if w.End.IsZero() || w.End.Equal(w.Start) {
		return formatDate(w.Start)
	}
	return formatDate(w.Start) + " – " + formatDate(w.End)
}

// formatValue writes a measure: whole numbers with separators, others
// with at most two decimals.
func formatValue(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return formatInt(int(f))
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// inWindow reports whether evidence point p's period starts in w.
func inWindow(p alert.Point, w alert.Window) bool {
	return !p.Start.Before(w.Start) && !p.Start.After(w.End)
}

type evidenceRow struct {
	Label, Value string
	InWindow     bool
}

// evidenceChart is a bar chart of an alert's evidence series with the
// alert's window shaded. Coordinates are SVG user units, as in chart.
type evidenceChart struct {
	Width, Height float64
	Left, Right   float64
	Top, Bottom   float64
	YLabelX       float64
	YTicks        []chartTick
	Bars          []evidenceBar
	XTicks        []chartTick
	XAxisY        float64
	TickBottom    float64   // the time axis' tick marks go from Bottom to TickBottom
	Band          *chartBar // the window, shaded behind its bars; nil if no period of the series is in it
	BandLabelX    float64   // the band's label ends at its right edge
	BandLabelY    float64
	Points        int
}

type evidenceBar struct {
	chartBar
	InWindow bool
}

const evidenceHeight = 160.0

func newEvidenceChart(pts []alert.Point, w alert.Window) evidenceChart {
	c := evidenceChart{Width: chartWidth, Left: chartLeft, Right: chartWidth - chartRight, YLabelX: chartLeft - 6,
		Top: chartTop, Bottom: chartTop + evidenceHeight, Points: len(pts)}
	c.BandLabelY = c.Top - 10
	c.XAxisY = c.Bottom + 16
	c.TickBottom = c.Bottom + 4
	c.Height = c.XAxisY + 10
	if len(pts) == 0 {
		return c
	}
	step := (c.Right - c.Left) / float64(len(pts))
	gap := 0.0
	if step >= 4 {
		gap = math.Min(step*0.2, 4)
	}
	maxV := 0.0
	for _, p := range pts {
		maxV = math.Max(maxV, p.Value)
	}
	ticks, top := niceTicksFloat(maxV)
	scale := evidenceHeight / top
	for _, t := range ticks {
		c.YTicks = append(c.YTicks, chartTick{Pos: round1(c.Bottom - t*scale), Label: formatValue(t)})
	}
	first, last := -1, -1
	for i, p := range pts {
		in := inWindow(p, w)
		if in {
			if first < 0 {
				first = i
			}
			last = i
		}
		if p.Value <= 0 || math.IsNaN(p.Value) {
			continue
		}
		hgt := math.Max(p.Value*scale, 1)
		c.Bars = append(c.Bars, evidenceBar{InWindow: in, chartBar: chartBar{
			X: round1(c.Left + float64(i)*step + gap/2), Y: round1(c.Bottom - hgt),
			W: round1(math.Max(step-gap, 0.6)), H: round1(hgt),
			Title: p.Label + ": " + formatValue(p.Value),
		}})
	}
	if first >= 0 {
		c.Band = &chartBar{X: round1(c.Left + float64(first)*step), Y: c.Top, W: round1(float64(last-first+1) * step),
			H: evidenceHeight, Title: "The alert's window: " + windowText(w)}
		c.BandLabelX = round1(c.Band.X + c.Band.W)
	}
	every := (len(pts) + 7) / 8
	for i, p := range pts {
		if i%every == 0 {
			c.XTicks = append(c.XTicks, chartTick{Pos: round1(c.Left + (float64(i)+0.5)*step), Label: p.Label})
		}
	}
	return c
}

// niceTicksFloat returns about four round tick values from 0 and the
// axis top, for series that may be fractions (shares, means).
func niceTicksFloat(maxV float64) ([]float64, float64) {
	if !(maxV > 0) || math.IsInf(maxV, 0) {
		return []float64{0, 1}, 1
	}
	step, mag := niceStep(maxV)
	n := math.Ceil(maxV/step - 1e-9)
	var ticks []float64
	for i := 0.0; i <= n; i++ {
		ticks = append(ticks, roundTo(i*step, mag))
	}
	return ticks, n * step
}

// roundTo removes float noise from a tick: 0.30000000000000004 -> 0.3.
func roundTo(v, mag float64) float64 {
	if mag >= 1 {
		return math.Round(v)
	}
	p := math.Pow(10, math.Ceil(-math.Log10(mag)))
	return math.Round(v*p) / p
}

// activeRules returns the active rules file and its saved version: the
// newest saved version, or the embedded default (version ID 0) when none
// was saved.
func (h *handler) activeRules(ctx context.Context) (*rules.File, store.RulesVersion, error) {
	v, err := h.Rules.ActiveRules(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return rules.Default(), store.RulesVersion{Body: string(rules.DefaultYAML()), Version: rules.Default().Version}, nil
	}
	if err != nil {
		return nil, v, fmt.Errorf("active rules: %w", err)
	}
	f, err := v.File()
	if err != nil {
		return nil, v, fmt.Errorf("active rules version %d: %w", v.ID, err)
	}
	return f, v, nil
}
