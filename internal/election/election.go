// Package election is Threshold's calendar of national elections: the dates
// alert rules watch for pre- and post-electoral violence. A calendar is a CSV
// file of past and scheduled elections, one row each, every row citing its
// public source; the package parses and validates it, and embeds a small
// calendar of real past elections for the countries in the bundled data
// (see calendar.csv and SOURCE.md).
package election

import (
	"fmt"
	"time"
)

// Kind is what an election chooses.
type Kind string

// The kinds of election.
const (
	Presidential Kind = "presidential" // head of state (or government, where elected directly)
	Legislative  Kind = "legislative"  // national parliament
	General      Kind = "general"      // presidential and legislative on the same day
	Referendum   Kind = "referendum"   // national referendum or constitutional vote
	Local        Kind = "local"        // municipal or regional, held nationwide
)

// Kinds lists the kinds of election.
func Kinds() []Kind { return []Kind{Presidential, Legislative, General, Referendum, Local} }

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds() {
		if k == v {
			return true
		}
	}
	return false
}

// ParseKind parses an election kind name.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); k.Valid() {
		return k, nil
	}
	return "", fmt.Errorf("unknown election kind %q (want presidential, legislative, general, referendum or local)", s)
}

// Election is one national election (one round of it) on one day.
type Election struct {
	Country string    `json:"country"` // ISO 3166-1 alpha-3
	Date    time.Time `json:"date"`    // polling day, midnight UTC
	Kind    Kind      `json:"kind"`
	Round   int       `json:"round"`  // 1 for the first (or only) round, 2 for a run-off
	Source  string    `json:"source"` // public URL or citation the date comes from
	Note    string    `json:"note,omitempty"`
}
