package cli

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threshold/internal/testenv"
)

// zipExport writes the real GDELT 2.0 export (shared/data/gdelt) into dir
// as a feed file named name, whole or cut to its first half.
func zipExport(t *testing.T, dir, name string, truncate bool) {
	t.Helper()
	raw, err := os.ReadFile(testenv.SharedData(t, "gdelt", "20191024143000.export.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(strings.TrimSuffix(name, ".zip"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if truncate {
		data = data[:len(data)/2]
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFeedOnce polls a directory once: the whole file is ingested, the
// truncated one fails with its name and reason and the exit code says so;
// a second poll does nothing; --status lists both.
func TestFeedOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	mustRun(t, "migrate", "--db", db)
	dir := t.TempDir()
	zipExport(t, dir, "20191024143000.export.CSV.zip", false)
	zipExport(t, dir, "20191024144500.export.CSV.zip", true)
	zipExport(t, dir, "20191024144500.mentions.CSV.zip", false) // not an export: ignored

	code, out, errs := runCLI(t, "feed", "--db", db, "--dir", dir, "--once")
	if code != 1 || !strings.Contains(errs, "1 feed files failed") {
		t.Errorf("feed --once with a truncated file: exit %d, stderr %q; want 1 and the failure counted", code, errs)
	}
	if !strings.Contains(out, "20191024143000.export.CSV.zip: read 2111, inserted ") ||
		!strings.Contains(out, "20191024144500.export.CSV.zip: failed (attempt 1, retried after ") ||
		!strings.Contains(out, "not a valid zip file") {
		t.Errorf("feed --once output:\n%s\nwant the first file ingested (2,111 rows) and the second failed with the zip error", out)
	}

	type fileJSON struct {
		File     string `json:"file"`
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
		Read     int    `json:"read"`
	}
	again := decodeJSON[struct {
		Found  int        `json:"found"`
		Added  int        `json:"added"`
		Done   []fileJSON `json:"done"`
		Failed []fileJSON `json:"failed"`
	}](t, mustRun(t, "feed", "--db", db, "--dir", dir, "--once", "--json"))
	if again.Found != 2 || again.Added != 0 || len(again.Done) != 0 || len(again.Failed) != 0 {
		t.Errorf("second poll: %+v; want 2 found, nothing new, nothing done (the failed file's retry is not due)", again)
	}

	status := mustRun(t, "feed", "--db", db, "--status")
	for _, want := range []string{"20191024143000.export.CSV.zip  done", "20191024144500.export.CSV.zip  failed"} {
		if !strings.Contains(status, want) {
			t.Errorf("feed --status:\n%s\nwant a line with %q", status, want)
		}
	}
	if code, _, errs := runCLI(t, "feed", "--db", db); code != 2 || !strings.Contains(errs, "--dir or --url") {
		t.Errorf("feed without a source: exit %d, %q; want a usage error", code, errs)
	}
}
