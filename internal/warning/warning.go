// Package warning runs the warning half of Threshold's loop each time the
// data change: the indicators of what changed are recomputed, the alert
// rules are evaluated over the changed countries and their land
// neighbours, and the alert Manager turns the firings into alerts, which it
// routes and hands to delivery.
//
//	ingest ─► Touched ─► indicators ─► rules.Evaluate ─► alert.Manager.Process ─► notify
//
// # The evaluation's "now"
//
// Rules evaluate the period that contains their AsOf day. A Watcher takes
// as AsOf the last day the change touched, never later than today: when
// UCDP's candidate events for October arrive in November, October is
// evaluated, and a GDELT file of today evaluates today's periods. A change
// that touches only days more than Backfill before the latest event in the
// store is history being filled in, not news: the indicators are
// recomputed, but no rule is evaluated, so loading an archive does not
// raise alerts about its past. (To see what the rules would have said
// about the past, use the backtest.)
package warning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"threshold/internal/alert"
	"threshold/internal/geo"
	"threshold/internal/rules"
)

// DefaultBackfill is how far before the newest stored event a change may lie
// and still be evaluated: two months, so that a monthly source arriving a
// month late is still news.
const DefaultBackfill = 62 * 24 * time.Hour

// Indicators recomputes derived indicators (indicator.Updater).
type Indicators interface {
	Recompute(ctx context.Context, countries []string, from, to time.Time) (int, error)
}

// Store is what a Watcher reads beyond the rules' data.
type Store interface {
	rules.Source
	// LatestEventDay returns the start day of the newest stored event
	// (zero if there is none).
	LatestEventDay(ctx context.Context) (time.Time, error)
}

// Watcher runs indicators, rules and alerts after each change. Its fields
// are set once, before use.
type Watcher struct {
	Store      Store
	Indicators Indicators // nil: indicators are kept up to date elsewhere
	// Rules returns the rules in force (the saved version or the default).
	Rules  func(ctx context.Context) (*rules.File, error)
	Alerts *alert.Manager
	// Geo is the country table the rules name countries from; nil loads
	// it at each evaluation.
	Geo *geo.Table
	// Neighbours gives a country's land neighbours in a year; nil means
	// geo.Neighbours with geo.Land.
	Neighbours func(iso3 string, year int) []string
	Backfill   time.Duration // 0: DefaultBackfill
	// AfterChange, when set, runs at the end of every Changed, backfills
	// included, with the same countries and days: for what else derives
	// from the events, such as the links of field reports to them.
	AfterChange func(ctx context.Context, countries []string, from, to time.Time) error
	Now         func() time.Time
	Log         *slog.Logger
}

// Report says what one change led to.
type Report struct {
	Recomputed int           `json:"indicators_recomputed"`
	Evaluated  bool          `json:"evaluated"`         // false for a backfill or an empty change
	AsOf       time.Time     `json:"as_of,omitzero"`    // the evaluation's day
	Countries  []string      `json:"countries"`         // the countries evaluated
	Firings    int           `json:"firings"`           // rule firings found
	Alerts     *alert.Result `json:"alerts,omitempty"`  // what the Manager changed
	Skipped    string        `json:"skipped,omitempty"` // why rules were not evaluated
}

// Changed brings everything derived from the events of the countries in
// [from, to] up to date: indicators, then rules and alerts.
func (w *Watcher) Changed(ctx context.Context, countries []string, from, to time.Time) (Report, error) {
	rep, err := w.changed(ctx, countries, from, to)
	if err == nil && w.AfterChange != nil && len(countries) > 0 {
		if aerr := w.AfterChange(ctx, countries, from, to); aerr != nil {
			err = fmt.Errorf("after a change: %w", aerr)
		}
	}
	return rep, err
}

