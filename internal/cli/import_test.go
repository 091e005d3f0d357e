package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"threshold/internal/panel"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

func TestImportJSON(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkImport(t, t.TempDir()+"/t.db") })
	t.Run("postgres", func(t *testing.T) {
		_, url := storetest.Postgres(t)
		checkImport(t, url)
	})
}

func checkImport(t *testing.T, db string) {
	files := []struct {
		dir, file, dataset string
		rows               int // as SOURCE.md counts them
	}{
		{"ewp-sra", "basedata2025_4august2025.csv", "ewp-base", 11313},
		{"ewp-sra", "FOOSforecasts_3Sep2025.csv", "ewp-foos", 5047},
		{"ucdp-acd", "UcdpPrioConflict_v25_1.csv", "ucdp-acd-25.1", 2751},
		{"ucdp-brd", "BattleDeaths_v25_1.csv", "ucdp-brd-25.1", 1995},
		{"coups", "ewp_all_coups_country_year.csv", "ewp-coups", 776},
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, testenv.SharedData(t, f.dir, f.file))
	}
	refused := testenv.SharedData(t, "ucdp-acd", "UcdpPrioConflict_v25_1.semicolon.csv")

	// The spreadsheet copy of ACD is refused; the others are stored.
	code, out, errs := runCLI(t, append([]string{"import", "--db", db, "--json", refused}, paths...)...)
	if code != 1 || !strings.Contains(errs, "UcdpPrioConflict_v25_1.semicolon.csv:42: column version") {
		t.Errorf("import with a refused file: exit %d, stderr %q; want 1 naming file, line and column", code, clip(errs, 300))
	}
	first := decodeJSON[panel.Summary](t, out)
	if len(first.Files) != len(files)+1 || first.Files[0].Refused == "" || first.Files[0].Inserted != 0 {
		t.Fatalf("files = %+v, want the refused one first, then %d", first.Files, len(files))
	}
	for i, f := range files {
		got := first.Files[i+1]
		if got.Dataset != f.dataset || got.Rows != f.rows || got.Inserted != got.Values || got.Values == 0 || got.Skipped {
			t.Errorf("%s: %+v, want dataset %s, %d rows, every value inserted", f.file, got, f.dataset, f.rows)
		}
	}

	// Again: nothing changes.
	second := decodeJSON[panel.Summary](t, mustRun(t, append([]string{"import", "--db", db, "--json"}, paths...)...))
	if second.Inserted != 0 || second.Updated != 0 || second.Unchanged != first.Inserted {
		t.Errorf("second import: inserted %d, updated %d, unchanged %d; want 0, 0, %d", second.Inserted, second.Updated, second.Unchanged, first.Inserted)
	}
	for _, f := range second.Files {
		if !f.Skipped {
			t.Errorf("%s not skipped on the second import", f.Name)
		}
	}

	// The text summary, and the audit log.
	text := mustRun(t, "import", "--db", db, paths[0])
	if !strings.Contains(text, "basedata2025_4august2025.csv (ewp-base, dataset ewp-base, 1934-2024): rows 11313, values 180064, rejected 59; inserted 0, updated 0, unchanged 180064 (imported before)") {
		t.Errorf("text summary %q", text)
	}
	var entries []struct {
		Action, Object string
		Details        json.RawMessage
	}
	if err := json.Unmarshal([]byte(mustRun(t, "audit", "list", "--db", db, "--json")), &entries); err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, e := range entries {
		if e.Action == "import" {
			imports++
		}
	}
	if imports != 3 {
		t.Errorf("%d import entries in the audit log, want 3", imports)
	}
}

func TestImportUsage(t *testing.T) {
	if code, _, errs := runCLI(t, "import", "--db", t.TempDir()+"/t.db"); code != 2 || !strings.Contains(errs, "no files to import") {
		t.Errorf("import without files: exit %d, %q", code, errs)
	}
	missing := t.TempDir() + "/missing.csv"
	if code, _, errs := runCLI(t, "import", "--db", t.TempDir()+"/t.db", missing); code != 1 || !strings.Contains(errs, "missing.csv") {
		t.Errorf("import of a missing file: exit %d, %q", code, errs)
	}
}
