package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"threshold/internal/geo"
)

// synthetic is a hand-made GeoJSON in Natural Earth's shape (see
// testdata/admin1_synthetic.geojson): a unit square at (0°, 0°) whose
// south edge zigzags by 0.001° with a hole in the middle (MEX "Wiggle"), an
// island of 0.002° plus a square (MEX "Island"), areas under Natural Earth
// codes (KOS, SDS, France's geounit MYT), and three that must be left out:
// Siachen (KAS), an unknown country (ZZZ) and an unnamed minor island.
const synthetic = "../../testdata/admin1_synthetic.geojson"

func readSynthetic(t *testing.T) ([]area, string) {
	t.Helper()
	codes, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(synthetic)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var log strings.Builder
	areas, err := readAreas(f, codes, &log)
	if err != nil {
		t.Fatalf("readAreas: %v", err)
	}
	return areas, log.String()
}

func TestReadAreas(t *testing.T) {
	areas, log := readSynthetic(t)
	var got []geo.Admin1
	for _, a := range areas {
		got = append(got, a.Admin1)
	}
	want := []geo.Admin1{
		{Country: "MEX", Code: "MX-ISL", Name: "Island"},
		{Country: "MEX", Code: "MX-WIG", Name: "Wiggle"},
		{Country: "MYT", Name: "Mayotte"},
		{Country: "SSD", Code: "SS-WR", Name: "Warrap"},
		{Country: "XKX", Name: "Priština"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("areas:\n got %v\nwant %v", got, want)
	}
	for _, s := range []string{
		"skipped 1 area(s) of KAS (Siachen Glacier)",
		"skipped 1 area(s) of ZZZ (Nowhere): not in the code table",
		"8 features: 5 areas kept, 2 skipped for their country, 0 without geometry, 1 without a name; 2 areas have no usable ISO 3166-2 code",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q:\n%s", s, log)
		}
	}
}

