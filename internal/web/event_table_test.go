package web

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"threshold/internal/event"
)

// topRows keeps exactly the rows a full sort would put on the page.
func TestTopRows(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var all []event.Stored
	for i := range 500 {
		best := rnd.IntN(20)
		s := event.Stored{ID: int64(i + 1)}
		s.DateStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rnd.IntN(100))
		if i%7 != 0 {
			s.Fatalities.Best = &best
		}
		all = append(all, s)
	}
	for _, order := range []string{sortNewest, sortOldest, sortDeadliest} {
		want := make([]*tableRow, len(all))
		for i := range all {
			want[i] = &tableRow{id: all[i].ID, e: all[i].Event}
		}
		slices.SortFunc(want, func(a, b *tableRow) int { return compareRows(order, a, b) })
		for _, page := range []int{1, 2, 7, 10, 11} {
			top := &topRows{order: order, k: page * 50}
			for i := range all {
				top.add(&all[i])
			}
			got := top.page((page-1)*50, 50)
			from, to := min((page-1)*50, len(want)), min(page*50, len(want))
			if len(got) != to-from {
				t.Errorf("%s page %d: %d rows, want %d", order, page, len(got), to-from)
				continue
			}
			for i, r := range got {
				if r.id != want[from+i].id {
					t.Errorf("%s page %d row %d: event %d, want %d", order, page, i, r.id, want[from+i].id)
					break
				}
			}
		}
	}
}
