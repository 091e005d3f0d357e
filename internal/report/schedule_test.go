package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"threshold/internal/notify"
	"threshold/internal/report"
	"threshold/internal/store"
)

// mailbox collects the report emails a Scheduler enqueues.
type mailbox struct{ mails []notify.ReportMail }

func (m *mailbox) EnqueueReportMail(_ context.Context, ms []notify.ReportMail) error {
	m.mails = append(m.mails, ms...)
	return nil
}

// TestSchedulerRunDue sends two subscribers of different organisations
// the CAR report of December 2013 early in January 2014, each as that
// subscriber may read it, once.
func TestSchedulerRunDue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i, sub := range []store.ReportSubscription{
		{UserID: f.viewers[0].UserID, Kind: "monthly", Country: "CAF", Format: "md"},
		{UserID: f.viewers[1].UserID, Kind: "brief", Country: "CAF", Format: "pdf"},
		{UserID: f.viewers[1].UserID, Kind: "monthly", Region: "Middle Africa", Format: "csv", LastMonth: "2013-12"},
	} {
		sub.CreatedBy, sub.CreatedAt = "cli:test", f.now
		if _, err := f.db.AddReportSubscription(ctx, sub); err != nil {
			t.Fatalf("subscription %d: %v", i, err)
		}
	}
	box := &mailbox{}
	s := &report.Scheduler{Reports: &report.Service{Source: f.db, Cases: f.svc, Agreements: f.db, Overrides: f.db, Tracker: f.tracker},
		Subscriptions: f.db, Mail: box}
	now := time.Date(2014, 1, 2, 6, 0, 0, 0, time.UTC)
	n, err := s.RunDue(ctx, now)
	if err != nil || n != 2 || len(box.mails) != 2 {
		t.Fatalf("RunDue: %d sent, %d mails, %v; want 2 (the third was sent for 2013-12 already)", n, len(box.mails), err)
	}
	owner, other := box.mails[0], box.mails[1]
	if owner.To != f.viewers[0].Email || owner.FileName != "tracker-2013-12.md" || !strings.Contains(string(owner.Attachment), f.secret.Title) ||
		owner.Subject != "Monthly tracker: December 2013" {
		t.Errorf("owner's mail: to %s, %s, %q; want the Markdown tracker with the case", owner.To, owner.FileName, owner.Subject)
	}
	if other.To != f.viewers[1].Email || other.FileName != "brief-caf-2013-12.pdf" || !strings.HasPrefix(string(other.Attachment), "%PDF-") {
		t.Errorf("other organisation's mail: to %s, %s", other.To, other.FileName)
	}
	text := pdfText(t, other.Attachment)
	if strings.Contains(text, f.secret.Title) || strings.Contains(text, f.outcome) || !strings.Contains(text, "Central African Republic") {
		t.Errorf("the other organisation's PDF shows the restricted case, or lacks the country")
	}
	if n, err := s.RunDue(ctx, now.Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("second run in the month: %d sent, %v; want none", n, err)
	}
	if cs, err := f.db.TrackerCalls(ctx, day("2013-12-01"), []string{"CAF"}); err != nil || len(cs) != 1 {
		t.Errorf("drafts kept: %d, %v; want CAF's", len(cs), err)
	}
}