func TestSimplifyRing(t *testing.T) {
	zigzag := orb.Ring{{0, 0}, {0.1, 0.001}, {0.2, 0}, {0.3, 0.001}, {0.4, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	tiny := orb.Ring{{2, 0}, {2.001, 0}, {2.002, 0.001}, {2.001, 0.002}, {2, 0.001}, {2, 0}}
	tests := []struct {
		name  string
		ring  orb.Ring
		tol   float64
		scale int
		want  [][2]int64
	}{
		{"zigzag removed", zigzag, 0.005, 1000, [][2]int64{{0, 0}, {1000, 0}, {1000, 1000}, {0, 1000}}},
		{"zigzag kept below the tolerance", zigzag, 0.0005, 1000,
			[][2]int64{{0, 0}, {100, 1}, {200, 0}, {300, 1}, {400, 0}, {1000, 0}, {1000, 1000}, {0, 1000}}},
		{"no simplification", zigzag, 0, 1000,
			[][2]int64{{0, 0}, {100, 1}, {200, 0}, {300, 1}, {400, 0}, {1000, 0}, {1000, 1000}, {0, 1000}}},
		{"rounding merges vertices", zigzag, 0, 100, [][2]int64{{0, 0}, {10, 0}, {20, 0}, {30, 0}, {40, 0}, {100, 0}, {100, 100}, {0, 100}}},
		{"island smaller than the tolerance collapses", tiny, 0.005, 1000, [][2]int64{{2000, 0}}},
		{"island kept without simplification", tiny, 0, 1000, [][2]int64{{2000, 0}, {2001, 0}, {2002, 1}, {2001, 2}, {2000, 1}}},
	}
	for _, tt := range tests {
		got := simplifyRing(tt.ring, tt.tol, tt.scale)
		if len(got) < 3 && len(tt.want) < 3 {
			continue // collapsed, as wanted
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEncodeRoundTrip encodes the synthetic areas, decodes them with geo
// and looks points up in the result.
func TestEncodeRoundTrip(t *testing.T) {
	areas, _ := readSynthetic(t)
	b, st, err := encode(areas, 0.005, 2000)
	if err != nil {
		t.Fatal(err)
	}
	// Wiggle: 4 corners + the hole's 4; Island: the island kept whole (5)
	// + a square (4); Priština, Warrap, Mayotte: 4 each.
	if st.points != 4+4+5+4+3*4 || st.kept != 1 || st.polygons != 6 {
		t.Errorf("stats %+v: want 29 points, 1 ring kept unsimplified, 6 polygons", st)
	}
	tb, err := geo.DecodeAdmin1(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got, want := tb.Countries(), []string{"MEX", "MYT", "SSD", "XKX"}; !slices.Equal(got, want) {
		t.Errorf("countries %v, want %v", got, want)
	}
	var want []geo.Admin1
	for _, a := range areas[:2] {
		want = append(want, a.Admin1)
	}
	if got := tb.Areas("MEX"); !slices.Equal(got, want) {
		t.Errorf("Areas(MEX) = %v, want %v", got, want)
	}
	wiggle := geo.Admin1{Country: "MEX", Code: "MX-WIG", Name: "Wiggle"}
	island := geo.Admin1{Country: "MEX", Code: "MX-ISL", Name: "Island"}
	tests := []struct {
		country  string
		lat, lon float64
		want     geo.Admin1
		dist     float64
		ok       bool
	}{
		{"MEX", 0.2, 0.2, wiggle, 0, true},
		{"MEX", 0.0005, 0.1, wiggle, 0, true},       // between the zigzag and the simplified edge
		{"MEX", 0.5, 0.5, wiggle, 0.05, true},       // in the hole: nearest
		{"MEX", 0.001, 2.001, island, 0, true},      // the island survived
		{"MEX", 0.25, 3.25, island, 0, true},        // Island's other polygon
		{"MEX", 0.05, 4.05, geo.Admin1{}, 0, false}, // the unnamed area was left out
		{"XKX", 42.6, 21.1, geo.Admin1{Country: "XKX", Name: "Priština"}, 0, true},
		{"SRB", 42.6, 21.1, geo.Admin1{}, 0, false},
		{"MYT", -12.8, 45.1, geo.Admin1{Country: "MYT", Name: "Mayotte"}, 0, true},
		{"FRA", -12.8, 45.1, geo.Admin1{}, 0, false},
	}
	for _, tt := range tests {
		got, d, ok := tb.Locate(tt.country, tt.lat, tt.lon)
		if got != tt.want || ok != tt.ok || math.Abs(d-tt.dist) > 1e-9 {
			t.Errorf("Locate(%s, %v, %v) = %+v, %v, %v; want %+v, %v, %v", tt.country, tt.lat, tt.lon, got, d, ok, tt.want, tt.dist, tt.ok)
		}
	}

	// Without simplification and at a fine scale the zigzag survives.
	b, st, err = encode(areas, 0, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	if st.points != 13+4+5+4+3*4 || st.kept != 0 {
		t.Errorf("unsimplified stats %+v: want 38 points, none kept", st)
	}
	if tb, err = geo.DecodeAdmin1(b); err != nil {
		t.Fatal(err)
	}
	if _, d, _ := tb.Locate("MEX", 0.0005, 0.1); d == 0 {
		t.Error("unsimplified: point below the zigzag's tooth found inside")
	}
}

// TestRun builds the synthetic table to a file.
func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "admin1.bin.gz")
	var log bytes.Buffer
	if err := run(synthetic, out, 0.005, 2000, "", "", &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := geo.DecodeAdmin1(b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tb.Areas("MEX")); n != 2 {
		t.Errorf("%d MEX areas, want 2", n)
	}
	if !strings.Contains(log.String(), "5 areas, 6 polygons") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestCommittedTableIsCurrent rebuilds the embedded table when
// THRESHOLD_ADMIN1_GEOJSON names Natural Earth's admin1.json (see
// ../../SOURCE.md; the 35 MB file is not in the repository) and compares
// it with the committed file.
func TestCommittedTableIsCurrent(t *testing.T) {
	in := os.Getenv("THRESHOLD_ADMIN1_GEOJSON")
	if in == "" {
		t.Skip("THRESHOLD_ADMIN1_GEOJSON not set: the source GeoJSON is not in the repository")
	}
	out := filepath.Join(t.TempDir(), "admin1.bin.gz")
	var log bytes.Buffer
	if err := run(in, out, defaultTolerance, defaultScale, "", "", &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "admin1.bin.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Error("internal/geo/admin1.bin.gz differs from a fresh build; rebuild it (see SOURCE.md) and commit the result")
	}
}
