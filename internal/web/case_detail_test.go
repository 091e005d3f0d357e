package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/agreement"
	"threshold/internal/alert"
	"threshold/internal/casework"
	"threshold/internal/roster"
)

func TestParsePlaces(t *testing.T) {
	tests := []struct {
		countries, admin1 string
		want              []casework.Place
		wantErr           bool
	}{
		{"CAF", "", []casework.Place{{Country: "CAF"}}, false},
		{"caf, tcd;SDN", "", []casework.Place{{Country: "CAF"}, {Country: "TCD"}, {Country: "SDN"}}, false},
		{"CAF", "Bangui province\n Ouaka \n", []casework.Place{{Country: "CAF", Admin1: "Bangui province"}, {Country: "CAF", Admin1: "Ouaka"}}, false},
		{"CAF, TCD", "CAF/Ouaka", []casework.Place{{Country: "CAF", Admin1: "Ouaka"}, {Country: "TCD"}}, false},
		{"", "tcd/Lac", []casework.Place{{Country: "TCD", Admin1: "Lac"}}, false},
		{"CAF, TCD", "Ouaka", nil, true},
		{"", "", nil, false},
	}
	for _, tt := range tests {
		got, err := parsePlaces(tt.countries, tt.admin1)
		if (err != nil) != tt.wantErr {
			t.Errorf("parsePlaces(%q, %q): error %v, want error %v", tt.countries, tt.admin1, err, tt.wantErr)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("parsePlaces(%q, %q) (-want +got):\n%s", tt.countries, tt.admin1, d)
		}
	}
}

