package forecast

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"threshold/internal/election"
	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/testenv"
)

// gedFile is one of the shared UCDP GED country files and the country it
// covers.
type gedFile struct{ name, iso3 string }

var carMexico = []gedFile{
	{"GEDEvent_v23_1_central_african_republic.csv", "CAF"},
	{"GEDEvent_v23_1_mexico.csv", "MEX"},
}

// gedIndicators reads the shared UCDP GED files and computes their month
// indicators with package indicator, as the store would after an ingest
// (types of violence 1 and 2 as battles, 3 as violence against
// civilians; where_prec 1-3 within the admin-1 area). It also returns each
// place's monthly fatalities summed independently from the rows, to check
// targets against.
func gedIndicators(t testing.TB, files []gedFile) ([]indicator.Value, map[indicator.Place]map[time.Time]float64) {
	t.Helper()
	return gedIndicatorsNb(t, files, func(string, int) []string { return nil })
}

// syntheticNeighbours makes the Central African Republic and Mexico
// each other's only neighbour: a SYNTHETIC contiguity, so that the
// neighbours' (nb.*) series of the two files are not zero.
func syntheticNeighbours(iso3 string, _ int) []string {
	switch iso3 {
	case "CAF":
		return []string{"MEX"}
	case "MEX":
		return []string{"CAF"}
	}
	return nil
}

// gedIndicatorsNb is gedIndicators with the land neighbours of nb.
func gedIndicatorsNb(t testing.TB, files []gedFile, nb func(string, int) []string) ([]indicator.Value, map[indicator.Place]map[time.Time]float64) {
	t.Helper()
	type key struct {
		p   indicator.Place
		day time.Time
		cat event.Category
	}
	aggs := map[key]*indicator.Aggregate{}
	sums := map[indicator.Place]map[time.Time]float64{}
	add := func(p indicator.Place, m time.Time, v float64) {
		if sums[p] == nil {
			sums[p] = map[time.Time]float64{}
		}
		sums[p][m] += v
	}
	var countries []string
	for _, gf := range files {
		countries = append(countries, gf.iso3)
		f, err := os.Open(testenv.SharedData(t, "ucdp-ged", gf.name))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		header, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			day, err := time.Parse("2006-01-02", rec[col["date_start"]][:10])
			if err != nil {
				t.Fatal(err)
			}
			best, err := strconv.Atoi(rec[col["best"]])
			if err != nil {
				t.Fatal(err)
			}
			cat := event.Battle
			if rec[col["type_of_violence"]] == "3" {
				cat = event.ViolenceAgainstCivilians
			}
			prec, _ := strconv.Atoi(rec[col["where_prec"]])
			admin1 := ""
			if prec <= 3 {
				admin1 = rec[col["adm_1"]]
			}
			p := indicator.Place{Country: gf.iso3, Admin1: admin1}
			k := key{p, day, cat}
			a := aggs[k]
			if a == nil {
				a = &indicator.Aggregate{Place: p, Day: day, Category: cat}
				aggs[k] = a
			}
			a.Events++
			a.FatalitiesBest += best
			a.FatalitiesLow += best
			a.FatalitiesHigh += best
			if best > 0 {
				a.FatalEvents++
			}
			m := indicator.Month.Start(day)
			add(indicator.Place{Country: gf.iso3}, m, float64(best))
			if admin1 != "" {
				add(p, m, float64(best))
			}
		}
		f.Close()
	}
	in := indicator.Input{Targets: countries, Neighbours: nb}
	for _, a := range aggs {
		in.Aggregates = append(in.Aggregates, *a)
	}
	var months []indicator.Value
	for _, v := range indicator.Compute(in) {
		if v.Kind == indicator.Month {
			months = append(months, v)
		}
	}
	return months, sums
}

