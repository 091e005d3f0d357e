package feed_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/feed"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// realExport is GDELT's real 15-minute export of 2019-10-24 14:30 UTC
// (2,111 events; shared/data/gdelt/SOURCE.md).
const realExport = "20191024143000.export.CSV"

// feedFile is one test feed file: a zip holding a slice of the real
// export's rows.
type feedFile struct {
	name string // YYYYMMDDHHMMSS.export.CSV.zip
	data []byte // the zip
	rows int
}

// slicesOfExport splits the real export into n consecutive slices and zips
// each under a name 15 minutes after the previous one, starting at the
// export's own timestamp. The names are the test's; the rows are GDELT's.
func slicesOfExport(t testing.TB, n int) []feedFile {
	t.Helper()
	raw, err := os.ReadFile(testenv.SharedData(t, "gdelt", realExport))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(raw), "\n")+"\n", "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	start := time.Date(2019, 10, 24, 14, 30, 0, 0, time.UTC)
	per := (len(lines) + n - 1) / n
	var out []feedFile
	for i := 0; i < n; i++ {
		part := lines[min(i*per, len(lines)):min((i+1)*per, len(lines))]
		stamp := start.Add(time.Duration(i) * 15 * time.Minute).Format("20060102150405")
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.Create(stamp + ".export.CSV")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(strings.Join(part, "")))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		out = append(out, feedFile{name: stamp + ".export.CSV.zip", data: buf.Bytes(), rows: len(part)})
	}
	return out
}

func writeFile(t testing.TB, dir string, f feedFile) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recorder is an AfterIngest hook that records the files it was told
// about, in order, and the countries they touched.
type recorder struct {
	mu        sync.Mutex
	files     []string
	countries map[string][]string
}

func (r *recorder) hook(_ context.Context, f feed.File, sum ingest.Summary) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files = append(r.files, f.Name)
	if r.countries == nil {
		r.countries = map[string][]string{}
	}
	r.countries[f.Name] = sum.Touched.Countries()
	return nil
}

func names(fs []feedFile) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.name)
	}
	return out
}

func newFeed(t testing.TB, cfg feed.Config) *feed.Feed {
	t.Helper()
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	f, err := feed.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkExactlyOnce checks that every file is done and the store holds
// exactly their events: each row stored or quarantined once.
func checkExactlyOnce(t *testing.T, db *store.DB, files []feedFile) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.FeedFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var read, rejected int
	var got []string
	for _, r := range rows {
		if r.State != feed.Done {
			t.Errorf("feed file %s is %s (%s), want done", r.Name, r.State, r.Error)
		}
		got = append(got, r.Name)
		read += r.Counts.Read
		rejected += r.Counts.Rejected
	}
	if want := names(files); !slices.Equal(got, want) {
		t.Errorf("feed files %v, want %v", got, want)
	}
	total := 0
	for _, f := range files {
		total += f.rows
	}
	n, err := db.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if read != total || n != total-rejected {
		t.Errorf("store holds %d events, feed read %d rows and rejected %d; want %d rows read and %d events",
			n, read, rejected, total, total-rejected)
	}
}

// TestDirectoryInOrderExactlyOnce drops files into a watched directory,
// newest first: they are ingested oldest first, each once, and a second
// poll finds nothing new to do.
func TestDirectoryInOrderExactlyOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		files := slicesOfExport(t, 4)
		dir := t.TempDir()
		for _, f := range slices.Backward(files[:3]) {
			writeFile(t, dir, f)
		}
		var rec recorder
		fd := newFeed(t, feed.Config{Store: db, Dir: dir, AfterIngest: rec.hook})
		res, err := fd.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Found != 3 || res.Added != 3 || len(res.Done) != 3 || len(res.Failed) != 0 {
			t.Fatalf("first poll: %+v; want 3 found, added and done", res)
		}
		writeFile(t, dir, files[3])
		if res, err = fd.Poll(ctx); err != nil || res.Added != 1 || len(res.Done) != 1 {
			t.Fatalf("second poll: %+v, %v; want the new file only", res, err)
		}
		if res, err = fd.Poll(ctx); err != nil || res.Added != 0 || len(res.Done) != 0 {
			t.Fatalf("third poll: %+v, %v; want nothing to do", res, err)
		}
		if !slices.Equal(rec.files, names(files)) {
			t.Errorf("AfterIngest saw %v, want %v in that order", rec.files, names(files))
		}
		if len(rec.countries[files[0].name]) == 0 {
			t.Errorf("AfterIngest was told no country changed for %s", files[0].name)
		}
		checkExactlyOnce(t, db, files)
	})
}

