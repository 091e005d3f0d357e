package web

import (
	"cmp"
	"container/heap"
	"slices"

	"threshold/internal/event"
)

// Orders of the events table.
const (
	sortNewest    = "newest"
	sortOldest    = "oldest"
	sortDeadliest = "deadliest"
)

var sortOptions = []option{
	{Value: sortNewest, Label: "Newest first"},
	{Value: sortOldest, Label: "Oldest first"},
	{Value: sortDeadliest, Label: "Most deaths first"},
}

// tableRow is an event waiting for its place in the table.
type tableRow struct {
	id int64
	e  event.Event
}

func deaths(e *event.Event) int {
	if e.Fatalities.Best == nil {
		return -1 // unknown sorts below zero
	}
	return *e.Fatalities.Best
}

// compareRows orders rows as the table shows them: negative when a comes
// first. Ties go by id, so that pages never overlap.
func compareRows(order string, a, b *tableRow) int {
	switch order {
	case sortOldest:
		return cmp.Or(a.e.DateStart.Compare(b.e.DateStart), cmp.Compare(a.id, b.id))
	case sortDeadliest:
		return cmp.Or(cmp.Compare(deaths(&b.e), deaths(&a.e)), b.e.DateStart.Compare(a.e.DateStart), cmp.Compare(b.id, a.id))
	}
	return cmp.Or(b.e.DateStart.Compare(a.e.DateStart), cmp.Compare(b.id, a.id))
}

// topRows keeps the first k rows, in table order, of the events it is
// shown, in memory proportional to k rather than to the selection: the
// store lists events in id order only, and the table pages through them
// newest first.
type topRows struct {
	order string
	k     int
	rows  []*tableRow // a heap whose root is the row that comes last
}

func (t *topRows) Len() int           { return len(t.rows) }
func (t *topRows) Less(i, j int) bool { return compareRows(t.order, t.rows[i], t.rows[j]) > 0 }
func (t *topRows) Swap(i, j int)      { t.rows[i], t.rows[j] = t.rows[j], t.rows[i] }
func (t *topRows) Push(x any)         { t.rows = append(t.rows, x.(*tableRow)) }
func (t *topRows) Pop() any {
	r := t.rows[len(t.rows)-1]
	t.rows = t.rows[:len(t.rows)-1]
	return r
}

// add offers a stored event; its source row is not kept.
func (t *topRows) add(s *event.Stored) {
	r := &tableRow{id: s.ID, e: s.Event}
	if len(t.rows) < t.k {
		heap.Push(t, r)
		return
	}
	if t.k > 0 && compareRows(t.order, r, t.rows[0]) < 0 {
		t.rows[0] = r
		heap.Fix(t, 0)
	}
}

// page returns rows [from, from+n) in table order.
func (t *topRows) page(from, n int) []*tableRow {
	rows := slices.Clone(t.rows)
	slices.SortFunc(rows, func(a, b *tableRow) int { return compareRows(t.order, a, b) })
	if from >= len(rows) {
		return nil
	}
	return rows[from:min(from+n, len(rows))]
}
