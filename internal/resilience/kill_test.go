package resilience

import (
	"context"
	"testing"
	"time"

	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// TestKillIngestPostgres kills (SIGKILL) a "threshold ingest" process
// writing to PostgreSQL once some of its batches are committed, then runs
// the same command again: the store holds exactly the file's events,
// none lost and none twice, and the audit chain verifies.
// internal/cli's TestIngestSurvivesSIGKILL does the same on SQLite.
func TestKillIngestPostgres(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", gedMexico)
	_, url := storetest.Postgres(t)
	killed := killMidIngest(t, url, path, gedMexicoRows)
	sum := mustIngest(t, url, path)
	if sum.Read != gedMexicoRows || sum.Inserted != gedMexicoRows-killed || sum.Unchanged != killed || sum.Rejected != 0 {
		t.Errorf("re-run after the kill: %+v; want %d read, %d inserted, %d unchanged", sum, gedMexicoRows, gedMexicoRows-killed, killed)
	}
	consistent(t, url, gedMexicoRows)
	t.Logf("killed with %d of %d events committed; the re-run added %d", killed, gedMexicoRows, sum.Inserted)
}

// killMidIngest starts "threshold ingest" of path into db, kills it with
// SIGKILL as soon as it has committed some events, and returns how many
// events the store then holds: a partial ingest, in whole batches.
func killMidIngest(t *testing.T, db, path string, total int) int {
	t.Helper()
	cmd := child("ingest", "--db", db, "--indicators=false", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx := context.Background()
	var st *store.DB
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	seen := 0
	deadline := time.Now().Add(45 * time.Second)
	for seen == 0 {
		select {
		case err := <-exited:
			t.Fatalf("ingest finished (%v) before it could be killed", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			t.Fatal("ingest committed nothing in 45 s")
		}
		if st == nil {
			s, err := store.Open(ctx, db)
			if err != nil {
				continue // not created yet
			}
			st = s
		}
		n, err := st.CountEvents(ctx)
		if err == nil {
			seen = n
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	after, err := st.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after < seen || after >= total || after%batchRows != 0 {
		t.Fatalf("after SIGKILL the store holds %d events; want a partial ingest in whole %d-row batches (saw %d before the kill, the file has %d)",
			after, batchRows, seen, total)
	}
	return after
}
