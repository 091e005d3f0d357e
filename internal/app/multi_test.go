package app

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/auth"
	"threshold/internal/feed"
	"threshold/internal/notify"
	"threshold/internal/schedule"
	"threshold/internal/server"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// Environment of the multi-instance test's servers.
const (
	multiDBEnv   = "THRESHOLD_MULTI_DB"
	multiFeedEnv = "THRESHOLD_MULTI_FEED"
	multiIDEnv   = "THRESHOLD_MULTI_ID"
)

// multiPeriod is the period of every job in the multi-instance test.
const multiPeriod = time.Second

// TestMultiServer is one server of TestMultiInstance, in a process of
// its own: every job each second, the feed's claims lasting 2 s. It
// prints its address and serves until killed.
func TestMultiServer(t *testing.T) {
	db, dir, id := os.Getenv(multiDBEnv), os.Getenv(multiFeedEnv), os.Getenv(multiIDEnv)
	if db == "" {
		t.Skip("a server process of TestMultiInstance")
	}
	serveUntilKilled(t, Options{
		DB: db, Addr: "127.0.0.1:0", Log: testLog(t),
		EvaluateEvery: multiPeriod,
		Schedule:      schedule.Config{ID: id, FetchPollInterval: 100 * time.Millisecond},
		Feed:          feed.Config{Dir: dir, Lease: 2 * time.Second, Claimer: id, WorkDir: t.TempDir()},
		FeedEvery:     multiPeriod,
	})
}

// multiServer is a running server process.
type multiServer struct {
	id     string
	addr   string
	cmd    *exec.Cmd
	exited chan struct{}
}

func startServer(t *testing.T, id, dbURL, dir string) *multiServer {
	t.Helper()
	return startProcess(t, id, "TestMultiServer", multiDBEnv+"="+dbURL, multiFeedEnv+"="+dir, multiIDEnv+"="+id)
}

// startProcess runs the test named test (a server) in a process of its
// own with env added, and waits until it prints its address.
func startProcess(t *testing.T, id, test string, env ...string) *multiServer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &multiServer{id: id, cmd: cmd, exited: make(chan struct{})}
	t.Cleanup(func() { s.kill() })
	addr := make(chan string, 1)
	go func() {
		defer close(s.exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addr <- a
			} else if testing.Verbose() {
				t.Logf("%s: %s", id, sc.Text())
			}
		}
	}()
	select {
	case s.addr = <-addr:
	case <-s.exited:
		t.Fatalf("server %s exited before listening", id)
	case <-time.After(30 * time.Second):
		t.Fatalf("server %s not listening after 30 s", id)
	}
	return s
}

func (s *multiServer) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		<-s.exited
	}
}

