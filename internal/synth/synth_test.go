package synth_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/synth"
)

// memStore is an ingest.Store that keeps what a real store would be told:
// the events' ids and countries and the rejects.
type memStore struct {
	mu        sync.Mutex
	ids       map[string]bool
	dupes     int
	countries map[string]int
	admin1    int // events with an admin-1 area
	rejects   []string
}

func newMemStore() *memStore { return &memStore{ids: map[string]bool{}, countries: map[string]int{}} }

func (m *memStore) BeginFile(context.Context, ingest.FileInfo, ingest.WriteOptions) (ingest.FileWriter, error) {
	return memWriter{m}, nil
}

type memWriter struct{ m *memStore }

func (w memWriter) Write(_ context.Context, b *ingest.Batch) (ingest.Counts, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	var c ingest.Counts
	for _, r := range b.Records {
		c.Read++
		if r.Reject != nil {
			c.Rejected++
			w.m.rejects = append(w.m.rejects, fmt.Sprintf("line %d: %s: %s", r.Line, r.Reject.Field, r.Reject.Reason))
			continue
		}
		c.Inserted++
		if w.m.ids[r.Event.SourceID] {
			w.m.dupes++
		}
		w.m.ids[r.Event.SourceID] = true
		w.m.countries[r.Event.Country]++
		if r.Event.Admin1 != "" {
			w.m.admin1++
		}
	}
	return c, nil
}

func (memWriter) Finish(context.Context, ingest.Counts) error { return nil }
func (memWriter) Close() error                                { return nil }
func (memWriter) Touched() ingest.Touched                     { return nil }

// generate writes a synthetic file named as FileName says into dir.
func generate(t testing.TB, dir string, o synth.Options) string {
	t.Helper()
	path := filepath.Join(dir, synth.FileName(o))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Generate(context.Background(), f, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ingestMem ingests path through the real pipeline into a memStore.
func ingestMem(t testing.TB, path string) (*memStore, ingest.Summary) {
	t.Helper()
	m := newMemStore()
	sum, err := ingest.Files(context.Background(), m, []string{path}, ingest.Options{})
	if err != nil {
		t.Fatalf("ingest %s: %v", path, err)
	}
	return m, sum
}

func TestGenerateIngestsWithoutRejects(t *testing.T) {
	for _, tc := range []struct {
		format        synth.Format
		detected      string
		minCountries  int
		minAdmin1Frac float64
	}{
		{synth.GDELT2, "gdelt", 40, 0.5},
		{synth.UCDPGED, "ucdp-ged", 60, 0.3},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			const n = 30_000
			path := generate(t, t.TempDir(), synth.Options{Format: tc.format, Events: n, Seed: 7})
			m, sum := ingestMem(t, path)
			if sum.Rejected != 0 {
				t.Fatalf("%d rejects, first: %v", sum.Rejected, m.rejects[:min(5, len(m.rejects))])
			}
			if sum.Read != n || sum.Inserted != n || len(m.ids) != n || m.dupes != 0 {
				t.Errorf("read %d, inserted %d, %d distinct ids, %d duplicates; want %d of each and no duplicate", sum.Read, sum.Inserted, len(m.ids), m.dupes, n)
			}
			if got := sum.Files[0].Format; got != tc.detected {
				t.Errorf("detected as %q, want %q", got, tc.detected)
			}
			if len(m.countries) < tc.minCountries {
				t.Errorf("%d countries, want at least %d", len(m.countries), tc.minCountries)
			}
			if f := float64(m.admin1) / n; f < tc.minAdmin1Frac {
				t.Errorf("%.2f of events have an admin-1 area, want at least %.2f", f, tc.minAdmin1Frac)
			}
		})
	}
}

