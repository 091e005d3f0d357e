// Package geo is Threshold's spatial vocabulary: countries keyed by ISO
// 3166-1 alpha-3, and the resolution of every code scheme the event sources
// use (Gleditsch-Ward, Correlates of War, FIPS 10-4, ISO numeric, English
// names) onto it.
package geo

import (
	"errors"
	"time"
)

// ErrUnknown is returned when a code or name matches no country.
var ErrUnknown = errors.New("unknown country")

// Country is one row of the code table.
type Country struct {
	ISO3 string // ISO 3166-1 alpha-3; XKX for Kosovo
	Name string // English short name
}

// Table resolves country codes and names. It is safe for concurrent use.
type Table struct {
	// TODO(geo): filled in by the code table implementation.
}

// Load returns the code table embedded in the binary.
func Load() (*Table, error) { return &Table{}, nil }

// FromGW resolves a Gleditsch-Ward state number as it applied on date on.
func (t *Table) FromGW(code int, on time.Time) (string, error) { return "", ErrUnknown }

// FromCOW resolves a Correlates of War state number as it applied on date on.
func (t *Table) FromCOW(code int, on time.Time) (string, error) { return "", ErrUnknown }

// FromFIPS resolves a FIPS 10-4 country code, as GDELT writes them.
func (t *Table) FromFIPS(code string) (string, error) { return "", ErrUnknown }

// FromISONumeric resolves an ISO 3166-1 numeric code, as ACLED writes them.
func (t *Table) FromISONumeric(n int) (string, error) { return "", ErrUnknown }

// FromName resolves an English country name as UCDP, ACLED or ICEWS write
// it ("DR Congo (Zaire)", "Ivory Coast", "Myanmar (Burma)").
func (t *Table) FromName(name string) (string, error) { return "", ErrUnknown }

// Lookup returns the country with the given ISO alpha-3 code.
func (t *Table) Lookup(iso3 string) (Country, bool) { return Country{}, false }
