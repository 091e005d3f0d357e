// Package forecast builds Threshold's forecasts of violence. This file
// holds the country-year targets: what a forecast made at the end of a
// base year t says will, or will not, happen in year t+H.
//
// # Targets
//
// mass-killing-onset is the Early Warning Project's outcome: the onset of
// a new state-led or non-state-led mass killing episode (1,000 or more
// civilians deliberately killed by an armed group in a year or less), read
// from the mk_onset column of EWP's base data (dataset ewp-base). EWP keeps
// every country-year at risk, countries in an ongoing episode too, since a
// second episode can begin while one goes on (44 of the base data's 144
// onset years follow a year with an ongoing episode, and EWP's fully
// out-of-sample forecasts cover such years); MassKillingOnset follows it.
// The units are EWP's countries (its COW-based ccode); every country-year
// of the base data is an outcome, forecast from H years before, as EWP
// does (see MassKillingOnsets).
//
// conflict-onset is the onset of state-based armed conflict on a
// country's territory, from the UCDP/PRIO Armed Conflict Dataset
// (a conflict is active in a year with 25 or more battle-related deaths;
// the country is any in its gwno_loc). A country-year y is an onset when
// the country has an active conflict in y and had none in the QuietYears
// years before (2 by default, the gap the UCDP Conflict Onset Dataset's
// onset2 uses). The units are Gleditsch-Ward states in the code table's
// state list on 31 December of both t and t+H (Gleditsch's microstates,
// which it lacks, are not units; nor is a state in its first year, which
// has no base year); conflicts UCDP locates on a territory
// before its independence count for the state that followed. A unit is at
// risk at base year t when none of the years from t+H-QuietYears to t had
// an active conflict: what a forecaster can know at t that rules an onset
// in t+H out. At horizon 1 with the default gap, a country is at risk when
// it had no conflict in t-1 and t. Years before the dataset's first are
// unknown, so rows needing them are left out.
package forecast

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"threshold/internal/geo"
	"threshold/internal/panel"
)

// Target names a forecast target.
type Target string

// The country-year targets.
const (
	MassKillingOnset Target = "mass-killing-onset"
	ConflictOnset    Target = "conflict-onset"
)

// DefaultQuietYears is the number of years without conflict before a
// conflict counts as an onset.
const DefaultQuietYears = 2

// Outcome is one unit's outcome H years after a base year.
type Outcome struct {
	ISO3    string       `json:"iso3"`
	Code    int          `json:"ccode"`  // the unit's state number in Scheme
	Scheme  panel.Scheme `json:"scheme"` // ewp for mass-killing-onset, gw for conflict-onset
	Year    int          `json:"year"`   // base year t: the forecast uses data up to its end
	Horizon int          `json:"horizon"`
	AtRisk  bool         `json:"at_risk"` // in the target's at-risk set (see the package doc)
	Value   int          `json:"outcome"` // 1 if the event happened in year Year+Horizon
}

// OutcomeYear is the year the outcome is about.
func (o Outcome) OutcomeYear() int { return o.Year + o.Horizon }

// TargetOptions configure Outcomes.
type TargetOptions struct {
	Horizon int // years ahead, 1 or more
	// Dataset overrides the dataset read: "ewp-base" for mass killing,
	// the latest UCDP/PRIO ACD release stored ("ucdp-acd-25.1") for
	// conflict. A dataset of another format is an error.
	Dataset    string
	QuietYears int        // conflict-onset only; 0 means DefaultQuietYears
	Codes      *geo.Table // conflict-onset only: the GW state list
}

// Outcomes reads what target needs from r and returns its outcomes, by
// unit and base year.
func Outcomes(ctx context.Context, r panel.Reader, target Target, opts TargetOptions) ([]Outcome, error) {
	if opts.Horizon < 1 {
		return nil, fmt.Errorf("%s: horizon %d: want 1 or more years", target, opts.Horizon)
	}
	datasets, err := r.PanelDatasets(ctx)
	if err != nil {
		return nil, err
	}
	switch target {
	case MassKillingOnset:
		ds, err := pickDataset(datasets, opts.Dataset, "ewp-base")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		vs, err := r.PanelValues(ctx, panel.Query{Dataset: ds.Name, Variables: []string{"mk_onset"}})
		if err != nil {
			return nil, err
		}
		return MassKillingOnsets(vs, opts.Horizon)
	case ConflictOnset:
		if opts.Codes == nil {
			return nil, fmt.Errorf("%s: no code table", target)
		}
		ds, err := pickDataset(datasets, opts.Dataset, "ucdp-acd")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
		vs, err := r.PanelValues(ctx, panel.Query{Dataset: ds.Name, Variables: []string{"conflicts"}})
		if err != nil {
			return nil, err
		}
		q := opts.QuietYears
		if q == 0 {
			q = DefaultQuietYears
		}
		return ConflictOnsets(vs, opts.Codes, ds.FirstYear, ds.LastYear, opts.Horizon, q)
	}
	return nil, fmt.Errorf("unknown target %q (want %s or %s)", target, MassKillingOnset, ConflictOnset)
}

