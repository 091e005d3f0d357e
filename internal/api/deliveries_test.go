package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestDeliveriesAPI(t *testing.T) {
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	n, err := notify.New(ctx, db, notify.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop(context.Background()) })
	at := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	for _, d := range []store.Delivery{
		{AlertID: 3, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: "webhook", Target: "https://hooks.example.org/sahel", Status: "queued", At: at},
		{AlertID: 3, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: "webhook", Target: "https://hooks.example.org/sahel", Attempt: 1, Status: "retrying", HTTPStatus: 503, Error: "webhook answered 503 Service Unavailable", At: at.Add(time.Second)},
		{AlertID: 3, DeliveryID: "d1", Event: "firing", Receiver: "sahel-desk", Channel: "webhook", Target: "https://hooks.example.org/sahel", Attempt: 2, Status: "delivered", HTTPStatus: 200, At: at.Add(12 * time.Second)},
		{AlertID: 4, DeliveryID: "d2", Event: "firing", Receiver: "sahel-desk", Channel: "email", Target: "sahel@un.org", Status: "queued", At: at},
	} {
		if _, err := db.AppendDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ta := newTestAPI(t, db, Deps{Deliveries: n})
	path := func(id int) string { return Prefix + fmt.Sprintf("/alerts/%d/deliveries", id) }
	for _, sc := range []scenario{
		{name: "log", path: path(3), token: analyst, wantStatus: 200,
			wantContains: []string{`"status":"queued"`, `"attempt":1,"status":"retrying","http_status":503,"error":"webhook answered 503 Service Unavailable"`,
				`"attempt":2,"status":"delivered","http_status":200`, `"target":"https://hooks.example.org/sahel"`},
			wantNotContains: []string{"sahel@un.org"}},
		{name: "desk officer", path: path(4), token: deskRead, wantStatus: 200, wantContains: []string{`"channel":"email"`, `"target":"sahel@un.org"`}},
		{name: "admin, no deliveries", path: path(5), token: admin, wantStatus: 200, wantContains: []string{`{"items":[]}`}},
		{name: "partners may not", path: path(3), token: partner, wantStatus: 403},
		{name: "nor mediation experts", path: path(3), token: expert, wantStatus: 403},
		{name: "signed out", path: path(3), wantStatus: 401},
		{name: "bad id", path: Prefix + "/alerts/0/deliveries", token: analyst, wantStatus: 422},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ta) })
	}
}

func TestDeliveriesEndpointOptional(t *testing.T) {
	db, _ := storetest.SQLite(t)
	ta := newTestAPI(t, db, Deps{})
	scenario{path: Prefix + "/alerts/3/deliveries", token: analyst, wantStatus: 404}.run(t, ta)
}
