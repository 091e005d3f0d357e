package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/event"
	"threshold/internal/geo"
)

// memStore is an in-memory Store for pipeline tests: it keeps the last
// record per key and every reject, and checks that each record's bytes lie
// in its batch's block.
type memStore struct {
	events  map[event.Key]Record
	rejects []Record
	files   []FileInfo
	blocks  map[int64][]byte // by stream offset, decompressed
}

func newMemStore() *memStore {
	return &memStore{events: map[event.Key]Record{}, blocks: map[int64][]byte{}}
}

func (m *memStore) BeginFile(ctx context.Context, f FileInfo, opts WriteOptions) (FileWriter, error) {
	m.files = append(m.files, f)
	return &memWriter{m: m, touched: Touched{}}, nil
}

type memWriter struct {
	m       *memStore
	err     error
	touched Touched
}

func (w *memWriter) Touched() Touched {
	out := Touched{}
	out.Merge(w.touched)
	return out
}

func (w *memWriter) Write(ctx context.Context, b *Batch) (Counts, error) {
	raw, err := ReadBlock(b.Block.Data)
	if err != nil {
		return Counts{}, err
	}
	if len(raw) != b.Block.Length {
		return Counts{}, errors.New("block length does not match its data")
	}
	w.m.blocks[b.Block.Offset] = raw
	c := Counts{Read: len(b.Records)}
	for _, r := range b.Records {
		if r.Offset < b.Block.Offset || r.Offset+int64(r.Length) > b.Block.Offset+int64(b.Block.Length) {
			return c, errors.New("record outside its block")
		}
		if r.Reject != nil {
			w.m.rejects = append(w.m.rejects, r)
			c.Rejected++
			continue
		}
		old, ok := w.m.events[r.Event.Key()]
		switch {
		case !ok:
			c.Inserted++
			w.touched.Add(r.Event.Country, r.Event.DateStart)
		case old.Hash == r.Hash:
			c.Unchanged++
		default:
			c.Updated++
			w.touched.Add(old.Event.Country, old.Event.DateStart)
			w.touched.Add(r.Event.Country, r.Event.DateStart)
		}
		w.m.events[r.Event.Key()] = r
	}
	return c, nil
}

func (w *memWriter) Finish(ctx context.Context, total Counts) error { return nil }
func (w *memWriter) Close() error                                   { return nil }

// rawRow returns the bytes of a record as the store keeps them.
func (m *memStore) rawRow(r Record) string {
	for off, b := range m.blocks {
		if off <= r.Offset && r.Offset+int64(r.Length) <= off+int64(len(b)) {
			return string(b[r.Offset-off : r.Offset-off+int64(r.Length)])
		}
	}
	return ""
}

