package api

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"threshold/internal/event"
	"threshold/internal/ingest"
)

// FilterParams are the event filters that listings and statistics share,
// as query parameters.
type FilterParams struct {
	Country  string       `query:"country" maxLength:"3" doc:"ISO 3166-1 alpha-3 country code (XKX for Kosovo)." example:"CAF"`
	Admin1   string       `query:"admin1" maxLength:"200" doc:"First-level administrative area, exactly as the source names it."`
	From     string       `query:"from" maxLength:"10" doc:"First day: YYYY-MM-DD, or YYYY-MM or YYYY for the first day of that month or year." example:"2013-12"`
	To       string       `query:"to" maxLength:"10" doc:"Last day: YYYY-MM-DD, or YYYY-MM or YYYY for the last day of that month or year." example:"2014-01"`
	Category categoryName `query:"category" doc:"Event category."`
	Source   sourceName   `query:"source" doc:"Source data set."`
}

// filter validates the parameters into an event filter.
func (a *API) filter(p FilterParams) (event.Filter, error) {
	f := event.Filter{
		Country:  strings.ToUpper(strings.TrimSpace(p.Country)),
		Admin1:   p.Admin1,
		Category: event.Category(p.Category),
		Source:   event.Source(p.Source),
	}
	if f.Country != "" {
		if _, ok := a.geo.Lookup(f.Country); !ok {
			return f, invalid("query.country", "not an ISO 3166-1 alpha-3 country code, such as SDN", p.Country)
		}
	}
	var err error
	if f.From, err = event.ParseDay(p.From, false); err != nil {
		return f, invalid("query.from", err.Error(), p.From)
	}
	if f.To, err = event.ParseDay(p.To, true); err != nil {
		return f, invalid("query.to", err.Error(), p.To)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, invalid("query.to", "the last day is before the first ("+p.From+")", p.To)
	}
	return f, nil
}

// Cursors are opaque to clients: the last id of a page, base64url
// encoded, so that clients do not build them and the encoding can change.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, invalid("query.cursor", "not a cursor this API gave: pass next_cursor from the previous page", c)
}

// categoryName, sourceName and formatName are strings whose schemas list
// their values, taken from the packages that define them, so that the
// OpenAPI document and the validation never drift from the code.
type (
	categoryName string
	sourceName   string
	formatName   string
)

func enumSchema[T ~string](values []T) *huma.Schema {
	s := &huma.Schema{Type: "string"}
	for _, v := range values {
		s.Enum = append(s.Enum, string(v))
	}
	return s
}

func (categoryName) Schema(huma.Registry) *huma.Schema { return enumSchema(event.Categories()) }

func (sourceName) Schema(huma.Registry) *huma.Schema { return enumSchema(sources()) }

func (formatName) Schema(huma.Registry) *huma.Schema {
	s := enumSchema(append([]string{"auto"}, ingest.FormatNames()...))
	s.Default = "auto"
	return s
}

// sources lists the sources Threshold ingests.
func sources() []event.Source {
	return event.Sources()
}
