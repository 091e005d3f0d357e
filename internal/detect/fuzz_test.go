package detect

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzDetect runs every method on arbitrary series and configurations and
// checks they never panic and never return a NaN, infinite or negative
// score.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200}, uint8(3), uint8(1), uint8(3))
	f.Add([]byte{1, 50, 0, 3, 9, 0, 0, 255, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, uint8(8), uint8(2), uint8(4))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(2), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, baseline, window, span uint8) {
		s := Series{Subject: "fuzz", Period: Month}
		for len(data) >= 2 {
			// Two bytes per value: a 16-bit mantissa-ish count scaled by
			// its low bits, so values range from 0 to large, with fractions.
			u := binary.BigEndian.Uint16(data)
			data = data[2:]
			v := float64(u>>4) * math.Pow(10, float64(u&0xf%10)) / 4
			s.Values = append(s.Values, v)
			s.Labels = append(s.Labels, "p")
		}
		c := DefaultConfig(Month)
		c.Baseline = int(baseline)
		c.MinHistory = min(2, c.Baseline)
		c.Window = int(window)
		c.CUSUMSpan = int(span)
		ds, err := Detect(s, c)
		if err != nil {
			return
		}
		cp, err := ChangePoint(s, c)
		if err == nil {
			ds = append(ds, cp)
		}
		for _, d := range ds {
			if math.IsNaN(d.Score) || math.IsInf(d.Score, 0) || d.Score < 0 || d.Score > MaxScore {
				t.Fatalf("%s score %v for %v (config %+v)", d.Method, d.Score, s.Values, c)
			}
			if d.Explanation == "" {
				t.Fatalf("%s: empty explanation", d.Method)
			}
		}
	})
}
