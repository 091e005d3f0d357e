package notify_test

import (
	"context"
	"testing"
	"time"

	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestReportMail sends a report email with its attachment through
// Mailpit, once although enqueued twice, on both databases.
func TestReportMail(t *testing.T) {
	smtpPort, api := mailpit(t)
	storetest.ForEach(t, func(t *testing.T, db *store.DB, dialect string) {
		ctx := context.Background()
		cfg := testConfig()
		cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: smtpPort, From: "Threshold <reports@threshold.example.org>", TLS: notify.TLSNone}
		n := started(t, db, cfg)
		if err := n.EnqueueReportMail(ctx, []notify.ReportMail{{ID: "report:1:2013-12"}}); err == nil {
			t.Error("a report email without an address was enqueued")
		}
		subject := "Monthly tracker: December 2013 (" + dialect + ")"
		m := notify.ReportMail{ID: "report:1:2013-12:" + dialect, To: "car-desk@un.org", Subject: subject,
			Text: "The report is attached (synthetic test).", FileName: "tracker-2013-12.pdf", Attachment: []byte("%PDF-1.4 synthetic")}
		for range 2 {
			if err := n.EnqueueReportMail(ctx, []notify.ReportMail{m, m}); err != nil {
				t.Fatal(err)
			}
		}
		var got []reportMessage
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			got = reportMessages(t, api, subject)
			if len(got) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(time.Second) // a second copy would arrive by now
		got = reportMessages(t, api, subject)
		if len(got) != 1 {
			t.Fatalf("%d messages %q, want 1", len(got), subject)
		}
		if len(got[0].Attachments) != 1 || got[0].Attachments[0].FileName != "tracker-2013-12.pdf" || got[0].To[0].Address != "car-desk@un.org" {
			t.Errorf("message %+v, want one attachment tracker-2013-12.pdf to car-desk@un.org", got[0])
		}
	})
}

type reportMessage struct {
	ID          string
	Subject     string
	To          []struct{ Address string }
	Attachments []struct{ FileName string }
}

func reportMessages(t *testing.T, api, subject string) []reportMessage {
	t.Helper()
	var list struct {
		Messages []struct{ ID, Subject string }
	}
	getJSON(t, api+"/api/v1/messages", &list)
	var out []reportMessage
	for _, m := range list.Messages {
		if m.Subject != subject {
			continue
		}
		var full reportMessage
		getJSON(t, api+"/api/v1/message/"+m.ID, &full)
		out = append(out, full)
	}
	return out
}
