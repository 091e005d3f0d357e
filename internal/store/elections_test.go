package store_test

import (
	"context"
	"testing"
	"time"

	"threshold/internal/election"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestElections(t *testing.T) {
	// Synthetic rows: the dates and sources are made up for the test.
	els := []election.Election{
		{Country: "CAF", Date: day("2015-12-30"), Kind: election.General, Round: 1, Source: "synthetic-a"},
		{Country: "CAF", Date: day("2016-02-14"), Kind: election.Presidential, Round: 2, Source: "synthetic-b"},
		{Country: "CIV", Date: day("2010-10-31"), Kind: election.Presidential, Round: 1, Source: "synthetic-c", Note: "n"},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		added, changed, err := db.ImportElections(ctx, els)
		if err != nil || added != 3 || changed != 0 {
			t.Fatalf("first import: added %d changed %d, %v; want 3, 0", added, changed, err)
		}
		added, changed, err = db.ImportElections(ctx, els)
		if err != nil || added != 0 || changed != 0 {
			t.Fatalf("second import: added %d changed %d, %v; want 0, 0", added, changed, err)
		}
		edited := []election.Election{els[0]}
		edited[0].Note = "corrected"
		added, changed, err = db.ImportElections(ctx, edited)
		if err != nil || added != 0 || changed != 1 {
			t.Fatalf("edited import: added %d changed %d, %v; want 0, 1", added, changed, err)
		}
		tests := []struct {
			name      string
			countries []string
			from, to  time.Time
			want      []string // country and date
		}{
			{"all", nil, time.Time{}, time.Time{}, []string{"CIV 2010-10-31", "CAF 2015-12-30", "CAF 2016-02-14"}},
			{"one country", []string{"caf"}, time.Time{}, time.Time{}, []string{"CAF 2015-12-30", "CAF 2016-02-14"}},
			{"bounded, inclusive", nil, day("2015-12-30"), day("2016-02-14"), []string{"CAF 2015-12-30", "CAF 2016-02-14"}},
			{"none", []string{}, time.Time{}, time.Time{}, nil},
		}
		for _, tc := range tests {
			got, err := db.Elections(ctx, tc.countries, tc.from, tc.to)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var keys []string
			for _, e := range got {
				keys = append(keys, e.Country+" "+e.Date.Format(time.DateOnly))
			}
			if len(keys) != len(tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, keys, tc.want)
				continue
			}
			for i := range keys {
				if keys[i] != tc.want[i] {
					t.Errorf("%s: %v, want %v", tc.name, keys, tc.want)
					break
				}
			}
		}
		got, err := db.Elections(ctx, []string{"CAF"}, day("2015-12-30"), day("2015-12-30"))
		if err != nil || len(got) != 1 || got[0].Note != "corrected" || got[0].Kind != election.General || got[0].Round != 1 || got[0].Source != "synthetic-a" {
			t.Errorf("edited row = %+v, %v", got, err)
		}
	})
}
