package detect

import (
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"threshold/internal/testenv"
)

// carMonthly reads the shared UCDP GED file for the Central African
// Republic and returns its monthly fatalities (sum of best by the month of
// date_start), every month from the first to the last, zeros included.
func carMonthly(t *testing.T) Series {
	t.Helper()
	path := testenv.SharedData(t, "ucdp-ged", "GEDEvent_v23_1_central_african_republic.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	sums := map[time.Time]float64{}
	var first, last time.Time
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := time.Parse("2006-01-02", rec[col["date_start"]][:10])
		if err != nil {
			t.Fatalf("date_start %q: %v", rec[col["date_start"]], err)
		}
		best, err := strconv.ParseFloat(rec[col["best"]], 64)
		if err != nil {
			t.Fatalf("best %q: %v", rec[col["best"]], err)
		}
		m := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		sums[m] += best
		if first.IsZero() || m.Before(first) {
			first = m
		}
		if m.After(last) {
			last = m
		}
	}
	s := Series{Subject: "fatalities in Central African Republic", Period: Month}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		s.Labels = append(s.Labels, m.Format("2006-01"))
		s.Values = append(s.Values, sums[m])
	}
	return s
}

func index(t *testing.T, s Series, label string) int {
	t.Helper()
	for i, l := range s.Labels {
		if l == label {
			return i
		}
	}
	t.Fatalf("no period %s in %q", label, s.Subject)
	return -1
}

// TestCARSurge replays the Central African Republic's monthly fatalities
// as known at each month. The Séléka takeover and the anti-balaka
// counter-offensive (September to December 2013) must alarm in every month,
// on surprise or CUSUM; quiet stretches before and after must stay low.
func TestCARSurge(t *testing.T) {
	s := carMonthly(t)
	c := DefaultConfig(Month)
	at := func(label string) (surprise, cusum Detection) {
		t.Helper()
		i := index(t, s, label)
		ds, err := Detect(s.Through(i), c)
		if err != nil {
			t.Fatalf("Detect(%s through %s): %v", s.Subject, label, err)
		}
		return ds[0], ds[1]
	}

	for _, label := range []string{"2013-09", "2013-10", "2013-11", "2013-12"} {
		sd, cd := at(label)
		t.Logf("%s: surprise %.1f, CUSUM %.1f", label, sd.Score, cd.Score)
		if !sd.Alarm && !cd.Alarm {
			t.Errorf("%s: no alarm: surprise %.1f (alarm at %g), CUSUM %.1f (alarm at %g)", label, sd.Score, sd.Threshold, cd.Score, cd.Threshold)
		}
	}
	// September 2013 (868 deaths) is a surprise on its own.
	if sd, _ := at("2013-09"); sd.Score < 5 {
		t.Errorf("2013-09: surprise %.1f, want >= 5\n%s", sd.Score, sd.Explanation)
	}
	// Change-point detection is certain of a new regime by September.
	for _, label := range []string{"2013-09", "2013-12"} {
		d, err := ChangePoint(s.Through(index(t, s, label)), c)
		if err != nil {
			t.Fatal(err)
		}
		if d.Score < 10 {
			t.Errorf("%s: change-point score %.1f, want >= 10\n%s", label, d.Score, d.Explanation)
		}
	}
	// By December the rise is sustained and overwhelming.
	if _, cd := at("2013-12"); cd.Score < 8 {
		t.Errorf("2013-12: CUSUM %.1f, want >= 8\n%s", cd.Score, cd.Explanation)
	}

	quiet := []struct{ from, to string }{
		{"2003-04", "2005-11"}, // after the 2002-03 coup, before the northern rebellions
		{"2018-01", "2020-12"}, // violence steady at its post-2014 level
	}
	for _, q := range quiet {
		for i := index(t, s, q.from); i <= index(t, s, q.to); i++ {
			sd, cd := at(s.Labels[i])
			if sd.Score >= 2 || cd.Score >= 1 {
				t.Errorf("%s (quiet): surprise %.1f, CUSUM %.1f; want < 2 and < 1", s.Labels[i], sd.Score, cd.Score)
			}
		}
	}
}
