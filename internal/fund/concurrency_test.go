package fund_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"threshold/internal/fund"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestConcurrentAllocations fires many allocations at one fund at once,
// each request three times at the same moment with the same idempotency
// key (a client retrying while the first attempt is in flight): exactly
// as many allocations as the cash covers are made, each once; the cash
// never goes below zero and the ledger balances to the cent. Then many
// concurrent disbursements, also tripled, against one allocation.
func TestConcurrentAllocations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		s := newFund(t, db, fund.Options{})
		if _, _, err := s.Contribute(ctx, analyst, "seed", fund.ContributionRequest{Donor: "Synthetic Donor", Amount: "1000.00", Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		const requests, tries = 40, 3
		type result struct {
			a        fund.Alloc
			replayed bool
			err      error
		}
		results := make([][tries]result, requests)
		var wg sync.WaitGroup
		for i := range requests {
			for j := range tries {
				wg.Go(func() {
					a, replayed, err := s.Allocate(ctx, analyst, fmt.Sprintf("alloc-%d", i), fund.AllocationRequest{
						CaseID: int64(i%5 + 1), Amount: "30.00", Currency: "USD", Purpose: fmt.Sprintf("synthetic request %d", i)})
					results[i][j] = result{a, replayed, err}
				})
			}
		}
		wg.Wait()
		made := map[int64]bool{}
		for i, rs := range results {
			var firsts, fails int
			for _, r := range rs {
				switch {
				case errors.Is(r.err, fund.ErrInsufficient):
					fails++
				case r.err != nil:
					t.Fatalf("request %d: %v", i, r.err)
				case !r.replayed:
					firsts++
				}
				if r.err == nil {
					made[r.a.ID] = true
					if r.a.ID != rs[0].a.ID && rs[0].err == nil {
						t.Errorf("request %d answered with allocations %d and %d", i, rs[0].a.ID, r.a.ID)
					}
				}
			}
			if !(firsts == 1 && fails == 0) && fails != tries {
				t.Errorf("request %d: %d first answers, %d refusals of %d tries", i, firsts, fails, tries)
			}
		}
		if len(made) != 33 { // 1000.00 / 30.00
			t.Errorf("%d allocations made, want 33", len(made))
		}
		stored, err := db.FundAllocations(ctx, fund.AllocQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != len(made) {
			t.Errorf("%d allocations stored, %d answered", len(stored), len(made))
		}
		bal := checkLedger(t, db)
		if bal["cash USD"] != 10_00 {
			t.Errorf("cash = %d, want 1000", bal["cash USD"])
		}

		// Disbursements: 20 payments of 10.00, each tripled, from one
		// allocation of 30.00: three are paid, once each.
		from := stored[0]
		var paid sync.Map
		var refused, replays int64
		var mu sync.Mutex
		for i := range 20 {
			for range tries {
				wg.Go(func() {
					e, replayed, err := s.Disburse(ctx, analyst, fmt.Sprintf("pay-%d", i), fund.PayoutRequest{
						AllocationID: from.ID, Amount: "10", Payee: fmt.Sprintf("Synthetic payee %d", i)})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case errors.Is(err, fund.ErrInsufficient):
						refused++
					case err != nil:
						t.Errorf("pay %d: %v", i, err)
					case replayed:
						replays++
					default:
						if prev, dup := paid.LoadOrStore(i, e.ID); dup {
							t.Errorf("payment %d made twice: entries %v and %d", i, prev, e.ID)
						}
					}
				})
			}
		}
		wg.Wait()
		n := 0
		paid.Range(func(_, _ any) bool { n++; return true })
		if n != 3 || replays != 6 || refused != 17*tries {
			t.Errorf("%d paid, %d replays, %d refused; want 3, 6, %d", n, replays, refused, 17*tries)
		}
		bal = checkLedger(t, db)
		if acc := from.Target.Account() + " USD"; bal[acc] < 0 {
			t.Errorf("%s = %d", acc, bal[acc])
		}
		if got := bal[from.Target.SpentAccount()+" USD"]; got != 30_00 {
			t.Errorf("spent on %s = %d, want 3000", from.Target.Account(), got)
		}
	})
}