// TestCorruptZipFailsThenRetries puts a truncated and a corrupted zip in
// the feed: each fails with an error naming the file and nothing of it is
// stored; newer files are not held back; once the file is whole and its
// retry is due it is ingested.
func TestCorruptZipFailsThenRetries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		files := slicesOfExport(t, 3)
		dir := t.TempDir()
		truncated := files[0]
		truncated.data = truncated.data[:len(truncated.data)/2]
		corrupt := files[1]
		corrupt.data = bytes.Clone(corrupt.data)
		corrupt.data[len(corrupt.data)/3] ^= 0xff // inside the deflated entry: a CRC or inflate error
		for _, f := range []feedFile{truncated, corrupt, files[2]} {
			writeFile(t, dir, f)
		}
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		fd := newFeed(t, feed.Config{Store: db, Dir: dir, Now: clock, RetryBase: time.Minute})
		res, err := fd.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Failed) != 2 || len(res.Done) != 1 || res.Done[0].Name != files[2].name {
			t.Fatalf("poll: %+v; want the two bad files failed and the third done", res)
		}
		for _, f := range res.Failed {
			if !strings.Contains(f.Error, f.Name) || !strings.Contains(f.Error, "zip") {
				t.Errorf("%s failed with %q; want an error naming the file and the zip", f.Name, f.Error)
			}
			if !f.NextAttempt.Equal(now.Add(time.Minute)) {
				t.Errorf("%s: retry at %s, want after RetryBase", f.Name, f.NextAttempt)
			}
		}
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != res.Done[0].Counts.Inserted {
			t.Errorf("store holds %d events, want only the good file's %d: nothing of a bad file", n, res.Done[0].Counts.Inserted)
		}

		// Still bad when retried: failed again, the wait doubled.
		now = now.Add(time.Minute)
		if res, err = fd.Poll(ctx); err != nil || len(res.Failed) != 2 || res.Failed[0].Attempts != 2 ||
			!res.Failed[0].NextAttempt.Equal(now.Add(2*time.Minute)) {
			t.Fatalf("retry of the bad files: %+v, %v; want both failed again, attempt 2, retried 2 min later", res, err)
		}
		// Whole again (a copy that finished, a download that succeeded).
		writeFile(t, dir, files[0])
		writeFile(t, dir, files[1])
		if res, err = fd.Poll(ctx); err != nil || len(res.Done) != 0 {
			t.Fatalf("poll before the retry is due: %+v, %v; want nothing done", res, err)
		}
		now = now.Add(2 * time.Minute)
		if res, err = fd.Poll(ctx); err != nil || len(res.Done) != 2 || res.Done[0].Name != files[0].name {
			t.Fatalf("poll when due: %+v, %v; want both done, oldest first", res, err)
		}
		checkExactlyOnce(t, db, files)
	})
}

