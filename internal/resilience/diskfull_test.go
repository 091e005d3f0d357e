package resilience

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/store"
	"threshold/internal/testenv"
)

// TestDiskFull ingests a real file into a SQLite database on a tmpfs of
// 8 MiB, too small for it: the ingest fails saying the disk is full and
// naming the database file, what it committed stays and the file passes
// PRAGMA integrity_check; remounted with 64 MiB, the same command
// completes exactly.
func TestDiskFull(t *testing.T) {
	src := testenv.SharedData(t, "ucdp-ged", gedMexico)
	dir := tmpfs(t, "8m")
	db := filepath.Join(dir, "threshold.db")

	code, _, stderr := threshold(t, "ingest", "--db", db, "--json", "--indicators=false", src)
	if code != 1 {
		t.Fatalf("ingest into 8 MiB exited %d, want 1 (disk full): %s", code, stderr)
	}
	for _, s := range []string{"disk", "full", db, gedMexico} {
		if !strings.Contains(stderr, s) {
			t.Errorf("error %q does not say %q", strings.TrimSpace(stderr), s)
		}
	}
	t.Logf("full disk: %s", strings.TrimSpace(stderr))

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatalf("reopen the database on the full disk: %v", err)
	}
	committed, err := st.CountEvents(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if committed%batchRows != 0 || committed >= gedMexicoRows {
		t.Errorf("%d events committed before the disk filled, want whole batches of %d", committed, batchRows)
	}
	consistent(t, db, committed)

	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount with 64 MiB: %v: %s", err, out)
	}
	sum := mustIngest(t, db, src)
	if sum.Read != gedMexicoRows || sum.Inserted != gedMexicoRows-committed || sum.Unchanged != committed || sum.Rejected != 0 {
		t.Errorf("re-run with room: %+v; want %d read, %d inserted, %d unchanged", sum, gedMexicoRows, gedMexicoRows-committed, committed)
	}
	consistent(t, db, gedMexicoRows)
	t.Logf("%d events committed before the disk filled; the re-run added %d", committed, sum.Inserted)
}

// tmpfs mounts a tmpfs of the given size ("8m") on a new temporary
// directory, unmounted when the test ends. It needs root.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "filling a disk needs root to mount a small tmpfs")
		return ""
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Unavailable(t, "cannot mount a tmpfs to fill ("+strings.TrimSpace(string(out))+"): "+err.Error())
		return ""
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
