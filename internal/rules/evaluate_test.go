package rules_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/election"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// load ingests files and the built-in elections calendar into db and
// recomputes every indicator.
func load(t testing.TB, db *store.DB, files []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := ingest.Files(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	els, err := election.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportElections(ctx, els); err != nil {
		t.Fatal(err)
	}
	if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// carFiles are the bundled sample (UCDP GED for the Central African
// Republic and a GDELT export) and the Powell & Thyne coups list.
func carFiles(t *testing.T) []string {
	t.Helper()
	files, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return append(files, testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv"))
}

func monthEnd(y int, m time.Month) time.Time {
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
}

// TestEvaluateCAR runs the default rules over the real CAR data and checks
// that they see the country's threshold moments with sensible
// explanations.
func TestEvaluateCAR(t *testing.T) {
	tests := []struct {
		asOf   time.Time
		rule   string
		admin1 string
		want   []string // substrings of the explanation
	}{
		// The Seleka take Bangui, 24 March 2013. Powell & Thyne do not
		// list it as a coup (a rebel victory), so the coup rule is
		// silent and the surge rules speak.
		{monthEnd(2013, time.March), "fatalities-surge-country", "", []string{"fatalities in Central African Republic in 2013-03: 164", "33x the monthly median of the past 2 years"}},
		{monthEnd(2013, time.March), "mass-fatalities-admin1", "Bangui province", []string{"fatalities in Bangui province (Central African Republic) in 2013-03: 110 (>= 100)"}},
		// The surge of late 2013: Ouham in September, Bangui in December.
		{monthEnd(2013, time.September), "fatalities-surge-admin1", "Ouham province", []string{"fatalities in Ouham province (Central African Republic) in 2013-09: 620"}},
		{monthEnd(2013, time.September), "fatalities-surge-country", "", []string{"fatalities in Central African Republic in 2013-09: 868, 102x"}},
		{monthEnd(2013, time.December), "mass-fatalities-admin1", "Bangui province", []string{"in 2013-12: 1,023 (>= 100)"}},
		{monthEnd(2013, time.December), "violence-rising-country", "", []string{"violent events in Central African Republic in the 6 months 2013-07 to 2013-12: 124", "sustained 2x rise since 2013-07"}},
		// Bozizé's coup, 15 March 2003, in the Powell & Thyne list.
		{monthEnd(2003, time.March), "coup", "", []string{"Central African Republic: successful coup on 2003-03-15 (powell-thyne)"}},
		{monthEnd(2001, time.May), "coup", "", []string{"coup attempt on 2001-05-28 (powell-thyne)"}},
		// Deaths after the quiet of 2000-2001 (the May 2001 coup attempt).
		{monthEnd(2001, time.May), "first-fatal-country", "", []string{"fatalities in Central African Republic in 2001-05: 190, the first since 2000-01 (6 then), after 3 or more quiet months"}},
		// Violence doubling after the general election of 23 January 2011.
		{monthEnd(2011, time.March), "election-violence", "", []string{"general election in Central African Republic on 2011-01-23, 67 days ago", "violent events in Central African Republic in 2011-03: 7, 2.2x the monthly mean of the 12 months before (3.2)"}},
		// Fighting reaches Nana-Grébizi in April 2013, after a quiet year.
		{monthEnd(2013, time.April), "spread-admin1", "Nana-Grébizi province", []string{"violent events in Nana-Grébizi province (Central African Republic) in 2013-04: 2 (29 deaths), none in the 12 months before"}},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		load(t, db, carFiles(t))
		ctx := context.Background()
		f := rules.Default()
		got := map[time.Time][]alert.Firing{}
		for _, tt := range tests {
			fs, ok := got[tt.asOf]
			if !ok {
				var err error
				if fs, err = rules.Evaluate(ctx, db, f, rules.Scope{Countries: []string{"CAF"}, AsOf: tt.asOf}); err != nil {
					t.Fatal(err)
				}
				got[tt.asOf] = fs
			}
			var hit *alert.Firing
			for i := range fs {
				if fs[i].Rule == tt.rule && fs[i].Admin1 == tt.admin1 {
					hit = &fs[i]
				}
			}
			if hit == nil {
				var seen []string
				for _, x := range fs {
					seen = append(seen, x.Rule+" "+x.Place())
				}
				t.Errorf("as of %s: %s did not fire for CAF %s; fired: %v", tt.asOf.Format(time.DateOnly), tt.rule, tt.admin1, seen)
				continue
			}
			for _, w := range tt.want {
				if !strings.Contains(hit.Explanation, w) {
					t.Errorf("as of %s, %s: explanation %q lacks %q", tt.asOf.Format(time.DateOnly), tt.rule, hit.Explanation, w)
				}
			}
			checkFiring(t, f, tt.asOf, *hit)
		}
	})
}

// checkFiring checks what every firing must carry.
func checkFiring(t *testing.T, f *rules.File, asOf time.Time, x alert.Firing) {
	t.Helper()
	where := x.Rule + " " + x.Place() + " as of " + asOf.Format(time.DateOnly)
	if x.RuleVersion != f.Version || !x.AsOf.Equal(asOf) || !x.Severity.Valid() || x.Title == "" || x.Country != "CAF" {
		t.Errorf("%s: version %q as of %s severity %q title %q country %q", where, x.RuleVersion, x.AsOf, x.Severity, x.Title, x.Country)
	}
	var r *rules.Rule
	for i := range f.Rules {
		if f.Rules[i].ID == x.Rule {
			r = &f.Rules[i]
		}
	}
	if r == nil || x.Labels["kind"] != r.Kind() || x.Labels["theme"] != r.Labels["theme"] {
		t.Errorf("%s: labels %v", where, x.Labels)
	}
	if x.Window.Start.After(x.Window.End) || x.Window.End.After(asOf) {
		t.Errorf("%s: window %v", where, x.Window)
	}
	if r != nil && r.Kind() != "coup" {
		if x.Indicator == "" || len(x.Evidence) == 0 || len(x.Evidence) > 24 {
			t.Errorf("%s: indicator %q, %d evidence points, want up to 24", where, x.Indicator, len(x.Evidence))
		} else if last := x.Evidence[len(x.Evidence)-1]; last.Label != asOf.Format("2006-01") || last.Start.After(asOf) {
			t.Errorf("%s: evidence ends with %+v, want the month of AsOf", where, last)
		}
	}
	if len(x.Events) == 0 || len(x.Events) > 10 {
		t.Errorf("%s: %d events, want 1 to 10", where, len(x.Events))
	}
}

// TestEvaluateAsOf checks that evaluation as of a day sees nothing dated
// after it: the default rules give the same firings on the full data and
// on the data cut at that day, as of a month's end and as of the middle of
// March 2013, the month the Seleka took Bangui (on the 24th).
func TestEvaluateAsOf(t *testing.T) {
	for _, asOf := range []time.Time{monthEnd(2012, time.December), time.Date(2013, 3, 15, 0, 0, 0, 0, time.UTC)} {
		t.Run(asOf.Format(time.DateOnly), func(t *testing.T) { testAsOf(t, asOf) })
	}
}

func testAsOf(t *testing.T, asOf time.Time) {
	dir := t.TempDir()
	day := asOf.Format(time.DateOnly)
	full := []string{
		testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv"),
		testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv"),
	}
	cut := []string{
		cutCSV(t, full[0], dir, func(h map[string]int, rec []string) bool { return rec[h["date_start"]][:10] <= day }),
		cutCSV(t, full[1], dir, func(h map[string]int, rec []string) bool {
			return fmt.Sprintf("%s-%02s-%02s", rec[h["year"]], rec[h["month"]], rec[h["day"]]) <= day
		}),
	}
	ctx := context.Background()
	f := rules.Default()
	var results [2]string
	for i, files := range [][]string{full, cut} {
		db, _ := storetest.SQLite(t)
		load(t, db, files)
		fs, err := rules.Evaluate(ctx, db, f, rules.Scope{AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			if x.Window.End.After(asOf) {
				t.Errorf("%s %s: window %v ends after %s", x.Rule, x.Place(), x.Window, day)
			}
			for _, p := range x.Evidence {
				if p.Start.After(asOf) {
					t.Errorf("%s %s: evidence from %s", x.Rule, x.Place(), p.Label)
				}
			}
			for _, k := range x.Events {
				e, err := db.Event(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				if e.DateStart.After(asOf) {
					t.Errorf("%s %s: event %s of %s", x.Rule, x.Place(), k, e.DateStart.Format(time.DateOnly))
				}
			}
		}
		if i == 0 && len(fs) == 0 {
			t.Fatalf("nothing fires as of %s; the comparison would prove nothing", day)
		}
		b, err := json.MarshalIndent(fs, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		results[i] = string(b)
	}
	if results[0] != results[1] {
		t.Errorf("as of %s the full data give\n%s\nand the data cut at that day\n%s", day, results[0], results[1])
	}
}

// cutCSV copies the rows of a CSV file that keep accepts into dir, under
// the same name.
func cutCSV(t *testing.T, path, dir string, keep func(header map[string]int, rec []string) bool) string {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	recs, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]int{}
	for i, c := range recs[0] {
		h[c] = i
	}
	out := filepath.Join(dir, filepath.Base(path))
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(o)
	w.Write(recs[0])
	kept := 0
	for _, rec := range recs[1:] {
		if keep(h, rec) {
			w.Write(rec)
			kept++
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if kept == 0 || kept == len(recs)-1 {
		t.Fatalf("cut of %s kept %d of %d rows", path, kept, len(recs)-1)
	}
	return out
}

// TestEvaluateElectionDECO runs the default election rules over the real
// UCDP DECO events and the built-in calendar: Côte d'Ivoire's
// post-electoral crisis after the run-off of 28 November 2010.
func TestEvaluateElectionDECO(t *testing.T) {
	tests := []struct {
		asOf time.Time
		want string // in the election-violence explanation; "" for no firing
	}{
		{monthEnd(2010, time.September), ""},
		{monthEnd(2010, time.November), "presidential election (round 2) in Côte d’Ivoire on 2010-11-28, 2 days ago; violent events in Côte d’Ivoire in 2010-11: 3, 18x the monthly mean of the 12 months before (0.17)."},
		{monthEnd(2011, time.February), "on 2010-11-28, 92 days ago; violent events in Côte d’Ivoire in 2011-02: 27, 20x"},
		// March 2011, the crisis's deadliest month, is more than 90 days
		// after the run-off: the rule is about elections, and the surge
		// rules are there for the rest.
		{monthEnd(2011, time.March), ""},
	}
	db, _ := storetest.SQLite(t)
	load(t, db, []string{testenv.SharedData(t, "ucdp-deco", "DECO_v1.0_excl_kenya_southsudan.csv")})
	f := rules.Default()
	for _, tt := range tests {
		fs, err := rules.Evaluate(context.Background(), db, f, rules.Scope{Countries: []string{"CIV"}, AsOf: tt.asOf})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range fs {
			if x.Rule == "election-violence" {
				got = append(got, x.Explanation)
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("as of %s: election-violence fired: %q", tt.asOf.Format(time.DateOnly), got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("as of %s: election-violence %q, want one firing with %q", tt.asOf.Format(time.DateOnly), got, tt.want)
		}
	}
}
