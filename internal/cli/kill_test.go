package cli

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"testing"
	"time"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// TestIngestSurvivesSIGKILL kills a real ingest process part-way through
// the largest sample, then runs the ingest again: the store must hold
// exactly the file's events, none lost and none twice.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process mid-ingest of 175,322 rows; skipped with -short")
	}
	const total = 175322
	path := testenv.SharedData(t, "ucdp-ged", "ged211_precise_location_subset_global.csv.gz")
	db := t.TempDir() + "/t.db"
	cmd := exec.Command(os.Args[0], "ingest", "--db", db, path)
	cmd.Env = append(os.Environ(), "THRESHOLD_TEST_AS_CLI=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait until some batches are committed, then kill without warning.
	// The count is read through a plain read-only connection, not
	// store.Open and Migrate, which write (schema, index repair) and so
	// queue behind the ingest's write lock: a WAL reader never waits for
	// the writer, so the kill follows the first committed batch closely.
	ctx := context.Background()
	ro, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(1000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.SetMaxOpenConns(1)
	var partial int
	deadline := time.Now().Add(2 * time.Minute)
	for partial == 0 && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("ingest finished (%v) before it could be killed", err)
		case <-time.After(5 * time.Millisecond):
		}
		if _, err := os.Stat(db); err != nil {
			continue
		}
		var n int
		if err := ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
			continue // not created or not migrated yet
		}
		if n >= total {
			cmd.Process.Kill()
			<-exited
			t.Fatalf("the ingest stored all %d events before it could be killed", n)
		}
		partial = n
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	if partial == 0 {
		t.Fatal("the ingest committed no event in 2 minutes")
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.CountEvents(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if after < partial || after >= total {
		t.Fatalf("after SIGKILL the store holds %d events; want a partial ingest (saw %d before the kill, file has %d)", after, partial, total)
	}
	t.Logf("killed with %d of %d events stored", after, total)

	sum := decodeJSON[summaryJSON](t, mustRun(t, "ingest", "--db", db, "--json", path))
	if sum.Read != total || sum.Inserted != total-after || sum.Unchanged != after || sum.Rejected != 0 {
		t.Errorf("re-run after the kill: %+v; want read %d, inserted %d, unchanged %d", sum.Counts, total, total-after, after)
	}
	st, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	final, err := st.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if final != total {
		t.Errorf("store holds %d events after the re-run, want exactly %d", final, total)
	}
	// The killed load's lease is still live, but the re-run of the same
	// file builds the indexes it dropped.
	var indexes int
	err = ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema
		WHERE type = 'index' AND name IN ('events_country_date', 'events_date')`).Scan(&indexes)
	if err != nil {
		t.Fatal(err)
	}
	if indexes != 2 {
		t.Errorf("%d of the 2 deferred events indexes exist after the re-run", indexes)
	}
}
