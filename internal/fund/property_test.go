package fund_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"threshold/internal/fund"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// model is what the ledger should hold, kept independently of it.
type model struct {
	bal       map[string]int64 // "account currency"
	overdraft map[string]int64
	allocs    map[int64]*modelAlloc
}

type modelAlloc struct {
	target      fund.Target
	cur         string
	minor, used int64
	status      fund.Status
}

func (m *model) covers(account, cur string, minor int64) bool {
	k := account + " " + cur
	return m.bal[k]-minor >= -m.overdraft[k]
}

func (m *model) move(debit, credit, cur string, minor int64) {
	m.bal[debit+" "+cur] += minor
	m.bal[credit+" "+cur] -= minor
}

// TestLedgerProperties runs seeded random sequences of every ledger
// operation (contributions and pledges in currencies with 0, 2 and 3
// decimals, allocations below and above the approval threshold,
// approvals and rejections, disbursements and returns, often more than
// is left, overdraft authorisations, retries with the same key and body
// and with another body) against a model of the ledger. After every
// step the postings sum to zero per currency, every balance equals its
// postings and no account holding money is below its authorised
// overdraft; every outcome (posted, pending, refused) is the model's;
// and at the end every balance is the model's to the minor unit.
func TestLedgerProperties(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		runSequence(t, db, 1, 150)
	})
	for _, seed := range []uint64{2, 3, 4} {
		t.Run(fmt.Sprint("sqlite/seed=", seed), func(t *testing.T) {
			db, _ := storetest.SQLite(t)
			runSequence(t, db, seed, 300)
		})
	}
}