// pickDataset finds the dataset named, or else the latest release of the
// format.
func pickDataset(all []panel.Dataset, name, format string) (panel.Dataset, error) {
	var best *panel.Dataset
	for i, d := range all {
		switch {
		case name != "" && d.Name == name:
			if d.Format != format {
				return d, fmt.Errorf("dataset %s is %s, not %s", name, d.Format, format)
			}
			return d, nil
		case name == "" && d.Format == format:
			if best == nil || releaseLess(best.Name, d.Name) {
				best = &all[i]
			}
		}
	}
	if best == nil {
		if name != "" {
			return panel.Dataset{}, fmt.Errorf("no dataset %s: import it with 'threshold import'", name)
		}
		return panel.Dataset{}, fmt.Errorf("no %s dataset: import it with 'threshold import'", format)
	}
	return *best, nil
}

// releaseLess orders "ucdp-acd-9.1" before "ucdp-acd-22.1" before
// "ucdp-acd-25.1".
func releaseLess(a, b string) bool {
	ra, rb := release(a), release(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] != rb[i] {
			return ra[i] < rb[i]
		}
	}
	return len(ra) < len(rb)
}

func release(name string) []int {
	s := name[strings.LastIndex(name, "-")+1:]
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

// unitYear keys a country-year by the source's state number.
type unitYear struct {
	code, year int
}

// MassKillingOnsets returns mass-killing-onset at horizon h from the
// mk_onset values of EWP's base data: for every unit-year y of the data
// with y-h not before its first year, the outcome mk_onset(y) for base year
// y-h, at risk. Like EWP, it forecasts a country's first year in the data
// too (EWP's data start a country when it becomes independent or, for
// small ones, when its population passes EWP's threshold: South Sudan 2011,
// Luxembourg 2010), from the year before. A missing mk_onset leaves its
// unit-year out.
func MassKillingOnsets(values []panel.Value, h int) ([]Outcome, error) {
	if h < 1 {
		return nil, fmt.Errorf("horizon %d: want 1 or more years", h)
	}
	first := 0
	for _, v := range values {
		if v.Variable == "mk_onset" && (first == 0 || v.Year < first) {
			first = v.Year
		}
	}
	var out []Outcome
	for _, v := range values {
		if v.Variable != "mk_onset" || v.Missing || v.Year-h < first {
			continue
		}
		if v.Num != 0 && v.Num != 1 {
			return nil, fmt.Errorf("%s mk_onset %s %d (line %d) = %g, want 0 or 1", v.Dataset, v.ISO3, v.Year, v.Line, v.Num)
		}
		out = append(out, Outcome{ISO3: v.ISO3, Code: v.Code, Scheme: panel.EWP, Year: v.Year - h, Horizon: h,
			AtRisk: true, Value: int(v.Num)})
	}
	sortOutcomes(out)
	return out, nil
}

// ConflictOnsets returns conflict-onset at horizon h from the conflicts
// values of an ACD dataset covering the years first..last, for the GW
// states of codes, with quiet years of no conflict before an onset.
func ConflictOnsets(values []panel.Value, codes *geo.Table, first, last, h, quiet int) ([]Outcome, error) {
	if h < 1 || quiet < 1 {
		return nil, fmt.Errorf("horizon %d, quiet years %d: want 1 or more", h, quiet)
	}
	active := map[unitYear]bool{}
	for _, v := range values {
		if v.Variable == "conflicts" && !v.Missing && v.Num > 0 {
			active[unitYear{v.Code, v.Year}] = true
		}
	}
	// The state system: GW states in the list on 31 December.
	type state struct {
		iso3 string
		ok   bool
	}
	system := map[unitYear]state{}
	inSystem := func(code, year int) (string, bool) {
		k := unitYear{code, year}
		s, seen := system[k]
		if !seen {
			iso3, err := codes.FromGW(code, time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
			s = state{iso3, err == nil}
			system[k] = s
		}
		return s.iso3, s.ok
	}
	var out []Outcome
	for t := first + quiet - h; t+h <= last; t++ {
		if t < first {
			continue
		}
		for code := 1; code < 1000; code++ {
			iso3, ok := inSystem(code, t)
			if !ok {
				continue
			}
			if _, ok := inSystem(code, t+h); !ok {
				continue
			}
			atRisk := true
			for y := t + h - quiet; y <= t; y++ {
				if active[unitYear{code, y}] {
					atRisk = false
				}
			}
			o := Outcome{ISO3: iso3, Code: code, Scheme: panel.GW, Year: t, Horizon: h, AtRisk: atRisk}
			if active[unitYear{code, t + h}] {
				o.Value = 1
				for y := t + h - quiet; y < t+h; y++ {
					if active[unitYear{code, y}] {
						o.Value = 0
					}
				}
			}
			out = append(out, o)
		}
	}
	sortOutcomes(out)
	return out, nil
}

func sortOutcomes(out []Outcome) {
	sort.Slice(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year < out[j].Year
		}
		return out[i].Code < out[j].Code
	})
}
