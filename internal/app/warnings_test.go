package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/ingest"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// hookSecret signs the test webhooks; it is read through
// notify.Config.LookupEnv, never from the real environment.
const hookSecret = "synthetic-test-secret"

// hook is a webhook receiver on loopback that verifies signatures and
// hands each delivery's arrival time to a channel.
type hook struct {
	srv      *httptest.Server
	mu       sync.Mutex
	payloads []notify.Payload
	arrived  chan arrival
	bad      int
}

// arrival is one verified delivery and when it arrived.
type arrival struct {
	at time.Time
	p  notify.Payload
}

func newHook(tb testing.TB) *hook {
	h := &hook{arrived: make(chan arrival, 1024)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, err := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err != nil || notify.Verify([]byte(hookSecret), r.Header, body, time.Now(), time.Minute) != nil {
			h.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			h.bad++
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.payloads = append(h.payloads, p)
		h.arrived <- arrival{at, p}
	}))
	tb.Cleanup(h.srv.Close)
	return h
}

// routesTo writes a routing table that sends every alert to the hook.
func routesTo(tb testing.TB, url string) string {
	path := filepath.Join(tb.TempDir(), "routes.yaml")
	body := fmt.Sprintf(`receivers:
  - name: test-desk
    webhooks:
      - url: %s
        secret_env: THRESHOLD_TEST_HOOK_SECRET
route:
  receiver: test-desk
`, url)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func warningApp(tb testing.TB, db string, h *hook) *App {
	tb.Helper()
	a := warningAppNoCleanup(tb, db, h)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			tb.Errorf("Stop: %v", err)
		}
	})
	return a
}

