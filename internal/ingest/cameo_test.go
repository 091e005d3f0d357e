package ingest

import (
	"encoding/csv"
	"os"
	"testing"

	"threshold/internal/event"
	"threshold/internal/testenv"
)

func TestCAMEOCategory(t *testing.T) {
	tests := []struct {
		code   string
		want   event.Category
		wantOK bool
	}{
		// The 20 roots, at root, base and full-code level.
		{"01", event.DiplomaticCooperation, true},
		{"010", event.DiplomaticCooperation, true},
		{"02", event.DiplomaticCooperation, true},
		{"0251", event.DiplomaticCooperation, true},
		{"03", event.DiplomaticCooperation, true},
		{"036", event.DiplomaticCooperation, true},
		{"04", event.DiplomaticCooperation, true},
		{"042", event.DiplomaticCooperation, true},
		{"05", event.DiplomaticCooperation, true},
		{"057", event.DiplomaticCooperation, true},
		{"06", event.DiplomaticCooperation, true},
		{"061", event.DiplomaticCooperation, true},
		{"07", event.DiplomaticCooperation, true},
		{"073", event.DiplomaticCooperation, true},
		{"08", event.DiplomaticCooperation, true},
		{"0831", event.DiplomaticCooperation, true}, // accede to leadership change: not a coup
		{"09", event.DiplomaticCooperation, true},
		{"090", event.DiplomaticCooperation, true},
		{"10", event.DiplomaticConflict, true}, // demand, not "010" (make statement)
		{"1011", event.DiplomaticConflict, true},
		{"11", event.DiplomaticConflict, true},
		{"112", event.DiplomaticConflict, true},
		{"12", event.DiplomaticConflict, true},
		{"1246", event.DiplomaticConflict, true},
		{"13", event.Threat, true},
		{"139", event.Threat, true},
		{"14", event.Protest, true},
		{"140", event.Protest, true},
		{"141", event.Protest, true},
		{"1411", event.Protest, true},
		{"144", event.Protest, true},
		{"1444", event.Protest, true},
		{"15", event.Threat, true},
		{"150", event.Threat, true},
		{"16", event.DiplomaticConflict, true},
		{"1621", event.DiplomaticConflict, true},
		{"17", event.ViolenceAgainstCivilians, true},
		{"173", event.ViolenceAgainstCivilians, true},
		{"18", event.ViolenceAgainstCivilians, true},
		{"180", event.ViolenceAgainstCivilians, true},
		{"182", event.ViolenceAgainstCivilians, true},
		{"1823", event.ViolenceAgainstCivilians, true},
		{"186", event.ViolenceAgainstCivilians, true},
		{"19", event.Battle, true},
		{"190", event.Battle, true},
		{"193", event.Battle, true},
		{"194", event.Battle, true},
		{"196", event.Battle, true},
		{"20", event.ViolenceAgainstCivilians, true},
		{"204", event.ViolenceAgainstCivilians, true},
		{"2042", event.ViolenceAgainstCivilians, true},
		// Refinements.
		{"145", event.Riot, true},
		{"1451", event.Riot, true},
		{"1452", event.Riot, true},
		{"1453", event.Riot, true},
		{"1454", event.Riot, true},
		{"183", event.ExplosionRemoteViolence, true},
		{"1831", event.ExplosionRemoteViolence, true},
		{"1832", event.ExplosionRemoteViolence, true},
		{"1833", event.ExplosionRemoteViolence, true},
		{"195", event.ExplosionRemoteViolence, true},
		{"1951", event.ExplosionRemoteViolence, true},
		{"1952", event.ExplosionRemoteViolence, true},
		// Not CAMEO codes.
		{"", "", false},
		{"1", "", false},
		{"00", "", false},
		{"000", "", false},
		{"21", "", false},
		{"99", "", false},
		{"01a", "", false},
		{"-10", "", false},
		{" 01", "", false},
		{"01011", "", false},
		{"٠١", "", false}, // Arabic-Indic digits
	}
	for _, tt := range tests {
		got, ok := cameoCategory(tt.code)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("cameoCategory(%q) = %q, %v, want %q, %v", tt.code, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestCAMEOCodesFile checks that every code in the CAMEO code list maps to
// a category, and that the quad classes the list states agree with the
// taxonomy's broad split between cooperation and conflict.
func TestCAMEOCodesFile(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "gdelt", "cameo_codes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := NewColumns(rows[0])
	code, quad := cols.Index("cameo_code"), cols.Index("quad_category")
	if code < 0 || quad < 0 {
		t.Fatalf("cameo_codes.csv header %v lacks cameo_code or quad_category", rows[0])
	}
	roots := map[string]bool{}
	for _, row := range rows[1:] {
		c := row[code]
		got, ok := cameoCategory(c)
		if !ok || !got.Valid() {
			t.Errorf("cameoCategory(%q) = %q, %v, want a valid category", c, got, ok)
			continue
		}
		roots[c[:2]] = true
		// Cooperation codes never map to a violent category or a threat.
		coop := row[quad] == "verbal cooperation" || row[quad] == "material cooperation"
		if coop && (got.Violent() || got == event.Threat || got == event.DiplomaticConflict) {
			t.Errorf("cameoCategory(%q) = %q for a %s code", c, got, row[quad])
		}
	}
	if len(rows)-1 != 312 {
		t.Errorf("cameo_codes.csv has %d codes, want 312", len(rows)-1)
	}
	if len(roots) != 20 {
		t.Errorf("cameo_codes.csv covers %d roots, want 20", len(roots))
	}
}