// TestGenerateIngestsIntoStores ingests both formats into SQLite and
// PostgreSQL: every row stored, none quarantined.
func TestGenerateIngestsIntoStores(t *testing.T) {
	dir := t.TempDir()
	const n = 5_000
	paths := []string{
		generate(t, dir, synth.Options{Format: synth.GDELT2, Events: n, Seed: 3}),
		generate(t, dir, synth.Options{Format: synth.UCDPGED, Events: n, Seed: 3}),
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		sum, err := ingest.Files(ctx, db, paths, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rejected != 0 || sum.Inserted != 2*n {
			t.Errorf("inserted %d, rejected %d; want %d and 0", sum.Inserted, sum.Rejected, 2*n)
		}
		got, err := db.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != 2*n {
			t.Errorf("store holds %d events, want %d", got, 2*n)
		}
		// Again: nothing new, nothing changed.
		again, err := ingest.Files(ctx, db, paths, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if again.Inserted != 0 || again.Updated != 0 || again.Unchanged != 2*n {
			t.Errorf("re-ingest: %+v, want all %d unchanged", again.Counts, 2*n)
		}
	})
}

func TestGenerateDeterministic(t *testing.T) {
	for _, f := range synth.Formats() {
		t.Run(string(f), func(t *testing.T) {
			gen := func(seed uint64, n int64) []byte {
				var b bytes.Buffer
				if err := synth.Generate(context.Background(), &b, synth.Options{Format: f, Events: n, Seed: seed}); err != nil {
					t.Fatal(err)
				}
				return b.Bytes()
			}
			a, b, c := gen(42, 5000), gen(42, 5000), gen(43, 5000)
			if !bytes.Equal(a, b) {
				t.Error("the same seed gave different bytes")
			}
			if bytes.Equal(a, c) {
				t.Error("seeds 42 and 43 gave the same bytes")
			}
			lines := bytes.Count(a, []byte("\n"))
			want := 5000
			if f == synth.UCDPGED {
				want++ // header
			}
			if lines != want {
				t.Errorf("%d lines, want %d", lines, want)
			}
		})
	}
}

func TestGenerateZeroEvents(t *testing.T) {
	var b bytes.Buffer
	if err := synth.Generate(context.Background(), &b, synth.Options{Format: synth.GDELT2}); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("gdelt2 with no events wrote %d bytes", b.Len())
	}
	b.Reset()
	if err := synth.Generate(context.Background(), &b, synth.Options{Format: synth.UCDPGED}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "id,relid,year,") || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("ucdp-ged with no events wrote %q, want the header only", b.String())
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, o := range []synth.Options{
		{Format: "acled", Events: 1},
		{Format: synth.GDELT2, Events: -1},
	} {
		if err := synth.Generate(context.Background(), io.Discard, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := synth.Generate(ctx, io.Discard, synth.Options{Format: synth.GDELT2, Events: 1e6}); err == nil {
		t.Error("a cancelled context gave no error")
	}
}

// TestGDELTRealistic checks the CAMEO fields against each other and that
// events cluster.
func TestGDELTRealistic(t *testing.T) {
	var b bytes.Buffer
	const n = 50_000
	if err := synth.Generate(context.Background(), &b, synth.Options{Format: synth.GDELT2, Events: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	gold := map[string]string{}
	countries := map[string]int{}
	conflict := 0
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 61 {
			t.Fatalf("line %d: %d fields, want 61", i+1, len(f))
		}
		code, base, root, quad, g := f[26], f[27], f[28], f[29], f[30]
		if !strings.HasPrefix(code, base) || !strings.HasPrefix(base, root) || len(root) != 2 {
			t.Errorf("line %d: code %s, base %s, root %s", i+1, code, base, root)
		}
		r, _ := strconv.Atoi(root)
		wantQuad := map[bool]string{true: "1"}[r <= 5]
		switch {
		case r >= 15:
			wantQuad = "4"
		case r >= 10:
			wantQuad = "3"
		case r >= 6:
			wantQuad = "2"
		}
		if quad != wantQuad {
			t.Errorf("line %d: root %s with QuadClass %s, want %s", i+1, root, quad, wantQuad)
		}
		if quad >= "3" {
			conflict++
		}
		if prev, ok := gold[code]; ok && prev != g {
			t.Errorf("code %s has Goldstein %s and %s", code, prev, g)
		}
		gold[code] = g
		countries[f[53]]++
	}
	// The samples are about one third conflict.
	if share := float64(conflict) / n; share < 0.15 || share > 0.6 {
		t.Errorf("conflict share %.2f", share)
	}
	// The United States lead GDELT's coverage.
	if countries["US"] < countries["CA"] || countries["US"] < n/10 {
		t.Errorf("US %d, CA %d events of %d", countries["US"], countries["CA"], n)
	}
}

// TestGEDRealistic checks the fatality fields and the heavy tail.
func TestGEDRealistic(t *testing.T) {
	var b bytes.Buffer
	const n = 50_000
	if err := synth.Generate(context.Background(), &b, synth.Options{Format: synth.UCDPGED, Events: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&b)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := map[string]int{}
	for i, h := range rows[0] {
		head[h] = i
	}
	get := func(row []string, col string) int {
		v, err := strconv.Atoi(row[head[col]])
		if err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		return v
	}
	var total, max, ones int
	countries := map[string]int{}
	for _, row := range rows[1:] {
		best := get(row, "best")
		sum := get(row, "deaths_a") + get(row, "deaths_b") + get(row, "deaths_civilians") + get(row, "deaths_unknown")
		if sum != best || get(row, "low") > best || get(row, "high") < best {
			t.Fatalf("id %s: best %d, parts %d, low %d, high %d", row[0], best, sum, get(row, "low"), get(row, "high"))
		}
		if row[head["type_of_violence"]] == "3" && get(row, "deaths_civilians") != best {
			t.Errorf("id %s: one-sided violence with non-civilian deaths", row[0])
		}
		total += best
		max = maxInt(max, best)
		if best <= 1 {
			ones++
		}
		countries[row[head["country"]]]++
	}
	// Heavy tail: most events have 0 or 1 death, a few hundreds.
	if f := float64(ones) / n; f < 0.3 || max < 200 {
		t.Errorf("share of 0-1 deaths %.2f, max %d", f, max)
	}
	// Syria has the most events in the subset (64,794 of 175,322).
	top := ""
	for c, k := range countries {
		if top == "" || k > countries[top] {
			top = c
		}
	}
	if top != "Syria" {
		t.Errorf("most events in %s (%d), want Syria", top, countries[top])
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// TestGenerateConstantMemory checks that the generator allocates a
// bounded amount whatever the number of events.
func TestGenerateConstantMemory(t *testing.T) {
	for _, f := range synth.Formats() {
		alloc := func(n int64) uint64 {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if err := synth.Generate(context.Background(), io.Discard, synth.Options{Format: f, Events: n, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			return after.TotalAlloc - before.TotalAlloc
		}
		alloc(10) // load the tables
		small, large := alloc(1_000), alloc(100_000)
		if large > small+(4<<20) {
			t.Errorf("%s: %d bytes allocated for 1,000 events, %d for 100,000", f, small, large)
		}
	}
}

func FuzzGenerate(f *testing.F) {
	f.Add(uint64(0), uint16(1), false)
	f.Add(uint64(99), uint16(700), true)
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, ged bool) {
		o := synth.Options{Format: synth.GDELT2, Events: int64(n % 2000), Seed: seed}
		if ged {
			o.Format = synth.UCDPGED
		}
		if o.Events == 0 {
			return
		}
		path := generate(t, t.TempDir(), o)
		m, sum := ingestMem(t, path)
		if sum.Rejected != 0 || len(m.ids) != int(o.Events) {
			t.Fatalf("seed %d, %d events: %d rejects %v, %d distinct ids", seed, o.Events, sum.Rejected, m.rejects, len(m.ids))
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	for _, f := range synth.Formats() {
		b.Run(string(f), func(b *testing.B) {
			const n = 100_000
			cw := &countingWriter{}
			for b.Loop() {
				if err := synth.Generate(context.Background(), cw, synth.Options{Format: f, Events: n, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(cw.n / int64(b.N))
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