// TestHTTPListing polls a GDELT-style listing served by a local server:
// the files it lists are downloaded, checked against their size and MD5,
// and ingested; a download whose MD5 differs fails.
func TestHTTPListing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		files := slicesOfExport(t, 3)
		var (
			mu     sync.Mutex
			listed []feedFile
			serve  = map[string][]byte{}
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Path == "/gdeltv2/lastupdate.txt" {
				for _, f := range listed {
					sum := md5.Sum(f.data)
					fmt.Fprintf(w, "%d %s http://%s/gdeltv2/%s\n", len(f.data), hex.EncodeToString(sum[:]), r.Host, f.name)
					fmt.Fprintf(w, "10 %s http://%s/gdeltv2/%s\n", hex.EncodeToString(sum[:]), r.Host,
						strings.Replace(f.name, "export", "mentions", 1)) // not an export: ignored
				}
				return
			}
			data, ok := serve[filepath.Base(r.URL.Path)]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		}))
		defer srv.Close()
		publish := func(f feedFile, body []byte) {
			mu.Lock()
			defer mu.Unlock()
			listed = append(listed, f) // lastupdate.txt lists what is new; older files stay recorded
			serve[f.name] = body
		}
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var rec recorder
		fd := newFeed(t, feed.Config{Store: db, URL: srv.URL + "/gdeltv2/lastupdate.txt", AfterIngest: rec.hook,
			Now: func() time.Time { return now }})

		publish(files[0], files[0].data)
		bad := bytes.Clone(files[1].data)
		bad[len(bad)-1] ^= 1
		publish(files[1], bad)
		res, err := fd.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Found != 2 || len(res.Done) != 1 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error, "MD5") {
			t.Fatalf("poll: %+v; want 2 found, the first done, the second failed on its MD5", res)
		}
		mu.Lock()
		serve[files[1].name] = files[1].data
		mu.Unlock()
		publish(files[2], files[2].data)
		now = now.Add(time.Hour)
		if res, err = fd.Poll(ctx); err != nil || len(res.Done) != 2 {
			t.Fatalf("poll after the fix: %+v, %v; want two done", res, err)
		}
		if !slices.Equal(rec.files, names(files)) {
			t.Errorf("AfterIngest saw %v, want %v", rec.files, names(files))
		}
		checkExactlyOnce(t, db, files)
	})
}

// Environment of the kill test's child process.
const (
	childDBEnv  = "THRESHOLD_FEED_CHILD_DB"
	childDirEnv = "THRESHOLD_FEED_CHILD_DIR"
)

// slowStore writes each batch slowly, so that the parent can kill the
// child between two batches of one file.
type slowStore struct{ feed.Store }

func (s slowStore) BeginFile(ctx context.Context, f ingest.FileInfo, o ingest.WriteOptions) (ingest.FileWriter, error) {
	w, err := s.Store.BeginFile(ctx, f, o)
	return slowWriter{w}, err
}

type slowWriter struct{ ingest.FileWriter }

func (w slowWriter) Write(ctx context.Context, b *ingest.Batch) (ingest.Counts, error) {
	c, err := w.FileWriter.Write(ctx, b)
	time.Sleep(200 * time.Millisecond)
	return c, err
}

// TestKillChild is the process TestResumesAfterSIGKILL kills: a feed
// over the directory that ingests in batches of 100 rows, slowly.
func TestKillChild(t *testing.T) {
	dbURL, dir := os.Getenv(childDBEnv), os.Getenv(childDirEnv)
	if dbURL == "" {
		t.Skip("the child process of TestResumesAfterSIGKILL")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	fd := newFeed(t, feed.Config{Store: slowStore{db}, Dir: dir, Lease: 2 * time.Second, BatchSize: 100, Claimer: "child"})
	fmt.Println("polling")
	_, err = fd.Poll(ctx)
	t.Errorf("not killed (poll: %v)", err)
}

// TestResumesAfterSIGKILL kills (SIGKILL) a process part-way through a
// file, with some of the file's batches committed, then polls from this
// process: once the child's claim has ended, the file is ingested again
// and the rest after it, in order; every row is stored exactly once, and
// the warning pipeline is told what the killed attempt had stored.
func TestResumesAfterSIGKILL(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, dbURL string) {
		ctx := context.Background()
		files := slicesOfExport(t, 3)
		dir := t.TempDir()
		for _, f := range files {
			writeFile(t, dir, f)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
		cmd.Env = append(os.Environ(), childDBEnv+"="+dbURL, childDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		var childLog strings.Builder
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				childLog.WriteString(sc.Text() + "\n")
			}
			close(exited)
		}()
		// Kill once the second file has some events stored.
		deadline := time.Now().Add(30 * time.Second)
		var first int // the first file's events
		for {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the child stored no part of the second file in 30 s; its output:\n%s", childLog.String())
			}
			time.Sleep(20 * time.Millisecond)
			rows, err := db.FeedFiles(ctx)
			if err != nil || len(rows) < 2 || rows[0].State != feed.Done || rows[1].State != feed.Ingesting {
				continue
			}
			n, err := db.CountEvents(ctx)
			if err == nil && n > rows[0].Counts.Inserted {
				first = rows[0].Counts.Inserted
				break
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		<-exited
		n, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored := n - first
		if stored <= 0 || stored >= files[1].rows {
			t.Fatalf("killed with %d of the second file's %d rows stored; want part of it", stored, files[1].rows)
		}
		t.Logf("killed with %d of the second file's %d rows stored", stored, files[1].rows)

		var rec recorder
		fd := newFeed(t, feed.Config{Store: db, Dir: dir, AfterIngest: rec.hook, Claimer: "parent"})
		if res, err := fd.Poll(ctx); err != nil || len(res.Done) != 0 {
			t.Fatalf("poll while the dead child's lease lasts: %+v, %v; want nothing claimed", res, err)
		}
		time.Sleep(2 * time.Second) // the child's lease
		res, err := fd.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Done) != 2 || res.Done[0].Name != files[1].name || res.Done[0].Attempts != 2 {
			t.Fatalf("poll after the lease: %+v; want the killed file (attempt 2) then the last one", res)
		}
		if res.Done[0].Counts.Unchanged != stored {
			t.Errorf("retry found %d rows unchanged, want the %d the killed attempt stored", res.Done[0].Counts.Unchanged, stored)
		}
		if len(rec.countries[files[1].name]) == 0 {
			t.Errorf("AfterIngest was told no country for the killed file")
		}
		checkExactlyOnce(t, db, files)
	})
}

