package forecast

import (
	"context"
	"encoding/csv"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"threshold/internal/panel"
	"threshold/internal/testenv"
)

// TestConflictOnsetRules checks onset and the at-risk set on small inputs
// for Colombia (GW 100, in the state list throughout) and South Sudan
// (626, from 2011-07-09).
func TestConflictOnsetRules(t *testing.T) {
	codes := loadCodes(t)
	active := func(code int, years ...int) []panel.Value {
		var vs []panel.Value
		for _, y := range years {
			vs = append(vs, panel.Value{Variable: "conflicts", Code: code, Year: y, Num: 1})
		}
		return vs
	}
	tests := []struct {
		name       string
		values     []panel.Value
		h, quiet   int
		code, year int // the base year looked at
		wantRow    bool
		wantAtRisk bool
		wantValue  int
	}{
		{"onset after two quiet years", active(100, 2000, 2005), 1, 2, 100, 2004, true, true, 1},
		{"one quiet year is not enough", active(100, 2003, 2005), 1, 2, 100, 2004, true, false, 0},
		{"conflict in t-1 rules horizon 1 out", active(100, 2003), 1, 2, 100, 2004, true, false, 0},
		{"conflict in t-1 does not rule horizon 2 out", active(100, 2003, 2006), 2, 2, 100, 2004, true, true, 1},
		{"conflict in t+1 makes t+2 no onset", active(100, 2005, 2006), 2, 2, 100, 2004, true, true, 0},
		{"quiet years 1", active(100, 2003, 2005), 1, 1, 100, 2004, true, true, 1},
		{"ongoing", active(100, 2003, 2004, 2005), 1, 2, 100, 2004, true, false, 0},
		{"no conflict", active(100, 1990), 1, 2, 100, 2004, true, true, 0},
		{"South Sudan not a state at the end of 2010", active(626, 2011), 1, 2, 626, 2010, false, false, 0},
		{"South Sudan 2012 from 2011", active(626, 2012), 1, 2, 626, 2011, true, true, 1},
		{"history before the data unknown", active(100, 1990), 1, 2, 100, 1989, false, false, 0},
		{"outcome after the data unknown", active(100, 1990), 1, 2, 100, 2012, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConflictOnsets(tt.values, codes, 1989, 2012, tt.h, tt.quiet)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := byKey(got)[unitYear{tt.code, tt.year}]
			if ok != tt.wantRow {
				t.Fatalf("row for %d %d: %v, want %v", tt.code, tt.year, ok, tt.wantRow)
			}
			if ok && (o.AtRisk != tt.wantAtRisk || o.Value != tt.wantValue || o.Horizon != tt.h || o.Scheme != panel.GW) {
				t.Errorf("%d %d = %+v, want at risk %v, outcome %d", tt.code, tt.year, o, tt.wantAtRisk, tt.wantValue)
			}
			for _, o := range got {
				if !o.AtRisk && o.Value == 1 {
					t.Errorf("%+v: an onset outside the at-risk set", o)
				}
			}
		})
	}
	if _, err := ConflictOnsets(nil, codes, 1989, 2010, 0, 2); err == nil {
		t.Error("horizon 0: no error")
	}
}

// acdOnsets scans the raw ACD file, independently of the panel importer:
// the years each GW number in gwno_loc has a conflict after quiet years
// without.
func acdOnsets(t *testing.T, path string, quiet int) (map[unitYear]bool, int) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	active := map[unitYear]bool{}
	first := 9999
	for _, r := range recs[1:] {
		y, err := strconv.Atoi(r[col["year"]])
		if err != nil {
			t.Fatal(err)
		}
		first = min(first, y)
		for _, g := range strings.Split(r[col["gwno_loc"]], ",") {
			c, err := strconv.Atoi(strings.TrimSpace(g))
			if err != nil {
				t.Fatal(err)
			}
			active[unitYear{c, y}] = true
		}
	}
	onsets := map[unitYear]bool{}
	for k := range active {
		on := true
		for y := k.year - quiet; y < k.year; y++ {
			on = on && !active[unitYear{k.code, y}]
		}
		if on && k.year-quiet >= first {
			onsets[k] = true
		}
	}
	return onsets, first
}

