package event

import (
	"fmt"
	"math"
	"time"
)

// Source names a published event data set. A source's own identifiers are
// unique within it, never across sources.
type Source string

// The sources Threshold ingests.
const (
	UCDPGED       Source = "ucdp-ged"       // UCDP Georeferenced Event Dataset, yearly releases
	UCDPCandidate Source = "ucdp-candidate" // UCDP Candidate Events, monthly, preliminary
	UCDPDECO      Source = "ucdp-deco"      // UCDP Deadly Electoral Conflict events
	ACLED         Source = "acled"          // Armed Conflict Location & Event Data
	GDELT         Source = "gdelt"          // GDELT 1.0 and 2.0 event exports
	ICEWS         Source = "icews"          // Integrated Crisis Early Warning System events
	PowellThyne   Source = "powell-thyne"   // Powell & Thyne list of coups and coup attempts
	FieldReport   Source = "field-report"   // verified reports of Threshold's own field monitors and partners
)

// Sources lists the sources Threshold ingests.
func Sources() []Source {
	return []Source{UCDPGED, UCDPCandidate, UCDPDECO, ACLED, GDELT, ICEWS, PowellThyne, FieldReport}
}

// Key is an event's stable identity: its source and the source's own id.
type Key struct {
	Source   Source
	SourceID string
}

func (k Key) String() string { return string(k.Source) + ":" + k.SourceID }

// Event is one political-violence or political-event record, whatever its
// source. Optional numeric fields are pointers: nil means the source does
// not give the value, which is different from zero.
type Event struct {
	Source   Source
	SourceID string // the source's own id: GED id, ACLED event_id_cnty, GDELT GLOBALEVENTID, ...
	Version  string // the source's release the record comes from, e.g. "23.1"; empty if unknown

	DateStart     time.Time     // first day, midnight UTC
	DateEnd       time.Time     // last day, midnight UTC; equal to DateStart for one-day events
	DatePrecision DatePrecision // how exactly the dates are known

	Country string // ISO 3166-1 alpha-3 (XKX for Kosovo, which has no ISO code)
	// Admin1 is the first-level administrative area as the source names
	// it. For a file that gives coordinates but no admin-1 field (the
	// 14-column UCDP GED extract) it is the Natural Earth area containing
	// the point (geo.Admin1Table), so names differ from those of files that
	// carry their own. Empty if unknown.
	Admin1 string

	Place        string       // place name as the source gives it
	Latitude     *float64     // WGS84 degrees, -90..90
	Longitude    *float64     // WGS84 degrees, -180..180
	GeoPrecision GeoPrecision // how exactly the place is known

	Category      Category // normalised type, see Category
	SourceType    string   // the source's own type: UCDP type_of_violence, ACLED event_type, CAMEO EventCode
	SourceSubType string   // ACLED sub_event_type, CAMEO EventBaseCode; empty where none
	QuadClass     int      // CAMEO quad class as the source states it (1..4); 0 if none

	Actor1 string // UCDP side_a, ACLED actor1, GDELT/ICEWS source actor
	Actor2 string // UCDP side_b, ACLED actor2, GDELT/ICEWS target actor

	Fatalities Fatalities

	Goldstein *float64 // GDELT GoldsteinScale or ICEWS intensity, -10..10
	Tone      *float64 // GDELT AvgTone, -100..100

	Electoral bool   // linked to an election (UCDP DECO)
	SourceRef string // where the source learned of it: articles, outlet, URL
}

// Key returns the event's stable identity.
func (e *Event) Key() Key { return Key{Source: e.Source, SourceID: e.SourceID} }

// Fatalities are deaths as the source estimates them. Best is the figure to
// sum; Low and High, where given, bound it.
type Fatalities struct {
	Best *int
	Low  *int
	High *int
}

// Validate reports the first violation of the model's invariants. Ingest
// validates every event before it is stored.
func (e *Event) Validate() error {
	switch {
	case e.Source == "":
		return fmt.Errorf("source is empty")
	case e.SourceID == "":
		return fmt.Errorf("source id is empty")
	case e.DateStart.IsZero():
		return fmt.Errorf("start date is missing")
	case e.DateEnd.Before(e.DateStart):
		return fmt.Errorf("end date %s is before start date %s", e.DateEnd.Format(time.DateOnly), e.DateStart.Format(time.DateOnly))
	case len(e.Country) != 3:
		return fmt.Errorf("country %q is not an ISO 3166-1 alpha-3 code", e.Country)
	case !e.Category.Valid():
		return fmt.Errorf("category %q is not in the taxonomy", e.Category)
	case (e.Latitude == nil) != (e.Longitude == nil):
		return fmt.Errorf("latitude and longitude must both be given or both be absent")
	}
	for _, f := range []*float64{e.Latitude, e.Longitude, e.Goldstein, e.Tone} {
		if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
			return fmt.Errorf("value %g is not a finite number", *f)
		}
	}
	if e.Latitude != nil && (*e.Latitude < -90 || *e.Latitude > 90) {
		return fmt.Errorf("latitude %g is out of range", *e.Latitude)
	}
	if e.Longitude != nil && (*e.Longitude < -180 || *e.Longitude > 180) {
		return fmt.Errorf("longitude %g is out of range", *e.Longitude)
	}
	f := e.Fatalities
	for _, n := range []*int{f.Best, f.Low, f.High} {
		if n != nil && *n < 0 {
			return fmt.Errorf("fatalities %d are negative", *n)
		}
	}
	return nil
}
