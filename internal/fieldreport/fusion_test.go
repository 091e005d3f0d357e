package fieldreport

import (
	"math"
	"testing"
	"time"

	"threshold/internal/event"
)

func fp(v float64) *float64 { return &v }

func TestMatch(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	r := Report{ID: 1, Country: "CAF", Admin1: "Ouham", Place: "Synthetic A", Latitude: fp(6.5), Longitude: fp(17.4),
		Date: day, Category: event.ViolenceAgainstCivilians}
	ged := func(id string, lat, lon float64, admin1 string, d int, c event.Category) Candidate {
		return Candidate{Event: event.Key{Source: event.UCDPGED, SourceID: id}, Country: "CAF", Admin1: admin1,
			Lat: fp(lat), Lon: fp(lon), Date: day.AddDate(0, 0, d), Category: c}
	}
	cands := []Candidate{
		ged("near-same-day", 6.52, 17.41, "Ouham", 0, event.ViolenceAgainstCivilians),
		ged("near-3-days-battle", 6.55, 17.45, "Ouham", 3, event.Battle),
		ged("far-same-admin1", 7.5, 18.4, "Ouham", 1, event.ViolenceAgainstCivilians),
		ged("near-too-late", 6.5, 17.4, "Ouham", 9, event.ViolenceAgainstCivilians),
		ged("near-protest", 6.5, 17.4, "Ouham", 0, event.Protest),
		ged("far-other-admin1", 4.4, 18.5, "Bangui", 0, event.ViolenceAgainstCivilians),
		{Event: event.Key{Source: event.UCDPGED, SourceID: "other-country"}, Country: "TCD", Admin1: "Ouham", Date: day, Category: event.Battle},
		{Report: 2, Country: "CAF", Admin1: "Ouham", Place: "synthetic a", Date: day.AddDate(0, 0, -1), Category: event.Battle},
		{Report: 1, Country: "CAF", Admin1: "Ouham", Date: day, Category: event.Battle}, // itself
	}
	got := Match(r, cands, Fusion{})
	want := []string{"ucdp-ged:near-same-day", "ucdp-ged:far-same-admin1", "ucdp-ged:near-3-days-battle", "report:2"}
	if len(got) != len(want) {
		t.Fatalf("Match = %+v, want %v", got, want)
	}
	for i, l := range got {
		name := l.Event
		if l.Report != 0 {
			name = "report:2"
		}
		if name != want[i] || l.Score < 0.5 || l.Score > 1 || l.Reason == "" {
			t.Errorf("link %d = %+v, want %s", i, l, want[i])
		}
	}
	if got[0].Score <= got[1].Score || got[1].Score <= got[2].Score {
		t.Errorf("scores not decreasing: %+v", got)
	}
}

func TestDistance(t *testing.T) {
	// Bangui to Bossangoa, about 250 km (great circle).
	if d := Distance(4.3612, 18.5550, 6.4926, 17.4552); math.Abs(d-265) > 15 {
		t.Errorf("Distance = %.1f km, want about 265", d)
	}
	if d := Distance(1, 1, 1, 1); d != 0 {
		t.Errorf("Distance to itself = %g", d)
	}
}
