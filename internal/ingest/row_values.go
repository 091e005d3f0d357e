package ingest

import (
	"math"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
)

// Row helpers shared by the UCDP and ACLED decoders. Like Float and LatLon
// they return values, not pointers, so that a decoder can put all of an
// event's numbers into one allocation (eventNumbers).

// eventNumbers holds the values an event's pointer fields point to.
type eventNumbers struct {
	lat, lon        float64
	best, low, high int
}

// coordinates parses latitude and longitude (see LatLon) into n and points
// e at them; both absent leaves them nil.
func (n *eventNumbers) coordinates(e *event.Event, latField, lat, lonField, lon string) error {
	la, lo, ok, err := LatLon(latField, lat, lonField, lon)
	if err != nil || !ok {
		return err
	}
	n.lat, n.lon = la, lo
	e.Latitude, e.Longitude = &n.lat, &n.lon
	return nil
}

// deathCount parses an optional number of deaths: a non-negative integer,
// where "12.0" is accepted as 12 (as OptInt does); ok is false for "", "NA"
// and "NULL".
func deathCount(field, s string) (n int, ok bool, err error) {
	if isNA(s) {
		return 0, false, nil
	}
	n, ok = intDigits(s)
	if !ok {
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return 0, false, &FieldError{Field: field, Value: s, Reason: "not an integer"}
		}
		n = int(f)
	}
	if n < 0 {
		return 0, false, &FieldError{Field: field, Value: s, Reason: "negative"}
	}
	return n, true, nil
}

// intDigits parses a decimal integer with an optional sign, without
// allocating on failure.
func intDigits(s string) (int, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	n, ok := digits(s)
	if neg {
		n = -n
	}
	return n, ok
}

// precisionCode parses an optional code on a 1..max precision scale; ""
// and "NA" give 0 (unknown).
func precisionCode(field, s string, max int) (int, error) {
	if isNA(s) {
		return 0, nil
	}
	n, ok := intDigits(s)
	if !ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 1 && f <= float64(max) {
			return int(f), nil
		}
		return 0, &FieldError{Field: field, Value: s, Reason: "not an integer"}
	}
	if n < 1 || n > max {
		return 0, &FieldError{Field: field, Value: s, Reason: "out of range 1.." + strconv.Itoa(max)}
	}
	return n, nil
}

// naEmpty returns s, or "" for the R and SQL spellings of "no value".
func naEmpty(s string) string {
	if isNA(s) {
		return ""
	}
	return s
}

// civilDate is Date with fast paths for the forms the UCDP files use:
// "2013-01-05", "2013-01-05T00:00:00", "2013-01-05 00:00:00.000" and DECO's
// "1/5/2013". Anything else goes to Date.
func civilDate(field, s string) (time.Time, error) {
	if len(s) >= 10 {
		if t, ok := isoDate(s[:10]); ok && t.Year() >= 1000 {
			switch s[10:] {
			case "", "T00:00:00", " 00:00:00", " 00:00:00.000", "T00:00:00.000", "T00:00:00Z":
				return t, nil
			}
		}
	}
	if t, ok := usDate(s); ok {
		return t, nil
	}
	t, err := Date(field, s)
	if err != nil {
		return time.Time{}, err
	}
	return t, checkYear(field, s, t)
}

// checkYear refuses years before 1000, as YMD does: Date's layouts accept
// "1/1/0001", which is the zero time.Time, and the zero time means "no
// date" to Event.Validate.
func checkYear(field, s string, t time.Time) error {
	if t.Year() < 1000 {
		return &FieldError{Field: field, Value: s, Reason: "year out of range"}
	}
	return nil
}

// usDate parses M/D/YYYY, as UCDP DECO writes dates.
func usDate(s string) (time.Time, bool) {
	i := strings.IndexByte(s, '/')
	if i < 1 || i > 2 {
		return time.Time{}, false
	}
	j := strings.IndexByte(s[i+1:], '/') + i + 1
	if j-i-1 < 1 || j-i-1 > 2 || len(s)-j-1 != 4 {
		return time.Time{}, false
	}
	m, ok1 := digits(s[:i])
	d, ok2 := digits(s[i+1 : j])
	y, ok3 := digits(s[j+1:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || y < 1000 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