func loadGeo(t testing.TB) *geo.Table {
	t.Helper()
	g, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A synthetic file in the 14-column UCDP GED extract layout. The rows are
// made up for the test (SYNTHETIC, not UCDP data); each bad row breaks one
// rule.
const syntheticGED = `id,year,month,day,country,type_of_violence,conflict_name,side_a,side_b,latitude,longitude,low_death,best_death,high_death
1,2011,6,5,Sudan,State-based violence,Sudan: Government,Government of Sudan,SPLM/A-North,11.1,29.9,2,3,4
2,2011,2,30,Sudan,State-based violence,Sudan: Government,Government of Sudan,SPLM/A-North,11.1,29.9,2,3,4
3,2011,7,1,Sudan,Non-state violence,x,A,B,95.5,29.9,1,1,1
4,2011,7,2,Atlantis,One-sided violence,x,A,Civilians,1,1,1,1,1
5,2011,7,3,Sudan,One-sided violence,x,A,Civilians
6,2011,7,10,South Sudan,One-sided violence,x,A,Civilians,7.5,31.2,0,2,5
`

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFilesQuarantinesBadRows(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	path := writeTemp(t, "synthetic_ged.csv", []byte(syntheticGED))
	sum, err := Files(ctx, m, []string{path}, Options{Geo: loadGeo(t), BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Read: 6, Inserted: 2, Rejected: 4}); sum.Counts != want {
		t.Errorf("counts = %+v, want %+v", sum.Counts, want)
	}
	type rej struct {
		Line          int
		Field, Reason string
	}
	var got []rej
	for _, r := range m.rejects {
		got = append(got, rej{r.Line, r.Reject.Field, r.Reject.Reason})
	}
	want := []rej{
		{3, "day", `no such day in 2011-02: "30"`},
		{4, "latitude", `out of range -90..90: "95.5"`},
		{5, "country", `unknown country: "Atlantis"`},
		{6, "row", "wrong column count: 9, want 14"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	if got := m.events[event.Key{Source: event.UCDPGED, SourceID: "6"}]; got.Event.Country != "SSD" || m.rawRow(got) != "6,2011,7,10,South Sudan,One-sided violence,x,A,Civilians,7.5,31.2,0,2,5\n" {
		t.Errorf("event 6: country %q raw %q", got.Event.Country, m.rawRow(got))
	}
	wantTouched := Touched{"SDN": {day("2011-06-05"), day("2011-06-05")}, "SSD": {day("2011-07-10"), day("2011-07-10")}}
	if diff := cmp.Diff(wantTouched, sum.Touched); diff != "" {
		t.Errorf("Touched (-want +got):\n%s", diff)
	}
	if f := m.files[0]; f.Format != "ucdp-ged" || f.Separator != "," || len(f.Header) != 14 || f.SHA256 == "" {
		t.Errorf("file info = %+v", f)
	}
}

func TestFilesStrictStopsAtFirstBadRow(t *testing.T) {
	m := newMemStore()
	path := writeTemp(t, "synthetic_ged.csv", []byte(syntheticGED))
	_, err := Files(context.Background(), m, []string{path}, Options{Geo: loadGeo(t), Strict: true})
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("Files --strict error = %v, want a *RowError", err)
	}
	if re.File != "synthetic_ged.csv" || re.Line != 3 || re.Field != "day" {
		t.Errorf("RowError = %+v, want synthetic_ged.csv line 3 field day", re)
	}
	if !strings.Contains(err.Error(), "synthetic_ged.csv: line 3: field day") {
		t.Errorf("error %q does not name file, line and field", err)
	}
}

func TestFilesReadsGzipAndZip(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(syntheticGED))
	zw.Close()
	var zb bytes.Buffer
	w := zip.NewWriter(&zb)
	for _, name := range []string{"a/first.csv", "__MACOSX/._first.csv", "second.csv"} {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(syntheticGED))
	}
	w.Close()
	tests := []struct {
		name      string
		data      []byte
		wantFiles []string
		wantRead  int
	}{
		{"ged.csv.gz", gz.Bytes(), []string{"ged.csv"}, 6},
		{"ged.zip", zb.Bytes(), []string{"ged.zip/a/first.csv", "ged.zip/second.csv"}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := Files(context.Background(), newMemStore(), []string{writeTemp(t, tt.name, tt.data)}, Options{Geo: loadGeo(t)})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range sum.Files {
				names = append(names, f.Name)
			}
			if diff := cmp.Diff(tt.wantFiles, names); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if sum.Read != tt.wantRead {
				t.Errorf("read %d rows, want %d", sum.Read, tt.wantRead)
			}
		})
	}
}

func TestFilesErrors(t *testing.T) {
	tests := []struct {
		name, file, data, format, want string
	}{
		{"empty file", "e.csv", "", "", "file is empty"},
		{"unknown header", "u.csv", "a,b,c\n1,2,3\n", "", "unrecognised format: 3 columns [a,b,c]"},
		{"unknown format name", "g.csv", syntheticGED, "nope", `unknown format "nope"`},
		{"forced format lacks columns", "g.csv", "a,b\n1,2\n", "acled", "acled format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Files(context.Background(), newMemStore(), []string{writeTemp(t, tt.file, []byte(tt.data))},
				Options{Geo: loadGeo(t), Format: tt.format})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file %s", err, tt.file)
			}
		})
	}
	if _, err := Files(context.Background(), newMemStore(), []string{filepath.Join(t.TempDir(), "missing.csv")}, Options{Geo: loadGeo(t)}); err == nil {
		t.Error("Files(missing file) succeeded")
	}
}

