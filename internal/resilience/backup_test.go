package resilience

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// TestBackupSQLiteWhileWriting backs up a SQLite database with "threshold
// backup" while an ingest writes to it: the backup does not hold the
// writer up (the ingest completes exactly), and the copy, opened as a
// restored database, holds whole batches, verifies its audit chain,
// balances its fund ledger and passes integrity_check.
func TestBackupSQLiteWhileWriting(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", gedMexico)
	dir := t.TempDir()
	db := filepath.Join(dir, "threshold.db")
	// Money in the ledger and entries in the audit log before the copy.
	if code, _, stderr := threshold(t, "fund", "contribute", "--db", db, "--donor", "Synthetic Donor",
		"--amount", "1000.00", "--currency", "USD"); code != 0 {
		t.Fatalf("fund contribute: %s", stderr)
	}

	cmd := child("ingest", "--db", db, "--indicators=false", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !waitFor(45*time.Second, func() bool { n, err := st.CountEvents(ctx); return err == nil && n > 0 }) {
		t.Fatal("the ingest committed nothing in 45 s")
	}
	st.Close()
	backup := filepath.Join(t.TempDir(), "backup.db")
	code, out, stderr := threshold(t, "backup", "--db", db, "-o", backup)
	if code != 0 {
		t.Fatalf("backup while writing: exit %d: %s", code, stderr)
	}
	if err := <-exited; err != nil {
		t.Fatalf("the ingest failed while being backed up: %v", err)
	}
	t.Logf("%s", strings.TrimSpace(out))

	// The restored copy: a moment of the database, in whole batches.
	st, err = store.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := st.CountEvents(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if copied%batchRows != 0 && copied != gedMexicoRows {
		t.Errorf("the backup holds %d events, not whole %d-row batches", copied, batchRows)
	}
	consistent(t, backup, copied)
	// Restored, it takes the rest of the file like the original would.
	sum := mustIngest(t, backup, path)
	if sum.Inserted != gedMexicoRows-copied || sum.Unchanged != copied {
		t.Errorf("ingest into the restored copy: %+v; want %d inserted, %d unchanged", sum, gedMexicoRows-copied, copied)
	}
	consistent(t, backup, gedMexicoRows)
	consistent(t, db, gedMexicoRows)
}

// TestBackupPostgres backs up a PostgreSQL database with pg_dump, as
// docs/OPERATIONS.md says, restores it with pg_restore into a new
// database, and checks the copy: same events, audit chain and ledger.
func TestBackupPostgres(t *testing.T) {
	path := testenv.SharedData(t, "ucdp-ged", gedCAF)
	c := newPGCluster(t)
	url := c.url("threshold")
	mustIngest(t, url, path)
	if code, _, stderr := threshold(t, "fund", "contribute", "--db", url, "--donor", "Synthetic Donor",
		"--amount", "1000.00", "--currency", "USD"); code != 0 {
		t.Fatalf("fund contribute: %s", stderr)
	}
	dump := filepath.Join(t.TempDir(), "threshold.dump")
	pgDump, pgRestore := filepath.Join(c.bin, "pg_dump"), filepath.Join(c.bin, "pg_restore")
	if out, err := exec.Command(pgDump, "--format=custom", "--file="+dump, url).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if _, err := rawDB(t, c.url("postgres")).Exec(`CREATE DATABASE restored`); err != nil {
		t.Fatal(err)
	}
	restored := c.url("restored")
	if out, err := exec.Command(pgRestore, "--no-owner", "--exit-on-error", "--dbname="+restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	consistent(t, restored, gedCAFRows)
	// The restored database is at this binary's schema and takes writes.
	if code, out, stderr := threshold(t, "migrate", "--db", restored); code != 0 || strings.Contains(out, "applied") {
		t.Errorf("migrate the restored database: exit %d, %q %s", code, out, stderr)
	}
	if sum := mustIngest(t, restored, path); sum.Unchanged != gedCAFRows {
		t.Errorf("ingest into the restored database: %+v, want all %d unchanged", sum, gedCAFRows)
	}
}
