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
// month end when it had not fired there at the previous month end.
type Alert struct {
	Rule     string         `json:"rule"`
	Severity alert.Severity `json:"severity,omitempty"`
	Country  string         `json:"country"`
	Admin1   string         `json:"admin1,omitempty"`
	// AsOf is the month end the alert was raised at.
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

// Replay evaluates eval at the end of every month from first's month to
// last's month, up to workers months at a time, and returns the alerts
// raised, by month end, then country, area and rule.
//
// It replays the alert lifecycle's deduplication: a firing raises an alert
// when its fingerprint (alert.Firing.Fingerprint: rule and place) did not
// fire at the previous month end; one that fires month after month is one
// alert, and one that stops and fires again is a new alert. The first month
// only sets what was firing: it is the warm-up, and raises nothing.
func Replay(ctx context.Context, first, last time.Time, workers int, eval EvalFunc) ([]Alert, error) {
	first, last = monthStart(first), monthStart(last)
	n := monthsBetween(first, last) + 1
	if n <= 0 {
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
				asOf := monthEnd(first.AddDate(0, i, 0))
				fs, err := eval(ctx, asOf)
				if err != nil {
					errs[i] = fmt.Errorf("evaluate as of %s: %w", asOf.Format(time.DateOnly), err)
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
	return dedup(first, results), nil
}

// dedup turns the firings of consecutive month ends (results[i] at the end
// of the month i months after first) into raised alerts.
func dedup(first time.Time, results [][]alert.Firing) []Alert {
	var out []Alert
	prev := map[string]bool{}
	for i, fs := range results {
		asOf := monthEnd(first.AddDate(0, i, 0))
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