func TestFilesMalformedCSVRowIsQuarantined(t *testing.T) {
	data := strings.Replace(syntheticGED, "Sudan: Government,Government of Sudan,SPLM/A-North,11.1,29.9,2,3,4\n2,", "Sudan: \"Govern\"ment,Government of Sudan,SPLM/A-North,11.1,29.9,2,3,4\n2,", 1)
	m := newMemStore()
	sum, err := Files(context.Background(), m, []string{writeTemp(t, "q.csv", []byte(data))}, Options{Geo: loadGeo(t)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 6 || len(m.rejects) == 0 || m.rejects[0].Line != 2 || !strings.HasPrefix(m.rejects[0].Reject.Reason, "malformed CSV") {
		t.Errorf("read %d, rejects %+v; want 6 rows read and line 2 quarantined as malformed CSV", sum.Read, m.rejects)
	}
}

func TestSplitRow(t *testing.T) {
	tests := []struct {
		sep, raw string
		want     []string
	}{
		{",", "1,\"a, b\",\"say \"\"hi\"\"\"\r\n", []string{"1", "a, b", `say "hi"`}},
		{";", "1;2\n", []string{"1", "2"}},
		{"tsv", "1\t\"x\t\n", []string{"1", `"x`, ""}},
	}
	for _, tt := range tests {
		got, err := SplitRow(tt.sep, []byte(tt.raw))
		if err != nil {
			t.Fatalf("SplitRow(%q, %q): %v", tt.sep, tt.raw, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("SplitRow(%q, %q) (-want +got):\n%s", tt.sep, tt.raw, diff)
		}
	}
}

// FuzzFiles feeds arbitrary file contents through detection, splitting,
// decoding and batching. Whatever the bytes, nothing panics, every row
// read is accounted for, and every stored row's bytes split back into the
// fields that were hashed.
func FuzzFiles(f *testing.F) {
	f.Add([]byte(syntheticGED), "g.csv")
	f.Add([]byte("a,b\n1,2\n"), "x.csv")
	f.Add([]byte("1\t2\t3\n"), "x.CSV")
	f.Add([]byte("\ufeffevent_id,event_date,cameo_code\n"), "i.csv")
	if b, err := os.ReadFile("testdata/gdelt/seed.tsv"); err == nil {
		f.Add(b, "20191024143000.export.CSV")
	}
	g := loadGeo(f)
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		name = filepath.Base(strings.Map(func(r rune) rune {
			if r == '/' || r == 0 || r == '\\' {
				return '_'
			}
			return r
		}, name))
		if len(name) > 64 {
			name = name[:64]
		}
		if name == "." || name == "" || strings.HasSuffix(strings.ToLower(name), ".zip") || strings.HasSuffix(strings.ToLower(name), ".gz") {
			name = "f.csv"
		}
		m := newMemStore()
		sum, err := Files(context.Background(), m, []string{writeTemp(t, name, data)}, Options{Geo: g, BatchSize: 3})
		if err != nil {
			return // unrecognised files are refused with an error, not a panic
		}
		c := sum.Counts
		if c.Read != c.Inserted+c.Updated+c.Unchanged+c.Rejected {
			t.Fatalf("counts do not add up: %+v", c)
		}
		for _, r := range m.events {
			if err := r.Event.Validate(); err != nil {
				t.Fatalf("stored invalid event: %v", err)
			}
			if m.rawRow(r) == "" {
				t.Fatalf("event %v has no raw bytes", r.Event.Key())
			}
		}
	})
}

func TestFilesRefusesOverlongHeader(t *testing.T) {
	long := strings.Repeat("x", 300*1024) + "\n1\n"
	_, err := Files(context.Background(), newMemStore(), []string{writeTemp(t, "long.csv", []byte(long))}, Options{Geo: loadGeo(t)})
	if err == nil || !strings.Contains(err.Error(), "first line is longer than") {
		t.Errorf("error = %v, want the first line refused as too long", err)
	}
}

func TestHashFieldsIsFNV1a(t *testing.T) {
	ref := func(fields []string) int64 {
		h := fnv.New64a()
		h.Write([]byte(strings.Join(fields, "\x1f")))
		return int64(h.Sum64())
	}
	for _, fields := range [][]string{nil, {""}, {"ab", "c"}, {"a", "bc"}, {"22782", "0", "1991", "Bangui city"}} {
		if got, want := HashFields(fields), ref(fields); got != want {
			t.Errorf("HashFields(%q) = %d, want FNV-1a %d", fields, got, want)
		}
	}
	if HashFields([]string{"ab", "c"}) == HashFields([]string{"a", "bc"}) {
		t.Error("field boundaries do not change the hash")
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTouched(t *testing.T) {
	tt := Touched{}
	tt.Add("SDN", day("2011-06-05"))
	tt.Add("SDN", day("2010-01-01"))
	tt.Add("SDN", day("2012-03-04"))
	o := Touched{"SSD": {day("2011-07-09"), day("2011-08-01")}, "SDN": {day("2009-12-31"), day("2009-12-31")}}
	tt.Merge(o)
	want := Touched{"SDN": {day("2009-12-31"), day("2012-03-04")}, "SSD": {day("2011-07-09"), day("2011-08-01")}}
	if diff := cmp.Diff(want, tt); diff != "" {
		t.Errorf("Touched (-want +got):\n%s", diff)
	}
	if got := tt.Countries(); !slices.Equal(got, []string{"SDN", "SSD"}) {
		t.Errorf("Countries() = %v", got)
	}
	if got := tt.Span(); got != (Span{day("2009-12-31"), day("2012-03-04")}) {
		t.Errorf("Span() = %v", got)
	}
}
