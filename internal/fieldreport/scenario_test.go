package fieldreport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/warning"
)

// recordingChanges and recordingAlerts stand in for the warning Watcher
// and the alert Manager, recording what they are handed.
type recordingChanges struct{ countries []string }

func (c *recordingChanges) Changed(_ context.Context, countries []string, _, _ time.Time) (warning.Report, error) {
	c.countries = append(c.countries, countries...)
	return warning.Report{}, nil
}

type recordingAlerts struct{ firings []alert.Firing }

func (a *recordingAlerts) Process(_ context.Context, fs []alert.Firing, _ alert.Evaluated, _ time.Time) (alert.Result, error) {
	a.firings = append(a.firings, fs...)
	return alert.Result{}, nil
}

const syntheticContact = "+236 75 55 01 23 synthetic"

type scenario struct {
	clock   *time.Time // the service's and audit log's now; tests advance it
	db      *store.DB
	svc     *fieldreport.Service
	log     *audit.Log
	changes *recordingChanges
	alerts  *recordingAlerts
}

func newScenario(t *testing.T, db *store.DB, sealer *fieldreport.Sealer) scenario {
	t.Helper()
	clock := time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s := scenario{clock: &clock, db: db, log: audit.New(db, now), changes: &recordingChanges{}, alerts: &recordingAlerts{}}
	var err error
	s.svc, err = fieldreport.New(fieldreport.Options{Store: db, Events: db, Changes: s.changes, Alerts: s.alerts,
		Audit: s.log, Sealer: sealer, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Viewers: the receiving organisation is 1.
var (
	operator      = fieldreport.Operator("cli:test")
	ownAnalyst    = fieldreport.Viewer{UserID: 1, Email: "analyst@own.example", OrgID: 1, Role: auth.Analyst}
	otherAnalyst  = fieldreport.Viewer{UserID: 2, Email: "analyst@other.example", OrgID: 2, Role: auth.Analyst}
	partnerViewer = fieldreport.Viewer{UserID: 3, Email: "viewer@own.example", OrgID: 1, Role: auth.PartnerViewer}
	deskOfficer   = fieldreport.Viewer{UserID: 4, Email: "desk@own.example", OrgID: 1, Role: auth.DeskOfficer}
	admin         = fieldreport.Viewer{UserID: 5, Email: "admin@other.example", OrgID: 2, Role: auth.Admin}
)

func syntheticReport() fieldreport.Report {
	lat, lon, cas := 6.49, 17.45, 4
	return fieldreport.Report{What: `synthetic: <script>alert("x")</script> houses burned`, Country: "CAF",
		Admin1: "Ouham", Place: `Bossangoa"><img src=x>`, Latitude: &lat, Longitude: &lon,
		Date: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Involved: "synthetic armed group", Casualties: &cas,
		Category: event.ViolenceAgainstCivilians, Confidence: fieldreport.Witnessed, OrgID: 1,
		Reporter: &fieldreport.Reporter{Kind: fieldreport.Contact, Pseudonym: "Kite", Contact: syntheticContact}}
}

func TestFieldReportScenario(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		// Without a key, contact details are refused and nothing is stored.
		noKey := newScenario(t, db, nil)
		if _, err := noKey.svc.Submit(ctx, ownAnalyst, "api", syntheticReport(), nil); !errors.Is(err, fieldreport.ErrNoKey) {
			t.Fatalf("Submit without key: err = %v, want ErrNoKey", err)
		}
		if rs, _ := db.FieldReports(ctx, fieldreport.Query{}); len(rs) != 0 {
			t.Fatalf("stored %d reports without a key", len(rs))
		}

		sealer, _ := fieldreport.NewSealer(bytes.Repeat([]byte{42}, 32))
		s := newScenario(t, db, sealer)
		flash := syntheticReport()
		flash.Flash = true
		r, err := s.svc.Submit(ctx, partnerViewer, "api", flash, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The submitter here is a partner viewer: the answer has no identity either.
		if r.Reporter != nil || r.Status != fieldreport.Unverified {
			t.Errorf("Submit answered %+v", r)
		}
		stored, _ := db.FieldReport(ctx, r.ID)
		if stored.SealedContact == "" || strings.Contains(stored.SealedContact, "236") {
			t.Errorf("contact at rest = %q, want sealed", stored.SealedContact)
		}
		// Flash: one unverified alert at once.
		if len(s.alerts.firings) != 1 || s.alerts.firings[0].Rule != fieldreport.FlashRule ||
			s.alerts.firings[0].Labels["verified"] != "false" || s.alerts.firings[0].Admin1 != "Ouham" {
			t.Errorf("flash firings = %+v", s.alerts.firings)
		}

		// Access: who sees the identity.
		for _, tt := range []struct {
			name    string
			v       fieldreport.Viewer
			contact bool
		}{
			{"partner viewer", partnerViewer, false}, {"other organisation's analyst", otherAnalyst, false},
			{"desk officer", deskOfficer, false}, {"own analyst", ownAnalyst, true}, {"admin", admin, true},
			{"operator", operator, true},
		} {
			got, err := s.svc.Get(ctx, tt.v, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := s.svc.List(ctx, tt.v, fieldreport.Query{})
			if err != nil || len(list) != 1 {
				t.Fatalf("%s: List = %v, %v", tt.name, list, err)
			}
			b, _ := json.Marshal(struct {
				One  fieldreport.Report
				List []fieldreport.Report
			}{got, list})
			leaks := strings.Contains(string(b), "236") || strings.Contains(string(b), "Kite") || strings.Contains(string(b), "v1:")
			if tt.contact {
				if got.Reporter == nil || got.Reporter.Contact != syntheticContact || got.Reporter.Pseudonym != "Kite" {
					t.Errorf("%s: Get reporter = %+v, want the contact", tt.name, got.Reporter)
				}
				if list[0].Reporter == nil || list[0].Reporter.Contact != "" || !list[0].Reporter.HasContact {
					t.Errorf("%s: List reporter = %+v, want identity without contact", tt.name, list[0].Reporter)
				}
			} else if leaks || got.Reporter != nil || list[0].Reporter != nil {
				t.Errorf("%s sees the reporter: %s", tt.name, b)
			}
		}
		recs, _ := s.log.Latest(ctx, 50)
		reads := 0
		for _, rec := range recs {
			if rec.Action == "field-report.contact.read" {
				reads++
			}
		}
		if reads != 3 {
			t.Errorf("contact reads audited = %d, want 3 (own analyst, admin, operator)", reads)
		}

		// Verification: analysts only, reasons required, illegal moves refused.
		if _, err := s.svc.Move(ctx, partnerViewer, r.ID, fieldreport.Transition{To: fieldreport.UnderReview, Reason: "x"}); !errors.Is(err, fieldreport.ErrForbidden) {
			t.Errorf("partner viewer Move: err = %v, want ErrForbidden", err)
		}
		if _, err := s.svc.Move(ctx, ownAnalyst, r.ID, fieldreport.Transition{To: fieldreport.Verified, Reason: "x"}); !errors.Is(err, fieldreport.ErrInvalidTransition) {
			t.Errorf("unverified -> verified: err = %v, want ErrInvalidTransition", err)
		}
		if _, err := s.svc.Move(ctx, ownAnalyst, r.ID, fieldreport.Transition{To: fieldreport.UnderReview}); !errors.Is(err, fieldreport.ErrInvalid) {
			t.Errorf("no reason: err = %v, want ErrInvalid", err)
		}
		if _, err := s.svc.Move(ctx, ownAnalyst, r.ID, fieldreport.Transition{To: fieldreport.UnderReview, Reason: "calling the monitor"}); err != nil {
			t.Fatal(err)
		}
		v, err := s.svc.Move(ctx, otherAnalyst, r.ID, fieldreport.Transition{To: fieldreport.Verified,
			Reason: "confirmed by a second source", Evidence: "synthetic: phone call with the parish"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != fieldreport.Verified || v.EventID != "field-report:"+itoa(r.ID) || len(v.History) != 3 || v.Reporter != nil {
			t.Errorf("verified report as the other analyst sees it: %+v", v)
		}
		ev, err := db.Event(ctx, event.Key{Source: event.FieldReport, SourceID: itoa(r.ID)})
		if err != nil {
			t.Fatalf("verified report's event: %v", err)
		}
		if ev.Country != "CAF" || ev.Category != event.ViolenceAgainstCivilians || *ev.Fatalities.Best != 4 ||
			len(ev.Raw) == 0 || ev.Raw[0] != itoa(r.ID) || len(ev.Columns) == 0 || ev.Columns[0] != "report_id" || strings.Contains(strings.Join(ev.Raw, " "), "Kite") {
			t.Errorf("event = %+v", ev)
		}
		if len(s.changes.countries) != 1 || s.changes.countries[0] != "CAF" {
			t.Errorf("indicators recomputed for %v, want [CAF]", s.changes.countries)
		}
		if _, err := s.svc.Move(ctx, ownAnalyst, r.ID, fieldreport.Transition{To: fieldreport.Rejected, Reason: "x"}); !errors.Is(err, fieldreport.ErrInvalidTransition) {
			t.Errorf("verified is final: err = %v", err)
		}

		// A second report of the same incident is linked to the first and marked duplicate.
		second := syntheticReport()
		second.Reporter = nil
		d, err := s.svc.Submit(ctx, ownAnalyst, "api", second, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Links) == 0 || d.Links[len(d.Links)-1].Report != r.ID {
			t.Errorf("second report links = %+v, want one to report %d", d.Links, r.ID)
		}
		if _, err := s.svc.Move(ctx, ownAnalyst, d.ID, fieldreport.Transition{To: fieldreport.Duplicate, Reason: "same incident"}); !errors.Is(err, fieldreport.ErrInvalid) {
			t.Errorf("duplicate without duplicate_of: err = %v", err)
		}
		dup, err := s.svc.Move(ctx, ownAnalyst, d.ID, fieldreport.Transition{To: fieldreport.Duplicate, Reason: "same incident", DuplicateOf: r.ID})
		if err != nil || dup.DuplicateOf != r.ID {
			t.Errorf("duplicate = %+v, %v", dup, err)
		}

		// Every transition is audited with its reason and evidence.
		recs, _ = s.log.Latest(ctx, 50)
		var transitions []string
		for _, rec := range recs {
			if rec.Action == "field-report.transition" {
				transitions = append(transitions, string(rec.Details))
			}
		}
		if len(transitions) != 3 || !strings.Contains(strings.Join(transitions, ""), "phone call with the parish") {
			t.Errorf("audited transitions = %v", transitions)
		}
		if _, _, err := s.log.Verify(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}

		// Relink after an ingest: the verified and duplicate reports are
		// final and keep their links; nothing else is in verification.
		if n, err := s.svc.Relink(ctx, []string{"CAF"}, flash.Date, flash.Date); err != nil || n != 0 {
			t.Errorf("Relink = %d, %v; want 0 (no report still in verification)", n, err)
		}
		third := syntheticReport()
		third.Reporter = nil
		third.Category = event.Protest // another family: no link to the first two
		tr, err := s.svc.Submit(ctx, ownAnalyst, "api", third, nil)
		if err != nil || len(tr.Links) != 0 {
			t.Fatalf("third report: %+v, %v", tr, err)
		}
		// A riot reported later at the same place: linked to the protest at
		// once, and the protest to it once relinked.
		fourth := third
		fourth.Category = event.Riot
		if _, err := s.svc.Submit(ctx, ownAnalyst, "api", fourth, nil); err != nil {
			t.Fatal(err)
		}
		if n, err := s.svc.Relink(ctx, []string{"CAF", "TCD"}, flash.Date, flash.Date); err != nil || n != 2 {
			t.Errorf("Relink = %d, %v; want 2", n, err)
		}
		if got, err := s.svc.Get(ctx, ownAnalyst, tr.ID); err != nil || len(got.Links) != 1 || got.Links[0].Report != tr.ID+1 ||
			!strings.Contains(got.Links[0].Reason, "related categories protest/riot") {
			t.Errorf("protest's links after Relink = %+v, %v", got.Links, err)
		}

		// A server without the key serves the report without the contact.
		if got, err := noKey.svc.Get(ctx, admin, r.ID); err != nil || got.Reporter == nil || got.Reporter.Contact != "" ||
			!got.Reporter.HasContact {
			t.Errorf("Get without a key = %+v, %v", got.Reporter, err)
		}

		// Retention: the contact goes, the report stays; only admins purge.
		if _, err := s.svc.Purge(ctx, ownAnalyst, time.Hour); !errors.Is(err, fieldreport.ErrForbidden) {
			t.Errorf("analyst purge: err = %v", err)
		}
		*s.clock = s.clock.AddDate(0, 0, 91)
		ids, err := s.svc.Purge(ctx, admin, 90*24*time.Hour)
		if err != nil || len(ids) != 1 {
			t.Fatalf("Purge = %v, %v", ids, err)
		}
		got, err := s.svc.Get(ctx, admin, r.ID)
		if err != nil || got.Reporter.Contact != "" || got.Reporter.HasContact || got.ContactPurgedAt == nil || got.Status != fieldreport.Verified {
			t.Errorf("after purge: %+v, %v", got, err)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
