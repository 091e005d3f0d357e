package backtest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"threshold/internal/alert"
)

// Alert is an alert the replay raised: a rule firing for a place at a
// step (a month end, or a week or month end with StepWeek) when it had not
// fired there at the previous step.
type Alert struct {
	Rule     string         `json:"rule"`
	Severity alert.Severity `json:"severity,omitempty"`
	Country  string         `json:"country"`
	Admin1   string         `json:"admin1,omitempty"`
	// AsOf is the step (the end of the day) the alert was raised at.
	AsOf  time.Time `json:"as_of"`
	Title string    `json:"title,omitempty"`
	Score float64   `json:"score"`
	// Escalation reports whether an episode followed in the alert's
	// country within the precision horizon (see Score).
	Escalation bool `json:"escalation"`
}

// month is the first day of the month the alert was raised in.
func (a Alert) month() time.Time { return monthStart(a.AsOf) }

// EvalFunc evaluates rules with the data known at the end of day asOf.
type EvalFunc func(ctx context.Context, asOf time.Time) ([]alert.Firing, error)

// ReplayAt evaluates eval at the end of each of days (ascending), up to
// workers days at a time, and returns the alerts raised, by day, then
// country, area and rule.
//
// It replays the alert lifecycle's deduplication: a firing raises an alert
// when its fingerprint (alert.Firing.Fingerprint: rule and place) did not
// fire at the previous day of days; one that fires step after step is one
// alert, and one that stops and fires again is a new alert. The first day
// only sets what was firing: it is the warm-up, and raises nothing.
func ReplayAt(ctx context.Context, days []time.Time, workers int, eval EvalFunc) ([]Alert, error) {
	n := len(days)
	if n == 0 {
		return nil, nil
	}
	workers = max(1, min(workers, n))
	results := make([][]alert.Firing, n)
	errs := make([]error, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fs, err := eval(ctx, days[i])
				if err != nil {
					errs[i] = fmt.Errorf("evaluate as of %s: %w", days[i].Format(time.DateOnly), err)
					cancel()
					continue
				}
				results[i] = fs
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return dedup(days, results), nil
}

// MonthEnds returns the last day of every month from first's month to
// last's month.
func MonthEnds(first, last time.Time) []time.Time {
	first, last = monthStart(first), monthStart(last)
	var out []time.Time
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		out = append(out, monthEnd(m))
	}
	return out
}

// WeekAndMonthEnds returns every Sunday (the end of an ISO week) and
// every month end from first's month to last's month, ascending, each
// once.
func WeekAndMonthEnds(first, last time.Time) []time.Time {
	first, end := monthStart(first), monthEnd(monthStart(last))
	var out []time.Time
	for d := first; !d.After(end); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Sunday || d.AddDate(0, 0, 1).Day() == 1 {
			out = append(out, d)
		}
	}
	return out
}

// dedup turns the firings of consecutive steps (results[i] at the end of
// days[i]) into raised alerts.
func dedup(days []time.Time, results [][]alert.Firing) []Alert {
	var out []Alert
	prev := map[string]bool{}
	for i, fs := range results {
		asOf := days[i]
		cur := make(map[string]bool, len(fs))
		var raised []Alert
		for _, f := range fs {
			fp := f.Fingerprint()
			if cur[fp] {
				continue
			}
			cur[fp] = true
			if i == 0 || prev[fp] {
				continue
			}
			raised = append(raised, Alert{
				Rule: f.Rule, Severity: f.Severity, Country: f.Country, Admin1: f.Admin1,
				AsOf: asOf, Title: f.Title, Score: f.Score,
			})
		}
		sort.Slice(raised, func(a, b int) bool {
			x, y := raised[a], raised[b]
			if x.Country != y.Country {
				return x.Country < y.Country
			}
			if x.Admin1 != y.Admin1 {
				return x.Admin1 < y.Admin1
			}
			return x.Rule < y.Rule
		})
		out = append(out, raised...)
		prev = cur
	}
	return out
}
