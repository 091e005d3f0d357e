package rules_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/indicator"
	"threshold/internal/rules"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// pendingSource is a synthetic memSource with field reports still in
// verification (made-up reports, to exercise include_unverified).
type pendingSource struct {
	memSource
	pending []event.Event
}

func (m *pendingSource) RuleUnverifiedReports(_ context.Context, q rules.EventQuery) ([]event.Event, error) {
	var out []event.Event
	for _, e := range m.pending {
		if (q.Countries == nil || slices.Contains(q.Countries, e.Country)) && (q.Categories == nil || slices.Contains(q.Categories, e.Category)) &&
			!e.DateStart.Before(q.From) && !e.DateStart.After(q.To) {
			out = append(out, e)
		}
	}
	return out, nil
}

// pendingReport is a synthetic report in verification, as the event it
// would become.
func pendingReport(id int, country, admin1 string, day time.Time, cat event.Category, deaths int) event.Event {
	return fieldreport.PendingEvent(fieldreport.Report{ID: int64(id), Status: fieldreport.Unverified, Country: country,
		Admin1: admin1, Date: day, Category: cat, Casualties: &deaths, Channel: "synthetic"})
}

func TestEvaluateIncludeUnverifiedSynthetic(t *testing.T) {
	asOf := monthEnd(2020, time.June)
	jun, may := month(2020, time.June), month(2020, time.May)
	stored := memSource{
		values: append(monthly("AAA", "", indicator.FatalitiesBest, map[time.Time]float64{may: 3, jun: 4}),
			monthly("AAA", "North", indicator.FatalitiesBest, map[time.Time]float64{jun: 4})...),
		events: []event.Event{{Source: event.PowellThyne, SourceID: "1", Country: "BBB", Category: event.Coup, DateStart: jun.AddDate(0, 0, 2), SourceType: "attempt"}},
	}
	pending := []event.Event{
		pendingReport(7, "AAA", "North", jun.AddDate(0, 0, 9), event.Battle, 8),
		pendingReport(9, "AAA", "South", jun.AddDate(0, 0, 11), event.ViolenceAgainstCivilians, 1),
		pendingReport(12, "AAA", "North", asOf.AddDate(0, 0, 1), event.Battle, 50), // after AsOf: never read
		pendingReport(14, "CCC", "", jun.AddDate(0, 0, 20), event.Coup, 0),
	}
	withReports := &pendingSource{memSource: stored, pending: pending}
	tests := []struct {
		name string
		rule string
		src  rules.Source
		want []string // "COUNTRY/ADMIN1: explanation substring"; none means nothing fires
		not  []string // places ("CCC/") that must not fire
	}{
		{
			name: "country: verified data only by default",
			rule: "  - {id: r, name: R, severity: info, indicator: {name: fatalities_best, op: '>=', value: 10}}\n",
			src:  withReports,
		},
		{
			name: "country: unverified reports count with the option",
			rule: "  - {id: r, name: R, severity: info, include_unverified: true, indicator: {name: fatalities_best, op: '>=', value: 10}}\n",
			src:  withReports,
			want: []string{"AAA/: fatalities in AAA in 2020-06: 13 (>= 10)", "AAA/: This counts 2 field reports not yet verified (reports 7, 9)."},
		},
		{
			name: "admin-1: only the area's reports",
			rule: "  - {id: r, name: R, severity: info, level: admin1, include_unverified: true, indicator: {name: fatalities_best, op: '>=', value: 10}}\n",
			src:  withReports,
			not:  []string{"AAA/South"},
			want: []string{"AAA/North: fatalities in North (AAA) in 2020-06: 12 (>= 10)", "AAA/North: This counts 1 field report not yet verified (report 7)."},
		},
		{
			name: "a source without unverified reports (the backtest) counts none",
			rule: "  - {id: r, name: R, severity: info, include_unverified: true, indicator: {name: fatalities_best, op: '>=', value: 10}}\n",
			src:  &stored,
		},
		{
			name: "category counts take reports in",
			rule: "  - {id: r, name: R, severity: info, include_unverified: true, indicator: {name: events.violence-against-civilians, op: '>=', value: 1}}\n",
			src:  withReports,
			want: []string{"AAA/: violence against civilians events in AAA in 2020-06: 1 (>= 1)"},
		},
		{
			name: "coup: a reported coup counts only with the option",
			rule: "  - {id: r, name: R, severity: critical, coup: {}}\n",
			src:  withReports,
			want: []string{"BBB/: coup attempt on 2020-06-03 (powell-thyne)"},
			not:  []string{"CCC/"},
		},
		{
			name: "coup: with the option, named as not verified",
			rule: "  - {id: r, name: R, severity: critical, include_unverified: true, coup: {}}\n",
			src:  withReports,
			want: []string{"BBB/: coup attempt on 2020-06-03", "CCC/: coup or coup attempt on 2020-06-21 (field-report) (field report 14, not yet verified)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.rule)
			fs, err := rules.Evaluate(context.Background(), tt.src, f, rules.Scope{AsOf: asOf})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fi := range fs {
				got = append(got, fi.Country+"/"+fi.Admin1+": "+fi.Explanation)
			}
			for _, w := range tt.want {
				place, sub, _ := strings.Cut(w, ": ")
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, place+": ") && strings.Contains(g, sub)
				}
				if !found {
					t.Errorf("Evaluate(%s): no firing %q in\n%s", tt.name, w, strings.Join(got, "\n"))
				}
			}
			for _, n := range tt.not {
				for _, g := range got {
					if strings.HasPrefix(g, n+": ") {
						t.Errorf("Evaluate(%s) fired on %s: %s", tt.name, n, g)
					}
				}
			}
			if len(tt.want) == 0 && len(fs) > 0 {
				t.Errorf("Evaluate(%s) fired, want nothing:\n%s", tt.name, strings.Join(got, "\n"))
			}
			for _, fi := range fs {
				for _, k := range fi.Events {
					if k.Source == event.FieldReport {
						t.Errorf("Evaluate(%s): firing lists the unverified report %v among its events", tt.name, k)
					}
				}
				if fi.Country == "AAA" && fi.Labels["verified"] != "false" {
					t.Errorf("Evaluate(%s): labels %v, want verified=false", tt.name, fi.Labels)
				}
			}
		})
	}
}

