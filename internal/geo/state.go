package geo

import (
	"fmt"
	"time"
)

// span is one membership interval of a GW or COW state number.
type span struct {
	iso3     string
	from, to int // yyyymmdd, inclusive; to == 0 means still a member
}

func (s span) contains(d int) bool {
	return d >= s.from && (s.to == 0 || d <= s.to)
}

// resolveState finds the ISO3 that code meant on date on in one state
// system. spans for a code are sorted by start date.
func resolveState(system string, spans map[int][]span, code int, on time.Time) (string, error) {
	ss := spans[code]
	if len(ss) == 0 {
		return "", fmt.Errorf("%s code %d: %w", system, code, ErrUnknown)
	}
	if on.IsZero() {
		return ss[len(ss)-1].iso3, nil
	}
	d := dayOf(on)
	for _, s := range ss {
		if s.contains(d) {
			return s.iso3, nil
		}
	}
	return "", fmt.Errorf("%s code %d on %s: %w: %w", system, code, on.Format(time.DateOnly), ErrNoStateOnDate, ErrUnknown)
}
