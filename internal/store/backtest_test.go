package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/backtest"
	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// TestBacktestRealData replays the default rules over the real UCDP GED
// events of the Central African Republic, 1995-2020, on both databases,
// and checks the report's shape, that its figures agree with each other,
// that the December 2013 Bangui killings are an episode, and that SQLite
// and PostgreSQL give the same report.
func TestBacktestRealData(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	var first *backtest.Report
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, []string{car}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		r, err := backtest.Run(ctx, db, backtest.Options{
			From: time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC),
			Rules: rules.Default(),
		})
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, r)
		if r.Countries != 1 || r.DataStart != "1991-08" || r.DataEnd != "2022-12" {
			t.Errorf("%d countries, data %s..%s; want 1, 1991-08..2022-12 (the CAR file's first and last events)", r.Countries, r.DataStart, r.DataEnd)
		}
		var bangui bool
		for _, e := range r.EpisodeDetails {
			if e.Country == "CAF" && e.Month == "2013-12" && slices.Contains(e.Places, "Bangui province") {
				bangui = true
			}
		}
		if !bangui {
			t.Errorf("no episode in Bangui in December 2013 (the anti-balaka attack of 5 December): %+v", r.EpisodeDetails)
		}
		if first == nil {
			first = r
			return
		}
		a, b := *first, *r
		a.Seconds, a.ReplaySeconds, b.Seconds, b.ReplaySeconds = 0, 0, 0, 0
		if !reflect.DeepEqual(a.Metrics, b.Metrics) || !reflect.DeepEqual(a.Baseline, b.Baseline) || !reflect.DeepEqual(a.EpisodeDetails, b.EpisodeDetails) {
			t.Errorf("the databases disagree:\n%+v\n%+v", a.Metrics, b.Metrics)
		}
	})
}

// checkReport checks the JSON shape of r and that its figures agree.
func checkReport(t *testing.T, r *backtest.Report) {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"episodes", "alerts", "recall", "precision", "median_lead_days", "baseline", "episode_details", "false_alarms_by_country", "by_rule"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	base, _ := obj["baseline"].(map[string]any)
	for _, k := range []string{"name", "alerts", "recall", "precision", "median_lead_days"} {
		if _, ok := base[k]; !ok {
			t.Errorf("JSON baseline lacks %q", k)
		}
	}
	staged := 0
	for _, m := range r.ByStage {
		staged += m.Alerts
	}
	if staged > r.Alerts {
		t.Errorf("%d alerts by stage, %d in all", staged, r.Alerts)
	}
	for _, m := range append(append([]backtest.Metrics{r.Metrics, r.Baseline}, r.ByRule...), r.ByStage...) {
		if m.Warned > m.Episodes || m.Followed > m.Alerts || m.Recall < 0 || m.Recall > 1 || m.Precision < 0 || m.Precision > 1 ||
			m.FalseAlarms != m.Alerts-m.Followed || m.MedianLeadDays < 0 || m.MedianLeadDays > 3*31 {
			t.Errorf("%s: figures disagree: %+v", m.Name, m)
		}
		n := 0
		for _, x := range m.LeadMonths {
			n += x
		}
		if n != m.Warned || len(m.LeadMonths) != 3 {
			t.Errorf("%s: lead months %v, %d warned", m.Name, m.LeadMonths, m.Warned)
		}
		if m.Episodes != r.Episodes {
			t.Errorf("%s: %d episodes, the run %d", m.Name, m.Episodes, r.Episodes)
		}
	}
	if r.Episodes == 0 || r.Alerts == 0 || r.Baseline.Alerts == 0 {
		t.Errorf("nothing to score: %d episodes, %d alerts, %d baseline alerts", r.Episodes, r.Alerts, r.Baseline.Alerts)
	}
	if r.Baseline.Name != backtest.BaselineName {
		t.Errorf("baseline named %q", r.Baseline.Name)
	}
	if len(r.EpisodeDetails) != r.Episodes {
		t.Errorf("%d episodes listed, %d counted", len(r.EpisodeDetails), r.Episodes)
	}
	warned, baseWarned := 0, 0
	for _, e := range r.EpisodeDetails {
		if !strings.HasPrefix(e.FirstDeaths, e.Month) {
			t.Errorf("episode %s %s: first deaths %q, not in the month (every GED event is deadly)", e.Country, e.Month, e.FirstDeaths)
		}
		if e.Warned {
			warned++
			if e.FirstAlert == nil || e.LeadDays < 1 || e.LeadDays > 3*31 || len(e.Rules) == 0 {
				t.Errorf("warned episode %s %s: first alert %v, lead %d days, rules %v", e.Country, e.Month, e.FirstAlert, e.LeadDays, e.Rules)
			}
			if e.DaysToDeaths < e.LeadDays || e.DaysToDeaths > e.LeadDays+30 {
				t.Errorf("warned episode %s %s: %d days to the first deaths (%s), %d to the month", e.Country, e.Month, e.DaysToDeaths, e.FirstDeaths, e.LeadDays)
			}
		}
		if e.Baseline.Warned {
			baseWarned++
		}
	}
	if warned != r.Warned || baseWarned != r.Baseline.Warned {
		t.Errorf("warned %d and %d listed, %d and %d counted", warned, baseWarned, r.Warned, r.Baseline.Warned)
	}
	for _, m := range []backtest.Metrics{r.Metrics, r.Baseline} {
		if m.Detected < 0 || m.Detected > r.Episodes {
			t.Errorf("%s: %d episodes detected in their month, of %d", m.Name, m.Detected, r.Episodes)
		}
	}
	if lv := r.LeadVsBaseline; lv.Earlier+lv.Same+lv.Later > min(r.Warned, r.Baseline.Warned) {
		t.Errorf("lead compared over %+v episodes, more than either warned of (%d, %d)", lv, r.Warned, r.Baseline.Warned)
	}
	falseAlarms, baseFalse := 0, 0
	for _, c := range r.FalseAlarmsByCountry {
		falseAlarms += c.FalseAlarms
		baseFalse += c.BaselineAlarms
	}
	if falseAlarms != r.FalseAlarms || baseFalse != r.Baseline.FalseAlarms {
		t.Errorf("false alarms by country add up to %d and %d, the totals are %d and %d", falseAlarms, baseFalse, r.FalseAlarms, r.Baseline.FalseAlarms)
	}
	all := r.AllAlerts()
	followed := 0
	for _, a := range all {
		if a.Escalation {
			followed++
		}
	}
	if len(all) != r.Alerts || followed != r.Followed {
		t.Errorf("%d alerts listed (%d followed), %d counted (%d followed)", len(all), followed, r.Alerts, r.Followed)
	}
}