// TestMonthlyOutcomes checks active and onset against a direct reading of
// the definitions over the fatalities summed from the GED rows, for every
// place and month of the Central African Republic and Mexico.
func TestMonthlyOutcomes(t *testing.T) {
	values, sums := gedIndicators(t, carMexico)
	for _, tt := range []struct {
		unit             Unit
		places           int // at least
		actives, onsets1 int // at least, at horizon 1
	}{
		{CountryMonth, 2, 100, 3},
		{Admin1Month, 40, 1000, 100},
	} {
		t.Run(string(tt.unit), func(t *testing.T) {
			mp, err := BuildMonthly(tt.unit, values, nil, time.Time{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(mp.Places) < tt.places {
				t.Fatalf("%d places, want at least %d", len(mp.Places), tt.places)
			}
			thr, q := tt.unit.ActiveThreshold(), tt.unit.QuietMonths()
			activeAt := func(p indicator.Place, m int) bool { return sums[p][mp.Month(m)] >= thr }
			actives, onsets := 0, 0
			for pi, p := range mp.Places {
				for m := range mp.Months {
					if got, want := mp.Fatalities(pi, m), sums[p][mp.Month(m)]; got != want {
						t.Fatalf("%s %s fatalities %g, want %g", mp.PlaceName(pi), mp.Month(m).Format("2006-01"), got, want)
					}
					for _, h := range []int{1, 3} {
						o, ok := mp.Outcome(Active, pi, m, h)
						if ok != (m+h < mp.Months) || (ok && (o.Value == 1) != activeAt(p, m+h)) {
							t.Fatalf("active %s origin %s h %d = %+v, %v", mp.PlaceName(pi), mp.Month(m).Format("2006-01"), h, o, ok)
						}
						if ok && h == 1 && o.Value == 1 {
							actives++
						}
						o, ok = mp.Outcome(Onset, pi, m, h)
						T := m + h
						if ok != (T < mp.Months && T-q >= 0) {
							t.Fatalf("onset %s origin %d h %d known %v", mp.PlaceName(pi), m, h, ok)
						}
						if !ok {
							continue
						}
						quietBefore := true
						for k := T - q; k < T; k++ {
							quietBefore = quietBefore && !activeAt(p, k)
						}
						atRisk := true
						for k := T - q; k <= m; k++ {
							atRisk = atRisk && !activeAt(p, k)
						}
						if o.AtRisk != atRisk || (o.Value == 1) != (quietBefore && activeAt(p, T)) {
							t.Fatalf("onset %s origin %s h %d = %+v, want at risk %v, onset %v", mp.PlaceName(pi),
								mp.Month(m).Format("2006-01"), h, o, atRisk, quietBefore && activeAt(p, T))
						}
						if o.Value == 1 && !o.AtRisk {
							t.Fatalf("onset %s origin %d h %d not at risk", mp.PlaceName(pi), m, h)
						}
						if h == 1 && o.Value == 1 {
							onsets++
						}
					}
				}
			}
			if actives < tt.actives || onsets < tt.onsets1 {
				t.Errorf("%d active months, %d onsets; want at least %d and %d", actives, onsets, tt.actives, tt.onsets1)
			}
		})
	}
}

// TestMonthlyNoLeakage proves that a month's features use nothing after
// it: every place's row at t is the same whether the panel holds all the
// data or only the months up to t. The neighbours are synthetic (each
// country the other's) so that the nb.* features are compared too, and
// every feature from "fat.12" on (the sub-threshold, recency, trend,
// neighbour and admin-1 spread features) must be non-zero in some row
// compared, so that the test cannot pass on features that are always 0.
func TestMonthlyNoLeakage(t *testing.T) {
	values, _ := gedIndicatorsNb(t, carMexico, syntheticNeighbours)
	cal, err := election.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	for _, unit := range []Unit{CountryMonth, Admin1Month} {
		full, err := BuildMonthly(unit, values, cal, time.Time{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		names := full.FeatureNames()
		seen := make([]bool, len(names)) // non-zero in a row compared
		for _, month := range []string{"2003-01", "2013-03", "2013-12", "2018-06"} {
			cut, _ := time.Parse("2006-01", month)
			part, err := BuildMonthly(unit, values, cal, cut, nil)
			if err != nil {
				t.Fatal(err)
			}
			tf, tp := full.MonthOf(cut), part.MonthOf(cut)
			if tp != part.Months-1 {
				t.Fatalf("%s cut at %s: last month %d, want %d", unit, month, part.Months-1, tp)
			}
			compared := 0
			for pi, p := range full.Places {
				pj := slices.Index(part.Places, p)
				if pj < 0 {
					continue // no event up to the cut: not yet a unit
				}
				a, b := full.Row(pi, tf), part.Row(pj, tp)
				for j := range a {
					seen[j] = seen[j] || (a[j] != 0 && !math.IsNaN(a[j]))
					if a[j] != b[j] && !(math.IsNaN(a[j]) && math.IsNaN(b[j])) {
						t.Errorf("%s %s %s: %s = %g with all data, %g cut at the month", unit, full.PlaceName(pi), month,
							full.FeatureNames()[j], a[j], b[j])
					}
				}
				compared++
			}
			if compared == 0 {
				t.Errorf("%s %s: no place to compare", unit, month)
			}
		}
		for j := slices.Index(names, "fat.12"); j < len(names); j++ {
			admin1Only := j >= slices.Index(names, "others.fat.3")
			if !seen[j] && (unit == Admin1Month || !admin1Only) {
				t.Errorf("%s: %s is 0 in every row compared", unit, names[j])
			}
		}
	}
}

// TestMonthlyFeatures checks features of known months against the data.
func TestMonthlyFeatures(t *testing.T) {
	values, sums := gedIndicators(t, carMexico)
	mp, err := BuildMonthly(CountryMonth, values, []election.Election{
		{Country: "CAF", Date: time.Date(2015, 12, 30, 0, 0, 0, 0, time.UTC), Kind: election.Presidential, Round: 1},
	}, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := mp.FeatureNames()
	caf := slices.Index(mp.Places, indicator.Place{Country: "CAF"})
	col := func(n string) int { return slices.Index(names, n) }
	month := func(s string) int { m, _ := time.Parse("2006-01", s); return mp.MonthOf(m) }
	sum12, max12, fatal12 := 0.0, 0.0, 0.0
	for m := 1; m <= 12; m++ {
		f := sums[indicator.Place{Country: "CAF"}][time.Date(2013, time.Month(m), 1, 0, 0, 0, 0, time.UTC)]
		sum12, max12 = sum12+f, math.Max(max12, f)
		if f > 0 {
			fatal12++
		}
	}
	for _, tt := range []struct {
		month, feature string
		want           float64
	}{
		{"2013-12", "fat.t", math.Log1p(sums[indicator.Place{Country: "CAF"}][time.Date(2013, 12, 1, 0, 0, 0, 0, time.UTC)])},
		{"2013-12", "fat.t1", math.Log1p(sums[indicator.Place{Country: "CAF"}][time.Date(2013, 11, 1, 0, 0, 0, 0, time.UTC)])},
		{"2013-12", "active.months_since", 0},
		{"2015-06", "election.next_6", 1},
		{"2015-06", "election.months_to_next", math.Log1p(6)},
		{"2015-05", "election.next_6", 0},
		{"2016-01", "election.next_6", 0},
		{"2013-12", "fat.12", math.Log1p(sum12)},
		{"2013-12", "fat.max12", math.Log1p(max12)},
		{"2013-12", "fatal_months.12", fatal12},
		{"2013-12", "fatal.months_since", 0},
		{"2013-12", "areas.new_3", math.NaN()},
	} {
		got := mp.Row(caf, month(tt.month))[col(tt.feature)]
		if math.IsNaN(got) != math.IsNaN(tt.want) || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("CAF %s %s = %g, want %g", tt.month, tt.feature, got, tt.want)
		}
	}
}

// TestMonthlyCovariates checks that a month's structural covariates are
// the country-year features of the year before, from the real panels.
func TestMonthlyCovariates(t *testing.T) {
	cov, err := LoadFeatures(context.Background(), fileReader{files: realPanels(t)})
	if err != nil {
		t.Fatal(err)
	}
	values, _ := gedIndicators(t, carMexico)
	mp, err := BuildMonthly(CountryMonth, values, nil, time.Time{}, cov)
	if err != nil {
		t.Fatal(err)
	}
	names, covCols := mp.FeatureNames(), cov.Names()
	known := 0
	for _, tt := range []struct {
		iso3, month string
		year        int
	}{
		{"CAF", "2013-12", 2012}, {"CAF", "2014-01", 2013}, {"MEX", "2010-06", 2009},
	} {
		p := slices.Index(mp.Places, indicator.Place{Country: tt.iso3})
		m, _ := time.Parse("2006-01", tt.month)
		row, yearRow := mp.Row(p, mp.MonthOf(m)), cov.Row(tt.iso3, tt.year)
		for _, n := range covNames {
			got, want := row[slices.Index(names, n)], yearRow[slices.Index(covCols, n)]
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("%s %s %s = %g, want %g (year %d)", tt.iso3, tt.month, n, got, want, tt.year)
			}
			if !math.IsNaN(got) {
				known++
			}
		}
	}
	if known == 0 {
		t.Error("no covariate known: the panels were not read")
	}
}

// TestMonthlyAdmin1Context checks an admin-1 area's features of the rest
// of its country against the fatalities summed from the GED rows, and
// the number of the country's other areas with deaths.
func TestMonthlyAdmin1Context(t *testing.T) {
	values, sums := gedIndicators(t, carMexico)
	mp, err := BuildMonthly(Admin1Month, values, nil, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := mp.FeatureNames()
	col := func(n string) int { return slices.Index(names, n) }
	month := func(y, m int) time.Time { return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC) }
	checked := 0
	for p, pl := range mp.Places {
		if pl.Country != "MEX" {
			continue
		}
		for _, at := range []time.Time{month(2010, 6), month(2017, 3)} {
			own, country, others := 0.0, 0.0, 0.0
			for k := range 3 {
				m := at.AddDate(0, -k, 0)
				own += sums[pl][m]
				country += sums[indicator.Place{Country: "MEX"}][m]
			}
			for _, q := range mp.Places {
				if q.Country != "MEX" || q == pl {
					continue
				}
				if sums[q][at]+sums[q][at.AddDate(0, -1, 0)]+sums[q][at.AddDate(0, -2, 0)] > 0 {
					others++
				}
			}
			row := mp.Row(p, mp.MonthOf(at))
			if got, want := row[col("others.fat.3")], math.Log1p(math.Max(country-own, 0)); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s %s others.fat.3 = %g, want %g", mp.PlaceName(p), at.Format("2006-01"), got, want)
			}
			if got, want := row[col("areas.fatal_3")], math.Log1p(others); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s %s areas.fatal_3 = %g, want %g", mp.PlaceName(p), at.Format("2006-01"), got, want)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("%d Mexican areas' months checked, want 20 or more", checked/2)
	}
}
