package backtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"threshold/internal/election"
	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/rules"
)

// Store is what a backtest reads from the database, once per run: the
// replay then slices it in memory for each month.
type Store interface {
	// ReplayIndicators returns the stored values of kind k named name of
	// the countries (nil: all) and their admin-1 areas, of the periods
	// starting in [from, to] (zero: unbounded), in any order.
	ReplayIndicators(ctx context.Context, countries []string, k indicator.Kind, name string, from, to time.Time) ([]indicator.Value, error)
	// ReplayEvents calls fn for each event of the countries (nil: all)
	// starting in [from, to] (zero: unbounded), in any order. fn may keep
	// the event.
	ReplayEvents(ctx context.Context, countries []string, from, to time.Time, fn func(event.Event) error) error
}

// ElectionSource gives the elections calendar (rules.Source's Elections).
type ElectionSource interface {
	Elections(ctx context.Context, countries []string, from, to time.Time) ([]election.Election, error)
}

// memory holds what the replay reads, for every country (a rule about one
// country may read its neighbours'): indicator series loaded on first use,
// one (kind, name) at a time, and the events, loaded once. It is safe for
// concurrent use.
type memory struct {
	st        Store
	to        time.Time
	elections ElectionSource

	mu     sync.Mutex
	series map[seriesKey]*series

	eventsOnce sync.Once
	eventsErr  error
	events     map[string][]event.Event // by country, by start date
}

type seriesKey struct {
	kind indicator.Kind
	name string
}

// series is one indicator's values by country (the country's and its
// areas'), each sorted by period start.
type series struct {
	once      sync.Once
	err       error
	byCountry map[string][]indicator.Value
}

func newMemory(st Store, to time.Time, el ElectionSource) *memory {
	return &memory{st: st, to: to, elections: el, series: map[seriesKey]*series{}}
}

// load returns the values of one indicator, reading them on first use.
func (m *memory) load(ctx context.Context, k indicator.Kind, name string) (*series, error) {
	m.mu.Lock()
	s := m.series[seriesKey{k, name}]
	if s == nil {
		s = &series{}
		m.series[seriesKey{k, name}] = s
	}
	m.mu.Unlock()
	s.once.Do(func() {
		vs, err := m.st.ReplayIndicators(ctx, nil, k, name, time.Time{}, m.to)
		if err != nil {
			s.err = fmt.Errorf("backtest: load %s %s: %w", k, name, err)
			return
		}
		s.byCountry = map[string][]indicator.Value{}
		for _, v := range vs {
			s.byCountry[v.Country] = append(s.byCountry[v.Country], v)
		}
		for _, c := range s.byCountry {
			slices.SortFunc(c, func(a, b indicator.Value) int { return a.Start.Compare(b.Start) })
		}
	})
	return s, s.err
}

// loadEvents reads the events once.
func (m *memory) loadEvents(ctx context.Context) error {
	m.eventsOnce.Do(func() {
		m.events = map[string][]event.Event{}
		err := m.st.ReplayEvents(ctx, nil, time.Time{}, m.to, func(e event.Event) error {
			m.events[e.Country] = append(m.events[e.Country], e)
			return nil
		})
		if err != nil {
			m.eventsErr = fmt.Errorf("backtest: load events: %w", err)
			return
		}
		for _, es := range m.events {
			slices.SortFunc(es, func(a, b event.Event) int { return a.DateStart.Compare(b.DateStart) })
		}
	})
	return m.eventsErr
}

// at is the data as known at the end of day asOf: indicator values of the
// periods wholly over by then, and events that started by then.
func (m *memory) at(asOf time.Time) rules.Source { return &view{m: m, asOf: asOf} }

type view struct {
	m    *memory
	asOf time.Time
}

var _ rules.Source = (*view)(nil)

func (v *view) countries(q []string, all func(yield func(string) bool)) []string {
	if q != nil {
		return q
	}
	var cs []string
	for c := range all {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	return cs
}

// RuleIndicators returns the values of the periods starting in [q.From,
// q.To] that were over by the end of asOf: a period still running at asOf
// is not known whole yet, and its stored value counts events after asOf.
func (v *view) RuleIndicators(ctx context.Context, q rules.IndicatorQuery) ([]indicator.Value, error) {
	last := v.asOf.AddDate(0, 0, 1) // a period is known when it ends before this day
	var out []indicator.Value
	for _, name := range q.Names {
		s, err := v.m.load(ctx, q.Kind, name)
		if err != nil {
			return nil, err
		}
		for _, c := range v.countries(q.Countries, func(yield func(string) bool) {
			for c := range s.byCountry {
				if !yield(c) {
					return
				}
			}
		}) {
			vs := s.byCountry[c]
			i := sort.Search(len(vs), func(i int) bool { return !vs[i].Start.Before(q.From) })
			for ; i < len(vs); i++ {
				x := vs[i]
				if !q.To.IsZero() && x.Start.After(q.To) || q.Kind.Next(x.Start).After(last) {
					break
				}
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// RuleEvents returns the events that started by asOf, as rules.Source
// describes.
func (v *view) RuleEvents(ctx context.Context, q rules.EventQuery) ([]event.Event, error) {
	if err := v.m.loadEvents(ctx); err != nil {
		return nil, err
	}
	to := v.asOf
	if !q.To.IsZero() && q.To.Before(to) {
		to = q.To
	}
	var out []event.Event
	for _, c := range v.countries(q.Countries, func(yield func(string) bool) {
		for c := range v.m.events {
			if !yield(c) {
				return
			}
		}
	}) {
		es := v.m.events[c]
		i := sort.Search(len(es), func(i int) bool { return !es[i].DateStart.Before(q.From) })
		for ; i < len(es) && !es[i].DateStart.After(to); i++ {
			e := es[i]
			if q.Categories != nil && !slices.Contains(q.Categories, e.Category) {
				continue
			}
			if q.MinFatalities > 0 && (e.Fatalities.Best == nil || *e.Fatalities.Best < q.MinFatalities) {
				continue
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b event.Event) int {
		if c := cmp.Compare(best(b), best(a)); c != 0 {
			return c
		}
		if c := a.DateStart.Compare(b.DateStart); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.SourceID, b.SourceID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func best(e event.Event) int {
	if e.Fatalities.Best == nil {
		return -1
	}
	return *e.Fatalities.Best
}

// Elections returns the calendar's elections: dates of elections are
// known ahead, so they are not cut at asOf.
func (v *view) Elections(ctx context.Context, countries []string, from, to time.Time) ([]election.Election, error) {
	if v.m.elections == nil {
		return nil, nil
	}
	return v.m.elections.Elections(ctx, countries, from, to)
}
