package fieldreport

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
	"threshold/internal/ingest"
)

// eventHeader names the fields of the row a verified report is stored as,
// its provenance in the ingest tables (separator "tsv").
var eventHeader = []string{"report_id", "date", "country", "admin1", "place", "latitude", "longitude",
	"category", "casualties", "involved", "confidence", "channel"}

// eventKey is the identity of the event a verified report becomes.
func eventKey(r Report) event.Key {
	return event.Key{Source: event.FieldReport, SourceID: strconv.FormatInt(r.ID, 10)}
}

// Event is the event a verified report becomes. The reporter and the
// free-text account stay out of it: events are shared more widely than
// reports.
func Event(r Report) event.Event {
	e := event.Event{Source: event.FieldReport, SourceID: strconv.FormatInt(r.ID, 10),
		DateStart: r.Date, DateEnd: r.Date, DatePrecision: event.Day,
		Country: r.Country, Admin1: r.Admin1, Place: r.Place, Latitude: r.Latitude, Longitude: r.Longitude,
		GeoPrecision: event.Admin1Area, Category: r.Category, SourceType: "field-report",
		Actor1: r.Involved, Fatalities: event.Fatalities{Best: r.Casualties},
		SourceRef: fmt.Sprintf("field report %d (%s), verified", r.ID, r.Channel)}
	switch {
	case r.Latitude != nil:
		e.GeoPrecision = event.Near
	case r.Admin1 == "":
		e.GeoPrecision = event.CountryWide
	}
	return e
}

// PendingEvent is the event a report still in verification would become,
// for alert rules that count unverified reports (include_unverified): as
// Event, with a provenance that says it is not verified. It is never
// stored.
func PendingEvent(r Report) event.Event {
	e := Event(r)
	e.SourceRef = fmt.Sprintf("field report %d (%s), %s", r.ID, r.Channel, r.Status)
	return e
}

// row is the report's provenance row: tab-separated, one line.
func row(r Report) []string {
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	cas := ""
	if r.Casualties != nil {
		cas = strconv.Itoa(*r.Casualties)
	}
	fields := []string{strconv.FormatInt(r.ID, 10), r.Date.Format(time.DateOnly), r.Country, r.Admin1, r.Place,
		f(r.Latitude), f(r.Longitude), string(r.Category), cas, r.Involved, string(r.Confidence), r.Channel}
	for i, s := range fields {
		fields[i] = strings.Map(func(c rune) rune {
			if c == '\t' || c == '\n' || c == '\r' {
				return ' '
			}
			return c
		}, s)
	}
	return fields
}

// writeEvent writes verified report r as an event through the ingest
// path, as a one-row stream of format "field-report", and says what it
// changed. Writing the same report twice changes nothing.
func writeEvent(ctx context.Context, st ingest.Store, r Report, now func() time.Time) (ingest.Touched, error) {
	ev := Event(r)
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("event of field report %d: %w", r.ID, err)
	}
	fields := row(r)
	line := []byte(strings.Join(fields, "\t") + "\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(line); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(line)
	w, err := st.BeginFile(ctx, ingest.FileInfo{Name: fmt.Sprintf("field-report-%d.tsv", r.ID),
		SHA256: hex.EncodeToString(sum[:]), Format: "field-report", Header: eventHeader, Separator: "tsv"},
		ingest.WriteOptions{Atomic: true, Now: now})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	b := &ingest.Batch{Block: ingest.Block{Offset: 0, Length: len(line), Data: gz.Bytes()},
		Records: []ingest.Record{{Line: 1, Offset: 0, Length: len(line), Hash: ingest.HashFields(fields), Event: ev}}}
	counts, err := w.Write(ctx, b)
	if err != nil {
		return nil, err
	}
	if err := w.Finish(ctx, counts); err != nil {
		return nil, err
	}
	return w.Touched(), nil
}
