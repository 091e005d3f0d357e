package forecast

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"threshold/internal/panel"
	"threshold/internal/testenv"
)

// featureFiles are the shared files the features read.
var featureFiles = [][2]string{
	{"ewp-sra", "basedata2025_4august2025.csv"},
	{"ewp-sra", "prepared2024predictors-2025-09-03.csv"},
	{"ewp-sra", "FOOSforecasts_3Sep2025.csv"},
	{"ucdp-acd", "UcdpPrioConflict_v25_1.csv"},
	{"ucdp-brd", "BattleDeaths_v25_1.csv"},
	{"coups", "ptcoups_gw_country_year.csv"},
	{"coups", "ewp_all_coups_country_year.csv"},
	{"covariates", "population_gw_year.csv"},
	{"covariates", "gdp_gw_year.csv"},
	{"covariates", "wdi_infmort_gw_year.csv"},
}

var (
	sharedOnce  sync.Once
	sharedFiles []*panel.File
)

// realPanels reads featureFiles once per test binary.
func realPanels(t testing.TB) []*panel.File {
	t.Helper()
	codes := loadCodes(t)
	for _, f := range featureFiles {
		testenv.SharedData(t, f[0], f[1]) // skips (or fails) before the Once if the data is missing
	}
	sharedOnce.Do(func() {
		for _, f := range featureFiles {
			sharedFiles = append(sharedFiles, readShared(t, codes, f[0], f[1]))
		}
	})
	if len(sharedFiles) != len(featureFiles) {
		t.Fatal("shared panels failed to load")
	}
	return sharedFiles
}

// featureData assembles files as BuildFeatures reads them, keeping the
// values of years up to cut (0: all) and ending each dataset there.
func featureData(files []*panel.File, cut int) FeatureData {
	var d FeatureData
	for _, f := range files {
		ds := panel.Dataset{Name: f.Dataset, Format: f.Format, Scheme: f.Scheme, FirstYear: f.FirstYear, LastYear: f.LastYear}
		if cut != 0 {
			ds.LastYear = min(ds.LastYear, cut)
		}
		d.Datasets = append(d.Datasets, ds)
		d.Variables = append(d.Variables, f.Variables...)
		for _, v := range f.Values {
			if cut == 0 || v.Year <= cut {
				d.Values = append(d.Values, v)
			}
		}
	}
	return d
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// The leakage test: a country-year's features are the same whether or not
// the values of later years are loaded.
func TestFeaturesIgnoreLaterYears(t *testing.T) {
	files := realPanels(t)
	full, err := BuildFeatures(featureData(files, 0))
	if err != nil {
		t.Fatal(err)
	}
	var countries []string
	seen := map[string]bool{}
	for _, v := range files[0].Values {
		if !seen[v.ISO3] {
			seen[v.ISO3] = true
			countries = append(countries, v.ISO3)
		}
	}
	for _, year := range []int{1993, 2021, 2023} { // before BRD, within every source, past the covariates
		cut, err := BuildFeatures(featureData(files, year))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cut.Names(), full.Names()) {
			t.Fatalf("%d: features %v, want %v", year, cut.Names(), full.Names())
		}
		known := 0
		for _, iso3 := range countries {
			a, b := full.Row(iso3, year), cut.Row(iso3, year)
			for j := range a {
				if !sameFloat(a[j], b[j]) {
					t.Errorf("%s %d %s: %g with later years loaded, %g without", iso3, year, full.Names()[j], a[j], b[j])
				}
				if !math.IsNaN(a[j]) {
					known++
				}
			}
		}
		if known < len(countries)*len(full.Names())/3 {
			t.Errorf("%d: only %d feature values known: the test compares little", year, known)
		}
	}
}