func runSequence(t *testing.T, db *store.DB, seed uint64, steps int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	s := newFund(t, db, fund.Options{ApprovalAbove: 500_00})
	m := &model{bal: map[string]int64{}, overdraft: map[string]int64{}, allocs: map[int64]*modelAlloc{}}
	currencies := []struct{ code, rate string }{{"USD", ""}, {"EUR", "1.0825"}, {"JPY", "0.0067"}, {"KWD", "3.2612"}}
	donors := []string{"Synthetic Donor A", "Synthetic Donor B", "Synthetic Donor C"}
	type sent struct {
		key string
		op  func(key string) (int64, bool, error) // returns the id of what it made
	}
	var done []sent // successful writes, to retry
	amount := func(cur string, max int64) (int64, string) {
		n := 1 + rng.Int64N(max)
		return n, fund.FormatAmount(n, cur)
	}
	var overdrafted []string
	seen := map[string]int{} // outcomes, to check the sequence tried them all
	for step := range steps {
		key := fmt.Sprintf("k-%d", step)
		c := currencies[rng.IntN(len(currencies))]
		scale := map[string]int64{"USD": 100, "EUR": 100, "JPY": 1, "KWD": 1000}[c.code]
		switch op := rng.IntN(100); {
		case op < 20: // contribution or pledge
			donor := donors[rng.IntN(len(donors))]
			minor, amt := amount(c.code, 2000*scale)
			pledge := rng.IntN(4) == 0
			req := fund.ContributionRequest{Donor: donor, Amount: amt, Currency: c.code, Rate: c.rate, Pledge: pledge}
			f := func(key string) (int64, bool, error) {
				e, r, err := s.Contribute(ctx, analyst, key, req)
				return e.ID, r, err
			}
			if _, _, err := f(key); err != nil {
				t.Fatalf("step %d: contribute %+v: %v", step, req, err)
			}
			if pledge {
				m.move("pledge:"+donor, "pledged:"+donor, c.code, minor)
			} else {
				m.move(fund.Cash, fund.DonorAccount(donor), c.code, minor)
			}
			done = append(done, sent{key, f})
		case op < 45: // allocation
			minor, amt := amount(c.code, 1000*scale)
			tg := fund.Target{Kind: []string{"case", "deployment"}[rng.IntN(2)], ID: 1 + rng.Int64N(4)}
			req := fund.AllocationRequest{Amount: amt, Currency: c.code, Rate: c.rate, Purpose: "synthetic"}
			if tg.Kind == "case" {
				req.CaseID = tg.ID
			} else {
				req.DeploymentID = tg.ID
			}
			f := func(key string) (int64, bool, error) {
				a, r, err := s.Allocate(ctx, analyst, key, req)
				return a.ID, r, err
			}
			id, _, err := f(key)
			covered := m.covers(fund.Cash, c.code, minor)
			switch {
			case !covered && errors.Is(err, fund.ErrInsufficient):
				seen["allocation refused"]++
			case err != nil || !covered:
				t.Fatalf("step %d: allocate %s %s with cash %d: %v", step, amt, c.code, m.bal["cash "+c.code], err)
			default:
				a, _, _ := s.Allocate(ctx, analyst, key, req) // a retry, to read the status
				ma := &modelAlloc{target: tg, cur: c.code, minor: minor, status: a.Status}
				m.allocs[id] = ma
				if a.Status == fund.Posted {
					m.move(tg.Account(), fund.Cash, c.code, minor)
				}
				seen["allocation "+string(a.Status)]++
				done = append(done, sent{key, f})
			}
		case op < 55: // decide a pending allocation
			for id, ma := range m.allocs {
				if ma.status != fund.Pending {
					continue
				}
				approve := rng.IntN(3) > 0
				a, _, err := s.Decide(ctx, admin, key, id, approve)
				switch {
				case !approve && err == nil:
					ma.status = fund.Rejected
				case approve && !m.covers(fund.Cash, ma.cur, ma.minor):
					if !errors.Is(err, fund.ErrInsufficient) {
						t.Fatalf("step %d: approve %d beyond the cash: %v", step, id, err)
					}
					seen["approval refused"]++
				case err != nil || a.Status != fund.Posted:
					t.Fatalf("step %d: approve %d: %+v %v", step, id, a, err)
				default:
					ma.status = fund.Posted
					seen["approved"]++
					m.move(ma.target.Account(), fund.Cash, ma.cur, ma.minor)
				}
				break
			}
		case op < 85: // disbursement or return
			var id int64
			for aid, ma := range m.allocs {
				if ma.status == fund.Posted && (id == 0 || rng.IntN(3) == 0) {
					id = aid
				}
			}
			if id == 0 {
				continue
			}
			ma := m.allocs[id]
			sc := map[string]int64{"USD": 100, "EUR": 100, "JPY": 1, "KWD": 1000}[ma.cur]
			minor, amt := amount(ma.cur, 400*sc)
			ret := rng.IntN(4) == 0
			req := fund.PayoutRequest{AllocationID: id, Amount: amt, Payee: "Synthetic payee"}
			f := func(key string) (int64, bool, error) {
				if ret {
					e, r, err := s.ReturnUnspent(ctx, analyst, key, req)
					return e.ID, r, err
				}
				e, r, err := s.Disburse(ctx, analyst, key, req)
				return e.ID, r, err
			}
			_, _, err := f(key)
			ok := minor <= ma.minor-ma.used && m.covers(ma.target.Account(), ma.cur, minor)
			switch {
			case !ok && errors.Is(err, fund.ErrInsufficient):
				seen["payout refused"]++
			case err != nil || !ok:
				t.Fatalf("step %d: pay %s of allocation %d (%d of %d used): %v", step, amt, id, ma.used, ma.minor, err)
			default:
				ma.used += minor
				seen["payout"]++
				if ret {
					m.move(fund.Cash, ma.target.Account(), ma.cur, minor)
				} else {
					m.move(ma.target.SpentAccount(), ma.target.Account(), ma.cur, minor)
				}
				done = append(done, sent{key, f})
			}
		case op < 88: // overdraft on cash
			minor, amt := amount(c.code, 300*scale)
			if _, _, err := s.AuthoriseOverdraft(ctx, admin, key, fund.OverdraftRequest{Account: fund.Cash, Currency: c.code,
				Limit: amt, Reason: "synthetic bridge"}); err != nil {
				t.Fatal(err)
			}
			m.overdraft["cash "+c.code] = minor
			overdrafted = append(overdrafted, fund.Cash)
		default: // retry an earlier write: same answer, no money moves
			if len(done) == 0 {
				continue
			}
			w := done[rng.IntN(len(done))]
			before, _ := db.FundBalances(ctx)
			if _, replayed, err := w.op(w.key); err != nil || !replayed {
				t.Fatalf("step %d: retry %s: replayed %v, %v", step, w.key, replayed, err)
			}
			after, _ := db.FundBalances(ctx)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Fatalf("step %d: retry %s moved money", step, w.key)
			}
			// The key with another request is refused.
			other := done[rng.IntN(len(done))]
			// (A request identical to w's, same kind and body, would be a
			// replay; anything else must be refused.)
			if other.key != w.key {
				if _, replayed, err := other.op(w.key); !errors.Is(err, fund.ErrKeyReused) && !(err == nil && replayed) {
					t.Fatalf("step %d: key %s reused for %s's request: replayed %v, %v", step, w.key, other.key, replayed, err)
				}
				seen["key reused"]++
			}
			seen["retry"]++
		}
		got := checkLedger(t, db, overdrafted...)
		if t.Failed() {
			t.Fatalf("step %d broke the ledger", step)
		}
		if step == steps-1 {
			for k, want := range m.bal {
				if got[k] != want {
					t.Errorf("balance %s = %d, model %d", k, got[k], want)
				}
			}
			for k, v := range got {
				if _, ok := m.bal[k]; !ok && v != 0 {
					t.Errorf("balance %s = %d, not in the model", k, v)
				}
			}
		}
	}
	t.Logf("seed %d: %v", seed, seen)
	if steps >= 300 {
		for _, k := range []string{"allocation refused", "allocation posted", "allocation pending-approval", "approved",
			"payout", "payout refused", "retry", "key reused"} {
			if seen[k] == 0 {
				t.Errorf("seed %d never tried %q", seed, k)
			}
		}
	}
	// The overdraft check above allowed cash below zero only to its limit.
	for k, lim := range m.overdraft {
		if m.bal[k] < -lim {
			t.Errorf("%s = %d, below its overdraft %d", k, m.bal[k], lim)
		}
	}
}