// warningAppNoCleanup is warningApp for a test that stops the app itself.
func warningAppNoCleanup(tb testing.TB, db string, h *hook) *App {
	tb.Helper()
	a, err := New(context.Background(), Options{
		DB: db, Addr: "127.0.0.1:0", Migrate: true, EvaluateEvery: -1,
		Warnings: WarningOptions{
			Routes: routesTo(tb, h.srv.URL+"/hook"),
			Notify: notify.Config{
				LookupEnv: func(k string) (string, bool) {
					return hookSecret, k == "THRESHOLD_TEST_HOOK_SECRET"
				},
				FetchPollInterval: 50 * time.Millisecond,
				RetryBase:         100 * time.Millisecond,
			},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Start(); err != nil {
		tb.Fatal(err)
	}
	return a
}

// coupFile writes a SYNTHETIC coup list in the Powell & Thyne layout: one
// row per (country name, COW code, day). The events are made up for the
// test and named so (version SYNTHETIC).
func coupFile(tb testing.TB, rows ...coupRow) string {
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("synthetic_coups_%d.csv", time.Now().UnixNano()))
	body := "country,ccode,ccode_gw,ccode_polity,year,month,day,coup,version\n"
	for _, r := range rows {
		body += fmt.Sprintf("%s,%d,NA,NA,%d,%d,%d,1,SYNTHETIC\n", r.name, r.cow, r.day.Year(), int(r.day.Month()), r.day.Day())
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

type coupRow struct {
	name string
	cow  int
	day  time.Time
}

// ingestChange ingests files as the API and CLI do: commit, then the
// warning pipeline over what changed. It returns when the ingest is
// committed and the pipeline has run.
func ingestChange(tb testing.TB, a *App, files ...string) (committed time.Time) {
	tb.Helper()
	ctx := context.Background()
	sum, err := ingest.Files(ctx, a.DB(), files, ingest.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	committed = time.Now()
	sp := sum.Touched.Span()
	if _, err := a.Warnings().Watcher.Changed(ctx, sum.Touched.Countries(), sp.From, sp.To); err != nil {
		tb.Fatal(err)
	}
	return committed
}

// TestIngestToWebhook: a (synthetic) coup attempt ingested into a running
// server opens a critical coup alert, routed and delivered to a real
// webhook on loopback with a valid signature, once; the delivery log shows
// it delivered. On SQLite and PostgreSQL.
func TestIngestToWebhook(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, _ *store.DB, url string) {
		h := newHook(t)
		a := warningApp(t, url, h)
		day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		ingestChange(t, a, coupFile(t, coupRow{"Burkina Faso", 439, day}))
		var p notify.Payload
		select {
		case got := <-h.arrived:
			p = got.p
		case <-time.After(20 * time.Second):
			t.Fatalf("no webhook within 20 s (%d refused)", h.bad)
		}
		if p.Rule != "coup" || p.Country != "BFA" || p.Severity != alert.Critical || p.Receiver != "test-desk" {
			t.Errorf("payload %+v; want the coup rule for BFA, critical, to test-desk", p)
		}
		// Ingesting the same file again changes nothing and sends nothing.
		ingestChange(t, a, coupFile(t, coupRow{"Burkina Faso", 439, day}))
		select {
		case got := <-h.arrived:
			t.Errorf("a second delivery arrived at %s for an unchanged ingest: %+v", got.at, got.p)
		case <-time.After(time.Second):
		}
		log, err := a.Warnings().Notifier.Log(context.Background(), p.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		var delivered int
		for _, d := range log {
			if d.Status == store.DeliveryDelivered {
				delivered++
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if delivered != 1 || h.bad != 0 || len(h.payloads) != 1 {
			t.Errorf("%d payloads received: %+v", len(h.payloads), h.payloads)
			t.Errorf("delivery log %+v, %d refused by the hook; want one delivered", log, h.bad)
		}
	})
}

// BenchmarkIngestToWebhook measures the latency: from an ingest's
// commit to the webhook being received on loopback, through indicators,
// rules, the alert Manager, the durable queue and a signed POST. Each
// iteration ingests a (synthetic) coup attempt on a new day and resolves
// (dismisses, then resolves) the alert it opened, so the next one opens a new alert. It reports the
// median and 99th percentile in ms:
//
//	go test ./internal/app -run XXX -bench IngestToWebhook -benchtime 100x
func BenchmarkIngestToWebhook(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var url string
			if dialect == "sqlite" {
				_, url = storetest.SQLite(b)
			} else {
				_, url = storetest.Postgres(b)
			}
			h := newHook(b)
			a := warningApp(b, url, h)
			ctx := context.Background()
			var lat []time.Duration
			day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for b.Loop() {
				day = day.AddDate(0, 0, 1)
				t0 := ingestChange(b, a, coupFile(b, coupRow{"Burkina Faso", 439, day}))
				// Wait for this coup's alert (other rules may fire on the
				// same events; their deliveries are not timed).
			wait:
				for {
					select {
					case got := <-h.arrived:
						if got.p.Rule == "coup" && got.p.Window.End.Equal(day) {
							lat = append(lat, got.at.Sub(t0))
							break wait
						}
					case <-time.After(30 * time.Second):
						b.Fatalf("no webhook within 30 s (%d refused)", h.bad)
					}
				}
				open, err := a.Warnings().Alerts.List(ctx, alert.Query{Open: true})
				if err != nil {
					b.Fatal(err)
				}
				for _, al := range open {
					if _, err := a.Warnings().Alerts.Dismiss(ctx, al.ID, alert.System, "benchmark"); err != nil {
						b.Fatal(err)
					}
					if _, err := a.Warnings().Alerts.Resolve(ctx, al.ID, alert.System, "benchmark"); err != nil {
						b.Fatal(err)
					}
				}
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}

// TestRestartWithPendingDeliveries restarts the server while deliveries
// wait for a receiver that is down: after the restart each is delivered
// exactly once. On SQLite and PostgreSQL.
func TestRestartWithPendingDeliveries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, _ *store.DB, url string) {
		h := newHook(t)
		var down sync.Mutex // held while the receiver answers 503
		var refused atomic.Int64
		up := h.srv.Config.Handler
		h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !down.TryLock() {
				refused.Add(1)
				http.Error(w, "synthetic outage", http.StatusServiceUnavailable)
				return
			}
			down.Unlock()
			up.ServeHTTP(w, r)
		})
		down.Lock()

		first := warningAppNoCleanup(t, url, h)
		// Three synthetic coup attempts, three alerts, three deliveries
		// that fail while the receiver is down.
		day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
		ingestChange(t, first, coupFile(t,
			coupRow{"Burkina Faso", 439, day}, coupRow{"Mali", 432, day}, coupRow{"Niger", 436, day}))
		for wait := time.Now().Add(20 * time.Second); refused.Load() < 3; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(wait) {
				t.Fatalf("only %d attempts reached the receiver while it was down", refused.Load())
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := first.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		cancel()

		down.Unlock()
		warningApp(t, url, h) // the restarted server
		seen := map[string]int{}
		deadline := time.After(60 * time.Second)
		for len(seen) < 3 {
			select {
			case got := <-h.arrived:
				if got.p.Rule == "coup" {
					seen[got.p.Country]++
				}
			case <-deadline:
				t.Fatalf("after the restart only %v arrived", seen)
			}
		}
		select {
		case got := <-h.arrived:
			if got.p.Rule == "coup" {
				seen[got.p.Country]++
			}
		case <-time.After(2 * time.Second):
		}
		for _, c := range []string{"BFA", "MLI", "NER"} {
			if seen[c] != 1 {
				t.Errorf("%s delivered %d times, want once (all: %v)", c, seen[c], seen)
			}
		}
	})
}
