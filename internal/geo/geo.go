package geo

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnknown is returned when a code or name matches no country.
var ErrUnknown = errors.New("unknown country")

// ErrNoStateOnDate is returned, together with ErrUnknown, by FromGW and
// FromCOW when the code is known but its state was not in the state list on
// the date asked: South Sudan (626) before 2011-07-09, South Yemen (680)
// after 1990-05-21. Sources sometimes code a territory with the number of
// the state it became (UCDP DECO codes Namibia's 1989 election as 565);
// callers who want the territory regardless can retry with a zero date.
var ErrNoStateOnDate = errors.New("no state with this code on that date")

// Country is one row of the code table.
type Country struct {
	ISO3 string // ISO 3166-1 alpha-3; XKX for Kosovo
	Name string // English short name

	// Region, Subregion and IntermediateRegion place the country in the
	// UN M49 standard: "Africa", "Sub-Saharan Africa", "Middle Africa".
	// IntermediateRegion is set only where M49 has one (Africa south of
	// the Sahara, Latin America and the Caribbean, the Channel Islands).
	// Taiwan and Antarctica have none of the three.
	Region             string
	Subregion          string
	IntermediateRegion string
	// WBRegion is the World Bank region, e.g. "Middle East & North
	// Africa"; "" for territories the Bank does not classify.
	WBRegion string
}

// Table resolves country codes and names. It is safe for concurrent use.
type Table struct {
	countries map[string]Country // by ISO3
	fips      map[string]string  // FIPS 10-4 -> ISO3
	isoNum    map[int]string     // ISO 3166-1 numeric -> ISO3
	gw, cow   map[int][]span     // state number -> membership intervals
	names     []namePattern      // English-name regexes, in table order
	aliases   map[string]string  // normalized name -> ISO3

	cache     sync.Map     // normalized name -> nameResult
	cacheSize atomic.Int64 // entries in cache, bounded by maxCache
}

// Load returns the code table embedded in the binary. It parses the table
// on every call, so call it once and share the *Table.
func Load() (*Table, error) {
	t, err := parse(tableFiles)
	if err != nil {
		return nil, fmt.Errorf("load geo table: %w", err)
	}
	return t, nil
}

// FromGW resolves a Gleditsch-Ward state number as it applied on date on.
// A zero on skips the date check. The error wraps ErrUnknown when the code
// is not in the table, and also ErrNoStateOnDate when its state did not
// exist on that date.
func (t *Table) FromGW(code int, on time.Time) (string, error) {
	return resolveState("GW", t.gw, code, on)
}

// FromCOW resolves a Correlates of War state number as it applied on date on.
// A zero on skips the date check. The error wraps ErrUnknown when the code
// is not in the table, and also ErrNoStateOnDate when its state did not
// exist on that date.
func (t *Table) FromCOW(code int, on time.Time) (string, error) {
	return resolveState("COW", t.cow, code, on)
}

// FromFIPS resolves a FIPS 10-4 country code, as GDELT writes them. Case
// and surrounding space are ignored. The error wraps ErrUnknown for codes
// that are not countries (GDELT's OS, oceans) or not in the table.
func (t *Table) FromFIPS(code string) (string, error) {
	if iso3, ok := t.fips[strings.ToUpper(strings.TrimSpace(code))]; ok {
		return iso3, nil
	}
	return "", fmt.Errorf("FIPS code %q: %w", code, ErrUnknown)
}

// FromISONumeric resolves an ISO 3166-1 numeric code, as ACLED writes them.
// A few withdrawn codes (736 Sudan before 2011, 891 Serbia and Montenegro,
// 810 USSR ...) resolve to the continuing state; see SOURCE.md.
func (t *Table) FromISONumeric(n int) (string, error) {
	if iso3, ok := t.isoNum[n]; ok {
		return iso3, nil
	}
	return "", fmt.Errorf("ISO numeric code %d: %w", n, ErrUnknown)
}

// Lookup returns the country with the given ISO alpha-3 code. Case is
// ignored.
func (t *Table) Lookup(iso3 string) (Country, bool) {
	c, ok := t.countries[strings.ToUpper(iso3)]
	return c, ok
}

// Countries returns every country in the table, sorted by ISO3.
func (t *Table) Countries() []Country {
	out := make([]Country, 0, len(t.countries))
	for _, c := range t.countries {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Country) int { return strings.Compare(a.ISO3, b.ISO3) })
	return out
}
