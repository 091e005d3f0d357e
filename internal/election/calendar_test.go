package election

import (
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/testenv"
)

func TestCalendar(t *testing.T) {
	els, err := Calendar()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range els {
		count[e.Country]++
		if !strings.HasPrefix(e.Source, "https://en.wikipedia.org/wiki/") {
			t.Errorf("%s %s: source %q is not the election's public record", e.Country, e.Date.Format(time.DateOnly), e.Source)
		}
		if e.Date.After(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s %s: the calendar holds past elections only", e.Country, e.Date.Format(time.DateOnly))
		}
	}
	for _, c := range []string{"CAF", "CIV", "MEX"} {
		if count[c] < 5 {
			t.Errorf("%s: %d elections, want the national elections since 1990", c, count[c])
		}
	}
}

// decoEvent is one row of the shared DECO file.
type decoEvent struct {
	country string
	date    time.Time
	deaths  int
	timing  string // electoral_timing: 2 is election day (as the rows show)
	typ     string // electoral_type: 3 marks local elections
}

func readDECO(t *testing.T) []decoEvent {
	t.Helper()
	f, err := os.Open(testenv.SharedData(t, "ucdp-deco", "DECO_v1.0_excl_kenya_southsudan.csv"))
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
	iso := map[string]string{"Ivory Coast": "CIV", "Central African Republic": "CAF", "Mexico": "MEX"}
	var out []decoEvent
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c, ok := iso[rec[col["country"]]]
		if !ok {
			continue
		}
		d, err := time.Parse("1/2/2006", rec[col["date_start"]])
		if err != nil {
			t.Fatalf("date_start %q: %v", rec[col["date_start"]], err)
		}
		n, err := strconv.Atoi(rec[col["best"]])
		if err != nil {
			t.Fatalf("best %q: %v", rec[col["best"]], err)
		}
		out = append(out, decoEvent{c, d, n, rec[col["electoral_timing"]], rec[col["electoral_type"]]})
	}
	return out
}

// TestCalendarAgainstDECO checks the calendar against the elections UCDP
// linked deadly events to.
func TestCalendarAgainstDECO(t *testing.T) {
	els, err := Calendar()
	if err != nil {
		t.Fatal(err)
	}
	deco := readDECO(t)
	if len(deco) < 50 {
		t.Fatalf("%d DECO events for CAF, CIV and MEX; want the shared file's", len(deco))
	}
	nearest := func(e decoEvent) time.Duration {
		best := time.Duration(1<<63 - 1)
		for _, el := range els {
			if el.Country != e.country {
				continue
			}
			d := e.date.Sub(el.Date)
			if d < 0 {
				d = -d
			}
			best = min(best, d)
		}
		return best
	}
	// Election-day events at national (not only local) elections fall on
	// a calendar date.
	onDay := 0
	for _, e := range deco {
		if e.timing != "2" || e.typ == "3" {
			continue
		}
		onDay++
		if nearest(e) != 0 {
			t.Errorf("DECO election-day event in %s on %s: no election in the calendar that day", e.country, e.date.Format(time.DateOnly))
		}
	}
	if onDay < 3 {
		t.Errorf("%d national election-day events, want CIV 2010-11-28, CAF 2015-12-13 and MEX 2015-06-07", onDay)
	}
	// Most deaths DECO links to elections in Côte d'Ivoire and the Central
	// African Republic fall within six months of a calendar election. In
	// the Central African Republic 2 of DECO's 11 deaths are of January
	// 2014, around the transitional council's indirect election of an
	// interim president, which the calendar of popular votes leaves out.
	const window = 183 * 24 * time.Hour
	for c, want := range map[string]float64{"CIV": 0.9, "CAF": 0.8} {
		near, all := 0, 0
		for _, e := range deco {
			if e.country != c {
				continue
			}
			all += e.deaths
			if nearest(e) <= window {
				near += e.deaths
			}
		}
		share := float64(near) / float64(all)
		t.Logf("%s: %d of %d DECO deaths within six months of a calendar election (%.0f%%)", c, near, all, 100*share)
		if share < want {
			t.Errorf("%s: only %.0f%% of DECO deaths near a calendar election, want at least %.0f%%", c, 100*share, 100*want)
		}
	}
}
