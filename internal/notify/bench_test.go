package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// BenchmarkEnqueueToWebhook measures the latency from the call to Enqueue to
// the webhook receiving the delivery, on loopback, one delivery at a time
// (each waits for the previous to arrive), on SQLite and PostgreSQL with the
// default Config. It reports p50, p99 and max in milliseconds; run it with
// -benchtime=200x for 200 deliveries.
func BenchmarkEnqueueToWebhook(b *testing.B) {
	benchLatency(b, 1)
}

// BenchmarkEnqueueBurstToWebhook is BenchmarkEnqueueToWebhook with 100
// notifications in each Enqueue, as an ingest that opens many alerts at once
// enqueues them: it reports the latency of each delivery from the call to
// Enqueue, and deliveries per second.
func BenchmarkEnqueueBurstToWebhook(b *testing.B) {
	benchLatency(b, 100)
}

func benchLatency(b *testing.B, burst int) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		b.Run(dbName, func(b *testing.B) {
			var db *store.DB
			if dbName == "sqlite" {
				db, _ = storetest.SQLite(b)
			} else {
				db, _ = storetest.Postgres(b)
			}
			var (
				mu       sync.Mutex
				received = map[string]chan time.Time{}
			)
			arrived := func(id string) chan time.Time {
				mu.Lock()
				defer mu.Unlock()
				c, ok := received[id]
				if !ok {
					c = make(chan time.Time, 1)
					received[id] = c
				}
				return c
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				at := time.Now()
				arrived(r.Header.Get(notify.HeaderDelivery)) <- at
			}))
			b.Cleanup(srv.Close)
			cfg := notify.Config{LookupEnv: func(string) (string, bool) { return testSecret, true }}
			n := started(b, db, cfg)
			ctx := context.Background()
			var lat []time.Duration
			var id int64
			start := time.Now()
			for b.Loop() {
				var ns []alert.Notification
				for range burst {
					id++
					nt := webhookTo(srv.URL)
					nt.Message = message(id)
					ns = append(ns, nt)
				}
				enqueued := time.Now()
				if err := n.Enqueue(ctx, ns); err != nil {
					b.Fatal(err)
				}
				for i := id - int64(burst) + 1; i <= id; i++ {
					select {
					case at := <-arrived(notify.DeliveryID(i, "firing", "central-africa-desk", "webhook", srv.URL)):
						lat = append(lat, at.Sub(enqueued))
					case <-time.After(30 * time.Second):
						b.Fatalf("delivery %d not received in 30 s", i)
					}
				}
			}
			b.ReportMetric(float64(len(lat))/time.Since(start).Seconds(), "deliveries/s")
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
		})
	}
}
