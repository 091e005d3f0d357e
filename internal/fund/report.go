package fund

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/casework"
)

// Amount is money in one currency, as a decimal string.
type Amount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Minor    int64  `json:"-"`
}

// Balances is the fund's position per currency.
type Balances struct {
	Reporting string `json:"reporting_currency"`
	// Cash is the money not yet allocated; Allocated what is allocated
	// and not yet disbursed; Disbursed what was paid out; Received the
	// contributions; Pledged what donors promised.
	Cash      []Amount `json:"cash"`
	Allocated []Amount `json:"allocated"`
	Disbursed []Amount `json:"disbursed"`
	Received  []Amount `json:"received"`
	Pledged   []Amount `json:"pledged"`
}

func addTo(m map[string]int64, cur string, minor int64) { m[cur] += minor }

func amounts(m map[string]int64) []Amount {
	out := make([]Amount, 0, len(m))
	for cur, v := range m {
		out = append(out, Amount{Currency: cur, Amount: FormatAmount(v, cur), Minor: v})
	}
	slices.SortFunc(out, func(a, b Amount) int { return strings.Compare(a.Currency, b.Currency) })
	return out
}

// Balance returns the fund's balances per currency.
func (s *Service) Balance(ctx context.Context, v casework.Viewer) (Balances, error) {
	if !CanRead(v) {
		return Balances{}, fmt.Errorf("%w: role %s may not read the fund", ErrForbidden, v.Role)
	}
	bs, err := s.st.FundBalances(ctx)
	if err != nil {
		return Balances{}, err
	}
	cash, alloc, spent, recv, pledged := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, b := range bs {
		switch {
		case b.Account == Cash:
			addTo(cash, b.Currency, b.Minor)
		case strings.HasPrefix(b.Account, "case:"), strings.HasPrefix(b.Account, "deployment:"):
			addTo(alloc, b.Currency, b.Minor)
		case strings.HasPrefix(b.Account, "spent:"):
			addTo(spent, b.Currency, b.Minor)
		case strings.HasPrefix(b.Account, "donor:"):
			addTo(recv, b.Currency, -b.Minor)
		case strings.HasPrefix(b.Account, "pledged:"):
			addTo(pledged, b.Currency, -b.Minor)
		}
	}
	return Balances{Reporting: s.reporting, Cash: amounts(cash), Allocated: amounts(alloc), Disbursed: amounts(spent),
		Received: amounts(recv), Pledged: amounts(pledged)}, nil
}

