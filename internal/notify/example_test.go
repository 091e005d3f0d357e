package notify_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"threshold/internal/notify"
)

// A receiver checks each delivery's signature and timestamp, and drops
// deliveries it has already seen by X-Threshold-Delivery.
func ExampleVerify() {
	secret := []byte("the value of the variable the webhook's secret_env names")
	seen := map[string]bool{}
	receive := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := notify.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized) // a 4xx: Threshold does not retry
			return
		}
		if id := r.Header.Get(notify.HeaderDelivery); !seen[id] {
			seen[id] = true
			fmt.Println("new delivery", id)
		}
		w.WriteHeader(http.StatusNoContent)
	}

	// What Threshold sends, twice (a retry after a lost response).
	body := []byte(`{"delivery_id":"4f1c0e","attempt":1,"alert_id":7,"event":"firing"}`)
	for range 2 {
		ts := time.Now().Unix()
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		req.Header.Set(notify.HeaderDelivery, "4f1c0e")
		req.Header.Set(notify.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(notify.HeaderSignature, notify.Sign(secret, ts, body))
		w := httptest.NewRecorder()
		receive(w, req)
		fmt.Println(w.Code)
	}
	// Output:
	// new delivery 4f1c0e
	// 204
	// 204
}
