package panel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/geo"
	"threshold/internal/testenv"
)

func loadCodes(t testing.TB) *geo.Table {
	t.Helper()
	codes, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

func readFile(t testing.TB, codes *geo.Table, elem ...string) *File {
	t.Helper()
	path := testenv.SharedData(t, elem...)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Read(context.Background(), fh, filepath.Base(path), codes)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// value finds one value of f.
func value(f *File, variable string, code, year int) (Value, bool) {
	for _, v := range f.Values {
		if v.Variable == variable && v.Code == code && v.Year == year {
			return v, true
		}
	}
	return Value{}, false
}

// TestReadSharedFiles reads every published panel; the row counts are
// those in each folder's SOURCE.md. Rejected rows are countries the code
// table has no ISO code for (Czechoslovakia, 315; Gleditsch's microstates
// it lacks; nineteenth-century states) and WDI's regional aggregates.
func TestReadSharedFiles(t *testing.T) {
	codes := loadCodes(t)
	tests := []struct {
		dir, file         string
		format, dataset   string
		rows, rejects     int
		first, last       int
		variables, values int
	}{
		{"ewp-sra", "basedata2025_4august2025.csv", "ewp-base", "ewp-base", 11313, 59, 1934, 2024, 16, 180064},
		{"ewp-sra", "prepared2024predictors-2025-09-03.csv", "ewp-predictors", "ewp-predictors", 9463, 33, 1960, 2024, 42, 396060},
		{"ewp-sra", "FOOSforecasts_3Sep2025.csv", "ewp-foos", "ewp-foos", 5047, 0, 1994, 2024, 7, 35329},
		{"ucdp-acd", "ucdp-prio-acd-221.csv", "ucdp-acd", "ucdp-acd-22.1", 2568, 4, 1946, 2021, 10, 20050},
		{"ucdp-acd", "UcdpPrioConflict_v25_1.csv", "ucdp-acd", "ucdp-acd-25.1", 2751, 4, 1946, 2024, 10, 21180},
		{"ucdp-brd", "BattleDeaths_v25_1.csv", "ucdp-brd", "ucdp-brd-25.1", 1995, 0, 1989, 2024, 7, 8477},
		{"coups", "ptcoups_gw_country_year.csv", "pt-coups", "pt-coups", 11793, 440, 1950, 2022, 18, 204354},
		{"coups", "ewp_all_coups_country_year.csv", "ewp-coups", "ewp-coups", 776, 5, 1945, 2024, 1, 771},
		{"covariates", "population_gw_year.csv", "population", "population", 20258, 1913, 1816, 2022, 1, 18345},
		{"covariates", "gdp_gw_year.csv", "gdp", "gdp", 11597, 435, 1950, 2021, 4, 44648},
		{"covariates", "wdi_infmort_gw_year.csv", "infmort", "infmort", 9656, 33, 1960, 2021, 3, 28869},
		{"covariates", "ewp_wdi_country_year.csv", "ewp-wdi", "ewp-wdi", 17290, 3283, 1960, 2024, 7, 98049},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := readFile(t, codes, tt.dir, tt.file)
			if f.Refused != nil {
				t.Fatal(f.Refused)
			}
			if f.Format != tt.format || f.Dataset != tt.dataset || f.Rows != tt.rows || len(f.Rejects) != tt.rejects ||
				f.FirstYear != tt.first || f.LastYear != tt.last || len(f.Variables) != tt.variables || len(f.Values) != tt.values {
				t.Errorf("got format %s dataset %s, %d rows, %d rejects, years %d-%d, %d variables, %d values; want %s %s, %d, %d, %d-%d, %d, %d",
					f.Format, f.Dataset, f.Rows, len(f.Rejects), f.FirstYear, f.LastYear, len(f.Variables), len(f.Values),
					tt.format, tt.dataset, tt.rows, tt.rejects, tt.first, tt.last, tt.variables, tt.values)
			}
			for _, r := range f.Rejects {
				if r.Line < 2 || r.Reason == "" || (r.Column == "" && !strings.Contains(r.Reason, "fields")) {
					t.Errorf("reject without line, column or reason: %+v", r)
				}
			}
			for _, v := range f.Values {
				if v.ISO3 == "" || v.Dataset != f.Dataset || v.Line < 2 {
					t.Fatalf("value without country, dataset or line: %+v", v)
				}
			}
		})
	}
}

