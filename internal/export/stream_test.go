package export

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

// syntheticEvents is a synthetic event store of n events made up on the
// fly, so that exports of any size can be measured without a database.
// It serves pages by id as store.DB.Events does, and samples the heap
// after each page.
type syntheticEvents struct {
	n        int
	peakHeap uint64 // the largest live heap (as marked by the last GC) seen after a page, in bytes
}

func (s *syntheticEvents) Events(ctx context.Context, _ event.Filter, p store.Page, fn func(event.Stored) error) error {
	lat, lon, best := 4.366667, 18.583333, 3
	for id := p.AfterID + 1; id <= int64(s.n) && (p.Limit == 0 || id <= p.AfterID+int64(p.Limit)); id++ {
		d := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(id%9000))
		e := event.Event{Source: event.UCDPGED, SourceID: fmt.Sprint("synthetic-", id), Version: "synthetic",
			DateStart: d, DateEnd: d, DatePrecision: event.Day, Country: "CAF",
			Admin1: fmt.Sprint("synthetic area ", id%17), Place: fmt.Sprint("synthetic place ", id),
			Category: event.Battle, SourceType: "1", Actor1: "synthetic side a", Actor2: "synthetic side b",
			Fatalities: event.Fatalities{Best: &best}, SourceRef: "synthetic reference"}
		if id%3 != 0 {
			e.Latitude, e.Longitude = &lat, &lon
		}
		if err := fn(event.Stored{ID: id, Event: e}); err != nil {
			return err
		}
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	s.peakHeap = max(s.peakHeap, sample[0].Value.Uint64())
	return nil
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestMemoryFlat streams synthetic events through every writer, 15,000
// and then 150,000 of them, and checks that the live heap stays under a
// bound and does not grow with the number of events: exports stream,
// they never hold the selection.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 165,000 synthetic events per format")
	}
	const n, limit = 150_000, 32 << 20
	for _, format := range Formats() {
		var peaks [2]uint64
		for i, size := range []int{n / 10, n} {
			runtime.GC()
			src := &syntheticEvents{n: size}
			var w countingWriter
			res, err := Events(context.Background(), src, &w, format, event.Filter{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows+res.Omitted != size {
				t.Errorf("%s: %+v, want %d events", format, res, size)
			}
			peaks[i] = src.peakHeap
			t.Logf("%s: %d events, %.1f MiB written, peak live heap %.1f MiB", format, size,
				float64(w.n)/(1<<20), float64(src.peakHeap)/(1<<20))
		}
		if peaks[1] > limit || peaks[1] > peaks[0]+8<<20 {
			t.Errorf("%s: peak live heap %.1f MiB for %d events, %.1f MiB for %d: want under %d MiB and flat",
				format, float64(peaks[1])/(1<<20), n, float64(peaks[0])/(1<<20), n/10, limit>>20)
		}
	}
}

func BenchmarkEvents(b *testing.B) {
	for _, format := range Formats() {
		b.Run(string(format), func(b *testing.B) {
			b.ReportAllocs()
			const n = 10_000
			for b.Loop() {
				if _, err := Events(context.Background(), &syntheticEvents{n: n}, io.Discard, format, event.Filter{}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
