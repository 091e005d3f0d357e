package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestDeliveriesLog(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		at := time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC) // PostgreSQL keeps microseconds
		log := []store.Delivery{
			{AlertID: 7, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: store.ChannelWebhook, Target: "https://hooks.example.org/a", Status: store.DeliveryQueued, At: at},
			{AlertID: 8, DeliveryID: "d9", Event: "firing", Receiver: "sahel-desk", Channel: store.ChannelEmail, Target: "desk@un.org", Status: store.DeliveryQueued, At: at},
			{AlertID: 7, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: store.ChannelWebhook, Target: "https://hooks.example.org/a", Attempt: 1, Status: store.DeliveryRetrying, HTTPStatus: 503, Error: "503 Service Unavailable", At: at.Add(time.Second)},
			{AlertID: 7, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: store.ChannelWebhook, Target: "https://hooks.example.org/a", Attempt: 2, Status: store.DeliveryDelivered, HTTPStatus: 204, At: at.Add(3 * time.Second)},
			{AlertID: 7, DeliveryID: "d2", Event: "firing", Receiver: "sahel-desk", Channel: store.ChannelEmail, Target: "desk@un.org", Attempt: 1, Status: store.DeliveryFailed, Error: "550 no such user", At: at.Add(4 * time.Second)},
		}
		for i := range log {
			id, err := db.AppendDelivery(ctx, log[i])
			if err != nil {
				t.Fatal(err)
			}
			log[i].ID = id
		}

		tests := []struct {
			alert int64
			want  []store.Delivery
		}{
			{7, []store.Delivery{log[0], log[2], log[3], log[4]}},
			{8, []store.Delivery{log[1]}},
			{9, []store.Delivery{}},
		}
		for _, tt := range tests {
			got, err := db.Deliveries(ctx, tt.alert)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Deliveries(%d) (-want +got):\n%s", tt.alert, diff)
			}
		}

		for _, tt := range []struct {
			id       string
			status   string
			finished bool
		}{
			{"d1", store.DeliveryDelivered, true},
			{"d2", store.DeliveryFailed, true},
			{"d9", "", false},
			{"nope", "", false},
		} {
			status, finished, err := db.DeliveryFinished(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || finished != tt.finished {
				t.Errorf("DeliveryFinished(%s) = %q, %v; want %q, %v", tt.id, status, finished, tt.status, tt.finished)
			}
		}

		batch := []store.Delivery{
			{AlertID: 9, DeliveryID: "d3", Event: "firing", Receiver: "r", Channel: store.ChannelEmail, Target: "a@un.org", Status: store.DeliveryQueued, At: at},
			{AlertID: 9, DeliveryID: "d4", Event: "firing", Receiver: "r", Channel: store.ChannelEmail, Target: "b@un.org", Status: store.DeliveryQueued, At: at},
		}
		if err := db.AppendDeliveries(ctx, batch); err != nil {
			t.Fatal(err)
		}
		got, err := db.Deliveries(ctx, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].DeliveryID != "d3" || got[1].Target != "b@un.org" {
			t.Errorf("Deliveries(9) after AppendDeliveries = %+v", got)
		}
		queued, err := db.QueuedDeliveries(ctx, []string{"d1", "d2", "d3", "d4", "d9", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]bool{"d1": true, "d3": true, "d4": true, "d9": true}; !cmp.Equal(queued, want) {
			t.Errorf("QueuedDeliveries = %v, want %v", queued, want)
		}
		bad2 := batch[0]
		bad2.Channel = "pigeon"
		if err := db.AppendDeliveries(ctx, []store.Delivery{batch[1], bad2}); err == nil {
			t.Error("AppendDeliveries with channel pigeon: no error")
		}
		if got, _ := db.Deliveries(ctx, 9); len(got) != 2 {
			t.Errorf("a failed AppendDeliveries left %d entries, want the 2 from before", len(got))
		}

		bad := log[0]
		bad.Status = "lost"
		if _, err := db.AppendDelivery(ctx, bad); err == nil {
			t.Error("AppendDelivery with status lost: no error")
		}
	})
}