// Columns holding later outcomes or published forecasts are never
// features, and it is their role that keeps them out.
func TestFeaturesRefuseLeakingColumns(t *testing.T) {
	files := realPanels(t)
	d := featureData(files, 0)
	fs, err := BuildFeatures(d)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(fs.Names(), " ")
	for _, leak := range []string{"ewp.mk_onset_1", "ewp.mk_onset_2", "ewp.mk_onset_1or2", "risk_prev", "rank_prev", "dataendyear"} {
		if strings.Contains(names+" ", leak+" ") {
			t.Errorf("feature %s holds a future outcome or a published forecast", leak)
		}
	}
	if !strings.Contains(names, "ewp.mk_onset ") || !strings.Contains(names, "ewp.battledeaths.log2") {
		t.Errorf("features %s: want the EWP predictors' current-year columns", names)
	}
	// Relabelled as an input, mk_onset_1 would be read.
	for i, v := range d.Variables {
		if v.Dataset == "ewp-predictors" && v.Name == "mk_onset_1" {
			d.Variables[i].Role = panel.Input
		}
	}
	relabelled, err := BuildFeatures(d)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(relabelled.Names(), "ewp.mk_onset_1") {
		t.Error("mk_onset_1 relabelled as an input is still not a feature: the role check is not what excludes it")
	}
}

// Feature values checked against the sources.
func TestFeatureValues(t *testing.T) {
	fs, err := BuildFeatures(featureData(realPanels(t), 0))
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for j, n := range fs.Names() {
		col[n] = j
	}
	tests := []struct {
		iso3    string
		year    int
		feature string
		want    float64
	}{
		// Powell & Thyne: Myanmar 2021 a successful coup, Turkey 2016 a failed one.
		{"MMR", 2021, "coup.attempt", 1},
		{"MMR", 2021, "coup.success", 1},
		{"TUR", 2016, "coup.attempt", 1},
		{"TUR", 2016, "coup.success", 0},
		{"TUR", 2018, "coup.years_since_attempt", math.Log1p(2)},
		// EWP base data: Burkina Faso's episodes began in 2019 and 2022.
		{"BFA", 2019, "mk.onset", 1},
		{"BFA", 2021, "mk.onsets", 1},
		{"BFA", 2021, "mk.years_since_onset", math.Log1p(2)},
		{"BFA", 2022, "mk.onsets", 2},
		{"BFA", 2018, "mk.years_since_onset", math.Log1p(MaxYearsSince)},
		// ACD: no conflict in Switzerland since 1946; none in Norway's
		// BRD years, so zero deaths, not unknown.
		{"CHE", 2010, "acd.conflicts", 0},
		{"CHE", 2010, "acd.years_since_conflict", math.Log1p(MaxYearsSince)},
		{"NOR", 2000, "brd.deaths", 0},
		// Population, thousands (USA 2020: 335,942.004 in the file).
		{"USA", 2020, "cov.log_pop", math.Log(335942.004)},
	}
	for _, tc := range tests {
		j, ok := col[tc.feature]
		if !ok {
			t.Fatalf("no feature %s", tc.feature)
		}
		if got := fs.Row(tc.iso3, tc.year)[j]; math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s %d %s = %g, want %g", tc.iso3, tc.year, tc.feature, got, tc.want)
		}
	}
	// Before 1989 battle deaths are unknown; covariates carry forward.
	if v := fs.Row("NOR", 1980)[col["brd.deaths"]]; !math.IsNaN(v) {
		t.Errorf("NOR 1980 brd.deaths = %g, want unknown", v)
	}
	if a, b := fs.Row("USA", 2022)[col["cov.log_pop"]], fs.Row("USA", 2024)[col["cov.log_pop"]]; math.IsNaN(b) || a != b {
		t.Errorf("USA log population 2022 %g, 2024 %g: want the 2022 value carried", a, b)
	}
	if v := fs.Row("SYR", 2013)[col["brd.deaths"]]; v < math.Log(1000) {
		t.Errorf("SYR 2013 brd.deaths = %g, want a war's", v)
	}
}
