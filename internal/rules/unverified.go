package rules

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/indicator"
)

// unverifiedReports returns the field reports in verification that match
// q, dated on or before AsOf, when the evaluated rule includes them and
// the Source has them; nil otherwise.
func (e *evaluator) unverifiedReports(ctx context.Context, q EventQuery) ([]event.Event, error) {
	us, ok := e.src.(UnverifiedSource)
	if !e.unverified || !ok {
		return nil, nil
	}
	if q.To.After(e.asOf) {
		q.To = e.asOf
	}
	evs, err := us.RuleUnverifiedReports(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("unverified field reports: %w", err)
	}
	out := evs[:0]
	for _, ev := range evs {
		if !ev.DateStart.After(e.asOf) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// withUnverified adds to vs (values of indicator name, kind k, periods
// starting in [from, to]) what the field reports in verification add to
// them, when the evaluated rule includes them. Only counts take reports
// in (Parse refuses the rest), so a report adds to its period's value the
// way an event would: the same indicator.Compute over one aggregate per
// report.
func (e *evaluator) withUnverified(ctx context.Context, vs []indicator.Value, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error) {
	if !e.unverified || !isCount(name) {
		return vs, nil
	}
	end := k.Next(to).AddDate(0, 0, -1)
	q := EventQuery{Countries: countries, From: from, To: end}
	if strings.HasPrefix(name, indicator.NeighbourPrefix) {
		q.Countries = nil // the neighbours' reports count
	}
	evs, err := e.unverifiedReports(ctx, q)
	if err != nil || len(evs) == 0 {
		return vs, err
	}
	aggs := make([]indicator.Aggregate, 0, len(evs))
	for _, ev := range evs {
		a := indicator.Aggregate{Place: indicator.Place{Country: ev.Country, Admin1: ev.Admin1}, Day: ev.DateStart,
			Category: ev.Category, Events: 1}
		if b := ev.Fatalities.Best; b != nil && *b > 0 {
			a.FatalEvents, a.FatalitiesBest, a.FatalitiesLow, a.FatalitiesHigh = 1, *b, *b, *b
		}
		aggs = append(aggs, a)
	}
	if end.After(e.asOf) {
		end = e.asOf
	}
	in := indicator.Input{Aggregates: aggs, Targets: countries, From: from, To: end}
	index := make(map[indicator.Value]int, len(vs)) // key: the value with Value 0
	for i, v := range vs {
		v.Value = 0
		index[v] = i
	}
	out := slices.Clone(vs)
	for _, v := range indicator.Compute(in) {
		if v.Kind != k || v.Name != name || v.Start.Before(from) || v.Start.After(to) {
			continue
		}
		add := v.Value
		v.Value = 0
		if i, ok := index[v]; ok {
			out[i].Value += add
			continue
		}
		v.Value = add
		index[indicator.Value{Place: v.Place, Kind: v.Kind, Start: v.Start, Name: v.Name}] = len(out)
		out = append(out, v)
	}
	return out, nil
}

// noteUnverified tells, in the explanation and the labels of a firing of
// a rule that includes unverified reports, which of them it counted in its
// place and window: label verified=false, as a flash report's alert has.
func (e *evaluator) noteUnverified(ctx context.Context, f *alert.Firing) error {
	evs, err := e.unverifiedReports(ctx, EventQuery{Countries: []string{f.Country}, From: f.Window.Start, To: f.Window.End})
	if err != nil {
		return err
	}
	var ids []string
	for _, ev := range evs {
		if f.Admin1 == "" || ev.Admin1 == f.Admin1 {
			ids = append(ids, ev.SourceID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return cmp.Compare(x, y)
	})
	what := "1 field report not yet verified (report " + ids[0] + ")"
	if len(ids) > 1 {
		what = fmt.Sprintf("%d field reports not yet verified (reports %s)", len(ids), strings.Join(ids, ", "))
	}
	f.Explanation += " This counts " + what + "."
	f.Labels["verified"] = "false"
	f.Labels["unverified_reports"] = strconv.Itoa(len(ids))
	return nil
}
