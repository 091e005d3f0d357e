package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// Environment of the crash test's child process.
const (
	crashDBEnv   = "THRESHOLD_NOTIFY_CRASH_DB"
	crashHookEnv = "THRESHOLD_NOTIFY_CRASH_HOOK"
	crashCount   = 12
)

// TestCrashChild is the process TestCrash kills: it enqueues crashCount
// deliveries to the webhook, starts delivering, says "enqueued" and waits
// to be killed.
func TestCrashChild(t *testing.T) {
	dbURL, hook := os.Getenv(crashDBEnv), os.Getenv(crashHookEnv)
	if dbURL == "" {
		t.Skip("the child process of TestCrash")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.WebhookTimeout = 5 * time.Second
	cfg.MaxAttempts = 1000
	n, err := notify.New(ctx, db, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var ns []alert.Notification
	for i := 1; i <= crashCount; i++ {
		nt := webhookTo(hook)
		nt.Message = message(int64(i))
		ns = append(ns, nt)
	}
	if err := n.Enqueue(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Println("enqueued")
	time.Sleep(2 * time.Minute) // until killed
	t.Error("not killed")
}

// TestCrash kills (SIGKILL) a process that delivers, while some of its
// deliveries are in flight and the others wait for the receiver to come
// back, then starts a Notifier in this process on the same database: every
// delivery arrives, each exactly once. The in-flight ones are taken for
// abandoned after RescueAfter, so this test takes some 20 s per database.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("takes some 20 s per database")
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, dbURL string) {
		const inFlight = 3
		var (
			mu       sync.Mutex
			down     = true
			hanging  = 0
			hungNow  = make(chan struct{}, inFlight)
			accepted = map[string]int{}
			quit     = make(chan struct{})
		)
		// The receiver hangs the first requests until their client dies,
		// refuses the others while down, then accepts.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			io.Copy(io.Discard, req.Body) // then the server notices when the client dies
			mu.Lock()
			if down && hanging < inFlight {
				hanging++
				mu.Unlock()
				hungNow <- struct{}{}
				select {
				case <-req.Context().Done():
				case <-quit:
				}
				return
			}
			if down {
				mu.Unlock()
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			accepted[req.Header.Get(notify.HeaderDelivery)]++
			mu.Unlock()
		}))
		t.Cleanup(func() {
			close(quit)
			srv.Close()
		})

		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=3m")
		cmd.Env = append(os.Environ(), crashDBEnv+"="+dbURL, crashHookEnv+"="+srv.URL)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || strings.TrimSpace(lines.Text()) != "enqueued" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child did not enqueue: %q %v", lines.Text(), lines.Err())
		}
		for range inFlight {
			select {
			case <-hungNow:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the child's deliveries did not reach the receiver")
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		mu.Lock()
		down = false
		mu.Unlock()

		cfg := testConfig()
		cfg.WebhookTimeout, cfg.SMTP.Timeout = time.Second, time.Second
		cfg.MaxAttempts = 1000
		cfg.RescueAfter = 12 * time.Second // > the 11 s an attempt may take
		n := started(t, db, cfg)
		for i := 1; i <= crashCount; i++ {
			waitLogFor(t, n, int64(i), 90*time.Second, finished)
		}
		time.Sleep(300 * time.Millisecond) // room for a duplicate to arrive
		mu.Lock()
		defer mu.Unlock()
		if len(accepted) != crashCount {
			t.Errorf("receiver accepted %d distinct deliveries, want %d", len(accepted), crashCount)
		}
		for id, c := range accepted {
			if c != 1 {
				t.Errorf("delivery %s accepted %d times", id, c)
			}
		}
		for i := 1; i <= crashCount; i++ {
			log, err := n.Log(context.Background(), int64(i))
			if err != nil {
				t.Fatal(err)
			}
			if got := statuses(log); got[0] != "queued" || got[len(got)-1] != "delivered 200" || strings.Count(strings.Join(got, ","), "queued") != 1 {
				t.Errorf("alert %d log = %q, want queued once, ..., delivered", i, got)
			}
		}
	})
}
