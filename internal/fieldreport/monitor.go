package fieldreport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"threshold/internal/auth"
)

// Area is a country (ISO alpha-3) or one of its admin-1 areas.
type Area struct {
	Country string `json:"country"`
	Admin1  string `json:"admin1,omitempty"`
}

// Monitor is a field monitor of the network: who covers which areas and
// how often a report is expected from each.
type Monitor struct {
	ID           int64      `json:"id" readOnly:"true"`
	Name         string     `json:"name" maxLength:"100" doc:"A pseudonym or call sign, not a legal name."`
	OrgID        int64      `json:"org_id,omitempty"`
	Areas        []Area     `json:"areas" maxItems:"100"`
	IntervalDays int        `json:"interval_days" minimum:"1" maximum:"365" doc:"A report is expected from each area at least this often."`
	Active       bool       `json:"active"`
	LastReport   *time.Time `json:"last_report,omitempty" readOnly:"true"`
}

// Silent is an area expected to report that has been quiet too long.
type Silent struct {
	Area
	Monitors   []string   `json:"monitors"`
	LastReport *time.Time `json:"last_report,omitempty"`
	QuietDays  int        `json:"quiet_days" doc:"Days since the last report (or since ever: -1)."`
}

// SaveMonitor adds (ID 0) or replaces a field monitor.
func (s *Service) SaveMonitor(ctx context.Context, v Viewer, m Monitor) (Monitor, error) {
	if !v.CanVerify() {
		return Monitor{}, ErrForbidden
	}
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" || len(m.Name) > 100 {
		return Monitor{}, fmt.Errorf("%w: name: empty or longer than 100 bytes", ErrInvalid)
	}
	if m.IntervalDays < 1 || m.IntervalDays > 365 {
		return Monitor{}, fmt.Errorf("%w: interval_days: %d not in 1..365", ErrInvalid, m.IntervalDays)
	}
	for i, a := range m.Areas {
		if len(a.Country) != 3 || strings.ToUpper(a.Country) != a.Country || len(a.Admin1) > maxShort {
			return Monitor{}, fmt.Errorf("%w: areas[%d]: country %q is not an upper-case ISO alpha-3 code", ErrInvalid, i, a.Country)
		}
	}
	if m.OrgID == 0 {
		m.OrgID = v.OrgID
	}
	out, err := s.o.Store.SaveMonitor(ctx, m)
	if err != nil {
		return Monitor{}, err
	}
	return out, s.record(ctx, v, "field-monitor.save", fmt.Sprintf("field-monitor:%d", out.ID),
		map[string]any{"areas": len(m.Areas), "active": m.Active})
}

// Monitors returns the network's monitors v may see: an analyst those of
// their own organisation, an admin and the operator all.
func (s *Service) Monitors(ctx context.Context, v Viewer) ([]Monitor, error) {
	if !v.CanVerify() {
		return nil, ErrForbidden
	}
	ms, err := s.o.Store.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	if v.All || v.Role == auth.Admin {
		return ms, nil
	}
	out := []Monitor{}
	for _, m := range ms {
		if m.OrgID == v.OrgID && v.OrgID != 0 {
			out = append(out, m)
		}
	}
	return out, nil
}

// SilentAreas returns the areas active monitors v sees cover from which no
// report has been received for longer than the shortest interval among
// their monitors, as of now, quietest first. A country-wide area hears
// from reports anywhere in the country.
func (s *Service) SilentAreas(ctx context.Context, v Viewer) ([]Silent, error) {
	if !v.CanVerify() {
		return nil, ErrForbidden
	}
	ms, err := s.Monitors(ctx, v)
	if err != nil {
		return nil, err
	}
	last, err := s.o.Store.LastReports(ctx)
	if err != nil {
		return nil, err
	}
	return silentAreas(ms, last, s.o.Now()), nil
}

func silentAreas(ms []Monitor, last map[Area]time.Time, now time.Time) []Silent {
	key := func(a Area) Area {
		return Area{Country: a.Country, Admin1: strings.ToLower(strings.TrimSpace(a.Admin1))}
	}
	latest := map[Area]time.Time{}
	for a, t := range last {
		for _, k := range []Area{key(a), {Country: a.Country}} {
			if t.After(latest[k]) {
				latest[k] = t
			}
		}
	}
	type exp struct {
		area     Area
		interval int
		monitors []string
	}
	want := map[Area]*exp{}
	for _, m := range ms {
		if !m.Active {
			continue
		}
		for _, a := range m.Areas {
			k := key(a)
			e := want[k]
			if e == nil {
				e = &exp{area: a, interval: m.IntervalDays}
				want[k] = e
			}
			e.interval = min(e.interval, m.IntervalDays)
			e.monitors = append(e.monitors, m.Name)
		}
	}
	var out []Silent
	for k, e := range want {
		sl := Silent{Area: e.area, Monitors: e.monitors, QuietDays: -1}
		if t, ok := latest[k]; ok {
			sl.LastReport = &t
			sl.QuietDays = int(now.Sub(t).Hours() / 24)
			if sl.QuietDays <= e.interval {
				continue
			}
		}
		slices.Sort(sl.Monitors)
		out = append(out, sl)
	}
	slices.SortFunc(out, func(a, b Silent) int {
		qa, qb := a.QuietDays, b.QuietDays
		if qa < 0 {
			qa = 1 << 30
		}
		if qb < 0 {
			qb = 1 << 30
		}
		if qa != qb {
			return qb - qa
		}
		return strings.Compare(a.Country+"/"+a.Admin1, b.Country+"/"+b.Admin1)
	})
	return out
}
