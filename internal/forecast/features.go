package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"threshold/internal/panel"
)

// Country-year features.
//
// A forecast made at the end of base year t may use what was known then:
// values of years up to t, never later. FeatureSet.Row(iso3, t) reads only
// such values (the leakage test checks it by loading the panels cut at t),
// and BuildFeatures refuses every variable whose Role leaks (the EWP
// predictors' mk_onset_1, mk_onset_2, mk_onset_1or2; every published
// forecast). Countries are joined across datasets by ISO alpha-3: for the
// two Germanys and the two Yemens before 1991, which share one, the first
// state's values are kept.
//
// The features, each NaN where unknown:
//
//   - ewp.<name>: every numeric, non-leaking column of the EWP prepared
//     predictors at t (V-Dem items, population, GDP growth, infant
//     mortality, ethnic fractionalisation, regions, battle deaths, coup
//     attempts, the mass-killing history, country age, year).
//   - mk.ongoing, mk.onset (at t), mk.onsets (episodes begun up to t),
//     mk.years_since_onset (log1p, capped at MaxYearsSince): EWP base data.
//   - acd.conflicts, acd.intrastate, acd.wars, acd.max_intensity,
//     acd.party (at t), acd.conflicts_lag1, acd.conflict_years_10 (years
//     with a conflict in t-9..t), acd.years_since_conflict (log1p,
//     capped): the latest UCDP/PRIO ACD release; within its years a
//     country-year without a row has none.
//   - brd.deaths, brd.deaths_lag1, brd.deaths_lag2: log1p of battle
//     deaths located in the country (alone or with others), the latest
//     UCDP BRD release (from 1989; unknown before).
//   - coup.attempt, coup.success (at t), coup.attempts_5 (in t-4..t),
//     coup.years_since_attempt (log1p, capped): Powell & Thyne, with the
//     EWP coup file's attempts for years Powell & Thyne does not cover
//     (2023 and 2024; a year it does not list counts as none).
//   - cov.log_pop, cov.log_gdppc, cov.gdppc_growth, cov.log_infmort: the
//     covariate tables, the latest value of t-CarryYears..t (the tables end
//     in 2021 or 2022, so later years carry their last value forward).

// MaxYearsSince caps the years-since features: a country that never had
// the event within the data counts as this many years.
const MaxYearsSince = 60

// CarryYears is how far back a covariate value is carried forward.
const CarryYears = 5

// isoYear keys a country-year by ISO alpha-3.
type isoYear struct {
	iso3 string
	year int
}

// series is one variable's values by country-year, with the years its
// dataset covers (a country-year of them without a value is 0 where
// zero is implied, see zeroFill).
type series struct {
	vals        map[isoYear]float64
	first, last int
	zeroFill    bool // a missing country-year within first..last is 0
}

// at returns the value at (iso3, y), NaN if unknown.
func (s *series) at(iso3 string, y int) float64 {
	if s == nil {
		return math.NaN()
	}
	if v, ok := s.vals[isoYear{iso3, y}]; ok {
		return v
	}
	if s.zeroFill && y >= s.first && y <= s.last {
		return 0
	}
	return math.NaN()
}

// carried returns the latest value of the years y-back..y.
func (s *series) carried(iso3 string, y, back int) float64 {
	for k := 0; k <= back; k++ {
		if v := s.at(iso3, y-k); !math.IsNaN(v) {
			return v
		}
	}
	return math.NaN()
}

// FeatureSet computes the features of any country-year from the values it
// was built with. It is safe for concurrent use.
type FeatureSet struct {
	names   []string
	ewp     []string // the EWP predictors' variables, in names' order
	ewpVals map[string]*series
	s       map[string]*series // by "dataset/variable" of the other sources
}

// FeatureData is what BuildFeatures reads: the datasets' descriptions,
// variables (with their roles) and values. Datasets not present leave
// their features unknown.
type FeatureData struct {
	Datasets  []panel.Dataset
	Variables []panel.Variable
	Values    []panel.Value
}

