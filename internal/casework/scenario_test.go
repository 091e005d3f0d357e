package casework_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/rules"
	"threshold/internal/sample"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/warning"
)

// replayCAR fills db with the real alerts of the bundled CAR sample: the
// UCDP GED events of the Central African Republic replayed month by month
// from 2012-12 to 2014-06 through the default rules and the alert
// Manager, as "threshold demo" does. It returns the Manager and the alerts
// by fingerprint.
func replayCAR(t *testing.T, db *store.DB) (*alert.Manager, map[string]alert.Alert) {
	t.Helper()
	ctx := context.Background()
	files, err := sample.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Files(ctx, db, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := indicator.NewUpdater(db).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	m, err := alert.NewManager(alert.Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	w := &warning.Watcher{Store: db, Alerts: m, Rules: func(context.Context) (*rules.File, error) { return rules.Default(), nil }}
	if _, err := w.Replay(ctx, []string{"CAF"}, time.Date(2012, 12, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2014, 6, 30, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	all, err := m.List(ctx, alert.Query{})
	if err != nil {
		t.Fatal(err)
	}
	byFP := map[string]alert.Alert{}
	for _, a := range all {
		byFP[a.Fingerprint] = a
	}
	return m, byFP
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestWarningToActionCAR computes the report over real alerts, those the
// rules raise on the CAR crisis of 2012-14, answered by synthetic cases
// and actions dated after them, and checks it against a hand computation.
func TestWarningToActionCAR(t *testing.T) {
	storetest.ForEach(t, testWarningToActionCAR)
}

func testWarningToActionCAR(t *testing.T, db *store.DB, _ string) {
	ctx := context.Background()
	m, alerts := replayCAR(t, db)
	owner, err := db.AddOrg(ctx, "Synthetic DPPA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(db, nil)
	now := at("2014-07-31T00:00:00Z")
	svc, err := casework.New(casework.Options{Store: db, Alerts: m, Audit: log, Now: func() time.Time { return now },
		Geo: g})
	if err != nil {
		t.Fatal(err)
	}
	desk := casework.Viewer{UserID: 7, Email: "desk@synthetic.example", OrgID: owner.ID, OrgName: owner.Name, Role: auth.DeskOfficer}
	id := func(fp string) int64 {
		a, ok := alerts[fp]
		if !ok {
			t.Fatalf("the replay raised no alert %s", fp)
		}
		return a.ID
	}
	// The real alerts, with when they fired (month ends of the replay).
	var (
		spreadOuham  = id("spread-admin1|CAF|Ouham province")                 // 2012-12-31T23:59
		risingCAF    = id("violence-rising-country|CAF|")                     // 2013-03-31T23:59
		massBangui   = id("mass-fatalities-admin1|CAF|Bangui province")       // 2013-03-31T23:59
		surgeBangui  = id("fatalities-surge-admin1|CAF|Bangui province")      // 2013-03-31T23:59
		massOuham    = id("mass-fatalities-admin1|CAF|Ouham province")        // 2013-09-30T23:59
		massOPende   = id("mass-fatalities-admin1|CAF|Ouham-Pendé province")  // 2013-12-31T23:59
		massNMambere = id("mass-fatalities-admin1|CAF|Nana-Mambéré province") // 2014-01-31T23:59
	)
	for fp, fired := range map[string]string{
		"spread-admin1|CAF|Ouham province": "2012-12-31T23:59:00Z", "violence-rising-country|CAF|": "2013-03-31T23:59:00Z",
		"mass-fatalities-admin1|CAF|Bangui province": "2013-03-31T23:59:00Z", "fatalities-surge-admin1|CAF|Bangui province": "2013-03-31T23:59:00Z",
		"mass-fatalities-admin1|CAF|Ouham province": "2013-09-30T23:59:00Z", "mass-fatalities-admin1|CAF|Ouham-Pendé province": "2013-12-31T23:59:00Z",
		"mass-fatalities-admin1|CAF|Nana-Mambéré province": "2014-01-31T23:59:00Z",
	} {
		if got := alerts[fp].FiredAt; !got.Equal(at(fired)) {
			t.Fatalf("alert %s fired at %s; the hand computation below assumes %s", fp, got, fired)
		}
	}
	caseA, err := svc.Create(ctx, desk, casework.Case{Title: "synthetic case: Séléka advance on Bangui",
		Places: casework.PlacesOf([]string{"CAF"}), Confidentiality: casework.Public, LeadOffice: "UNOCA"})
	if err != nil {
		t.Fatal(err)
	}
	caseB, err := svc.Create(ctx, desk, casework.Case{Title: "synthetic case: violence in the north-west",
		Places:          casework.PlacesOf([]string{"CAF/Ouham province", "CAF/Ouham-Pendé province"}),
		Confidentiality: casework.Confidential, LeadOffice: "DPPA Africa II"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		c      casework.Case
		typ    casework.ActionType
		date   string
		alerts []int64
	}{
		{caseA, casework.Statement, "2013-01-03T23:59:00Z", []int64{spreadOuham}},                             // 72 h after it fired
		{caseA, casework.GoodOffices, "2013-04-02T09:59:00Z", []int64{risingCAF, massBangui}},                 // 34 h
		{caseA, casework.EnvoyDispatch, "2013-04-10T23:59:00Z", []int64{surgeBangui, massBangui}},             // 240 h (massBangui: answered already)
		{caseB, casework.FactFindingMission, "2013-10-15T23:59:00Z", []int64{massOuham}},                      // 360 h
		{caseB, casework.SecurityCouncilBriefing, "2014-01-06T23:59:00Z", []int64{massOPende, massNMambere}},  // 144 h; before NM fired
		{caseB, casework.RegionalMediationSupport, "2014-02-20T23:59:00Z", []int64{massNMambere, massBangui}}, // 480 h; Bangui 326 days
	} {
		if _, err := svc.AddAction(ctx, desk, a.c.ID, casework.Action{Type: a.typ, At: at(a.date), Alerts: a.alerts,
			Actors: []string{"synthetic actor"}, Outcome: "synthetic outcome"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := svc.Report(ctx, desk, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := func(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }
	// By hand. Episodes and the first action answering each:
	//   spread Ouham 72 h, rising CAF 34 h, mass Bangui 34 h, surge Bangui 240 h (case A, UNOCA)
	//   mass Ouham 360 h, mass Ouham-Pendé 144 h, mass Nana-Mambéré 480 h (case B, DPPA Africa II)
	// Overall, sorted: 34 34 72 144 240 360 480: median the 4th, 144 h;
	// p90 the ⌈0.9·7⌉ = 7th, 480 h.
	// Case A: 34 34 72 240: median (34+72)/2 = 53 h; p90 the 4th, 240 h.
	// Case B also answers mass Bangui, 326 days = 7824 h after it fired:
	// 144 360 480 7824: median (360+480)/2 = 420 h; p90 7824 h.
	// Quarters of the firing: 2012-Q4 72; 2013-Q1 34 34 240 (median 34,
	// p90 the 3rd, 240); 2013-Q3 360; 2013-Q4 144; 2014-Q1 480.
	want := []struct {
		name string
		got  casework.Summary
		key  string
		n    int
		med  time.Duration
		p90  time.Duration
	}{
		{"overall", rep.Overall, "all", 7, h(144), h(480)},
		{"case A", find(rep.ByCase, caseA.ID), "", 4, h(53), h(240)},
		{"case B", find(rep.ByCase, caseB.ID), "", 4, h(420), h(7824)},
		{"UNOCA", findKey(rep.ByOffice, "UNOCA"), "UNOCA", 4, h(53), h(240)},
		{"DPPA Africa II", findKey(rep.ByOffice, "DPPA Africa II"), "DPPA Africa II", 3, h(360), h(480)},
		{"Africa", findKey(rep.ByRegion, "Africa"), "Africa", 7, h(144), h(480)},
		{"2012-Q4", findKey(rep.ByQuarter, "2012-Q4"), "2012-Q4", 1, h(72), h(72)},
		{"2013-Q1", findKey(rep.ByQuarter, "2013-Q1"), "2013-Q1", 3, h(34), h(240)},
		{"2013-Q3", findKey(rep.ByQuarter, "2013-Q3"), "2013-Q3", 1, h(360), h(360)},
		{"2013-Q4", findKey(rep.ByQuarter, "2013-Q4"), "2013-Q4", 1, h(144), h(144)},
		{"2014-Q1", findKey(rep.ByQuarter, "2014-Q1"), "2014-Q1", 1, h(480), h(480)},
	}
	for _, w := range want {
		if w.got.Count != w.n || w.got.Median != w.med || w.got.P90 != w.p90 {
			t.Errorf("%s: %d episodes, median %s, p90 %s; want %d, %s, %s", w.name, w.got.Count, w.got.Median, w.got.P90, w.n, w.med, w.p90)
		}
	}
	if rep.Overall.MedianDays != 6 || rep.Overall.P90Days != 20 {
		t.Errorf("overall in days: median %g, p90 %g; want 6 and 20", rep.Overall.MedianDays, rep.Overall.P90Days)
	}
	if len(rep.ByRegion) != 1 || len(rep.ByQuarter) != 5 || len(rep.ByOffice) != 2 || len(rep.ByCase) != 2 {
		t.Errorf("groups: %d regions, %d quarters, %d offices, %d cases; want 1, 5, 2, 2",
			len(rep.ByRegion), len(rep.ByQuarter), len(rep.ByOffice), len(rep.ByCase))
	}
	// Unanswered: the replay's alerts still firing or acknowledged that
	// no action answers, fired more than 30 (60) days before the report,
	// oldest first.
	answered := map[int64]bool{spreadOuham: true, risingCAF: true, massBangui: true, surgeBangui: true,
		massOuham: true, massOPende: true, massNMambere: true}
	for _, days := range []int{30, 60} {
		rep, err := svc.Report(ctx, desk, time.Duration(days)*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var wantIDs []int64
		all, err := m.List(ctx, alert.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			if !answered[a.ID] && (a.State == alert.StateFiring || a.State == alert.StateAcknowledged) &&
				!a.FiredAt.After(now.AddDate(0, 0, -days)) {
				wantIDs = append(wantIDs, a.ID)
			}
		}
		var gotIDs []int64
		for i, w := range rep.Unanswered {
			gotIDs = append(gotIDs, w.AlertID)
			if i > 0 && w.FiredAt.Before(rep.Unanswered[i-1].FiredAt) {
				t.Errorf("unanswered not oldest first: %s after %s", w.FiredAt, rep.Unanswered[i-1].FiredAt)
			}
		}
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if len(wantIDs) == 0 || !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("unanswered after %d days: %v, want %v", days, gotIDs, wantIDs)
		}
	}
	// 2014-06-30 alerts are 31 days old: listed after 30 days, not 60.
	if ouaka := alerts["mass-fatalities-admin1|CAF|Ouaka province"]; !ouaka.FiredAt.Equal(at("2014-06-30T23:59:00Z")) {
		t.Errorf("Ouaka alert fired %s", ouaka.FiredAt)
	}
	// The answered alerts were actioned through the lifecycle; the
	// confidential case's note does not name it.
	for fp, note := range map[string]string{
		"spread-admin1|CAF|Ouham province":          `statement on 2013-01-03 (case 1 "synthetic case: Séléka advance on Bangui", action 1)`,
		"mass-fatalities-admin1|CAF|Ouham province": "action recorded in casework (need-to-know)",
	} {
		a, _, err := m.Get(ctx, alerts[fp].ID)
		// A cleared alert is resolved at once once actioned.
		decided := a.State == alert.StateActioned || a.State == alert.StateResolved
		if err != nil || !decided || a.ActionedAt.IsZero() || a.ActionNote != note || a.ActionedBy != desk.Email {
			t.Errorf("alert %s: %s by %q, note %q, %v; want actioned by %s, note %q", fp, a.State, a.ActionedBy, a.ActionNote, err, desk.Email, note)
		}
	}
	// The report read a confidential case: audited.
	recs, err := log.Latest(ctx, 5)
	if err != nil || len(recs) == 0 || recs[0].Action != "read.confidential" || recs[0].Object != "report:warning-to-action" {
		t.Errorf("latest audit %+v, %v; want the report's confidential read", recs, err)
	}
}

func find(ss []casework.Summary, caseID int64) casework.Summary {
	for _, s := range ss {
		if s.Key == itoa(caseID) {
			return s
		}
	}
	return casework.Summary{}
}

func findKey(ss []casework.Summary, key string) casework.Summary {
	for _, s := range ss {
		if s.Key == key {
			return s
		}
	}
	return casework.Summary{}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
