package webtest

import (
	"context"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/fieldreport"
	"threshold/internal/indicator"
	"threshold/internal/rules"
	"threshold/internal/server"
	"threshold/internal/warning"
	"threshold/internal/web"
)

// syntheticReportKey is the contact-details key of a FieldReportSite: 32
// synthetic bytes, never a real key.
var syntheticReportKey = []byte("synthetic-field-report-key-32byt")

// FieldReportSite is a Site with the field report pages: the real field
// report service over the site's database, whose verified reports become
// events and bring indicators, rules (Rules) and alerts up to date through
// a real warning Watcher, as in the app.
type FieldReportSite struct {
	*Site
	Reports *fieldreport.Service
	Watcher *warning.Watcher
	Alerts  *alert.Manager
}

// StartFieldReports starts a FieldReportSite. It is stopped when the test
// ends.
func StartFieldReports(t testing.TB) *FieldReportSite {
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
	w := &warning.Watcher{
		Store: base.DB, Indicators: indicator.NewUpdater(base.DB),
		Rules:  func(context.Context) (*rules.File, error) { return f, nil },
		Alerts: m, Now: clock,
	}
	sealer, err := fieldreport.NewSealer(syntheticReportKey)
	if err != nil {
		t.Fatal(err)
	}
	frs, err := fieldreport.New(fieldreport.Options{
		Store: base.DB, Events: base.DB, Changes: w, Pending: w, Alerts: m, Audit: base.Audit, Sealer: sealer, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.AfterChange = func(ctx context.Context, countries []string, from, to time.Time) error {
		_, err := frs.Relink(ctx, countries, from, to)
		return err
	}
	site := *base
	s := &FieldReportSite{Site: &site, Reports: frs, Watcher: w, Alerts: m}
	s.serve(t, s.Routes(t))
	return s
}

// Routes returns a new route table holding the dashboard with its field
// report pages.
func (s *FieldReportSite) Routes(t testing.TB) *server.Routes {
	t.Helper()
	routes := &server.Routes{}
	err := web.Register(routes, web.Deps{
		Data: s.DB, Auth: s.Auth, Admin: s.Auth, Geo: geoTable, Now: clock,
		Alerts: s.Alerts, Events: s.DB, Audit: s.Audit, FieldReports: s.Reports,
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

var _ web.FieldReports = (*fieldreport.Service)(nil)