// TestReadFigures checks values against figures in SOURCE.md.
func TestReadFigures(t *testing.T) {
	codes := loadCodes(t)
	brd := readFile(t, codes, "ucdp-brd", "BattleDeaths_v25_1.csv")
	pop := readFile(t, codes, "covariates", "population_gw_year.csv")
	pt := readFile(t, codes, "coups", "ptcoups_gw_country_year.csv")
	acd := readFile(t, codes, "ucdp-acd", "ucdp-prio-acd-221.csv")
	tests := []struct {
		name     string
		f        *File
		variable string
		code     int
		year     int
		iso3     string
		want     float64
	}{
		// SOURCE.md: "sum of bd_best where battle_location equals the country".
		{"BRD DR Congo 1998", brd, "bd_best", 490, 1998, "COD", 3343},
		{"BRD DR Congo 2017", brd, "bd_best", 490, 2017, "COD", 3632},
		{"BRD Sudan 1998", brd, "bd_best", 625, 1998, "SDN", 4891},
		{"BRD Sudan 2023", brd, "bd_best", 625, 2023, "SDN", 5353},
		{"BRD Ethiopia 2021", brd, "bd_best", 530, 2021, "ETH", 124549},
		{"BRD Syria 2016", brd, "bd_best", 652, 2016, "SYR", 43650},
		{"BRD Myanmar 2022", brd, "bd_best", 775, 2022, "MMR", 1904},
		{"BRD CAR 2021", brd, "bd_best", 482, 2021, "CAF", 906},
		// DR Congo 1998 also had dyads fought with Uganda (284) and Rwanda (1,096).
		{"BRD DR Congo 1998 shared", brd, "bd_best_multi", 490, 1998, "COD", 284 + 1096},
		{"population USA 2020", pop, "pop", 2, 2020, "USA", 335942.004}, // SOURCE.md: 335,942 (thousands)
		// P&T: Myanmar's coup of 2021-02-01; Sudan's failed (September) and successful (October) attempts.
		{"coup Myanmar 2021", pt, "pt_coup", 775, 2021, "MMR", 1},
		{"attempts Sudan 2021", pt, "pt_attempt_num", 625, 2021, "SDN", 2},
		{"failed Sudan 2021", pt, "pt_failed", 625, 2021, "SDN", 1},
		// Dominica, a Gleditsch microstate the GW table lacks, by its COW number.
		{"population Dominica", pop, "pop", 54, 2000, "DMA", -1},
		// ACD: Hyderabad (751) is left out of "750, 751"; India keeps the conflict.
		{"ACD India 1948", acd, "conflicts_interstate", 750, 1948, "IND", -1},
		// ACD 1998: the DR Congo war is located in 490 and listed with its parties.
		{"ACD DR Congo 1998", acd, "max_intensity", 490, 1998, "COD", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := value(tt.f, tt.variable, tt.code, tt.year)
			if !ok {
				t.Fatalf("no %s for %d %d", tt.variable, tt.code, tt.year)
			}
			if v.ISO3 != tt.iso3 || (tt.want >= 0 && v.Num != tt.want) || (tt.want < 0 && v.Num <= 0) {
				t.Errorf("%s %d %d = %s %g, want %s %g", tt.variable, tt.code, tt.year, v.ISO3, v.Num, tt.iso3, tt.want)
			}
		})
	}
	var partial int
	for _, r := range acd.Rejects {
		if r.Partial {
			partial++
			if r.Line != 533 || !strings.Contains(r.Reason, "751") {
				t.Errorf("partial reject %+v, want line 533 naming 751", r)
			}
		}
	}
	if partial != 2 { // gwno_loc "750, 751" and gwno_a "751" of one row
		t.Errorf("%d partial rejects, want 2", partial)
	}
}

// TestReadRoles checks that future outcomes and published forecasts are
// flagged.
func TestReadRoles(t *testing.T) {
	codes := loadCodes(t)
	pred := readFile(t, codes, "ewp-sra", "prepared2024predictors-2025-09-03.csv")
	foos := readFile(t, codes, "ewp-sra", "FOOSforecasts_3Sep2025.csv")
	base := readFile(t, codes, "ewp-sra", "basedata2025_4august2025.csv")
	roles := map[string]Role{}
	for _, f := range []*File{pred, foos, base} {
		for _, v := range f.Variables {
			roles[f.Dataset+"."+v.Name] = v.Role
		}
	}
	for name, want := range map[string]Role{
		"ewp-predictors.mk_onset_1":    FutureOutcome,
		"ewp-predictors.mk_onset_2":    FutureOutcome,
		"ewp-predictors.mk_onset_1or2": FutureOutcome,
		"ewp-predictors.mk_onset":      Outcome,
		"ewp-predictors.widetargeting": Input,
		"ewp-predictors.coup.try.5yr":  Input,
		"ewp-foos.risk_prev":           Forecast,
		"ewp-foos.rank_prev":           Forecast,
		"ewp-foos.maxrisk2":            Forecast,
		"ewp-foos.mk_onset":            Outcome,
		"ewp-base.mk_onset":            Outcome,
		"ewp-base.mk_ongoing":          Input,
		"ewp-base.mk_location_ever":    Input, // cumulative: 1 from a country's first episode (or its predecessor's)
		"ewp-base.dataendyear":         FutureOutcome,
	} {
		if roles[name] != want {
			t.Errorf("%s: role %q, want %q", name, roles[name], want)
		}
	}
	var leaks []string
	for name, r := range roles {
		if r.Leaks() {
			leaks = append(leaks, name)
		}
	}
	if len(leaks) != 10 { // 4 future outcomes, 6 forecast columns
		t.Errorf("leaking variables %v, want 10", leaks)
	}
	if _, ok := roles["ewp-foos.prev_year"]; ok {
		t.Error("prev_year stored as a variable")
	}
}