// TestEvaluateIncludeUnverifiedCAR replays the Seleka's capture of Bangui
// (March 2013) as if field monitors reported it before UCDP published its
// events: the real GED sample is loaded without the three GED events of
// Bangui in March 2013 (110 deaths), and those three events come in as
// unverified field reports (same day, place, deaths and kind). The
// default rule mass-fatalities-admin1 (>= 100 deaths in an area in a
// month) stays silent on verified data, and fires only in its copy with
// include_unverified; a rejected report stops counting.
func TestEvaluateIncludeUnverifiedCAR(t *testing.T) {
	dir := t.TempDir()
	files, err := sample.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var reports []fieldreport.Report
	for i, f := range files {
		if strings.Contains(filepath.Base(f), "GEDEvent") {
			files[i], reports = withheldGED(t, f, "Bangui province", "2013-03")
		}
	}
	if len(reports) != 3 {
		t.Fatalf("withheld %d GED events of Bangui in 2013-03, want 3", len(reports))
	}
	files = append(files, testenv.SharedData(t, "coups", "powell_thyne_coups_v2022.11.29.csv"))
	// The default rule mass-fatalities-admin1, as is and with the option.
	f := mustParse(t, "  - {id: verified-only, name: 100 or more deaths in an area, severity: critical, level: admin1, indicator: {name: fatalities_best, op: '>=', value: 100}}\n"+
		"  - {id: with-unverified, name: 100 or more deaths in an area, severity: critical, level: admin1, include_unverified: true, indicator: {name: fatalities_best, op: '>=', value: 100}}\n")
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		load(t, db, files)
		var ids []int64
		for _, r := range reports {
			saved, err := db.CreateFieldReport(ctx, r, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, saved.ID)
		}
		bangui := func() map[string]alert.Firing {
			fs, err := rules.Evaluate(ctx, db, f, rules.Scope{Countries: []string{"CAF"}, AsOf: monthEnd(2013, time.March)})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]alert.Firing{}
			for _, fi := range fs {
				if fi.Admin1 == "Bangui province" {
					out[fi.Rule] = fi
				}
			}
			return out
		}
		got := bangui()
		if fi, ok := got["verified-only"]; ok {
			t.Errorf("verified-only fired on Bangui without the withheld events: %s", fi.Explanation)
		}
		fi, ok := got["with-unverified"]
		if !ok {
			t.Fatalf("with-unverified did not fire on Bangui in 2013-03; fired: %v", got)
		}
		for _, want := range []string{"fatalities in Bangui province (Central African Republic) in 2013-03: 110 (>= 100)",
			"This counts 3 field reports not yet verified"} {
			if !strings.Contains(fi.Explanation, want) {
				t.Errorf("with-unverified explanation %q, want %q", fi.Explanation, want)
			}
		}
		if all := fmt.Sprint(fi); strings.Contains(all, "SyntheticKite") {
			t.Errorf("with-unverified firing names the reporter: %s", all)
		}
		if fi.Labels["verified"] != "false" || fi.Labels["unverified_reports"] != "3" {
			t.Errorf("with-unverified labels %v, want verified=false, unverified_reports=3", fi.Labels)
		}
		// The report of the 93 deaths of 24 March is rejected: 17 remain.
		var big fieldreport.Report
		for _, id := range ids {
			r, err := db.FieldReport(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Casualties != nil && *r.Casualties == 93 {
				big = r
			}
		}
		if _, err := db.TransitionFieldReport(ctx, big.ID, big.Version, fieldreport.Change{From: fieldreport.Unverified,
			To: fieldreport.Rejected, Actor: "test", Reason: "test", At: time.Now()}, 0, ""); err != nil {
			t.Fatal(err)
		}
		if fi, ok := bangui()["with-unverified"]; ok {
			t.Errorf("with-unverified still fires after the 93-death report was rejected: %s", fi.Explanation)
		}
	})
}