// TestMultiInstance runs two server processes on one PostgreSQL
// database: every job runs once per period across both; a session
// started on one works on the other; after the server that ran the feed
// is killed (SIGKILL), the other goes on with the schedule and the feed,
// and every feed file is ingested exactly once.
func TestMultiInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two server processes for some 20 s")
	}
	db, dbURL := storetest.Postgres(t)
	ctx := context.Background()
	files := exportSlices(t, 4)
	dir := t.TempDir()
	for _, f := range files[:2] {
		writeFeedFile(t, dir, f)
	}
	password := "correct horse battery staple 9"
	svc := auth.NewService(db, auth.Options{})
	if _, err := svc.AddOrg(ctx, auth.Actor{Name: "test"}, "UNOWAS"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, auth.Actor{Name: "test"}, auth.NewUser{Org: "UNOWAS", Role: auth.Analyst,
		Email: "analyst@unowas.example", Password: password}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	a := startServer(t, "a", dbURL, dir)
	b := startServer(t, "b", dbURL, dir)
	t.Logf("two servers listening after %.1f s", time.Since(start).Seconds())

	// A session started on a works on b.
	cookie := signIn(t, a.addr, "analyst@unowas.example", password)
	for _, s := range []*multiServer{a, b} {
		if code := getStatus(t, s.addr, "/", cookie); code != http.StatusOK {
			t.Errorf("GET / on %s with a's session cookie: %d, want 200", s.id, code)
		}
		if code := getStatus(t, s.addr, "/", nil); code == http.StatusOK {
			t.Errorf("GET / on %s without a session: 200, want a refusal", s.id)
		}
	}

	// Both files ingested; find who ran the feed last.
	waitFor(t, 20*time.Second, "the first two feed files done", func() bool { return doneFiles(t, db) == 2 })
	runs := scheduledRuns(t, db)
	victim, survivor := a, b
	if last := lastRunBy(runs, "feed"); last == "b" {
		victim, survivor = b, a
	}
	victim.kill()
	killed := time.Now()
	t.Logf("killed %s (it ran the feed last) %.1f s after start", victim.id, killed.Sub(start).Seconds())
	for _, f := range files[2:] {
		writeFeedFile(t, dir, f)
	}
	waitFor(t, 20*time.Second, "the feed files added after the kill done", func() bool { return doneFiles(t, db) == len(files) })
	time.Sleep(3 * multiPeriod) // a few periods with one server
	ended := time.Now()
	survivor.kill()

	// Each job ran at most once per period; after the kill, the survivor
	// ran every period of every job (a period's run may lag when runs
	// take longer than the period, so the last two are not required).
	runs = scheduledRuns(t, db)
	per := map[string]map[time.Time]schedule.Run{}
	byServer := map[string]int{}
	for _, r := range runs {
		if per[r.Name] == nil {
			per[r.Name] = map[time.Time]schedule.Run{}
		}
		if _, dup := per[r.Name][r.Period]; dup {
			t.Errorf("%s ran twice for the period %s", r.Name, r.Period)
		}
		per[r.Name][r.Period] = r
		if r.State == "completed" {
			byServer[r.By[len(r.By)-1]]++
		}
	}
	for _, name := range []string{"evaluate", "follow-through", "feed"} {
		for p := killed.Truncate(multiPeriod).Add(multiPeriod); p.Before(ended.Add(-2 * multiPeriod)); p = p.Add(multiPeriod) {
			r, ok := per[name][p.UTC()]
			if !ok {
				t.Errorf("%s has no run for the period %s, after %s was killed", name, p.UTC().Format(time.TimeOnly), victim.id)
				continue
			}
			if r.State == "completed" && r.By[len(r.By)-1] != survivor.id {
				t.Errorf("%s's run for %s was by %v, after %s was killed", name, p.UTC().Format(time.TimeOnly), r.By, victim.id)
			}
		}
	}
	if len(per["purge-auth"]) != 1 {
		t.Errorf("purge-auth (hourly) ran for %d periods, want 1", len(per["purge-auth"]))
	}
	t.Logf("%d runs in %.1f s: by server %v", len(runs), ended.Sub(start).Seconds(), byServer)

	// Every feed file exactly once.
	rows, err := db.FeedFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var read, rejected, total int
	for _, r := range rows {
		read += r.Counts.Read
		rejected += r.Counts.Rejected
	}
	for _, f := range files {
		total += f.rows
	}
	n, err := db.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(files) || read != total || n != total-rejected {
		t.Errorf("feed: %d files, %d rows read, %d rejected, %d events stored; want %d files, %d rows, %d events",
			len(rows), read, rejected, n, len(files), total, total-rejected)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func doneFiles(t *testing.T, db *store.DB) int {
	t.Helper()
	done, err := db.FeedFiles(context.Background(), feed.Done)
	if err != nil {
		t.Fatal(err)
	}
	return len(done)
}

func scheduledRuns(t *testing.T, db *store.DB) []schedule.Run {
	t.Helper()
	runs, err := schedule.New(db, schedule.Config{}).Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// lastRunBy returns the server that completed the newest run of a job.
func lastRunBy(runs []schedule.Run, name string) string {
	by := ""
	for _, r := range runs {
		if r.Name == name && r.State == "completed" && len(r.By) > 0 {
			by = r.By[len(r.By)-1]
		}
	}
	return by
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs in through the server's login form and returns the
// session cookie.
func signIn(t *testing.T, addr, email, password string) *http.Cookie {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: %d, no csrf_token in the form", resp.StatusCode)
	}
	resp, err = c.PostForm("http://"+addr+"/login", url.Values{"email": {email}, "password": {password}, "csrf_token": {string(m[1])}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == server.SessionCookie && ck.Value != "" {
			return &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	t.Fatalf("POST /login: %d, no session cookie", resp.StatusCode)
	return nil
}

func getStatus(t *testing.T, addr, path string, ck *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck != nil {
		req.AddCookie(ck)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// exportFile is one test feed file: a zip of a slice of the real export.
type exportFile struct {
	name string
	data []byte
	rows int
}

// exportSlices splits GDELT's real 15-minute export of 2019-10-24 14:30
// (shared/data/gdelt) into n slices zipped under successive 15-minute
// names. The names are the test's; the rows are GDELT's.
func exportSlices(t *testing.T, n int) []exportFile {
	t.Helper()
	raw, err := os.ReadFile(testenv.SharedData(t, "gdelt", "20191024143000.export.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n")+"\n", "\n")
	lines = lines[:len(lines)-1]
	per := (len(lines) + n - 1) / n
	start := time.Date(2019, 10, 24, 14, 30, 0, 0, time.UTC)
	var out []exportFile
	for i := range n {
		part := lines[min(i*per, len(lines)):min((i+1)*per, len(lines))]
		stamp := start.Add(time.Duration(i) * 15 * time.Minute).Format("20060102150405")
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.Create(stamp + ".export.CSV")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, strings.Join(part, ""))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		out = append(out, exportFile{name: stamp + ".export.CSV.zip", data: buf.Bytes(), rows: len(part)})
	}
	return out
}

// writeFeedFile writes f into dir whole: through a temporary name, so
// that a server never sees it half-written.
func writeFeedFile(t *testing.T, dir string, f exportFile) {
	t.Helper()
	tmp := filepath.Join(dir, ".tmp-"+f.name)
	if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
		t.Fatal(err)
	}
}

// testLog logs to stdout, which the parent test shows with -v.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Environment of TestRescue's servers.
const (
	rescueDBEnv   = "THRESHOLD_RESCUE_DB"
	rescueFeedEnv = "THRESHOLD_RESCUE_FEED"
	rescueIDEnv   = "THRESHOLD_RESCUE_ID"
)

// TestRescue's servers: a scheduled run is cut at rescueRunTimeout and
// taken for abandoned 2 s later; a delivery attempt gives up on the
// webhook after rescueWebhookTimeout, ends 10 s later at most, and is
// taken for abandoned at rescueDeliveryAfter. The victim must be killed
// before the first two: its attempts are then still in flight. Both
// bounds are below the 15 s a dead leader's lease lasts, so that the
// survivor's rescuer, which runs as it takes the leadership and every
// 30 s after, finds them abandoned on its first look.
const (
	rescueRunTimeout     = 8 * time.Second
	rescueWebhookTimeout = 5 * time.Second
	rescueDeliveryAfter  = 15 * time.Second
	rescueDeliveries     = 3
)

// TestRescueServer is one server of TestRescue, in a process of its own:
// a feed polled daily from a listing URL, deliveries that give up on a
// receiver after 5 s. It prints its address and serves until killed.
func TestRescueServer(t *testing.T) {
	db, listing, id := os.Getenv(rescueDBEnv), os.Getenv(rescueFeedEnv), os.Getenv(rescueIDEnv)
	if db == "" {
		t.Skip("a server process of TestRescue")
	}
	serveUntilKilled(t, Options{
		DB: db, Addr: "127.0.0.1:0", Log: testLog(t),
		Schedule:  schedule.Config{ID: id, FetchPollInterval: 100 * time.Millisecond, MaxTimeout: rescueRunTimeout},
		Feed:      feed.Config{URL: listing, Claimer: id, WorkDir: t.TempDir()},
		FeedEvery: 24 * time.Hour,
		Warnings: WarningOptions{Notify: notify.Config{
			WebhookTimeout: rescueWebhookTimeout, SMTP: notify.SMTPConfig{Timeout: time.Second},
			MaxAttempts: 5, RetryBase: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond,
			FetchPollInterval: 100 * time.Millisecond, RescueAfter: rescueDeliveryAfter,
		}},
	})
}

// TestRescue kills (SIGKILL) a server while a scheduled run (the feed's
// poll, hung on its listing) and deliveries (hung on their webhook) are in
// flight in it, with a second server running on the same database: the
// second runs the feed's run again for the same period, once, and
// delivers each delivery exactly once, through the one River client each
// server has (whichever server leads rescues every kind of job).
func TestRescue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two server processes for some 30 s per database")
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, dbURL string) {
		ctx := context.Background()
		var (
			mu       sync.Mutex
			listings int                // requests of the feed's listing
			up       bool               // the webhook answers
			accepted = map[string]int{} // by delivery id
			hung     = make(chan string, 1+rescueDeliveries)
			quit     = make(chan struct{})
		)
		hang := func(req *http.Request, what string) {
			select {
			case hung <- what:
			default:
			}
			select {
			case <-req.Context().Done(): // the server was killed
			case <-quit:
			}
		}
		mux := http.NewServeMux()
		// The first listing hangs until its server dies; the next list
		// nothing.
		mux.HandleFunc("GET /lastupdate.txt", func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			listings++
			first := listings == 1
			mu.Unlock()
			if first {
				hang(req, "listing")
			}
		})
		// The webhook hangs every request until up, then accepts.
		mux.HandleFunc("POST /hook", func(w http.ResponseWriter, req *http.Request) {
			io.Copy(io.Discard, req.Body) // then the server notices when the client dies
			mu.Lock()
			if !up {
				mu.Unlock()
				hang(req, "delivery")
				return
			}
			accepted[req.Header.Get(notify.HeaderDelivery)]++
			mu.Unlock()
		})
		srv := httptest.NewServer(mux)
		t.Cleanup(func() {
			close(quit)
			srv.Close()
		})
		env := func(id string) []string {
			return []string{rescueDBEnv + "=" + dbURL, rescueFeedEnv + "=" + srv.URL + "/lastupdate.txt", rescueIDEnv + "=" + id}
		}

		// a polls the feed at start; the deliveries enqueued now go to it,
		// the only server.
		a := startProcess(t, "a", "TestRescueServer", env("a")...)
		n, err := notify.New(ctx, db, notify.Config{}, nil) // enqueues only
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Stop(ctx) })
		var ns []alert.Notification
		for i := range rescueDeliveries {
			ns = append(ns, alert.Notification{
				Receiver: alert.Receiver{Name: "desk", Webhooks: []alert.Webhook{{URL: srv.URL + "/hook"}}},
				Message:  alert.Message{AlertID: int64(i + 1), Event: "firing", Rule: "test", Country: "CAF", Title: "synthetic"},
			})
		}
		if err := n.Enqueue(ctx, ns); err != nil {
			t.Fatal(err)
		}
		for range 1 + rescueDeliveries {
			select {
			case <-hung:
			case <-time.After(30 * time.Second):
				t.Fatal("a's feed run and deliveries did not all reach the test's server")
			}
		}
		started := time.Now()
		b := startProcess(t, "b", "TestRescueServer", env("b")...)
		mu.Lock()
		up = true
		mu.Unlock()
		a.kill()
		killed := time.Now()

		if since, limit := time.Since(started), min(rescueWebhookTimeout, rescueRunTimeout); since >= limit {
			t.Fatalf("a killed %.1f s after its attempts started, not before they gave up (%s): the machine is too slow for this test",
				since.Seconds(), limit)
		}
		var runAgain, delivered time.Duration
		waitFor(t, 90*time.Second, "the feed's run again on b", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return listings >= 2
		})
		runAgain = time.Since(killed)
		waitFor(t, 90*time.Second, "the deliveries delivered", func() bool {
			for i := range rescueDeliveries {
				log, err := db.Deliveries(ctx, int64(i+1))
				if err != nil {
					t.Fatal(err)
				}
				if len(log) == 0 || log[len(log)-1].Status != store.DeliveryDelivered {
					return false
				}
			}
			return true
		})
		delivered = time.Since(killed)
		time.Sleep(2 * time.Second) // room for a run or a delivery again
		b.kill()
		t.Logf("after a was killed: the feed's run again on b in %.1f s, deliveries delivered in %.1f s", runAgain.Seconds(), delivered.Seconds())

		// The feed's runs: the one a was running when killed completed by
		// b; one listing request per run and one for the killed attempt.
		var feedRuns int
		for _, r := range scheduledRuns(t, db) {
			if r.Name != "feed" {
				continue
			}
			feedRuns++
			if feedRuns == 1 && (r.State != "completed" || !slices.Equal(r.By, []string{"a", "b"})) {
				t.Errorf("the feed's run for %s: %s, by %v; want completed, by a then b", r.Period, r.State, r.By)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if listings != feedRuns+1 {
			t.Errorf("the listing was fetched %d times for %d feed runs, want %d (the killed attempt and one per run)", listings, feedRuns, feedRuns+1)
		}
		if len(accepted) != rescueDeliveries {
			t.Errorf("the webhook accepted %d distinct deliveries, want %d", len(accepted), rescueDeliveries)
		}
		for id, c := range accepted {
			if c != 1 {
				t.Errorf("delivery %s accepted %d times, want once", id, c)
			}
		}
		// a's attempts died with it, unlogged; b's was the second.
		for i := range rescueDeliveries {
			log, err := db.Deliveries(ctx, int64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range log {
				got = append(got, fmt.Sprintf("%s %d", d.Status, d.Attempt))
			}
			if want := []string{"queued 0", "delivered 2"}; !slices.Equal(got, want) {
				t.Errorf("alert %d: delivery log %q, want %q", i+1, got, want)
			}
		}
	})
}

// serveUntilKilled starts a server with o in this (child) process, prints
// its address for the parent and serves until the parent kills it.
func serveUntilKilled(t *testing.T, o Options) {
	t.Helper()
	a, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s\n", a.Addr())
	time.Sleep(2 * time.Minute) // until killed
	t.Error("not killed")
}
