package fieldreport

import (
	"testing"
	"time"
)

func TestSilentAreas(t *testing.T) {
	now := time.Date(2024, 3, 20, 12, 0, 0, 0, time.UTC)
	ms := []Monitor{
		{Name: "Synthetic A", Active: true, IntervalDays: 7, Areas: []Area{{"CAF", "Ouham"}, {"CAF", "Vakaga"}, {"CAF", "Lobaye"}}},
		{Name: "Synthetic B", Active: true, IntervalDays: 3, Areas: []Area{{"CAF", "Ouham"}}},
		{Name: "Synthetic C", Active: false, IntervalDays: 1, Areas: []Area{{"CAF", "Bangui"}}},
		{Name: "Synthetic D", Active: true, IntervalDays: 30, Areas: []Area{{"TCD", ""}}},
	}
	last := map[Area]time.Time{
		{"CAF", "ouham"}:   now.AddDate(0, 0, -5),  // quiet 5 days, expected every 3: silent
		{"CAF", "Vakaga"}:  now.AddDate(0, 0, -2),  // fine
		{"TCD", "Ouaddaï"}: now.AddDate(0, 0, -10), // counts for the whole of TCD: fine
	}
	got := silentAreas(ms, last, now)
	if len(got) != 2 || got[0].Admin1 != "Lobaye" || got[0].QuietDays != -1 || got[1].Admin1 != "Ouham" ||
		got[1].QuietDays != 5 || len(got[1].Monitors) != 2 {
		t.Errorf("silentAreas = %+v", got)
	}
}
