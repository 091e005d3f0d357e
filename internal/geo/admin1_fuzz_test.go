package geo

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"testing"
)

// admin1Sample is a small table in the uncompressed format: one area of
// MEX, a unit square at (10°, 20°) with a square hole, and one of CAF
// without polygons.
func admin1Sample() []byte {
	b := []byte(admin1Magic)
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	s := func(v string) { u(uint64(len(v))); b = append(b, v...) }
	var px, py int64
	ring := func(pts ...[2]int64) {
		u(uint64(len(pts)))
		for _, p := range pts {
			b = binary.AppendVarint(b, p[0]-px)
			b = binary.AppendVarint(b, p[1]-py)
			px, py = p[0], p[1]
		}
	}
	u(admin1Version)
	u(10) // scale
	u(2)  // areas
	s("MEX")
	s("MX-XXX")
	s("Square")
	u(1) // polygons
	u(2) // rings
	ring([2]int64{100, 200}, [2]int64{110, 200}, [2]int64{110, 210}, [2]int64{100, 210})
	ring([2]int64{104, 204}, [2]int64{106, 204}, [2]int64{106, 206}, [2]int64{104, 206})
	s("CAF")
	s("")
	s("Empty")
	u(0)
	return b
}

func gzipped(tb testing.TB, raw []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeAdmin1Sample(t *testing.T) {
	tb, err := DecodeAdmin1(gzipped(t, admin1Sample()))
	if err != nil {
		t.Fatal(err)
	}
	square := Admin1{Country: "MEX", Code: "MX-XXX", Name: "Square"}
	tests := []struct {
		country  string
		lat, lon float64
		want     Admin1
		dist     float64
		ok       bool
	}{
		{"MEX", 20.2, 10.2, square, 0, true},
		{"MEX", 20.45, 10.5, square, 0.05, true},             // in the hole, 0.05° from its edge
		{"MEX", 21.05, 10.5, square, 0.05, true},             // north of the square
		{"MEX", 21.2, 10.5, Admin1{}, 0, false},              // too far north
		{"MEX", 20, 10, square, 0, true},                     // on a vertex
		{"CAF", 20.2, 10.2, Admin1{}, 0, false},              // CAF's area has no polygon
		{"USA", 20.2, 10.2, Admin1{}, 0, false},              // no such country in the table
		{"MEX", -20.2, -10.2, Admin1{}, 0, false},            // off the grid
		{"MEX", 20.2, 10.2 + 360, Admin1{}, 0, false},        // longitude off the globe
		{"MEX", 20.2 - 1e-12, 10.2 + 1e-12, square, 0, true}, // rounding does not matter
	}
	for _, tt := range tests {
		got, d, ok := tb.Locate(tt.country, tt.lat, tt.lon)
		if got != tt.want || ok != tt.ok || math.Abs(d-tt.dist) > 1e-9 {
			t.Errorf("Locate(%s, %v, %v) = %+v, %v, %v; want %+v, %v, %v", tt.country, tt.lat, tt.lon, got, d, ok, tt.want, tt.dist, tt.ok)
		}
	}
	if got := tb.Areas("CAF"); len(got) != 1 || got[0].Name != "Empty" {
		t.Errorf("Areas(CAF) = %v", got)
	}
}

// FuzzAdmin1Decode feeds corrupt tables to the decoder: it must return an
// error or a table that answers lookups, never panic.
func FuzzAdmin1Decode(f *testing.F) {
	sample := admin1Sample()
	f.Add(sample)
	f.Add(sample[:len(sample)-3])
	f.Add(admin1Data[:min(len(admin1Data), 512)])
	f.Add(gzipped(f, sample))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) (*Admin1Table, error){decodeAdmin1, DecodeAdmin1} {
			tb, err := decode(data)
			if err != nil {
				continue
			}
			for _, c := range tb.Countries() {
				tb.Areas(c)
				tb.At(c, 20.5, 10.5)
				tb.At(c, 0, 0)
			}
			tb.Containing(20.5, 10.5)
		}
	})
}

// TestDecodeAdmin1Truncated checks every prefix of the sample: all but the
// whole give an error.
func TestDecodeAdmin1Truncated(t *testing.T) {
	sample := admin1Sample()
	for n := range len(sample) {
		if _, err := decodeAdmin1(sample[:n]); err == nil {
			t.Errorf("prefix of %d bytes decoded without error", n)
		}
	}
	if _, err := decodeAdmin1(append(sample, 0)); err == nil {
		t.Error("trailing byte decoded without error")
	}
	if _, err := DecodeAdmin1(gzipped(t, bytes.Repeat([]byte{0}, 1<<10))); err == nil {
		t.Error("zeros decoded without error")
	}
	var buf bytes.Buffer
	io.WriteString(&buf, "not gzip")
	if _, err := DecodeAdmin1(buf.Bytes()); err == nil {
		t.Error("plain bytes decoded without error")
	}
}
