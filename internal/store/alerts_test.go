package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/alert"
	"threshold/internal/event"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// syntheticAlert is a made-up alert with every field set.
func syntheticAlert(at time.Time) alert.Alert {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	return alert.Alert{
		Fingerprint: "synthetic-rule|CAF|Ouham", Rule: "synthetic-rule", RuleVersion: "v1", Severity: alert.Warning,
		Labels: map[string]string{"theme": "violence"}, Country: "CAF", Admin1: "Ouham", Group: "CAF",
		Window: alert.Window{Start: d("2024-01-01"), End: d("2024-02-29")}, FirstWindow: alert.Window{Start: d("2024-01-01"), End: d("2024-01-31")},
		Score: 3.25, Title: "synthetic title", Explanation: "synthetic explanation", Indicator: "fatalities_best",
		Evidence:  []alert.Point{{Label: "2024-01", Start: d("2024-01-01"), Value: 4}, {Label: "2024-02", Start: d("2024-02-01"), Value: 19}},
		Events:    []event.Key{{Source: "ucdp-ged", SourceID: "synthetic-9"}},
		Receivers: []string{"africa-central-east-desk"}, State: alert.StateDismissed, SilencedBy: 3, Assignee: "desk@example.org",
		FiredAt: at, LastSeenAt: at.Add(time.Minute), ClearedAt: at.Add(2 * time.Minute),
		AcknowledgedAt: at.Add(3 * time.Minute), AcknowledgedBy: "a@example.org",
		DismissedAt: at.Add(4 * time.Minute), DismissedBy: "b@example.org", DismissReason: "synthetic reason",
		UpdatedAt: at.Add(5 * time.Minute),
	}
}

func TestAlertsStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		at := time.Date(2024, 3, 4, 5, 6, 7, 123456000, time.UTC) // microseconds: PostgreSQL's precision
		in := syntheticAlert(at)
		saved, err := db.SaveAlerts(ctx, []alert.Write{{Alert: in, History: []alert.Transition{
			{Action: alert.ActOpen, To: alert.StateFiring, Actor: "system", Note: "synthetic", At: at}}}})
		if err != nil {
			t.Fatal(err)
		}
		in.ID, in.Version = saved[0].ID, 1
		got, err := db.Alert(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in, got); diff != "" {
			t.Errorf("stored alert mismatch (-want +got):\n%s", diff)
		}
		h, err := db.AlertHistory(ctx, in.ID)
		if err != nil || len(h) != 1 || h[0].AlertID != in.ID || h[0].Action != alert.ActOpen || h[0].From != "" || !h[0].At.Equal(at) {
			t.Errorf("history = %+v, %v", h, err)
		}

		// notified_at is MarkNotified's: a later update does not undo it.
		// Silenced alerts are not pending; this one is muted.
		if p, _ := db.PendingNotifications(ctx); len(p) != 0 {
			t.Errorf("silenced alert pending")
		}
		if err := db.MarkNotified(ctx, []alert.Notified{{ID: in.ID, Severity: alert.Warning}}, at); err != nil {
			t.Fatal(err)
		}
		got.Score = 9
		if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: got}}); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Alert(ctx, in.ID)
		if !got.NotifiedAt.Equal(at) || got.NotifiedSeverity != alert.Warning || got.Score != 9 || got.Version != 2 {
			t.Errorf("after update: notified %v at %s, score %v, version %d", got.NotifiedAt, got.NotifiedSeverity, got.Score, got.Version)
		}
		// A second mark keeps the first time.
		if err := db.MarkNotified(ctx, []alert.Notified{{ID: in.ID, Severity: alert.Critical}}, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if a, _ := db.Alert(ctx, in.ID); !a.NotifiedAt.Equal(at) || a.NotifiedSeverity != alert.Critical {
			t.Errorf("after a second mark: notified %v at %s", a.NotifiedAt, a.NotifiedSeverity)
		}

		// Resolved alerts give their fingerprint's latest window end.
		got.State = alert.StateResolved
		if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: got}}); err != nil {
			t.Fatal(err)
		}
		ends, err := db.ResolvedWindowEnds(ctx, []string{in.Fingerprint, "other|CAF|"})
		if err != nil || len(ends) != 1 || !ends[in.Fingerprint].Equal(in.Window.End) {
			t.Errorf("ResolvedWindowEnds = %v, %v", ends, err)
		}
		// With the first resolved, the fingerprint may open again.
		again := syntheticAlert(at)
		again.State = alert.StateFiring
		if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: again}}); err != nil {
			t.Errorf("new episode after resolution: %v", err)
		}
		if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: again}}); !errors.Is(err, alert.ErrConflict) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("second open episode: %v, want ErrConflict", err)
		}

		if _, err := db.Alert(ctx, 987654); !errors.Is(err, alert.ErrNotFound) {
			t.Errorf("Alert(unknown) = %v", err)
		}
		if _, err := db.AlertHistory(ctx, 987654); !errors.Is(err, alert.ErrNotFound) {
			t.Errorf("AlertHistory(unknown) = %v", err)
		}
		// A failed write leaves nothing behind: the batch is one
		// transaction.
		before, _ := db.Alerts(ctx, alert.Query{})
		fresh := syntheticAlert(at)
		fresh.Fingerprint, fresh.State = "batch|MLI|", alert.StateFiring
		if _, err := db.SaveAlerts(ctx, []alert.Write{{Alert: fresh}, {Alert: again}}); !errors.Is(err, alert.ErrConflict) {
			t.Errorf("batch with a duplicate: %v", err)
		}
		if after, _ := db.Alerts(ctx, alert.Query{}); len(after) != len(before) {
			t.Errorf("%d alerts after a failed batch, want %d", len(after), len(before))
		}
	})
}

func TestSilencesStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		at := time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC)
		in := alert.Silence{Matchers: alert.Matchers{Rule: "r", Country: "MLI", Admin1: "Gao", Severity: alert.Info,
			Labels: map[string]string{"k": "v"}}, StartsAt: at, EndsAt: at.Add(time.Hour), CreatedBy: "a@example.org",
			Comment: "synthetic", CreatedAt: at}
		s, err := db.AddSilence(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		in.ID = s.ID
		for _, tt := range []struct {
			q    alert.SilenceQuery
			want int
		}{
			{alert.SilenceQuery{At: at, Active: true}, 1},
			{alert.SilenceQuery{At: at.Add(-time.Second), Active: true}, 0}, // not started
			{alert.SilenceQuery{At: at.Add(time.Hour), Active: true}, 0},    // ended
			{alert.SilenceQuery{At: at.Add(time.Hour), Expired: true}, 1},
			{alert.SilenceQuery{At: at, Expired: true}, 0},
			{alert.SilenceQuery{}, 1},
		} {
			got, err := db.Silences(ctx, tt.q)
			if err != nil || len(got) != tt.want {
				t.Errorf("Silences(%+v) = %d, %v; want %d", tt.q, len(got), err, tt.want)
			}
			if len(got) == 1 {
				if diff := cmp.Diff(in, got[0]); diff != "" {
					t.Errorf("stored silence (-want +got):\n%s", diff)
				}
			}
		}
		exp, err := db.ExpireSilence(ctx, s.ID, "b@example.org", at.Add(time.Minute))
		if err != nil || !exp.EndsAt.Equal(at.Add(time.Minute)) || exp.ExpiredBy != "b@example.org" {
			t.Errorf("ExpireSilence = %+v, %v", exp, err)
		}
		if _, err := db.ExpireSilence(ctx, s.ID, "b@example.org", at.Add(2*time.Minute)); !errors.Is(err, alert.ErrInvalid) {
			t.Errorf("expire an ended silence: %v", err)
		}
	})
}
