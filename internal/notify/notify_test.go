package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

const testSecret = "s3cret-for-tests"

// testConfig retries fast and finds the webhook secret in a map.
func testConfig() notify.Config {
	env := map[string]string{"DESK_SECRET": testSecret}
	return notify.Config{
		WebhookTimeout:    2 * time.Second,
		MaxAttempts:       3,
		RetryBase:         20 * time.Millisecond,
		RetryMax:          50 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// newNotifier returns a Notifier on db, not started; it is stopped when
// the test ends.
func newNotifier(t testing.TB, db *store.DB, cfg notify.Config) *notify.Notifier {
	t.Helper()
	n, err := notify.New(context.Background(), db, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return n
}

func started(t testing.TB, db *store.DB, cfg notify.Config) *notify.Notifier {
	t.Helper()
	n := newNotifier(t, db, cfg)
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

// receiver is a webhook endpoint on loopback that checks signatures and
// counts requests by X-Threshold-Delivery.
type receiver struct {
	srv *httptest.Server

	mu         sync.Mutex
	requests   int
	byDelivery map[string]int
	payloads   []notify.Payload
	badSig     []error
	respond    func(n int) int // the status of the n-th request (1-based)
	unsigned   bool            // expect no signature
}

func newReceiver(t testing.TB, respond func(n int) int) *receiver {
	r := &receiver{byDelivery: map[string]int{}, respond: respond}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests++
	status := http.StatusOK
	if r.respond != nil {
		status = r.respond(r.requests)
	}
	if status >= 200 && status < 300 {
		if r.unsigned {
			if v := req.Header.Get(notify.HeaderSignature); v != "" {
				r.badSig = append(r.badSig, fmt.Errorf("unsigned webhook has a signature %q", v))
			}
		} else if err := notify.Verify([]byte(testSecret), req.Header, body, time.Now(), time.Minute); err != nil {
			r.badSig = append(r.badSig, err)
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.badSig = append(r.badSig, err)
		}
		if p.DeliveryID != req.Header.Get(notify.HeaderDelivery) || req.Header.Get("User-Agent") != "threshold" ||
			req.Header.Get("Content-Type") != "application/json" {
			r.badSig = append(r.badSig, fmt.Errorf("headers %v do not match payload %s", req.Header, body))
		}
		r.byDelivery[req.Header.Get(notify.HeaderDelivery)]++
		r.payloads = append(r.payloads, p)
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

func (r *receiver) snapshot() (requests int, byDelivery map[string]int, payloads []notify.Payload, bad []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for k, v := range r.byDelivery {
		m[k] = v
	}
	return r.requests, m, slices.Clone(r.payloads), slices.Clone(r.badSig)
}

func message(alertID int64) alert.Message {
	day := func(d int) time.Time { return time.Date(2013, 12, d, 0, 0, 0, 0, time.UTC) }
	return alert.Message{
		AlertID: alertID, Event: "firing", Rule: "fatalities-surge", Severity: alert.Critical,
		Country: "CAF", Admin1: "Ouham", Group: "CAF", Title: "Fatalities surge in Ouham (CAF)",
		Explanation: "fatalities in Ouham in the last 4 weeks: 212, 9x the 2-year weekly median",
		Window:      alert.Window{Start: day(1), End: day(28)}, FiredAt: day(29),
		URL: fmt.Sprintf("https://threshold.example.org/alerts/%d", alertID),
	}
}

func webhookTo(url string) alert.Notification {
	return alert.Notification{
		Receiver: alert.Receiver{Name: "central-africa-desk", Webhooks: []alert.Webhook{{URL: url, SecretEnv: "DESK_SECRET"}}},
	}
}

// waitLog waits until the alert's delivery log satisfies done.
func waitLog(t testing.TB, n *notify.Notifier, alertID int64, done func([]store.Delivery) bool) []store.Delivery {
	t.Helper()
	return waitLogFor(t, n, alertID, 20*time.Second, done)
}

func waitLogFor(t testing.TB, n *notify.Notifier, alertID int64, wait time.Duration, done func([]store.Delivery) bool) []store.Delivery {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		log, err := n.Log(context.Background(), alertID)
		if err != nil {
			t.Fatal(err)
		}
		if done(log) {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert %d: delivery log not finished in time: %+v", alertID, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func statuses(log []store.Delivery) []string {
	var out []string
	for _, d := range log {
		s := d.Status
		if d.HTTPStatus != 0 {
			s += fmt.Sprintf(" %d", d.HTTPStatus)
		}
		out = append(out, s)
	}
	return out
}

func finished(log []store.Delivery) bool {
	return len(log) > 0 && (log[len(log)-1].Status == store.DeliveryDelivered || log[len(log)-1].Status == store.DeliveryFailed)
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/hook"
}

func TestWebhook(t *testing.T) {
	tests := []struct {
		name      string
		respond   func(n int) int // nil: the URL is unreachable
		secretEnv string
		want      []string // the log's statuses
		requests  int      // requests the receiver saw
		delivered int      // of them, accepted
		errLike   string   // the last entry's error contains this
		url       string   // the webhook URL, if not the receiver's
		unsigned  bool     // the receiver gets no signature
	}{
		{name: "delivered", respond: func(int) int { return 200 }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "delivered 200"}, requests: 1, delivered: 1},
		{name: "204 counts as delivered", respond: func(int) int { return 204 }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "delivered 204"}, requests: 1, delivered: 1},
		{name: "500 then success", respond: func(n int) int { return map[bool]int{true: 500, false: 200}[n == 1] }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "retrying 500", "delivered 200"}, requests: 2, delivered: 1},
		{name: "429 then 503 then success", respond: func(n int) int { return []int{429, 503, 200}[n-1] }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "retrying 429", "retrying 503", "delivered 200"}, requests: 3, delivered: 1},
		{name: "400 is permanent", respond: func(int) int { return 400 }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "failed 400"}, requests: 1, errLike: "400 Bad Request"},
		{name: "always 502 fails after MaxAttempts", respond: func(int) int { return 502 }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "retrying 502", "retrying 502", "failed 502"}, requests: 3},
		{name: "unreachable is retried then failed", secretEnv: "DESK_SECRET",
			want: []string{"queued", "retrying", "retrying", "failed"}, errLike: "connection refused"},
		{name: "a redirect is not followed", respond: func(int) int { return 302 }, secretEnv: "DESK_SECRET",
			want: []string{"queued", "failed 302"}, requests: 1, errLike: "302 Found"},
		{name: "no secret configured is sent unsigned", respond: func(int) int { return 200 },
			want: []string{"queued", "delivered 200"}, requests: 1, delivered: 1, unsigned: true},
		{name: "malformed URL", url: "ftp://hooks.example.org/x", secretEnv: "DESK_SECRET",
			want: []string{"queued", "failed"}, errLike: `webhook URL "ftp://hooks.example.org/x" is not an http or https URL`},
		{name: "missing secret variable refuses to send", respond: func(int) int { return 200 }, secretEnv: "NO_SUCH_SECRET",
			want: []string{"queued", "failed"}, errLike: "NO_SUCH_SECRET is not set"},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		n := started(t, db, testConfig())
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				url := ""
				var r *receiver
				switch {
				case tt.url != "":
					url = tt.url
				case tt.respond != nil:
					r = newReceiver(t, tt.respond)
					r.unsigned = tt.unsigned
					url = r.srv.URL + "/hook"
				default:
					url = closedURL(t)
				}
				alertID := int64(100 + i)
				nt := webhookTo(url)
				nt.Receiver.Webhooks[0].SecretEnv = tt.secretEnv
				nt.Message = message(alertID)
				if err := n.Enqueue(context.Background(), []alert.Notification{nt}); err != nil {
					t.Fatal(err)
				}
				log := waitLog(t, n, alertID, finished)
				if got := statuses(log); !slices.Equal(got, tt.want) {
					t.Errorf("log statuses = %q, want %q", got, tt.want)
				}
				id := notify.DeliveryID(alertID, "firing", "central-africa-desk", "webhook", url)
				for i, d := range log {
					if d.DeliveryID != id || d.Target != url || d.Channel != store.ChannelWebhook || d.Attempt != i {
						t.Errorf("log entry %d = %+v, want delivery %s to %s, attempt %d", i, d, id, url, i)
					}
				}
				if last := log[len(log)-1]; tt.errLike != "" && !strings.Contains(last.Error, tt.errLike) {
					t.Errorf("last entry's error %q does not mention %q", last.Error, tt.errLike)
				}
				if r == nil {
					return
				}
				requests, byDelivery, payloads, bad := r.snapshot()
				if requests != tt.requests {
					t.Errorf("receiver saw %d requests, want %d", requests, tt.requests)
				}
				if tt.delivered > 0 {
					if byDelivery[id] != tt.delivered || len(byDelivery) != 1 {
						t.Errorf("receiver accepted %v, want %d of %s", byDelivery, tt.delivered, id)
					}
					p := payloads[len(payloads)-1]
					if !messagesEqual(p.Message, nt.Message) {
						t.Errorf("payload message = %+v, want %+v", p.Message, nt.Message)
					}
					if p.Attempt != tt.requests || p.Receiver != "central-africa-desk" {
						t.Errorf("payload attempt %d receiver %q, want %d central-africa-desk", p.Attempt, p.Receiver, tt.requests)
					}
				}
				for _, err := range bad {
					t.Errorf("receiver: %v", err)
				}
			})
		}
	})
}