// Journal returns entries q selects, newest first, without those of
// cases the viewer may not see (their accounts and memos would tell of
// them). A limit counts before that filter.
func (s *Service) Journal(ctx context.Context, v casework.Viewer, q JournalQuery) ([]Entry, error) {
	if !CanRead(v) {
		return nil, fmt.Errorf("%w: role %s may not read the fund", ErrForbidden, v.Role)
	}
	es, err := s.st.FundJournal(ctx, q)
	if err != nil || v.All || s.cases == nil {
		return es, err
	}
	seen := map[int64]bool{}
	out := es[:0]
	for _, e := range es {
		ok := true
		for _, p := range e.Postings {
			acc := strings.TrimPrefix(p.Account, "spent:")
			idS, isCase := strings.CutPrefix(acc, "case:")
			if !isCase {
				continue
			}
			id, _ := strconv.ParseInt(idS, 10, 64)
			if ok, err = s.seesCase(ctx, v, id, seen); err != nil {
				return nil, err
			}
			break
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// seesCase reports whether v may see case id, remembering answers in
// seen.
func (s *Service) seesCase(ctx context.Context, v casework.Viewer, id int64, seen map[int64]bool) (bool, error) {
	if ok, known := seen[id]; known {
		return ok, nil
	}
	_, err := s.cases.Get(ctx, v, id)
	if err != nil && !errors.Is(err, casework.ErrNotFound) {
		return false, err
	}
	seen[id] = err == nil
	return err == nil, nil
}

// Allocations returns allocations q selects, newest first.
func (s *Service) Allocations(ctx context.Context, v casework.Viewer, q AllocQuery) ([]Alloc, error) {
	if !CanRead(v) {
		return nil, fmt.Errorf("%w: role %s may not read the fund", ErrForbidden, v.Role)
	}
	as, err := s.st.FundAllocations(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, v, as)
}

// visible drops allocations to cases v may not see.
func (s *Service) visible(ctx context.Context, v casework.Viewer, as []Alloc) ([]Alloc, error) {
	if v.All || s.cases == nil {
		return as, nil
	}
	seen := map[int64]bool{}
	out := as[:0]
	for _, a := range as {
		if a.Target.Kind == "case" {
			ok, err := s.seesCase(ctx, v, a.Target.ID, seen)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// SourceRow is one donor's money in one currency.
type SourceRow struct {
	Donor    string `json:"donor"`
	Currency string `json:"currency"`
	Received string `json:"received"`
	Pledged  string `json:"pledged"`
}

// BySource returns what each donor contributed and pledged, per currency.
// The fund is pooled: allocations are not traced to donors.
func (s *Service) BySource(ctx context.Context, v casework.Viewer) ([]SourceRow, error) {
	if !CanRead(v) {
		return nil, fmt.Errorf("%w: role %s may not read the fund", ErrForbidden, v.Role)
	}
	bs, err := s.st.FundBalances(ctx)
	if err != nil {
		return nil, err
	}
	type key struct{ donor, cur string }
	recv, pl := map[key]int64{}, map[key]int64{}
	var keys []key
	for _, b := range bs {
		name, ok := strings.CutPrefix(b.Account, "donor:")
		m := recv
		if !ok {
			if name, ok = strings.CutPrefix(b.Account, "pledged:"); !ok {
				continue
			}
			m = pl
		}
		k := key{name, b.Currency}
		if _, a := recv[k]; !a {
			if _, b := pl[k]; !b {
				keys = append(keys, k)
			}
		}
		m[k] += -b.Minor
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmpOr(strings.Compare(a.donor, b.donor), strings.Compare(a.cur, b.cur))
	})
	out := make([]SourceRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, SourceRow{Donor: k.donor, Currency: k.cur, Received: FormatAmount(recv[k], k.cur),
			Pledged: FormatAmount(pl[k], k.cur)})
	}
	return out, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// TargetRow is one case's or deployment's money in one currency.
type TargetRow struct {
	Target    Target `json:"target"`
	Currency  string `json:"currency"`
	Allocated string `json:"allocated"` // posted allocations
	Disbursed string `json:"disbursed"`
	Returned  string `json:"returned"`
	Balance   string `json:"balance"` // allocated, not disbursed nor returned
	Pending   string `json:"pending"` // waiting for approval
}

// ByCase returns, per case and deployment the viewer may see, what was
// allocated, disbursed, returned and is pending.
func (s *Service) ByCase(ctx context.Context, v casework.Viewer) ([]TargetRow, error) {
	as, err := s.Allocations(ctx, v, AllocQuery{})
	if err != nil {
		return nil, err
	}
	es, err := s.st.FundJournal(ctx, JournalQuery{})
	if err != nil {
		return nil, err
	}
	type key struct {
		t   Target
		cur string
	}
	type sums struct{ alloc, disb, ret, pend int64 }
	byAlloc := map[int64]Alloc{}
	m := map[key]*sums{}
	var keys []key
	get := func(k key) *sums {
		if m[k] == nil {
			m[k] = &sums{}
			keys = append(keys, k)
		}
		return m[k]
	}
	for _, a := range as {
		byAlloc[a.ID] = a
		if a.Status == Pending {
			get(key{a.Target, a.Currency}).pend += a.Minor
		}
	}
	for _, e := range es {
		a, ok := byAlloc[e.AllocationID]
		if !ok || e.AllocationID == 0 {
			continue
		}
		sm := get(key{a.Target, a.Currency})
		n := e.Minor
		switch e.Kind {
		case Allocation:
			sm.alloc += n
		case Disbursement:
			sm.disb += n
		case Return:
			sm.ret += n
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmpOr(cmpOr(strings.Compare(a.t.Kind, b.t.Kind), int(a.t.ID-b.t.ID)), strings.Compare(a.cur, b.cur))
	})
	out := make([]TargetRow, 0, len(keys))
	for _, k := range keys {
		sm := m[k]
		out = append(out, TargetRow{Target: k.t, Currency: k.cur, Allocated: FormatAmount(sm.alloc, k.cur),
			Disbursed: FormatAmount(sm.disb, k.cur), Returned: FormatAmount(sm.ret, k.cur),
			Balance: FormatAmount(sm.alloc-sm.disb-sm.ret, k.cur), Pending: FormatAmount(sm.pend, k.cur)})
	}
	return out, nil
}

// Timing is the time from allocation request to first disbursement.
type Timing struct {
	AllocationID int64         `json:"allocation_id"`
	Target       Target        `json:"target"`
	RequestedAt  time.Time     `json:"requested_at"`
	DisbursedAt  time.Time     `json:"disbursed_at"`
	Duration     time.Duration `json:"-"`
	Hours        float64       `json:"hours"`
}

// TimingReport summarises request-to-disbursement times.
type TimingReport struct {
	Count       int      `json:"count"`
	MedianHours float64  `json:"median_hours"`
	P90Hours    float64  `json:"p90_hours"`
	Undisbursed int      `json:"undisbursed" doc:"Posted allocations with no disbursement yet."`
	Allocations []Timing `json:"allocations"`
}

// RequestToDisbursement returns, for each allocation the viewer may see
// that was disbursed from, the time from its request to its first
// disbursement, with the median and 90th percentile (nearest rank).
func (s *Service) RequestToDisbursement(ctx context.Context, v casework.Viewer) (TimingReport, error) {
	as, err := s.Allocations(ctx, v, AllocQuery{})
	if err != nil {
		return TimingReport{}, err
	}
	es, err := s.st.FundJournal(ctx, JournalQuery{})
	if err != nil {
		return TimingReport{}, err
	}
	first := map[int64]time.Time{}
	for _, e := range es {
		if e.Kind == Disbursement {
			if t, ok := first[e.AllocationID]; !ok || e.At.Before(t) {
				first[e.AllocationID] = e.At
			}
		}
	}
	r := TimingReport{Allocations: []Timing{}}
	for _, a := range as {
		t, ok := first[a.ID]
		if !ok {
			if a.Status == Posted {
				r.Undisbursed++
			}
			continue
		}
		d := t.Sub(a.RequestedAt)
		r.Allocations = append(r.Allocations, Timing{AllocationID: a.ID, Target: a.Target, RequestedAt: a.RequestedAt,
			DisbursedAt: t, Duration: d, Hours: d.Hours()})
	}
	slices.SortFunc(r.Allocations, func(a, b Timing) int { return int(a.AllocationID - b.AllocationID) })
	r.Count = len(r.Allocations)
	if r.Count > 0 {
		ds := make([]time.Duration, r.Count)
		for i, t := range r.Allocations {
			ds[i] = t.Duration
		}
		slices.Sort(ds)
		r.MedianHours = nearestRank(ds, 0.5).Hours()
		r.P90Hours = nearestRank(ds, 0.9).Hours()
	}
	return r, nil
}

func nearestRank(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// csvSafe defuses a cell a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
		return "'" + s
	}
	return s
}