// withheldGED copies the GED file at path without the events of admin1 in
// the month ("2013-03") and returns the copy and those events as
// unverified field reports.
func withheldGED(t *testing.T, path, admin1, month string) (string, []fieldreport.Report) {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	rd := csv.NewReader(zr)
	head, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	outPath := filepath.Join(t.TempDir(), filepath.Base(path))
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	w := csv.NewWriter(zw)
	if err := w.Write(head); err != nil {
		t.Fatal(err)
	}
	var reps []fieldreport.Report
	for {
		row, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row[col["adm_1"]] != admin1 || !strings.HasPrefix(row[col["date_start"]], month) {
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
			continue
		}
		day, err := time.Parse(time.DateOnly, row[col["date_start"]][:10])
		if err != nil {
			t.Fatal(err)
		}
		deaths, err := strconv.Atoi(row[col["best"]])
		if err != nil {
			t.Fatal(err)
		}
		cat := event.Battle
		if row[col["type_of_violence"]] == "3" {
			cat = event.ViolenceAgainstCivilians
		}
		reps = append(reps, fieldreport.Report{Status: fieldreport.Unverified, What: "GED event " + row[col["id"]] + " reported from the field",
			Country: "CAF", Admin1: admin1, Place: row[col["where_coordinates"]], Date: day, Category: cat, Casualties: &deaths,
			Involved: row[col["side_a"]] + "; " + row[col["side_b"]], Confidence: fieldreport.Reliable,
			Reporter: &fieldreport.Reporter{Kind: fieldreport.Pseudonym, Pseudonym: "SyntheticKite"}, Channel: "test", ReceivedAt: day.AddDate(0, 0, 1)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return outPath, reps
}
