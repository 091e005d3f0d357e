package webtest

import (
	"context"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/indicator"
	"threshold/internal/rules"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/web"
)

// AlertsAsOf is the day the default rules are evaluated as of in an
// AlertSite: the end of December 2013, the month of the massacres in
// Bangui, when the CAR data cross several of the rules' thresholds.
var AlertsAsOf = time.Date(2013, 12, 31, 0, 0, 0, 0, time.UTC)

// Rules is the rules file an AlertSite's alerts come from: three rules
// like the default ones of November 2026, fixed here so that the tests of
// the alert pages do not change when the default rules are tuned.
const Rules = `version: "webtest-1"
rules:
  - id: coup
    name: Coup or coup attempt
    severity: critical
    labels: {theme: governance}
    coup: {min_sources: 1}
  - id: violence-rising-country
    name: Violence rising steadily
    severity: warning
    labels: {theme: violence}
    level: country
    detector:
      method: cusum
      indicator: violent_events
      min_value: 25
      config: {cusum_shift: 2, cusum_threshold: 2}
  - id: fatalities-surge-admin1
    name: Deaths far above the area's history
    severity: warning
    labels: {theme: violence}
    level: admin1
    detector:
      method: surprise
      indicator: fatalities_best
      min_value: 25
      config: {surprise_threshold: 3}
  - id: mass-fatalities-admin1
    name: 100 or more deaths in an area in a month
    severity: critical
    labels: {theme: violence}
    level: admin1
    indicator: {name: fatalities_best, op: ">=", value: 100}
`

// AlertSite is a Site with the alert pages as well: an alert manager over
// the site's database (audited in the site's audit log), the rules page,
// the triggering events and the delivery log, with the alerts Rules raise on
// the real CAR data as of AlertsAsOf. No rules version is saved: the rules
// page shows the embedded default rules until a test saves some.
type AlertSite struct {
	*Site
	Alerts *alert.Manager
	// Opened are the alerts Rules opened, in the order the manager opened
	// them.
	Opened []alert.Alert
}

// StartAlerts starts an AlertSite. It is stopped when the test ends.
func StartAlerts(t testing.TB) *AlertSite {
	t.Helper()
	base := Start(t)
	ctx := context.Background()
	if _, err := indicator.NewUpdater(base.DB).Recompute(ctx, nil, time.Time{}, time.Time{}); err != nil {
		t.Fatalf("recompute indicators: %v", err)
	}
	m, err := alert.NewManager(alert.Options{Store: base.DB, Audit: base.Audit, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f, err := rules.Parse("webtest.Rules", []byte(Rules))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := rules.Evaluate(ctx, base.DB, f, rules.Scope{Countries: []string{"CAF"}, AsOf: AlertsAsOf})
	if err != nil {
		t.Fatalf("evaluate webtest.Rules as of %s: %v", AlertsAsOf.Format(time.DateOnly), err)
	}
	res, err := m.Process(ctx, fs, alert.Evaluated{}, Now)
	if err != nil {
		t.Fatalf("process %d firings: %v", len(fs), err)
	}
	site := *base
	s := &AlertSite{Site: &site, Alerts: m, Opened: res.Opened}
	s.serve(t, s.Routes(t))
	return s
}

// Routes returns a new route table holding the dashboard with its alert
// pages.
func (s *AlertSite) Routes(t testing.TB) *server.Routes {
	t.Helper()
	routes := &server.Routes{}
	err := web.Register(routes, web.Deps{
		Data: s.DB, Auth: s.Auth, Admin: s.Auth, Geo: geoTable, Now: clock,
		Alerts: s.Alerts, Rules: s.DB, Events: s.DB, Deliveries: deliveryLog{s.DB}, Audit: s.Audit,
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// deliveryLog reads the delivery log from the database, as the notifier
// does.
type deliveryLog struct{ db *store.DB }

func (d deliveryLog) Log(ctx context.Context, alertID int64) ([]store.Delivery, error) {
	return d.db.Deliveries(ctx, alertID)
}

var (
	_ web.EventLookup = (*store.DB)(nil)
	_ web.RulesStore  = (*store.DB)(nil)
	_ web.Alerts      = (*alert.Manager)(nil)
)
