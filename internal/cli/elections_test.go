package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestElectionsImportList(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	if out := mustRun(t, "elections", "import", "--db", db, "--builtin"); !strings.Contains(out, "built-in calendar: 38 elections: 38 added, 0 updated, 0 unchanged") {
		t.Errorf("first import: %q", out)
	}
	if out := mustRun(t, "elections", "import", "--db", db, "--builtin"); !strings.Contains(out, "38 elections: 0 added, 0 updated, 38 unchanged") {
		t.Errorf("second import is not idempotent: %q", out)
	}
	type el struct {
		Country, Date, Kind, Source, Note string
		Round                             int
	}
	civ := decodeJSON[[]el](t, mustRun(t, "elections", "list", "--db", db, "--country", "civ", "--from", "2010", "--to", "2010", "--json"))
	if len(civ) != 2 || civ[0].Date != "2010-10-31" || civ[1].Date != "2010-11-28" || civ[1].Round != 2 || civ[1].Kind != "presidential" {
		t.Errorf("CIV elections of 2010: %+v", civ)
	}
	if out := mustRun(t, "elections", "list", "--db", db, "--country", "MEX"); !strings.Contains(out, "MEX      2024-06-02  general") {
		t.Errorf("list --country MEX:\n%s", out)
	}

	// A file of synthetic rows: one edit of a built-in row, one new row.
	cal := filepath.Join(t.TempDir(), "cal.csv")
	os.WriteFile(cal, []byte("country,date,kind,round,source,note\n"+
		"CIV,2010-11-28,presidential,2,https://example.org/synthetic-source,synthetic note\n"+
		"CIV,2030-01-01,local,1,https://example.org/synthetic-source,synthetic row\n"), 0o644)
	if out := mustRun(t, "elections", "import", "--db", db, cal); !strings.Contains(out, "cal.csv: 2 elections: 1 added, 1 updated, 0 unchanged") {
		t.Errorf("import of an edited calendar: %q", out)
	}

	os.WriteFile(cal, []byte("country,date,kind,source\nCAF,2011-13-01,general,\nAtlantis,2011-01-01,general,https://example.org/s\n"), 0o644)
	code, _, errs := runCLI(t, "elections", "import", "--db", db, cal)
	for _, want := range []string{`cal.csv:2: date: "2011-13-01" is not a date YYYY-MM-DD`, "cal.csv:2: source: missing", `cal.csv:3: country: unknown country "Atlantis"`} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("import of a bad calendar: exit %d, stderr lacks %q:\n%s", code, want, errs)
		}
	}
	if code, _, errs := runCLI(t, "elections", "import", "--db", db); code != 2 || !strings.Contains(errs, "want one FILE, or --builtin") {
		t.Errorf("import without a file: exit %d, %q", code, errs)
	}
}
