package ingest

import (
	"threshold/internal/event"
	"threshold/internal/geo"
)

// A Decoder maps the fields of one data row of a file to an event. A bad row
// gives an error that is, or wraps, a *FieldError naming the field. A
// Decoder must be safe for concurrent use: rows of one file are decoded by
// several goroutines.
type Decoder interface {
	Decode(fields []string) (event.Event, error)
}

// File describes the file a decoder is made for.
type File struct {
	Name    string     // base name, e.g. "GEDEvent_v23_1_mexico.csv"; release versions are read from it
	Columns Columns    // the header row; nil for headerless formats
	Geo     *geo.Table // country code resolution
	// Admin1 returns the admin-1 areas, for a decoder whose file has
	// coordinates but no admin-1 column; it loads them on its first
	// call. Nil when there are none.
	Admin1 func() (*geo.Admin1Table, error)
}

// Format is one family of published file layouts.
type Format struct {
	Name   string       // as given to --format: "ucdp-ged", "acled", "gdelt", ...
	Source event.Source // the source its events belong to

	// Headerless formats (GDELT) have no header row and tab-separated
	// fields, and are recognised by their field count.
	Headerless bool
	// FieldCounts are the field counts a headerless format accepts.
	FieldCounts []int
	// Columns names the fields of a headerless format's row with the
	// given field count, from the source's codebook; nil if it has none.
	Columns func(fieldCount int) []string

	// Match reports whether a file with this header (and base name) is of
	// this format. Nil for headerless formats.
	Match func(f File) bool

	// New returns a decoder for the file. It fails when a column the format
	// needs is missing from the header.
	New func(f File) (Decoder, error)
}

// Formats returns the formats Threshold reads, in the order detection tries
// them: the first whose Match accepts a header wins.
func Formats() []Format {
	return []Format{
		ucdpDECOFormat(),
		ucdpCandidateFormat(),
		ucdpGEDFormat(),
		acledFormat(),
		icewsFormat(),
		powellThyneFormat(),
		gdeltFormat(),
	}
}

// FormatByName returns the named format.
func FormatByName(name string) (Format, bool) {
	for _, f := range Formats() {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// ColumnNames names the fields of a row of a headerless format (GDELT),
// which carries no header to store: nil for other formats or a field
// count the format does not have.
func ColumnNames(format string, fieldCount int) []string {
	f, ok := FormatByName(format)
	if !ok || f.Columns == nil {
		return nil
	}
	return f.Columns(fieldCount)
}
