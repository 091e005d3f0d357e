package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/fieldreport"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// syntheticReport is a made-up field report for store tests.
func syntheticReport(ext string, day time.Time) fieldreport.Report {
	lat, lon, cas := 6.49, 17.45, 2
	return fieldreport.Report{Status: fieldreport.Unverified, What: "synthetic: <script>alert(1)</script> market burned",
		Country: "CAF", Admin1: "Ouham", Place: "Synthetic village", Latitude: &lat, Longitude: &lon, Date: day,
		Casualties: &cas, Category: event.ViolenceAgainstCivilians, Confidence: fieldreport.Witnessed,
		Reporter: &fieldreport.Reporter{Kind: fieldreport.Contact, Pseudonym: "Kite"}, SealedContact: "v1:synthetic",
		OrgID: 7, Channel: "gateway:sms", ExternalID: ext, ReceivedAt: day.Add(30 * time.Hour),
		History: []fieldreport.Change{{To: fieldreport.Unverified, Actor: "test", Reason: "received", At: day.Add(30 * time.Hour)}}}
}

func TestFieldReports(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
		att := fieldreport.Attached{Name: "a.pdf", Type: "application/pdf", Size: 5, SHA256: "x", Note: "n"}
		r, err := db.CreateFieldReport(ctx, syntheticReport("m1", day), []fieldreport.Attached{att}, [][]byte{[]byte("%PDF-")})
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Version != 1 || r.What != syntheticReport("", day).What || !r.Reporter.HasContact ||
			r.SealedContact != "v1:synthetic" || *r.Casualties != 2 || !r.Date.Equal(day) || len(r.History) != 1 ||
			len(r.Attachments) != 1 {
			t.Fatalf("CreateFieldReport = %+v", r)
		}
		if _, err := db.CreateFieldReport(ctx, syntheticReport("m1", day), nil, nil); !errors.Is(err, fieldreport.ErrConflict) {
			t.Errorf("repeated message id: err = %v, want ErrConflict", err)
		}
		if _, err := db.FieldReport(ctx, r.ID+100); !errors.Is(err, fieldreport.ErrNotFound) {
			t.Errorf("missing report: err = %v, want ErrNotFound", err)
		}
		a, data, err := db.FieldReportAttachment(ctx, r.ID, r.Attachments[0].ID)
		if err != nil || string(data) != "%PDF-" || a.Type != "application/pdf" {
			t.Errorf("FieldReportAttachment = %+v, %q, %v", a, data, err)
		}

		// Fusion candidates: an event of the same country and window, and the other report.
		r2, err := db.CreateFieldReport(ctx, syntheticReport("m2", day.AddDate(0, 0, 2)), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ingestSynthetic(t, db, day)
		cands, err := db.FusionCandidates(ctx, "CAF", day.AddDate(0, 0, -7), day.AddDate(0, 0, 7), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var events, reports int
		for _, c := range cands {
			if c.Report == r2.ID {
				reports++
			} else if c.Event.Source != "" {
				events++
			}
		}
		if events != 1 || reports != 1 {
			t.Errorf("FusionCandidates = %d events, %d reports, want 1 and 1: %+v", events, reports, cands)
		}
		links := []fieldreport.Link{{Event: "ucdp-ged:synthetic-1", Score: 0.9, Reason: "near"}, {Report: r2.ID, Score: 0.7, Reason: "dup"}}
		if err := db.SetFieldReportLinks(ctx, r.ID, links); err != nil {
			t.Fatal(err)
		}

		// Verification: a stale version conflicts; the right one moves.
		c := fieldreport.Change{From: fieldreport.Unverified, To: fieldreport.UnderReview, Actor: "analyst", Reason: "checking", At: day.AddDate(0, 0, 2)}
		if _, err := db.TransitionFieldReport(ctx, r.ID, 99, c, 0, ""); !errors.Is(err, fieldreport.ErrConflict) {
			t.Errorf("stale version: err = %v, want ErrConflict", err)
		}
		got, err := db.TransitionFieldReport(ctx, r.ID, 1, c, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		c = fieldreport.Change{From: fieldreport.UnderReview, To: fieldreport.Verified, Actor: "analyst", Reason: "two sources", Evidence: "call", At: day.AddDate(0, 0, 3)}
		if got, err = db.TransitionFieldReport(ctx, r.ID, got.Version, c, 0, "field-report:1"); err != nil {
			t.Fatal(err)
		}
		if got.Status != fieldreport.Verified || got.EventID != "field-report:1" || len(got.History) != 3 ||
			got.History[2].Evidence != "call" || len(got.Links) != 2 || got.Links[0].Score != 0.9 {
			t.Errorf("after transitions: %+v", got)
		}
		list, err := db.FieldReports(ctx, fieldreport.Query{Status: []fieldreport.Status{fieldreport.Verified}, Country: "CAF", Admin1: "ouham"})
		if err != nil || len(list) != 1 || list[0].ID != r.ID {
			t.Errorf("FieldReports(verified) = %v, %v", list, err)
		}

		// Retention purges contact details, keeps reports.
		ids, err := db.PurgeFieldReportContacts(ctx, day.AddDate(0, 0, 2), day.AddDate(0, 0, 90))
		if err != nil || len(ids) != 1 || ids[0] != r.ID {
			t.Fatalf("PurgeFieldReportContacts = %v, %v; want [%d]", ids, err, r.ID)
		}
		if got, err = db.FieldReport(ctx, r.ID); err != nil || got.SealedContact != "" || got.Reporter.HasContact || got.ContactPurgedAt == nil {
			t.Errorf("after purge: %+v, %v", got, err)
		}

		// Monitors and last reports.
		m, err := db.SaveMonitor(ctx, fieldreport.Monitor{Name: "Synthetic monitor", IntervalDays: 7, Active: true,
			Areas: []fieldreport.Area{{Country: "CAF", Admin1: "Ouham"}, {Country: "CAF", Admin1: "Vakaga"}}})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := db.Monitors(ctx)
		if err != nil || len(ms) != 1 || len(ms[0].Areas) != 2 || !ms[0].Active || ms[0].ID != m.ID {
			t.Errorf("Monitors = %+v, %v", ms, err)
		}
		last, err := db.LastReports(ctx)
		if err != nil || !last[fieldreport.Area{Country: "CAF", Admin1: "Ouham"}].Equal(day.AddDate(0, 0, 2).Add(30*time.Hour)) {
			t.Errorf("LastReports = %v, %v", last, err)
		}
	})
}

// ingestSynthetic stores one synthetic GED-like event in CAF on day.
func ingestSynthetic(t *testing.T, db *store.DB, day time.Time) {
	t.Helper()
	ctx := context.Background()
	line := []byte("synthetic-1\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(line)
	zw.Close()
	w, err := db.BeginFile(ctx, ingest.FileInfo{Name: "synthetic.csv", SHA256: "synthetic", Format: "ucdp-ged", Separator: ","},
		ingest.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	lat, lon := 6.5, 17.4
	ev := event.Event{Source: event.UCDPGED, SourceID: "synthetic-1", DateStart: day, DateEnd: day, DatePrecision: event.Day,
		Country: "CAF", Admin1: "Ouham", Place: "Synthetic", Latitude: &lat, Longitude: &lon, Category: event.Battle}
	c, err := w.Write(ctx, &ingest.Batch{Block: ingest.Block{Length: len(line), Data: gz.Bytes()},
		Records: []ingest.Record{{Line: 1, Length: len(line), Hash: 1, Event: ev}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(ctx, c); err != nil {
		t.Fatal(err)
	}
}
