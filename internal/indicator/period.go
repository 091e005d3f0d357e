package indicator

import (
	"fmt"
	"time"
)

// Kind is the length of a period.
type Kind string

// The period kinds.
const (
	Day   Kind = "day"
	Week  Kind = "week" // ISO 8601 week, Monday to Sunday
	Month Kind = "month"
)

// Kinds lists the period kinds, shortest first.
func Kinds() []Kind { return []Kind{Day, Week, Month} }

// Start returns the first day of the period of kind k that contains t, as
// midnight UTC.
func (k Kind) Start(t time.Time) time.Time {
	y, m, d := t.Date()
	switch k {
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday 0
		return time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Next returns the first day of the period after the one starting on start.
func (k Kind) Next(start time.Time) time.Time {
	switch k {
	case Week:
		return start.AddDate(0, 0, 7)
	case Month:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool { return k == Day || k == Week || k == Month }

// ParseKind parses "day", "week" or "month".
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); k.Valid() {
		return k, nil
	}
	return "", fmt.Errorf("unknown period kind %q (want day, week or month)", s)
}

// Window widens [from, to] to whole weeks and months: from moves back to
// the earlier of its week's and month's first day, to forward to the later
// of its week's and month's last day. Every period touching [from, to]
// lies inside the window. A zero bound stays zero (unbounded).
func Window(from, to time.Time) (time.Time, time.Time) {
	if !from.IsZero() {
		w, m := Week.Start(from), Month.Start(from)
		from = w
		if m.Before(w) {
			from = m
		}
	}
	if !to.IsZero() {
		w := Week.Next(Week.Start(to)).AddDate(0, 0, -1)
		m := Month.Next(Month.Start(to)).AddDate(0, 0, -1)
		to = w
		if m.After(w) {
			to = m
		}
	}
	return from, to
}

// day numbers days since 1970-01-01 for cheap keys and differences.
func day(t time.Time) int32 { return int32(t.Unix() / 86400) }

func dayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }
