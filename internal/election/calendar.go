package election

import (
	"bytes"
	_ "embed"
)

//go:embed calendar.csv
var calendarCSV []byte

// Calendar returns the embedded calendar of real past national elections
// in the Central African Republic, Côte d'Ivoire and Mexico (see
// SOURCE.md: entered from public records, to be checked against them).
func Calendar() ([]Election, error) {
	return ParseCSV("calendar.csv", bytes.NewReader(calendarCSV))
}

// CalendarCSV returns the embedded calendar file as written.
func CalendarCSV() []byte { return bytes.Clone(calendarCSV) }