// TestHTTPGapFilled polls a lastupdate.txt that names only the newest
// file, as GDELT's does: after an outage the files it no longer names are
// inferred from the 15-minute grid, fetched from the same directory and
// ingested in order; one that is not there (404) fails, is retried, and
// is given up after MaxAttempts.
func TestHTTPGapFilled(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		files := slicesOfExport(t, 4)
		var (
			mu     sync.Mutex
			newest feedFile
			serve  = map[string][]byte{}
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.URL.Path == "/gdeltv2/lastupdate.txt" {
				sum := md5.Sum(newest.data)
				fmt.Fprintf(w, "%d %s http://%s/gdeltv2/%s\n", len(newest.data), hex.EncodeToString(sum[:]), r.Host, newest.name)
				return
			}
			data, ok := serve[filepath.Base(r.URL.Path)]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		}))
		defer srv.Close()
		publish := func(f feedFile) {
			mu.Lock()
			defer mu.Unlock()
			newest, serve[f.name] = f, f.data
		}
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var rec recorder
		fd := newFeed(t, feed.Config{Store: db, URL: srv.URL + "/gdeltv2/lastupdate.txt", AfterIngest: rec.hook,
			Now: func() time.Time { return now }, MaxAttempts: 2})

		publish(files[0])
		if res, err := fd.Poll(ctx); err != nil || len(res.Done) != 1 {
			t.Fatalf("first poll: %+v, %v; want one file done", res, err)
		}
		// An outage: files 1 and 2 come and go unseen; 2 is then gone
		// from the server too.
		publish(files[1])
		publish(files[3])
		mu.Lock()
		delete(serve, files[2].name)
		mu.Unlock()
		res, err := fd.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Found != 3 || res.Added != 3 || len(res.Done) != 2 || len(res.Failed) != 1 ||
			res.Failed[0].Name != files[2].name || !strings.Contains(res.Failed[0].Error, "404") {
			t.Fatalf("poll after the outage: %+v; want files 1-3 found, 1 and 3 done, 2 failed with 404", res)
		}
		now = now.Add(time.Hour)
		if res, err = fd.Poll(ctx); err != nil || len(res.Failed) != 1 || !res.Failed[0].NextAttempt.IsZero() ||
			!strings.Contains(res.Failed[0].Error, "gave up after 2 attempts") {
			t.Fatalf("retry: %+v, %v; want file 2 failed again and given up", res, err)
		}
		now = now.Add(24 * time.Hour)
		if res, err = fd.Poll(ctx); err != nil || len(res.Done)+len(res.Failed) != 0 {
			t.Fatalf("poll after giving up: %+v, %v; want nothing tried", res, err)
		}
		if want := []string{files[0].name, files[1].name, files[3].name}; !slices.Equal(rec.files, want) {
			t.Errorf("AfterIngest saw %v, want %v", rec.files, want)
		}
	})
}