func TestInPlaces(t *testing.T) {
	bangui := []casework.Place{{Country: "CAF", Admin1: "Bangui province"}}
	tests := []struct {
		name   string
		a      alert.Alert
		places []casework.Place
		want   bool
	}{
		{"area of the case", alert.Alert{Country: "CAF", Admin1: "Bangui province"}, bangui, true},
		{"country-wide alert", alert.Alert{Country: "CAF"}, bangui, true},
		{"another area", alert.Alert{Country: "CAF", Admin1: "Ouaka"}, bangui, false},
		{"whole-country case", alert.Alert{Country: "CAF", Admin1: "Ouaka"}, []casework.Place{{Country: "CAF"}}, true},
		{"another country", alert.Alert{Country: "TCD"}, []casework.Place{{Country: "CAF"}}, false},
	}
	for _, tt := range tests {
		if got := inPlaces(tt.a, tt.places); got != tt.want {
			t.Errorf("%s: inPlaces = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestAnsweredAlerts: an alert's time is to the first linked action dated
// at or after its firing; an earlier link answers nothing.
func TestAnsweredAlerts(t *testing.T) {
	fired := time.Date(2013, 12, 5, 12, 0, 0, 0, time.UTC)
	alerts := []alert.Alert{{ID: 1, FiredAt: fired, Country: "CAF"}, {ID: 2, FiredAt: fired, Country: "CAF"}}
	acts := []casework.Action{ // oldest first, as the page sorts them
		{ID: 10, At: fired.Add(-24 * time.Hour), Alerts: []int64{1, 2}},
		{ID: 11, At: fired.Add(36 * time.Hour), Alerts: []int64{1}},
		{ID: 12, At: fired.Add(72 * time.Hour), Alerts: []int64{1, 99}},
	}
	got := answeredAlerts(alerts, acts)
	want := []answeredRow{
		{AlertID: 1, Place: "CAF", Fired: "5 Dec 2013 12:00 UTC", ActionID: 11, ActionAt: "7 Dec 2013 00:00 UTC", Time: "1.5 days"},
		{AlertID: 2, Place: "CAF", Fired: "5 Dec 2013 12:00 UTC"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answeredAlerts (-want +got):\n%s", d)
	}
}

func TestDaysText(t *testing.T) {
	for in, want := range map[float64]string{0: "0 days", 1: "1 day", 2.5: "2.5 days", 3.04: "3 days", 14: "14 days"} {
		if got := daysText(in); got != want {
			t.Errorf("daysText(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestCaseTimeline: the series, the alerts' windows and markers and the
// actions' markers share one time axis, starting timelineLead months
// before the first dated fact.
func TestCaseTimeline(t *testing.T) {
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	var series []monthly
	for m := month(2000, time.January); m.Before(month(2014, time.January)); m = m.AddDate(0, 1, 0) {
		series = append(series, monthly{Month: m, Label: m.Format("Jan 2006"), Fatalities: 10})
	}
	fired := time.Date(2013, 12, 31, 0, 0, 0, 0, time.UTC)
	alerts := []alert.Alert{{ID: 3, FiredAt: fired, Window: alert.Window{Start: month(2013, time.December), End: fired}}}
	acts := []casework.Action{{ID: 1, Type: casework.EnvoyDispatch, At: time.Date(2014, 1, 3, 0, 0, 0, 0, time.UTC)}}
	c := newCaseTimeline(series, alerts, acts, time.Date(2014, 1, 2, 0, 0, 0, 0, time.UTC), "CAF", timelineMore{})

	if c.Span != "Dec 2011 – Jan 2014" {
		t.Errorf("span %q, want Dec 2011 – Jan 2014 (24 months before the alert's window)", c.Span)
	}
	if len(c.Bars) != 25 { // Dec 2011 – Dec 2013 have deaths; Jan 2014 none
		t.Errorf("%d bars, want 25", len(c.Bars))
	}
	if len(c.Lanes) != 2 || len(c.Lanes[0].Marks) != 1 || len(c.Lanes[1].Marks) != 1 {
		t.Fatalf("lanes %+v, want one alert and one action marker", c.Lanes)
	}
	if len(c.Windows) != 1 {
		t.Fatalf("%d shaded windows, want 1", len(c.Windows))
	}
	// The window starts where December 2013's bar does, the alert fired at
	// the end of its window, and the action after it.
	dec := c.Bars[len(c.Bars)-1]
	alertX, actionX, w := c.Lanes[0].Marks[0].X, c.Lanes[1].Marks[0].X, c.Windows[0]
	if d := w.X - dec.X; d < -2.5 || d > 0 { // the bar is inset by half its gap
		t.Errorf("the window starts at %v, December 2013's bar at %v", w.X, dec.X)
	}
	if d := alertX - (w.X + w.W); d < -1 || d > 1 {
		t.Errorf("the alert fired at x=%v, its window ends at %v", alertX, w.X+w.W)
	}
	if !(actionX > alertX && actionX <= c.Right) {
		t.Errorf("the action at x=%v is not after the alert at %v within the plot (right %v)", actionX, alertX, c.Right)
	}
	if c.Lanes[1].Marks[0].Href != "#action-1" || c.Lanes[0].Marks[0].Href != "/alerts/3" {
		t.Errorf("markers link to %q and %q", c.Lanes[0].Marks[0].Href, c.Lanes[1].Marks[0].Href)
	}

	// Nothing dated, nothing drawn; no series, markers only.
	if e := newCaseTimeline(nil, nil, nil, time.Time{}, "CAF", timelineMore{}); !e.Empty {
		t.Errorf("an empty timeline is not Empty: %+v", e)
	}
	m := newCaseTimeline(nil, alerts, acts, time.Time{}, "CAF", timelineMore{})
	if m.Empty || m.HasSeries || len(m.Bars) != 0 || len(m.Windows) != 0 || len(m.Lanes[1].Marks) != 1 {
		t.Errorf("a timeline without series: %+v", m)
	}
}

// TestCaseTimelineMore lays out the deployments and agreements lanes:
// each lane is drawn when its service is wired, even empty; a deployment
// is a bar from its first to its last day coloured by status; an
// agreement's signing day and its provisions' changes are markers, and
// those before the axis starts are left out. A series that ends before
// the case opened still gives an axis up to the opening.
func TestCaseTimelineMore(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	series := []monthly{{Month: day(2022, time.December, 1), Label: "Dec 2022", Fatalities: 5}}
	opened := day(2025, time.November, 20)
	deps := []roster.Deployment{
		{ID: 7, Person: "Synthetic Mediator", Start: day(2025, time.December, 1), Days: 14, Status: roster.Approved},
		{ID: 8, Start: day(2025, time.December, 20), Days: 5, Status: roster.Requested},
	}
	agrs := []agreement.Agreement{
		{ID: 1, Name: "Synthetic old accord", Signed: day(2010, time.March, 1)}, // before the axis
		{ID: 2, Name: "Synthetic accord", Signed: day(2025, time.June, 1), Provisions: []agreement.Provision{{ID: 5, Category: "cease",
			History: []agreement.StatusChange{{To: agreement.NotStarted, On: day(2025, time.June, 1)},
				{From: agreement.NotStarted, To: agreement.Minimal, On: day(2025, time.September, 1)}}}}},
	}
	tests := []struct {
		name       string
		more       timelineMore
		lanes      []string // lane classes
		span       string
		bars       []string // the deployments lane's bar classes
		marks      []string // the agreements lane's marker classes
		wantBarEnd bool     // the first bar ends after it starts, within the plot
	}{
		{"none wired", timelineMore{}, []string{"alerts", "actions"}, "Nov 2023 – Nov 2025", nil, nil, false},
		{"wired, empty", timelineMore{DeploymentsOn: true, AgreementsOn: true}, []string{"alerts", "actions", "deployments", "agreements"},
			"Nov 2023 – Nov 2025", nil, nil, false},
		{"deployments and agreements", timelineMore{Deployments: deps, Agreements: agrs, DeploymentsOn: true, AgreementsOn: true},
			[]string{"alerts", "actions", "deployments", "agreements"}, "Nov 2023 – Dec 2025",
			[]string{"dep-approved", "dep-requested"}, []string{"signed", "prov-not-started", "prov-minimal"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCaseTimeline(series, nil, nil, opened, "CAF", tt.more)
			var lanes, bars, marks []string
			lane := map[string]timelineLane{}
			for _, l := range c.Lanes {
				lanes = append(lanes, l.Class)
				lane[l.Class] = l
			}
			for _, b := range lane["deployments"].Bars {
				bars = append(bars, b.Class)
			}
			for _, m := range lane["agreements"].Marks {
				marks = append(marks, m.Class)
			}
			if d := cmp.Diff(tt.lanes, lanes); d != "" {
				t.Errorf("lanes (-want +got):\n%s", d)
			}
			if c.Span != tt.span {
				t.Errorf("span %q, want %q", c.Span, tt.span)
			}
			if d := cmp.Diff(tt.bars, bars); d != "" {
				t.Errorf("deployment bars (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.marks, marks); d != "" {
				t.Errorf("agreement markers (-want +got):\n%s", d)
			}
			if tt.wantBarEnd {
				b := lane["deployments"].Bars[0]
				if b.X < c.Left || b.W <= 0 || b.X+b.W > c.Right+0.5 || b.Href != "#deployment-7" {
					t.Errorf("bar %+v outside the plot [%v, %v] or linked elsewhere", b, c.Left, c.Right)
				}
			}
		})
	}
}