// featureSources names, per dataset format, the variables read.
var featureSources = map[string][]string{
	"ewp-base":   {"mk_onset", "mk_ongoing"},
	"ucdp-acd":   {"conflicts", "conflicts_intrastate", "wars", "max_intensity", "conflicts_party"},
	"ucdp-brd":   {"bd_best", "bd_best_multi"},
	"pt-coups":   {"pt_attempt", "pt_coup"},
	"ewp-coups":  {"cou.any"},
	"population": {"pop"},
	"gdp":        {"ny.gdp.pcap.kd", "ny.gdp.pcap.kd.zg"},
	"infmort":    {"infmort"},
}

// LoadFeatures reads the datasets the features need from r (the latest
// release of ACD and BRD) and builds them.
func LoadFeatures(ctx context.Context, r panel.Reader) (*FeatureSet, error) {
	all, err := r.PanelDatasets(ctx)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	var d FeatureData
	formats := []string{"ewp-predictors"}
	for f := range featureSources {
		formats = append(formats, f)
	}
	sort.Strings(formats)
	for _, format := range formats {
		ds, err := pickDataset(all, "", format)
		if err != nil {
			continue // absent: its features are unknown
		}
		vars, err := r.PanelVariables(ctx, ds.Name)
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		q := panel.Query{Dataset: ds.Name, Variables: featureSources[format]}
		if format == "ewp-predictors" {
			for _, v := range vars {
				if !v.Role.Leaks() && !v.Text {
					q.Variables = append(q.Variables, v.Name)
				}
			}
		}
		vs, err := r.PanelValues(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		d.Datasets = append(d.Datasets, ds)
		d.Variables = append(d.Variables, vars...)
		d.Values = append(d.Values, vs...)
	}
	return BuildFeatures(d)
}

// BuildFeatures indexes d's values for FeatureSet.Row. A value of a
// variable whose Role leaks, or whose role is not given, is never used.
func BuildFeatures(d FeatureData) (*FeatureSet, error) {
	format := map[string]panel.Dataset{} // by dataset name
	byFormat := map[string]string{}      // format -> dataset name
	for _, ds := range d.Datasets {
		format[ds.Name] = ds
		if prev, ok := byFormat[ds.Format]; ok && prev != ds.Name {
			return nil, fmt.Errorf("features: two %s datasets (%s, %s): pick one", ds.Format, prev, ds.Name)
		}
		byFormat[ds.Format] = ds.Name
	}
	usable := map[string]bool{} // "dataset/variable"
	for _, v := range d.Variables {
		if !v.Role.Leaks() && !v.Text {
			usable[v.Dataset+"/"+v.Name] = true
		}
	}
	fs := &FeatureSet{ewpVals: map[string]*series{}, s: map[string]*series{}}
	for _, v := range d.Values {
		ds, ok := format[v.Dataset]
		if !ok || !usable[v.Dataset+"/"+v.Variable] || v.Missing || v.ISO3 == "" {
			continue
		}
		var s *series
		if ds.Format == "ewp-predictors" {
			if v.Variable == "ccode" {
				continue
			}
			s = fs.ewpVals[v.Variable]
			if s == nil {
				s = &series{vals: map[isoYear]float64{}, first: ds.FirstYear, last: ds.LastYear}
				fs.ewpVals[v.Variable] = s
			}
		} else {
			if !slices.Contains(featureSources[ds.Format], v.Variable) {
				continue
			}
			key := ds.Format + "/" + v.Variable
			s = fs.s[key]
			if s == nil {
				// ACD and BRD list country-years with conflict; EWP's
				// coup file mostly years with an attempt.
				zero := ds.Format == "ucdp-acd" || ds.Format == "ucdp-brd" || ds.Format == "ewp-coups"
				s = &series{vals: map[isoYear]float64{}, first: ds.FirstYear, last: ds.LastYear, zeroFill: zero}
				fs.s[key] = s
			}
		}
		k := isoYear{v.ISO3, v.Year}
		if _, dup := s.vals[k]; !dup {
			s.vals[k] = v.Num
		}
	}
	for name := range fs.ewpVals {
		fs.ewp = append(fs.ewp, name)
	}
	sort.Strings(fs.ewp)
	for _, n := range fs.ewp {
		fs.names = append(fs.names, "ewp."+n)
	}
	fs.names = append(fs.names, otherFeatures...)
	return fs, nil
}

// otherFeatures are the features computed from the other sources, in Row's
// order.
var otherFeatures = []string{
	"mk.ongoing", "mk.onset", "mk.onsets", "mk.years_since_onset",
	"acd.conflicts", "acd.intrastate", "acd.wars", "acd.max_intensity", "acd.party",
	"acd.conflicts_lag1", "acd.conflict_years_10", "acd.years_since_conflict",
	"brd.deaths", "brd.deaths_lag1", "brd.deaths_lag2",
	"coup.attempt", "coup.success", "coup.attempts_5", "coup.years_since_attempt",
	"cov.log_pop", "cov.log_gdppc", "cov.gdppc_growth", "cov.log_infmort",
}

// Names returns the features' names, in the order of Row's values.
func (fs *FeatureSet) Names() []string { return slices.Clone(fs.names) }

// Row returns the features of country iso3 at the end of year t, from
// values of years up to t only.
func (fs *FeatureSet) Row(iso3 string, t int) []float64 {
	row := make([]float64, 0, len(fs.names))
	for _, n := range fs.ewp {
		row = append(row, fs.ewpVals[n].at(iso3, t))
	}
	get := func(key string) *series { return fs.s[key] }

	// Mass killing.
	onset, ongoing := get("ewp-base/mk_onset"), get("ewp-base/mk_ongoing")
	onsets, since := math.NaN(), math.NaN()
	if onset != nil {
		onsets, since = 0, MaxYearsSince
		for y := t; y >= onset.first; y-- {
			if onset.at(iso3, y) > 0 {
				onsets++
				since = math.Min(since, float64(t-y))
			}
		}
		if t < onset.first {
			onsets, since = math.NaN(), math.NaN()
		}
	}
	row = append(row, ongoing.at(iso3, t), onset.at(iso3, t), onsets, log1p(since))

	// Armed conflict.
	conf := get("ucdp-acd/conflicts")
	years10, csince := math.NaN(), math.NaN()
	if conf != nil && t >= conf.first && t <= conf.last {
		years10, csince = 0, MaxYearsSince
		for y := t; y >= conf.first; y-- {
			if conf.at(iso3, y) > 0 {
				if t-y < 10 {
					years10++
				}
				csince = math.Min(csince, float64(t-y))
			}
		}
	}
	row = append(row, conf.at(iso3, t), get("ucdp-acd/conflicts_intrastate").at(iso3, t),
		get("ucdp-acd/wars").at(iso3, t), get("ucdp-acd/max_intensity").at(iso3, t),
		get("ucdp-acd/conflicts_party").at(iso3, t), conf.at(iso3, t-1), years10, log1p(csince))

	// Battle deaths.
	bd := func(y int) float64 {
		return log1p(get("ucdp-brd/bd_best").at(iso3, y) + get("ucdp-brd/bd_best_multi").at(iso3, y))
	}
	row = append(row, bd(t), bd(t-1), bd(t-2))

	// Coups: Powell & Thyne, else EWP's attempts.
	attempt := func(y int) float64 {
		if v := get("pt-coups/pt_attempt").at(iso3, y); !math.IsNaN(v) {
			return v
		}
		return get("ewp-coups/cou.any").at(iso3, y)
	}
	att5, asince := 0.0, float64(MaxYearsSince)
	for y := t; y > t-MaxYearsSince; y-- {
		a := attempt(y)
		if math.IsNaN(a) {
			if y == t {
				att5, asince = math.NaN(), math.NaN()
			}
			break
		}
		if a > 0 {
			if t-y < 5 {
				att5++
			}
			asince = math.Min(asince, float64(t-y))
		}
	}
	row = append(row, attempt(t), get("pt-coups/pt_coup").at(iso3, t), att5, log1p(asince))

	// Structural covariates.
	row = append(row,
		logOf(get("population/pop").carried(iso3, t, CarryYears)),
		logOf(get("gdp/ny.gdp.pcap.kd").carried(iso3, t, CarryYears)),
		get("gdp/ny.gdp.pcap.kd.zg").carried(iso3, t, CarryYears),
		logOf(get("infmort/infmort").carried(iso3, t, CarryYears)))
	return row
}

func log1p(x float64) float64 { return math.Log1p(x) } // NaN stays NaN

func logOf(x float64) float64 {
	if x <= 0 {
		return math.NaN()
	}
	return math.Log(x)
}