func (w *Watcher) changed(ctx context.Context, countries []string, from, to time.Time) (Report, error) {
	var rep Report
	if len(countries) == 0 {
		rep.Skipped = "nothing changed"
		return rep, nil
	}
	if w.Indicators != nil {
		n, err := w.Indicators.Recompute(ctx, countries, from, to)
		if err != nil {
			return rep, fmt.Errorf("after a change: %w", err)
		}
		rep.Recomputed = n
	}
	latest, err := w.Store.LatestEventDay(ctx)
	if err != nil {
		return rep, fmt.Errorf("after a change: %w", err)
	}
	backfill := w.Backfill
	if backfill <= 0 {
		backfill = DefaultBackfill
	}
	if !latest.IsZero() && to.Before(latest.Add(-backfill)) {
		rep.Skipped = fmt.Sprintf("backfill: the change ends on %s, more than %d days before the newest event (%s)",
			to.Format(time.DateOnly), int(backfill.Hours()/24), latest.Format(time.DateOnly))
		return rep, nil
	}
	asOf := to
	if today := civil(w.now()); asOf.After(today) {
		asOf = today
	}
	return w.evaluate(ctx, rep, w.scope(countries, asOf.Year()), asOf)
}

// Evaluate runs the rules over the countries (nil: all) as of a day and
// processes the firings, without recomputing anything: for a scheduled
// re-evaluation, or after the rules change.
func (w *Watcher) Evaluate(ctx context.Context, countries []string, asOf time.Time) (Report, error) {
	return w.evaluate(ctx, Report{}, countries, civil(asOf))
}

// Replay evaluates the rules over the countries at the end of every month
// from the month of from to the month of to, in order, and processes each
// evaluation's firings with the clock at that month's end: the alerts
// open, update, clear and resolve as they would have, then. It is how a
// demonstration or a training session fills an inbox from history;
// the backtest ("threshold warnings backtest") is how the rules are measured.
func (w *Watcher) Replay(ctx context.Context, countries []string, from, to time.Time) ([]Report, error) {
	var reps []Report
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1)
		at := end.Add(23*time.Hour + 59*time.Minute)
		rep, err := w.evaluateAt(ctx, Report{}, countries, end, at)
		if err != nil {
			return reps, err
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

func (w *Watcher) evaluate(ctx context.Context, rep Report, countries []string, asOf time.Time) (Report, error) {
	return w.evaluateAt(ctx, rep, countries, asOf, w.now())
}

// evaluateAt evaluates as of asOf and processes the firings at now.
func (w *Watcher) evaluateAt(ctx context.Context, rep Report, countries []string, asOf, now time.Time) (Report, error) {
	if w.Rules == nil || w.Alerts == nil {
		return rep, errors.New("warning: watcher without rules or alert manager")
	}
	f, err := w.Rules(ctx)
	if err != nil {
		return rep, fmt.Errorf("evaluate rules: %w", err)
	}
	firings, err := rules.Evaluate(ctx, w.Store, f, rules.Scope{Countries: countries, AsOf: asOf, Geo: w.Geo})
	if err != nil {
		return rep, fmt.Errorf("evaluate rules as of %s: %w", asOf.Format(time.DateOnly), err)
	}
	ids := make([]string, 0, len(f.Rules))
	for _, r := range f.Rules {
		ids = append(ids, r.ID)
	}
	res, err := w.Alerts.Process(ctx, firings, alert.Evaluated{Rules: ids, Countries: countries, AsOf: asOf}, now)
	if err != nil {
		return rep, fmt.Errorf("process %d firings as of %s: %w", len(firings), asOf.Format(time.DateOnly), err)
	}
	rep.Evaluated, rep.AsOf, rep.Countries, rep.Firings, rep.Alerts = true, asOf, countries, len(firings), &res
	w.log().InfoContext(ctx, "rules evaluated", "as_of", asOf.Format(time.DateOnly), "countries", len(countries),
		"firings", len(firings), "opened", len(res.Opened), "updated", len(res.Updated),
		"cleared", len(res.Cleared), "resolved", len(res.Resolved), "notified", res.Notified)
	return rep, nil
}

// scope is the changed countries and their land neighbours in year, whose
// cross-border rules read the changed countries' data.
func (w *Watcher) scope(countries []string, year int) []string {
	nb := w.Neighbours
	if nb == nil {
		nb = func(iso3 string, year int) []string { return geo.Neighbours(iso3, year, geo.Land) }
	}
	out := slices.Clone(countries)
	for _, c := range countries {
		out = append(out, nb(c, year)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (w *Watcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Watcher) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

// civil is t's day as midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