// TestReplayReads checks the store's replay reads against its listings.
func TestReplayReads(t *testing.T) {
	car := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		if _, err := ingest.Files(ctx, db, []string{car}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 3, 31, 0, 0, 0, 0, time.UTC)
		if _, err := indicator.NewUpdater(db).Recompute(ctx, []string{"CAF"}, from, to); err != nil {
			t.Fatal(err)
		}
		got, err := db.ReplayIndicators(ctx, []string{"CAF"}, indicator.Month, indicator.FatalitiesBest, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.Indicators(ctx, store.IndicatorQuery{Country: "CAF", Kind: indicator.Month, Name: indicator.FatalitiesBest, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || len(got) != len(want) {
			t.Fatalf("replay read %d values, Indicators %d", len(got), len(want))
		}
		byCell := map[indicator.Place]map[time.Time]float64{}
		for _, v := range want {
			if byCell[v.Place] == nil {
				byCell[v.Place] = map[time.Time]float64{}
			}
			byCell[v.Place][v.Start] = v.Value
		}
		for _, v := range got {
			if w, ok := byCell[v.Place][v.Start]; !ok || w != v.Value || v.Kind != indicator.Month || v.Name != indicator.FatalitiesBest {
				t.Errorf("replay value %+v, Indicators %g", v, w)
			}
		}
		if vs, err := db.ReplayIndicators(ctx, []string{}, indicator.Month, indicator.FatalitiesBest, from, to); err != nil || len(vs) != 0 {
			t.Errorf("no countries: %d values, %v", len(vs), err)
		}

		var n, deaths int
		err = db.ReplayEvents(ctx, []string{"CAF"}, from, to, func(e event.Event) error {
			n++
			if e.Fatalities.Best != nil {
				deaths += *e.Fatalities.Best
			}
			if e.DateStart.Before(from) || e.DateStart.After(to) || e.Country != "CAF" || e.SourceID == "" || e.Category == "" {
				t.Errorf("replay event %+v", e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var wantN, wantDeaths int
		err = db.Events(ctx, event.Filter{Country: "CAF", From: from, To: to}, store.Page{NoRaw: true}, func(s event.Stored) error {
			wantN++
			if s.Fatalities.Best != nil {
				wantDeaths += *s.Fatalities.Best
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || n != wantN || deaths != wantDeaths {
			t.Errorf("replay read %d events, %d deaths; Events %d, %d", n, deaths, wantN, wantDeaths)
		}
	})
}