func messagesEqual(a, b alert.Message) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestEnqueueIdempotent enqueues the same notifications again and again:
// in one call, in later calls while pending, and after delivery.
func TestEnqueueIdempotent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		r := newReceiver(t, nil)
		second := newReceiver(t, nil)
		n := newNotifier(t, db, testConfig())
		nt := webhookTo(r.srv.URL)
		nt.Receiver.Webhooks = append(nt.Receiver.Webhooks, alert.Webhook{URL: second.srv.URL, SecretEnv: "DESK_SECRET"})
		nt.Message = message(1)
		resolved := nt
		resolved.Message.Event = "resolved" // another lifecycle event: a new delivery
		// Before Start: pending.
		for range 3 {
			if err := n.Enqueue(ctx, []alert.Notification{nt, nt}); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		delivered := func(want int) func([]store.Delivery) bool {
			return func(log []store.Delivery) bool {
				c := 0
				for _, d := range log {
					if d.Status == store.DeliveryDelivered {
						c++
					}
				}
				return c >= want
			}
		}
		waitLog(t, n, 1, delivered(2))
		// After delivery, again, plus one new event.
		if err := n.Enqueue(ctx, []alert.Notification{nt, resolved}); err != nil {
			t.Fatal(err)
		}
		log := waitLog(t, n, 1, delivered(4))
		time.Sleep(300 * time.Millisecond) // room for a wrong extra delivery to arrive
		log, err := n.Log(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, d := range log {
			count[d.Event+" "+d.Status]++
		}
		want := map[string]int{"firing queued": 2, "firing delivered": 2, "resolved queued": 2, "resolved delivered": 2}
		if fmt.Sprint(count) != fmt.Sprint(want) {
			t.Errorf("log counts = %v, want %v", count, want)
		}
		for _, rc := range []*receiver{r, second} {
			requests, byDelivery, _, bad := rc.snapshot()
			if requests != 2 || len(byDelivery) != 2 {
				t.Errorf("receiver saw %d requests for %v, want 2 for 2 deliveries", requests, byDelivery)
			}
			for _, err := range bad {
				t.Error(err)
			}
		}
	})
}

