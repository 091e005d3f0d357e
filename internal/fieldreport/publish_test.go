package fieldreport

import (
	"strings"
	"testing"
	"time"

	"threshold/internal/event"
	"threshold/internal/ingest"
)

func TestEventRow(t *testing.T) {
	lat, lon, cas := 6.5, 17.4, 3
	r := Report{ID: 12, Country: "CAF", Admin1: "Ouham", Place: "Synthetic\tplace", Latitude: &lat, Longitude: &lon,
		Date: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Involved: "armed group\nline two\r", Casualties: &cas,
		Category: event.Riot, Confidence: Rumour, Channel: "gateway:sms",
		Reporter: &Reporter{Kind: Contact, Pseudonym: "Kite", Contact: "+236 synthetic"}, What: "synthetic account"}
	fields := row(r)
	line := strings.Join(fields, "\t") + "\n"
	got, err := ingest.SplitRow("tsv", []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(eventHeader) || got[0] != "12" || got[4] != "Synthetic place" || got[8] != "3" {
		t.Errorf("row splits into %q, want %d fields", got, len(eventHeader))
	}
	if strings.Contains(line, "Kite") || strings.Contains(line, "+236") || strings.Contains(line, "synthetic account") {
		t.Errorf("row carries the reporter or the account: %q", line)
	}
	ev := Event(r)
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if ev.Key() != eventKey(r) || ev.GeoPrecision != event.Near || *ev.Fatalities.Best != 3 || ev.Source != event.FieldReport {
		t.Errorf("Event = %+v", ev)
	}
}
