package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"threshold/internal/auth"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestTrackerCallsAndOverrides(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		at := time.Date(2014, 1, 3, 9, 30, 0, 0, time.UTC)
		// Synthetic drafts: the calls and evidence are made up for the test.
		drafts := []store.TrackerCall{
			{Month: day("2013-12-15"), Country: "caf", Trend: "deteriorated", RiskAlert: true,
				Evidence: json.RawMessage(`[{"kind":"indicator","text":"synthetic"}]`), DraftedAt: at},
			{Month: day("2013-12-01"), Country: "MEX", Trend: "unchanged", DraftedAt: at},
			{Month: day("2014-01-01"), Country: "CAF", Trend: "improved", DraftedAt: at},
		}
		if err := db.SaveTrackerCalls(ctx, drafts); err != nil {
			t.Fatal(err)
		}
		// A second draft of a month replaces the first.
		redraft := drafts[1]
		redraft.Trend, redraft.Opportunity = "improved", true
		if err := db.SaveTrackerCalls(ctx, []store.TrackerCall{redraft}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name      string
			countries []string
			want      []string
		}{
			{"every country", nil, []string{"CAF deteriorated true false", "MEX improved false true"}},
			{"one country", []string{"mex"}, []string{"MEX improved false true"}},
			{"none", []string{}, nil},
		} {
			cs, err := db.TrackerCalls(ctx, day("2013-12-01"), tc.countries)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, strings.Join([]string{c.Country, c.Trend, boolText(c.RiskAlert), boolText(c.Opportunity)}, " "))
				if !c.Month.Equal(day("2013-12-01")) || !c.DraftedAt.Equal(at) {
					t.Errorf("%s: month %v drafted %v", tc.name, c.Month, c.DraftedAt)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
		cs, _ := db.TrackerCalls(ctx, day("2013-12-01"), []string{"CAF"})
		if len(cs) != 1 || !strings.Contains(string(cs[0].Evidence), "synthetic") {
			t.Errorf("CAF evidence not kept: %+v", cs)
		}

		if _, err := db.AddTrackerOverride(ctx, store.TrackerOverride{Month: day("2013-12-01"), Country: "CAF",
			DraftTrend: "deteriorated", Trend: "unchanged", Reason: " ", Actor: "cli:test", At: at}); err == nil {
			t.Error("an override without a reason was stored")
		}
		if _, err := db.AddTrackerOverride(ctx, store.TrackerOverride{Month: day("2013-12-01"), Country: "CAF",
			DraftTrend: "deteriorated", Trend: "sideways", Reason: "r", Actor: "cli:test", At: at}); err == nil {
			t.Error("an override with an unknown trend was stored")
		}
		for i, tr := range []string{"unchanged", "deteriorated"} {
			o, err := db.AddTrackerOverride(ctx, store.TrackerOverride{Month: day("2013-12-20"), Country: "caf",
				DraftTrend: "deteriorated", DraftRisk: true, Trend: tr, RiskAlert: i == 1, Opportunity: i == 0,
				Reason: "synthetic reason " + tr, Actor: "analyst@example.org", At: at.Add(time.Duration(i) * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if o.ID == 0 || o.Country != "CAF" || !o.Month.Equal(day("2013-12-01")) {
				t.Errorf("override stored as %+v", o)
			}
		}
		os, err := db.TrackerOverrides(ctx, day("2013-12-01"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(os) != 2 || os[0].Trend != "unchanged" || !os[0].Opportunity || os[1].Trend != "deteriorated" ||
			!os[1].RiskAlert || os[1].Reason != "synthetic reason deteriorated" || !os[1].DraftRisk ||
			os[1].DraftTrend != "deteriorated" || !os[1].At.Equal(at.Add(time.Hour)) || os[1].ActorID != 0 {
			t.Errorf("overrides %+v", os)
		}
		if os, _ := db.TrackerOverrides(ctx, day("2013-12-01"), []string{"MEX"}); len(os) != 0 {
			t.Errorf("MEX overrides %+v, want none", os)
		}
	})
}

func TestReportSubscriptions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		at := time.Date(2014, 1, 3, 9, 30, 0, 0, time.UTC)
		org, err := db.AddOrg(ctx, "Synthetic Org", at)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.AddUser(ctx, auth.User{Email: "reader@example.org", Name: "synthetic", OrgID: org.ID,
			Role: auth.DeskOfficer, CreatedAt: at, UpdatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		s, err := db.AddReportSubscription(ctx, store.ReportSubscription{UserID: u.ID, Kind: "monthly", Region: "Africa",
			Format: "pdf", CreatedBy: "cli:test", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddReportSubscription(ctx, store.ReportSubscription{UserID: u.ID, Kind: "monthly", Format: "docx",
			CreatedBy: "cli:test", CreatedAt: at}); err == nil {
			t.Error("a subscription in an unknown format was stored")
		}
		for _, step := range []struct{ mark, want string }{{"2014-01", "2014-01"}, {"2013-12", "2014-01"}, {"2014-02", "2014-02"}} {
			if err := db.MarkReportSent(ctx, s.ID, step.mark); err != nil {
				t.Fatal(err)
			}
			ss, err := db.ReportSubscriptions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != 1 || ss[0].LastMonth != step.want || ss[0].Email != "reader@example.org" || ss[0].Region != "Africa" ||
				!ss[0].CreatedAt.Equal(at) {
				t.Errorf("after marking %s: %+v, want last month %s", step.mark, ss, step.want)
			}
		}
	})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