// TestRestart enqueues deliveries while the receiver is down and while no
// Notifier runs, stops, starts a new Notifier on the same database, and
// checks that every delivery arrives exactly once.
func TestRestart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		var up sync.Mutex
		down := true
		r := newReceiver(t, func(int) int {
			up.Lock()
			defer up.Unlock()
			if down {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		cfg := testConfig()
		cfg.MaxAttempts = 1000
		cfg.RetryBase, cfg.RetryMax = 50*time.Millisecond, 200*time.Millisecond

		const perPhase = 20
		batch := func(from int) []alert.Notification {
			var ns []alert.Notification
			for i := from; i < from+perPhase; i++ {
				nt := webhookTo(r.srv.URL)
				nt.Message = message(int64(i))
				ns = append(ns, nt)
			}
			return ns
		}

		// Phase 1: a running Notifier, the receiver down.
		n1, err := notify.New(ctx, db, cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := n1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n1.Enqueue(ctx, batch(1)); err != nil {
			t.Fatal(err)
		}
		waitLog(t, n1, perPhase, func(log []store.Delivery) bool { return len(log) >= 2 }) // attempted, failed
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := n1.Stop(stop); err != nil {
			t.Fatal(err)
		}
		cancel()

		// Phase 2: no Notifier running; a second one enqueues, and
		// re-enqueues phase 1's.
		n2 := newNotifier(t, db, cfg)
		if err := n2.Enqueue(ctx, append(batch(1+perPhase), batch(1)...)); err != nil {
			t.Fatal(err)
		}
		requestsWhileStopped, _, _, _ := r.snapshot()
		up.Lock()
		down = false
		up.Unlock()
		time.Sleep(200 * time.Millisecond)
		if requests, _, _, _ := r.snapshot(); requests != requestsWhileStopped {
			t.Errorf("%d requests while no Notifier ran", requests-requestsWhileStopped)
		}

		// Phase 3: start it.
		if err := n2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2*perPhase; i++ {
			waitLog(t, n2, int64(i), finished)
		}
		time.Sleep(300 * time.Millisecond) // room for a duplicate to arrive
		_, byDelivery, _, bad := r.snapshot()
		if len(byDelivery) != 2*perPhase {
			t.Errorf("receiver got %d distinct deliveries, want %d", len(byDelivery), 2*perPhase)
		}
		for id, c := range byDelivery {
			if c != 1 {
				t.Errorf("delivery %s received %d times", id, c)
			}
		}
		for _, err := range bad {
			t.Error(err)
		}
		for i := 1; i <= 2*perPhase; i++ {
			log, err := n2.Log(ctx, int64(i))
			if err != nil {
				t.Fatal(err)
			}
			var queued, delivered int
			for _, d := range log {
				switch d.Status {
				case store.DeliveryQueued:
					queued++
				case store.DeliveryDelivered:
					delivered++
				case store.DeliveryFailed:
					t.Errorf("alert %d: failed: %+v", i, d)
				}
			}
			if queued != 1 || delivered != 1 {
				t.Errorf("alert %d: %d queued and %d delivered entries, want 1 and 1: %q", i, queued, delivered, statuses(log))
			}
		}
	})
}

// TestStopInFlight stops a Notifier while a delivery is in flight: given
// time, Stop waits for it; given too little, it cancels it and the next
// Notifier on the database delivers it. Either way it arrives once.
func TestStopInFlight(t *testing.T) {
	tests := []struct {
		name          string
		hold          time.Duration // how long the receiver takes
		stopWithin    time.Duration
		doneAfterStop bool // delivered when Stop returns
	}{
		{"waits for the delivery", 300 * time.Millisecond, 10 * time.Second, true},
		{"cancels it, the next Notifier delivers", 30 * time.Second, 300 * time.Millisecond, false},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				var (
					mu        sync.Mutex
					first     = true
					completed = map[string]int{}
				)
				arrived := make(chan struct{}, 1)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					io.Copy(io.Discard, req.Body)
					mu.Lock()
					hold := first
					first = false
					mu.Unlock()
					if hold {
						arrived <- struct{}{}
						select {
						case <-time.After(tt.hold):
						case <-req.Context().Done():
							return // the client gave up: not delivered
						}
					}
					mu.Lock()
					completed[req.Header.Get(notify.HeaderDelivery)]++
					mu.Unlock()
				}))
				defer srv.Close()

				alertID := int64(500 + i)
				n1, err := notify.New(ctx, db, testConfig(), testLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				if err := n1.Start(ctx); err != nil {
					t.Fatal(err)
				}
				nt := webhookTo(srv.URL)
				nt.Message = message(alertID)
				if err := n1.Enqueue(ctx, []alert.Notification{nt}); err != nil {
					t.Fatal(err)
				}
				select {
				case <-arrived:
				case <-time.After(10 * time.Second):
					t.Fatal("delivery did not arrive")
				}
				stop, cancel := context.WithTimeout(ctx, tt.stopWithin)
				err = n1.Stop(stop)
				cancel()
				if err != nil {
					t.Fatalf("Stop: %v", err)
				}
				log, err := n1.Log(ctx, alertID)
				if err != nil {
					t.Fatal(err)
				}
				if got := finished(log); got != tt.doneAfterStop {
					t.Errorf("finished when Stop returned = %v, want %v: %q", got, tt.doneAfterStop, statuses(log))
				}
				if !tt.doneAfterStop {
					started(t, db, testConfig())
					log = waitLog(t, n1, alertID, finished)
				}
				if got := statuses(log); got[len(got)-1] != "delivered 200" {
					t.Errorf("log = %q, want it to end delivered", got)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(completed) != 1 {
					t.Errorf("receiver completed %v, want one delivery once", completed)
				}
				for id, c := range completed {
					if c != 1 {
						t.Errorf("delivery %s completed %d times", id, c)
					}
				}
			})
		}
	})
}
