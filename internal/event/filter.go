package event

import (
	"fmt"
	"time"
)

// Filter selects events. Zero fields select everything.
type Filter struct {
	Country  string    // ISO alpha-3
	Admin1   string    // first-level area name, exact
	From     time.Time // events starting on or after this day
	To       time.Time // events starting on or before this day
	Category Category
	Source   Source
}

// Stored is an event as the store holds it: with its row id and the
// provenance of its current version.
type Stored struct {
	ID int64
	Event
	Raw     []string // the source row's fields, exactly as published
	Columns []string // the source file's column names; nil for headerless formats
	File    string   // the file the current version came from
	Line    int      // the line in that file where the row starts
}

// Period is one cell of an aggregate: a country (and admin-1 area) in one
// month or week.
type Period struct {
	Country    string `json:"country"`
	Admin1     string `json:"admin1,omitempty"`
	Period     string `json:"period"` // "2011-06" for months, "2011-W23" for ISO weeks
	Events     int    `json:"events"`
	Fatalities int    `json:"fatalities"` // sum of best estimates
}

// ParseDay parses a filter date: YYYY-MM-DD, YYYY-MM or YYYY, from year
// 1000. A month or year stands for its first day, or with end for its
// last, so that "--from 2013 --to 2013" covers the whole year. "" gives the
// zero time: no bound.
func ParseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []struct {
		layout string
		last   func(time.Time) time.Time
	}{
		{time.DateOnly, func(t time.Time) time.Time { return t }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, -1) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, -1) }},
	} {
		if len(s) != len(l.layout) {
			continue
		}
		if t, err := time.Parse(l.layout, s); err == nil && t.Year() >= 1000 {
			if end {
				return l.last(t), nil
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: want YYYY-MM-DD, YYYY-MM or YYYY from year 1000", s)
}
