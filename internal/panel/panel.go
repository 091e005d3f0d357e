package panel

import (
	"context"
	"fmt"
	"time"
)

// Role says what a variable's values are to a forecaster.
type Role string

// The roles.
const (
	// Input is a value known at the end of its year: usable as a
	// feature for forecasts made then.
	Input Role = "input"
	// Outcome is what happened in the row's own year (EWP's mk_onset). It is
	// known at the year's end, so a lag of it may be a feature, but it is
	// the quantity targets are built from.
	Outcome Role = "outcome"
	// FutureOutcome is what happened in a later year, written on the row
	// of an earlier one (EWP's mk_onset_1). Never a feature.
	FutureOutcome Role = "future-outcome"
	// Forecast is a published forecast (EWP's risk_prev). Never a feature.
	Forecast Role = "forecast"
)

// Leaks reports whether values of this role hold information from after
// their row's year, so that feature code must refuse them as inputs.
func (r Role) Leaks() bool { return r == FutureOutcome || r == Forecast }

// Scheme names the country numbering a dataset uses.
type Scheme string

// The schemes.
const (
	GW  Scheme = "gw"  // Gleditsch & Ward state numbers
	COW Scheme = "cow" // Correlates of War state numbers
	// EWP is the Early Warning Project's ccode: COW numbers, with a few of
	// its own where its country list differs (it resolves through COW).
	EWP Scheme = "ewp"
)

// Variable describes one column of a dataset.
type Variable struct {
	Dataset     string `json:"dataset"`
	Name        string `json:"name"`
	Role        Role   `json:"role"`
	Text        bool   `json:"text,omitempty"` // values are strings (Value.Text), not numbers
	Description string `json:"description,omitempty"`
}

// Value is one country-year value.
type Value struct {
	Dataset  string
	Variable string
	ISO3     string // ISO 3166-1 alpha-3 (XKX for Kosovo)
	Code     int    // the source's state number, in its dataset's Scheme; 0 if the row had none
	Year     int
	Num      float64 // the value of a numeric variable, unless Missing
	Text     string  // the value of a text variable
	Missing  bool    // NA or empty in the source
	Line     int     // source line of the row; of the first contributing row for aggregates
}

// Same reports whether v and w hold the same content (ignoring where it
// was read from).
func (v Value) Same(w Value) bool {
	if v.Missing || w.Missing {
		return v.Missing == w.Missing
	}
	return v.Num == w.Num && v.Text == w.Text
}

// Key identifies a stored value.
type Key struct {
	Dataset, Variable, ISO3 string
	Code, Year              int
}

// Key returns v's key.
func (v Value) Key() Key {
	return Key{Dataset: v.Dataset, Variable: v.Variable, ISO3: v.ISO3, Code: v.Code, Year: v.Year}
}

// Reject is a row that was not stored.
type Reject struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"` // as the file's header spells it; "" for the whole row
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	// Partial says the row was stored in part: a country of its list the
	// code table does not know was left out.
	Partial bool     `json:"partial,omitempty"`
	Raw     []string `json:"raw,omitempty"`
}

// RowError is a bad row: its file, line and column.
type RowError struct {
	File string
	Reject
}

func (e *RowError) Error() string {
	s := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Column != "" {
		s += ": column " + e.Column
	}
	s += ": " + e.Reason
	if e.Value != "" {
		s += fmt.Sprintf(": %q", e.Value)
	}
	return s
}

// File is one panel file as read: its values, ready to store, and its
// rejected rows.
type File struct {
	Name      string     // base name
	SHA256    string     // hex, of the bytes as read
	Format    string     // Format.Name
	Dataset   string     // see the package doc
	Scheme    Scheme     // of the Code of its values
	Header    []string   // the header as read
	Rows      int        // data rows read
	FirstYear int        // the years its rows cover
	LastYear  int        //
	Variables []Variable // every variable it holds, in header order
	Values    []Value
	Rejects   []Reject
	// Refused is set when the file must not be stored at all: an ACD or
	// BRD file with a bad row (its aggregates would be incomplete).
	Refused error
}

// Result is what storing one File changed.
type Result struct {
	Inserted  int  `json:"inserted"`  // values new to the store
	Updated   int  `json:"updated"`   // values whose content changed; the old one is kept as a version
	Unchanged int  `json:"unchanged"` // values stored already with the same content
	Skipped   bool `json:"skipped"`   // the same file (name and hash) was imported completely before
}

// Store keeps panel values. *store.DB implements it.
type Store interface {
	// ImportPanel stores f in one transaction: its file record,
	// variables, values and rejects. A file imported completely before
	// (same name and SHA-256) is skipped.
	ImportPanel(ctx context.Context, f *File, now time.Time) (Result, error)
}

// Query selects stored values. Empty fields select everything.
type Query struct {
	Dataset   string
	Variables []string
	ISO3      string
	From, To  int // years, inclusive; 0 for open
}

// Dataset describes a stored dataset.
type Dataset struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	Scheme    Scheme `json:"scheme"`
	FirstYear int    `json:"first_year"` // the years its files cover
	LastYear  int    `json:"last_year"`
}

// Reader reads stored values. *store.DB implements it.
type Reader interface {
	// PanelValues returns the values q selects, ordered by dataset,
	// variable, ISO3, code and year.
	PanelValues(ctx context.Context, q Query) ([]Value, error)
	// PanelDatasets lists the stored datasets by name.
	PanelDatasets(ctx context.Context) ([]Dataset, error)
	// PanelVariables lists a dataset's variables (every dataset's if
	// dataset is "").
	PanelVariables(ctx context.Context, dataset string) ([]Variable, error)
}
