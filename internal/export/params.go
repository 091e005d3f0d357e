package export

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"threshold/internal/event"
	"threshold/internal/indicator"
	"threshold/internal/store"
)

// IndicatorParams are the filters of an indicator export as text, from
// command-line flags or a query string. Empty fields select everything.
type IndicatorParams struct {
	Country string // ISO 3166-1 alpha-3
	Admin1  string // one first-level area, as the source spells it; "" every area and the whole country
	Period  string // day, week or month; "" or "all" all three
	Name    string // one indicator name, e.g. fatalities_best
	From    string // periods starting on or after: YYYY-MM-DD, YYYY-MM or YYYY
	To      string // periods starting on or before: the last day of a YYYY-MM or YYYY
}

// FieldError is a bad parameter: which one, and why.
type FieldError struct {
	Field string // country, admin1, period, name, from or to
	Value string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s %q: %v", e.Field, e.Value, e.Err) }

func (e *FieldError) Unwrap() error { return e.Err }

// Query validates p into a store query. It checks the form of a country
// code, not that the country exists: callers with a country table check
// that.
func (p IndicatorParams) Query() (store.IndicatorQuery, error) {
	var q store.IndicatorQuery
	if c := strings.TrimSpace(p.Country); c != "" {
		if len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') }) >= 0 {
			return q, &FieldError{"country", p.Country, fmt.Errorf("want an ISO 3166-1 alpha-3 code such as SDN")}
		}
		q.Country = strings.ToUpper(c)
	}
	if p.Admin1 != "" {
		if !utf8.ValidString(p.Admin1) || len(p.Admin1) > 200 {
			return q, &FieldError{"admin1", p.Admin1, fmt.Errorf("want an area name of at most 200 bytes of UTF-8")}
		}
		a := p.Admin1
		q.Admin1 = &a
	}
	if per := strings.ToLower(strings.TrimSpace(p.Period)); per != "" && per != "all" {
		k, err := indicator.ParseKind(per)
		if err != nil {
			return q, &FieldError{"period", p.Period, err}
		}
		q.Kind = k
	}
	if p.Name != "" {
		if !utf8.ValidString(p.Name) || len(p.Name) > 100 {
			return q, &FieldError{"name", p.Name, fmt.Errorf("want an indicator name such as fatalities_best")}
		}
		q.Name = p.Name
	}
	var err error
	if q.From, err = event.ParseDay(p.From, false); err != nil {
		return q, &FieldError{"from", p.From, err}
	}
	if q.To, err = event.ParseDay(p.To, true); err != nil {
		return q, &FieldError{"to", p.To, err}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, &FieldError{"to", p.To, fmt.Errorf("the last day is before the first (%s)", p.From)}
	}
	return q, nil
}
