package cli

import (
	"flag"
	"fmt"
	"strings"

	"threshold/internal/event"
)

// filterFlags registers the event filter flags shared by events and stats.
type filterFlags struct {
	country, admin1, from, to, category, source *string
}

func addFilterFlags(fs *flag.FlagSet) filterFlags {
	return filterFlags{
		country:  fs.String("country", "", "ISO 3166-1 alpha-3 country code, e.g. SDN"),
		admin1:   fs.String("admin1", "", "first-level administrative area name, as the source spells it"),
		from:     fs.String("from", "", "first day, YYYY-MM-DD (or YYYY-MM, YYYY)"),
		to:       fs.String("to", "", "last day, YYYY-MM-DD (or YYYY-MM, YYYY: the end of that month or year)"),
		category: fs.String("category", "", "event category: "+categoryNames()),
		source:   fs.String("source", "", "source: ucdp-ged, ucdp-candidate, ucdp-deco, acled, gdelt, icews"),
	}
}

func categoryNames() string {
	var names []string
	for _, c := range event.Categories() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

func (ff filterFlags) filter() (event.Filter, error) {
	f := event.Filter{
		Country:  strings.ToUpper(strings.TrimSpace(*ff.country)),
		Admin1:   *ff.admin1,
		Category: event.Category(*ff.category),
		Source:   event.Source(*ff.source),
	}
	if f.Country != "" && len(f.Country) != 3 {
		return f, usageError{fmt.Sprintf("--country %q: want an ISO 3166-1 alpha-3 code such as SDN", *ff.country)}
	}
	if f.Category != "" && !f.Category.Valid() {
		return f, usageError{fmt.Sprintf("--category %q: want one of %s", *ff.category, categoryNames())}
	}
	var err error
	if f.From, err = event.ParseDay(*ff.from, false); err != nil {
		return f, usageError{"--from: " + err.Error()}
	}
	if f.To, err = event.ParseDay(*ff.to, true); err != nil {
		return f, usageError{"--to: " + err.Error()}
	}
	return f, nil
}
