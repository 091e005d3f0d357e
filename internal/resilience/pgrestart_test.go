package resilience

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/app"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/testenv"
)

// TestPostgresRestart runs a Threshold server, an ingest and webhook
// deliveries against a private PostgreSQL cluster, crashes the cluster
// ("pg_ctl stop -m immediate") in the middle of them and starts it again.
// The server is never restarted: readiness fails while the database is
// down and comes back by itself; the ingest, which fails, completes
// exactly when run again; every delivery, those in flight at the crash
// and those enqueued after it, arrives.
func TestPostgresRestart(t *testing.T) {
	// Two real files, five batches: the crash comes after the first.
	paths := []string{testenv.SharedData(t, "ucdp-ged", gedMexico), testenv.SharedData(t, "ucdp-ged", gedCAF)}
	start := time.Now()
	phase := func(what string) { t.Logf("%5.1f s %s", time.Since(start).Seconds(), what) }
	c := newPGCluster(t)
	url := c.url("threshold")
	phase("private cluster started")

	// A receiver that takes 300 ms per request, and one delivery at a
	// time, so that deliveries are in flight and waiting when the
	// database goes.
	var (
		mu       sync.Mutex
		accepted = map[string]int{}
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		accepted[r.Header.Get(notify.HeaderDelivery)]++
		mu.Unlock()
	}))
	defer hook.Close()

	ctx := context.Background()
	secrets := map[string]string{"DESK_SECRET": "synthetic-test-secret"}
	a, err := app.New(ctx, app.Options{
		DB: url, Addr: "127.0.0.1:0", Migrate: true, EvaluateEvery: -1, Log: testLog(t),
		Warnings: app.WarningOptions{Notify: notify.Config{
			WebhookTimeout: time.Second, SMTP: notify.SMTPConfig{Timeout: time.Second}, MaxAttempts: 1000,
			RetryBase: 100 * time.Millisecond, RetryMax: time.Second,
			FetchPollInterval: 100 * time.Millisecond, Workers: 1,
			RescueAfter: 12 * time.Second, // > the 11 s an attempt may take
			LookupEnv:   func(k string) (string, bool) { v, ok := secrets[k]; return v, ok },
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		a.Stop(sctx)
	}()
	ready := func() int {
		resp, err := http.Get("http://" + a.Addr() + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ready(); got != http.StatusOK {
		t.Fatalf("/readyz = %d before the crash", got)
	}

	const deliveries, beforeCrash = 16, 12
	enqueue := func(from, to int) {
		t.Helper()
		var ns []alert.Notification
		for id := from; id <= to; id++ {
			ns = append(ns, alert.Notification{
				Receiver: alert.Receiver{Name: "synthetic-desk", Webhooks: []alert.Webhook{{URL: hook.URL, SecretEnv: "DESK_SECRET"}}},
				Message:  syntheticMessage(int64(id)),
			})
		}
		// Right after the restart the first call may meet a connection
		// the crash broke; a caller retries (the alert Manager's
		// Renotify does at start).
		var err error
		if !waitFor(20*time.Second, func() bool { err = a.Warnings().Notifier.Enqueue(ctx, ns); return err == nil }) {
			t.Fatalf("enqueue deliveries %d-%d: %v", from, to, err)
		}
	}
	phase("server ready")

	// Deliveries and an ingest, crashed in the middle with the database.
	// The deliveries go first: the ingest's five batches take well under
	// a second, less than a delivery to arrive.
	enqueue(1, beforeCrash)
	if !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) > 0 }) {
		t.Fatal("no delivery arrived in 10 s")
	}
	cmd := child(append([]string{"ingest", "--db", url, "--indicators=false"}, paths...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	st := a.DB()
	if !waitFor(45*time.Second, func() bool { n, err := st.CountEvents(ctx); return err == nil && n > 0 }) {
		t.Fatal("the ingest committed nothing in 45 s")
	}
	phase("deliveries under way; ingest committed its first batch")
	mu.Lock()
	before := len(accepted)
	mu.Unlock()
	c.crash()
	crashed := time.Now()
	select {
	case err := <-exited:
		if err == nil {
			t.Fatal("the ingest succeeded although its database crashed")
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the ingest did not end within 30 s of its database crashing")
	}
	if !waitFor(10*time.Second, func() bool { return ready() == http.StatusServiceUnavailable }) {
		t.Errorf("/readyz = %d with the database down, want 503", ready())
	}
	time.Sleep(time.Second) // down a little while
	c.start()
	if !waitFor(30*time.Second, func() bool { return ready() == http.StatusOK }) {
		t.Fatalf("/readyz = %d 30 s after the database came back", ready())
	}
	t.Logf("crashed with %d of %d deliveries accepted; ready again %.1f s after the crash", before, beforeCrash, time.Since(crashed).Seconds())

	// The ingest, run again, completes exactly, while deliveries go on:
	// the ones enqueued before the crash and new ones. A delivery in
	// flight at the crash could not record its outcome; River takes it
	// for abandoned after RescueAfter, at its rescuer's next round (every
	// 30 s), and it is sent again.
	committed, err := st.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		code     int
		out, err string
	}
	rerun := make(chan result, 1)
	go func() {
		cmd := child(append([]string{"ingest", "--db", url, "--json", "--indicators=false"}, paths...)...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{out: out.String(), err: errb.String()}
		if err != nil {
			r.code = 1
		}
		rerun <- r
	}()
	enqueue(beforeCrash+1, deliveries)
	for id := int64(1); id <= deliveries; id++ {
		var log []store.Delivery
		if !waitFor(time.Until(crashed.Add(55*time.Second)), func() bool {
			log, err = a.Warnings().Notifier.Log(ctx, id)
			return err == nil && len(log) > 0 && log[len(log)-1].Status == store.DeliveryDelivered
		}) {
			t.Fatalf("delivery of alert %d not delivered 55 s after the crash: %+v (%v)\nqueue: %s", id, log, err, riverJobs(t, url))
		}
	}
	phase("every delivery delivered")
	mu.Lock()
	twice := 0
	for _, n := range accepted {
		if n > 1 {
			twice++
		}
	}
	if len(accepted) != deliveries {
		t.Errorf("receiver accepted %d distinct deliveries, want %d", len(accepted), deliveries)
	}
	mu.Unlock()
	t.Logf("all %d deliveries arrived, %d of them twice (at least once: receivers drop repeats by %s)", deliveries, twice, notify.HeaderDelivery)

	r := <-rerun
	if r.code != 0 {
		t.Fatalf("ingest re-run after the restart failed: %s", r.err)
	}
	var sum ingestSummary
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("ingest summary %q: %v", r.out, err)
	}
	const rows = gedMexicoRows + gedCAFRows
	if sum.Read != rows || sum.Unchanged != committed || sum.Updated != 0 || sum.Inserted+sum.Unchanged+sum.Rejected != rows {
		t.Errorf("re-run after the restart: %+v; want %d read, %d unchanged, the rest inserted or rejected", sum, rows, committed)
	}
	phase("ingest re-run")
	consistent(t, url, rows-sum.Rejected)
	t.Logf("%d events committed before the crash; the re-run added %d", committed, sum.Inserted)
	phase("checked")
}

// riverJobs describes the delivery queue's jobs, for failure messages.
func riverJobs(t *testing.T, url string) string {
	rows, err := rawDB(t, url).Query(`SELECT id, state, attempt, COALESCE(attempted_at::text, ''),
		COALESCE(array_to_string(attempted_by, ','), ''), COALESCE(errors::text, '') FROM river_job ORDER BY id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var (
			id, attempt        int64
			state, at, by, err string
		)
		if e := rows.Scan(&id, &state, &attempt, &at, &by, &err); e != nil {
			return e.Error()
		}
		fmt.Fprintf(&b, "\n\tjob %d %s attempt %d at %s by %s %s", id, state, attempt, at, by, err)
	}
	return b.String()
}

// syntheticMessage is an alert message for delivery tests; the alert is
// made up, not a real one.
func syntheticMessage(id int64) alert.Message {
	day := time.Date(2013, 12, 1, 0, 0, 0, 0, time.UTC)
	return alert.Message{
		AlertID: id, Event: "firing", Rule: "synthetic-rule", Severity: alert.Warning,
		Country: "CAF", Group: "CAF", Title: fmt.Sprintf("Synthetic alert %d", id),
		Explanation: "a synthetic alert for the fault tests",
		Window:      alert.Window{Start: day, End: day.AddDate(0, 0, 27)}, FiredAt: day.AddDate(0, 0, 28),
	}
}

// testLog is the servers' log: warnings and errors on standard error in
// verbose runs, nothing otherwise.
func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}