// TestConflictOnsetOnACD computes conflict-onset from UCDP/PRIO ACD v25.1
// and checks it against an independent scan of the file, and a few onsets
// read off the file: Syria 2011, Mali 2012, Ukraine 2014, Burkina Faso
// 2018, Ethiopia 2019.
func TestConflictOnsetOnACD(t *testing.T) {
	codes := loadCodes(t)
	acd := readShared(t, codes, "ucdp-acd", "UcdpPrioConflict_v25_1.csv")
	scan, first := acdOnsets(t, testenv.SharedData(t, "ucdp-acd", "UcdpPrioConflict_v25_1.csv"), DefaultQuietYears)
	r := memReader{[]*panel.File{acd}}
	for _, h := range []int{1, 2} {
		got, err := Outcomes(context.Background(), r, ConflictOnset, TargetOptions{Horizon: h, Codes: codes})
		if err != nil {
			t.Fatal(err)
		}
		idx := byKey(got)
		var atRisk, onsets int
		decades := map[int]int{}
		for _, o := range got {
			if o.AtRisk {
				atRisk++
			}
			if o.Value == 1 {
				onsets++
				decades[o.OutcomeYear()/10*10]++
				if !scan[unitYear{o.Code, o.OutcomeYear()}] {
					t.Errorf("h=%d: %s (%d) %d is an onset; the raw file says not", h, o.ISO3, o.Code, o.OutcomeYear())
				}
			}
		}
		uncovered := 0
		for k := range scan {
			o, ok := idx[unitYear{k.code, k.year - h}]
			switch {
			case !ok:
				uncovered++ // a state not in the list at the end of both years
			case o.Value != 1:
				t.Errorf("h=%d: %s (%d) %d: outcome %d, the raw file has an onset", h, o.ISO3, k.code, k.year, o.Value)
			}
		}
		var ds []int
		for d := range decades {
			ds = append(ds, d)
		}
		sort.Ints(ds)
		var b strings.Builder
		for _, d := range ds {
			b.WriteString(" " + strconv.Itoa(d) + "s:" + strconv.Itoa(decades[d]))
		}
		t.Logf("h=%d: %d country-years from %d, %d at risk, %d onsets (%d of the file's %d onsets are in no state-year: new states' first years, territories);%s",
			h, len(got), first, atRisk, onsets, uncovered, len(scan), b.String())
		if onsets < 100 {
			t.Errorf("h=%d: %d onsets, want over 100", h, onsets)
		}
	}

	got, err := Outcomes(context.Background(), r, ConflictOnset, TargetOptions{Horizon: 1, Codes: codes})
	if err != nil {
		t.Fatal(err)
	}
	idx := byKey(got)
	for _, c := range []struct {
		iso3       string
		code, year int
		atRisk     bool
		value      int
	}{
		{"SYR", 652, 2010, true, 1},
		{"MLI", 432, 2011, true, 1},
		{"UKR", 369, 2013, true, 1},
		{"BFA", 439, 2017, true, 1},
		{"ETH", 530, 2018, true, 1},
		{"UKR", 369, 2021, false, 0}, // at war since 2014
		{"RUS", 365, 2021, false, 0}, // none in 2021, but in 2020
		{"CHE", 225, 2023, true, 0},
	} {
		o, ok := idx[unitYear{c.code, c.year}]
		if !ok || o.ISO3 != c.iso3 || o.AtRisk != c.atRisk || o.Value != c.value {
			t.Errorf("%s %d: %+v (found %v), want at risk %v, outcome %d", c.iso3, c.year, o, ok, c.atRisk, c.value)
		}
	}
}

func TestOutcomesPicksDatasets(t *testing.T) {
	codes := loadCodes(t)
	old := readShared(t, codes, "ucdp-acd", "ucdp-prio-acd-221.csv")
	cur := readShared(t, codes, "ucdp-acd", "UcdpPrioConflict_v25_1.csv")
	r := memReader{[]*panel.File{cur, old}}
	got, err := Outcomes(context.Background(), r, ConflictOnset, TargetOptions{Horizon: 1, Codes: codes})
	if err != nil {
		t.Fatal(err)
	}
	if last := got[len(got)-1].OutcomeYear(); last != 2024 {
		t.Errorf("latest release: last outcome year %d, want 2024 (v25.1)", last)
	}
	got, err = Outcomes(context.Background(), r, ConflictOnset, TargetOptions{Horizon: 1, Codes: codes, Dataset: "ucdp-acd-22.1"})
	if err != nil {
		t.Fatal(err)
	}
	if last := got[len(got)-1].OutcomeYear(); last != 2021 {
		t.Errorf("v22.1: last outcome year %d, want 2021", last)
	}
	for _, tt := range []struct {
		name   string
		target Target
		opts   TargetOptions
		want   string
	}{
		{"unknown target", "coups", TargetOptions{Horizon: 1}, "unknown target"},
		{"horizon 0", ConflictOnset, TargetOptions{Codes: codes}, "horizon 0"},
		{"no code table", ConflictOnset, TargetOptions{Horizon: 1}, "no code table"},
		{"no EWP data", MassKillingOnset, TargetOptions{Horizon: 1}, "no ewp-base dataset"},
		{"wrong format", ConflictOnset, TargetOptions{Horizon: 1, Codes: codes, Dataset: "ewp-base"}, "no dataset ewp-base"},
	} {
		if _, err := Outcomes(context.Background(), r, tt.target, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
