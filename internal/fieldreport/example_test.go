package fieldreport_test

import (
	"fmt"
	"time"

	"threshold/internal/event"
	"threshold/internal/fieldreport"
)

// A monitor's report of a killing near Bossangoa, two days after and 3 km
// from an event in the data (synthetic figures).
func ExampleMatch() {
	lat, lon := 6.49, 17.45
	elat, elon := 6.51, 17.47
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	r := fieldreport.Report{ID: 1, Country: "CAF", Admin1: "Ouham", Latitude: &lat, Longitude: &lon,
		Date: day.AddDate(0, 0, 2), Category: event.ViolenceAgainstCivilians}
	cands := []fieldreport.Candidate{{Event: event.Key{Source: event.UCDPGED, SourceID: "synthetic-1"}, Country: "CAF",
		Admin1: "Ouham", Lat: &elat, Lon: &elon, Date: day, Category: event.Battle}}
	for _, l := range fieldreport.Match(r, cands, fieldreport.Fusion{}) {
		fmt.Printf("%s %.2f (%s)\n", l.Event, l.Score, l.Reason)
	}
	// Output: ucdp-ged:synthetic-1 0.81 (3.1 km apart, 2 days apart, related categories violence-against-civilians/battle)
}
