package forecast

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"threshold/internal/geo"
	"threshold/internal/panel"
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

// readShared reads a shared data file through the panel importer.
func readShared(t testing.TB, codes *geo.Table, dir, file string) *panel.File {
	t.Helper()
	path := testenv.SharedData(t, dir, file)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := panel.Read(context.Background(), fh, filepath.Base(path), codes)
	if err != nil {
		t.Fatal(err)
	}
	if f.Refused != nil {
		t.Fatal(f.Refused)
	}
	return f
}

// memReader is a panel.Reader over files read in memory.
type memReader struct{ files []*panel.File }

func (m memReader) PanelValues(_ context.Context, q panel.Query) ([]panel.Value, error) {
	want := map[string]bool{}
	for _, v := range q.Variables {
		want[v] = true
	}
	var out []panel.Value
	for _, f := range m.files {
		for _, v := range f.Values {
			if (q.Dataset == "" || v.Dataset == q.Dataset) && (len(want) == 0 || want[v.Variable]) &&
				(q.ISO3 == "" || v.ISO3 == q.ISO3) && (q.From == 0 || v.Year >= q.From) && (q.To == 0 || v.Year <= q.To) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func (m memReader) PanelDatasets(context.Context) ([]panel.Dataset, error) {
	var out []panel.Dataset
	for _, f := range m.files {
		out = append(out, panel.Dataset{Name: f.Dataset, Format: f.Format, Scheme: f.Scheme, FirstYear: f.FirstYear, LastYear: f.LastYear})
	}
	return out, nil
}

func (m memReader) PanelVariables(context.Context, string) ([]panel.Variable, error) { return nil, nil }

// byKey indexes outcomes by (code, base year).
func byKey(os []Outcome) map[unitYear]Outcome {
	m := make(map[unitYear]Outcome, len(os))
	for _, o := range os {
		m[unitYear{o.Code, o.Year}] = o
	}
	return m
}

// TestMassKillingOnsetAgreesWithEWP checks the target against the outcomes
// EWP publishes beside its forecasts (FOOS mk_onset, by outcome year) and
// in its prepared predictors (mk_onset_1 and mk_onset_2, by base year).
func TestMassKillingOnsetAgreesWithEWP(t *testing.T) {
	codes := loadCodes(t)
	base := readShared(t, codes, "ewp-sra", "basedata2025_4august2025.csv")
	foos := readShared(t, codes, "ewp-sra", "FOOSforecasts_3Sep2025.csv")
	pred := readShared(t, codes, "ewp-sra", "prepared2024predictors-2025-09-03.csv")
	r := memReader{[]*panel.File{base, foos, pred}}

	tests := []struct {
		name    string
		horizon int
		against *panel.File
		column  string
		shift   int // base year = the column's row year - shift
		minRows int
	}{
		{"FOOS mk_onset at horizon 1", 1, foos, "mk_onset", 1, 5000},
		{"predictors mk_onset_1", 1, pred, "mk_onset_1", 0, 9000},
		{"predictors mk_onset_2", 2, pred, "mk_onset_2", 0, 9000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Outcomes(context.Background(), r, MassKillingOnset, TargetOptions{Horizon: tt.horizon})
			if err != nil {
				t.Fatal(err)
			}
			idx := byKey(got)
			var compared, agree, onsets, missing int
			for _, v := range tt.against.Values {
				if v.Variable != tt.column || v.Missing {
					continue
				}
				o, ok := idx[unitYear{v.Code, v.Year - tt.shift}]
				if !ok {
					missing++
					continue
				}
				compared++
				if !o.AtRisk {
					t.Errorf("%s %d not at risk; EWP keeps every country-year at risk", o.ISO3, o.Year)
				}
				if float64(o.Value) == v.Num {
					agree++
				} else if compared-agree <= 5 {
					t.Errorf("%s (%d) base year %d: outcome %d, EWP's %s %g", o.ISO3, o.Code, o.Year, o.Value, tt.column, v.Num)
				}
				onsets += o.Value
			}
			t.Logf("%s: %d of %d country-years agree (%.2f%%), %d onsets; %d of EWP's rows have no outcome here",
				tt.name, agree, compared, 100*float64(agree)/float64(compared), onsets, missing)
			if compared < tt.minRows {
				t.Errorf("compared %d country-years, want at least %d", compared, tt.minRows)
			}
			if missing > 0 {
				t.Errorf("%d of EWP's rows have no outcome", missing)
			}
		})
	}
}

// TestMassKillingOnsetCounts checks onsets per decade against EWP's base
// data read independently of the target code (a plain CSV scan).
func TestMassKillingOnsetCounts(t *testing.T) {
	codes := loadCodes(t)
	base := readShared(t, codes, "ewp-sra", "basedata2025_4august2025.csv")
	fh, err := os.Open(testenv.SharedData(t, "ewp-sra", "basedata2025_4august2025.csv"))
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
	want := map[int]int{} // decade -> onsets in the file, by outcome year
	for _, r := range recs[1:] {
		// 315 Czechoslovakia is quarantined (no ISO code); the first
		// year is no base year's outcome.
		if r[col["mk_onset"]] != "1" || r[col["ccode"]] == "315" || r[col["year"]] == "1934" {
			continue
		}
		y, err := strconv.Atoi(r[col["year"]])
		if err != nil {
			t.Fatal(err)
		}
		want[y/10*10]++
	}
	got, err := MassKillingOnsets(base.Values, 1)
	if err != nil {
		t.Fatal(err)
	}
	have := map[int]int{}
	for _, o := range got {
		have[o.OutcomeYear()/10*10] += o.Value
	}
	var decades []int
	for d := range want {
		decades = append(decades, d)
	}
	sort.Ints(decades)
	for _, d := range decades {
		t.Logf("%ds: %d onsets", d, have[d])
		if have[d] != want[d] {
			t.Errorf("%ds: %d onsets, want %d", d, have[d], want[d])
		}
	}
	if len(decades) < 9 {
		t.Errorf("onsets in %d decades, want the 1930s to the 2020s", len(decades))
	}
}