// TestReadRefusesSpreadsheetACD reads the v25.1 file as found: the record
// a spreadsheet split over two lines refuses the file.
func TestReadRefusesSpreadsheetACD(t *testing.T) {
	f := readFile(t, loadCodes(t), "ucdp-acd", "UcdpPrioConflict_v25_1.semicolon.csv")
	if !errors.Is(f.Refused, ErrRefused) || !strings.Contains(f.Refused.Error(), "UcdpPrioConflict_v25_1.semicolon.csv:42: column version") {
		t.Errorf("Refused = %v, want the split record on line 42", f.Refused)
	}
}

func TestReadBadRows(t *testing.T) {
	codes := loadCodes(t)
	const pop = "gwcode,year,pop\n"
	const acd = "conflict_id,location,incompatibility,year,intensity_level,type_of_conflict,gwno_a,gwno_b,gwno_loc,version\n"
	tests := []struct {
		name       string
		data       string
		wantValues int
		wantReject string // "line: column: reason" of the first reject
		refused    bool
	}{
		{"good", pop + "2,2020,335942\n", 1, "", false},
		{"byte order mark, CRLF, NA", "\ufeff" + strings.ReplaceAll(pop, "\n", "\r\n") + "2,2020,NA\r\n", 1, "", false},
		{"not a number", pop + "2,2020,335942\n2,2021,lots\n", 1, "3: pop: not a number", false},
		{"infinite", pop + "2,2021,Inf\n", 0, "2: pop: not a finite number", false},
		{"year out of range", pop + "2,1066,1\n", 0, "2: year: year out of range 1800..2100", false},
		{"fractional year", pop + "2,2020.5,1\n", 0, "2: year: not an integer", false},
		{"unknown state", pop + "999,2020,1\n", 0, "2: gwcode: gw state number in 2020", false},
		{"no state number", pop + "NA,2020,1\n", 0, "2: gwcode: no state number", false},
		{"repeated country-year", pop + "2,2020,1\n2,2020,2\n", 1, "3: gwcode: country-year 2 2020 repeated (first on line 2)", false},
		{"short row", pop + "2,2020\n", 0, "2: : 2 fields, the header has 3", false},
		{"bad quote", pop + "2,2020,\"1\n", 0, "2: : malformed CSV", false},
		{"ACD good", acd + "1,Colombia,2,2015,1,3,100,,\"100, 101\",25.1\n", 2 * len(ACDVariables), "", false},
		{"ACD bad intensity refuses", acd + "1,Colombia,2,2015,1,3,100,,100,25.1\n2,Colombia,2,2015,3,3,100,,100,25.1\n", 0, "3: intensity_level: out of range 1..2", true},
		{"ACD repeated conflict-year refuses", acd + "1,Colombia,2,2015,1,3,100,,100,25.1\n1,Colombia,2,2015,1,3,100,,100,25.1\n", 0, "3: : conflict 1 in 2015 repeated (first on line 2)", true},
		{"ACD mixed releases refuse", acd + "1,Colombia,2,2015,1,3,100,,100,25.1\n2,Colombia,2,2016,1,3,100,,100,22.1\n", 0, "3: version: release differs", true},
		{"ACD bad location list refuses", acd + "1,Colombia,2,2015,1,3,100,,\"100; 101\",25.1\n", 0, "2: gwno_loc: not a list of state numbers", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(context.Background(), strings.NewReader(tt.data), "t.csv", codes)
			if err != nil {
				t.Fatal(err)
			}
			if (f.Refused != nil) != tt.refused {
				t.Errorf("Refused = %v, want refused %v", f.Refused, tt.refused)
			}
			if !tt.refused && len(f.Values) != tt.wantValues {
				t.Errorf("%d values, want %d", len(f.Values), tt.wantValues)
			}
			if tt.wantReject == "" {
				if len(f.Rejects) > 0 {
					t.Errorf("rejects %+v, want none", f.Rejects)
				}
				return
			}
			if len(f.Rejects) == 0 {
				t.Fatalf("no reject, want %q", tt.wantReject)
			}
			r := f.Rejects[0]
			if got := strings.Join([]string{itoa(r.Line), r.Column, r.Reason}, ": "); !strings.HasPrefix(got, tt.wantReject) {
				t.Errorf("first reject %q, want %q", got, tt.wantReject)
			}
			if e := (&RowError{File: "t.csv", Reject: r}).Error(); !strings.HasPrefix(e, "t.csv:"+itoa(r.Line)) {
				t.Errorf("RowError %q does not name file and line", e)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestReadUnknownFormat(t *testing.T) {
	codes := loadCodes(t)
	for _, data := range []string{"", "a,b,c\n1,2,3\n", "country,ccode,ccode_gw,ccode_polity,year,month,day,coup,version\n"} {
		_, err := Read(context.Background(), strings.NewReader(data), "x.csv", codes)
		if err == nil || !strings.HasPrefix(err.Error(), "x.csv: ") {
			t.Errorf("Read(%q) = %v, want an error naming x.csv", data, err)
		}
	}
}
