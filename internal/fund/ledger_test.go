package fund_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/roster"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// clock is a test clock that advances one minute per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func newFund(t *testing.T, db *store.DB, o fund.Options) *fund.Service {
	t.Helper()
	o.Store = db
	if o.Now == nil {
		c := &clock{t: time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)}
		o.Now = c.now
	}
	s, err := fund.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	operator = casework.Everyone("cli:synthetic-operator")
	analyst  = casework.Viewer{UserID: 2, Email: "analyst@synthetic.example", OrgID: 1, Role: auth.Analyst}
	admin    = casework.Viewer{UserID: 3, Email: "admin@synthetic.example", OrgID: 1, Role: auth.Admin}
	desk     = casework.Viewer{UserID: 4, Email: "desk@synthetic.example", OrgID: 1, Role: auth.DeskOfficer}
	partner  = casework.Viewer{UserID: 5, Email: "partner@synthetic.example", OrgID: 1, Role: auth.PartnerViewer}
)

// checkLedger asserts the ledger's invariants: postings sum to zero per
// currency, every stored balance equals the sum of its postings, and no
// guarded account is below zero (none has an overdraft in these tests
// unless allowed names it).
func checkLedger(t *testing.T, db *store.DB, allowed ...string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	sums, err := db.FundPostingSums(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bals, err := db.FundBalances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perCur := map[string]int64{}
	fromPostings := map[string]int64{}
	for _, s := range sums {
		perCur[s.Currency] += s.Minor
		fromPostings[s.Account+" "+s.Currency] = s.Minor
	}
	for cur, v := range perCur {
		if v != 0 {
			t.Errorf("postings in %s sum to %d, not zero", cur, v)
		}
	}
	out := map[string]int64{}
	for _, b := range bals {
		k := b.Account + " " + b.Currency
		out[k] = b.Minor
		if fromPostings[k] != b.Minor {
			t.Errorf("balance of %s is %d, its postings sum to %d", k, b.Minor, fromPostings[k])
		}
		delete(fromPostings, k)
		guarded := b.Account == fund.Cash || strings.HasPrefix(b.Account, "case:") || strings.HasPrefix(b.Account, "deployment:")
		if guarded && b.Minor < 0 && !containsStr(allowed, b.Account) {
			t.Errorf("%s is below zero: %d", k, b.Minor)
		}
	}
	for k, v := range fromPostings {
		t.Errorf("postings on %s (%d) have no balance row", k, v)
	}
	return out
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestLedger(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		log := audit.New(db, nil)
		s := newFund(t, db, fund.Options{Audit: log, ApprovalAbove: 1_000_000}) // USD 10,000.00

		// Contributions in two currencies; a pledge moves no cash.
		c1, replayed, err := s.Contribute(ctx, analyst, "c-1", fund.ContributionRequest{Donor: "Synthetic Donor A", Amount: "20000.00", Currency: "USD"})
		if err != nil || replayed {
			t.Fatalf("contribute: %v %v", err, replayed)
		}
		if c1.Amount != "20000.00" || c1.Minor != 20000_00 || c1.ReportingMinor != 20000_00 || c1.Postings[1].Minor != -20000_00 ||
			c1.ReportingAmount != "20000.00" || c1.Rate != "1" {
			t.Errorf("contribution = %+v", c1)
		}
		eur, _, err := s.Contribute(ctx, analyst, "c-2", fund.ContributionRequest{Donor: "Synthetic Donor B", Amount: "1000", Currency: "EUR", Rate: "1.0825"})
		if err != nil {
			t.Fatal(err)
		}
		if eur.Amount != "1000.00" || eur.ReportingAmount != "1082.50" {
			t.Errorf("EUR contribution = %+v", eur)
		}
		if _, _, err := s.Contribute(ctx, analyst, "", fund.ContributionRequest{Donor: "Synthetic Donor B", Amount: "500", Currency: "EUR", Rate: "1.08", Pledge: true}); err != nil {
			t.Fatal(err)
		}

		// Bad input names the field; roles are checked.
		for _, tc := range []struct {
			v     casework.Viewer
			r     fund.ContributionRequest
			want  error
			field string
		}{
			{analyst, fund.ContributionRequest{Donor: "X", Amount: "1.001", Currency: "USD"}, fund.ErrInvalid, "amount"},
			{analyst, fund.ContributionRequest{Donor: "X", Amount: "1", Currency: "EUR"}, fund.ErrInvalid, "rate"},
			{analyst, fund.ContributionRequest{Donor: "X", Amount: "1", Currency: "USD", Rate: "2"}, fund.ErrInvalid, "rate"},
			{analyst, fund.ContributionRequest{Donor: " ", Amount: "1", Currency: "USD"}, fund.ErrInvalid, "donor"},
			{analyst, fund.ContributionRequest{Donor: "X", Amount: "1", Currency: "ZZZ"}, fund.ErrInvalid, "currency"},
			{desk, fund.ContributionRequest{Donor: "X", Amount: "1", Currency: "USD"}, fund.ErrForbidden, ""},
		} {
			_, _, err := s.Contribute(ctx, tc.v, "", tc.r)
			if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), tc.field) {
				t.Errorf("Contribute(%+v) = %v, want %v naming %q", tc.r, err, tc.want, tc.field)
			}
		}

		// An allocation under the threshold moves money at once.
		a1, _, err := s.Allocate(ctx, analyst, "a-1", fund.AllocationRequest{CaseID: 7, Amount: "8000.00", Currency: "USD", Purpose: "synthetic envoy travel"})
		if err != nil {
			t.Fatal(err)
		}
		if a1.Status != fund.Posted || a1.EntryID == 0 {
			t.Errorf("allocation = %+v, want posted", a1)
		}
		// The same key and body: the first answer, no money moved.
		again, replayed, err := s.Allocate(ctx, analyst, "a-1", fund.AllocationRequest{CaseID: 7, Amount: "8000.00", Currency: "USD", Purpose: "synthetic envoy travel"})
		if err != nil || !replayed || again.ID != a1.ID || again.EntryID != a1.EntryID || again.Minor != 8000_00 {
			t.Errorf("retry = %+v %v %v, want allocation %d replayed", again, replayed, err, a1.ID)
		}
		// "8000" is the same amount as "8000.00": the same request.
		if _, replayed, err := s.Allocate(ctx, analyst, "a-1", fund.AllocationRequest{CaseID: 7, Amount: "8000", Currency: "USD", Purpose: "synthetic envoy travel"}); err != nil || !replayed {
			t.Errorf("retry with 8000: %v %v", replayed, err)
		}
		// The same key with another body is refused.
		if _, _, err := s.Allocate(ctx, analyst, "a-1", fund.AllocationRequest{CaseID: 7, Amount: "8001.00", Currency: "USD", Purpose: "synthetic envoy travel"}); !errors.Is(err, fund.ErrKeyReused) {
			t.Errorf("reused key: %v, want ErrKeyReused", err)
		}
		// Another user's key is their own.
		if _, replayed, err := s.Allocate(ctx, admin, "a-1", fund.AllocationRequest{CaseID: 8, Amount: "100.00", Currency: "USD", Purpose: "synthetic"}); err != nil || replayed {
			t.Errorf("admin's own a-1: %v %v", replayed, err)
		}

		// Above the threshold: pending, no money, approved by another admin.
		big, _, err := s.Allocate(ctx, analyst, "a-3", fund.AllocationRequest{DeploymentID: 3, Amount: "10000.01", Currency: "USD", Purpose: "synthetic standby team"})
		if err != nil || big.Status != fund.Pending || big.EntryID != 0 {
			t.Fatalf("large allocation = %+v %v, want pending", big, err)
		}
		if _, _, err := s.Decide(ctx, analyst, "", big.ID, true); !errors.Is(err, fund.ErrForbidden) {
			t.Errorf("analyst approves: %v", err)
		}
		requester := admin
		if _, _, err := s.Decide(ctx, requester, "", a1.ID, true); !errors.Is(err, fund.ErrConflict) {
			t.Errorf("approve a posted allocation: %v", err)
		}
		// Meanwhile the cash falls below what it needs: approval refused.
		if _, _, err := s.Allocate(ctx, analyst, "", fund.AllocationRequest{CaseID: 9, Amount: "5000.00", Currency: "USD", Purpose: "synthetic"}); err != nil {
			t.Fatal(err)
		}
		// More than the cash: refused, nothing recorded, the key free.
		_, _, err = s.Allocate(ctx, analyst, "a-2", fund.AllocationRequest{CaseID: 7, Amount: "9000.00", Currency: "USD", Purpose: "synthetic"})
		if !errors.Is(err, fund.ErrInsufficient) || !strings.Contains(err.Error(), "holds 6900.00") {
			t.Errorf("over-allocation: %v", err)
		}
		// So is its approval.
		if _, _, err := s.Decide(ctx, admin, "d-1", big.ID, true); !errors.Is(err, fund.ErrInsufficient) {
			t.Errorf("approve beyond the cash: %v", err)
		}
		// An audited overdraft on cash lets it through.
		if _, _, err := s.AuthoriseOverdraft(ctx, analyst, "", fund.OverdraftRequest{Account: "cash", Currency: "USD", Limit: "5000", Reason: "synthetic"}); !errors.Is(err, fund.ErrForbidden) {
			t.Errorf("analyst authorises overdraft: %v", err)
		}
		if _, _, err := s.AuthoriseOverdraft(ctx, admin, "", fund.OverdraftRequest{Account: "cash", Currency: "USD", Limit: "5000", Reason: "synthetic bridge until Donor A's pledge"}); err != nil {
			t.Fatal(err)
		}
		ok, _, err := s.Decide(ctx, admin, "d-1", big.ID, true)
		if err != nil || ok.Status != fund.Posted || ok.DecidedBy != admin.Email {
			t.Fatalf("approve with overdraft: %+v %v", ok, err)
		}
		checkLedger(t, db, "cash")
		if _, _, err := s.AuthoriseOverdraft(ctx, admin, "", fund.OverdraftRequest{Account: "donor:X", Currency: "USD", Limit: "1", Reason: "x"}); !errors.Is(err, fund.ErrInvalid) {
			t.Errorf("overdraft on a donor account: %v", err)
		}

		// Disburse part, return the rest; never more than allocated.
		if _, _, err := s.Disburse(ctx, analyst, "p-1", fund.PayoutRequest{AllocationID: a1.ID, Amount: "6000", Payee: "Synthetic Travel Agency"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Disburse(ctx, analyst, "p-2", fund.PayoutRequest{AllocationID: a1.ID, Amount: "2000.01", Payee: "Synthetic"}); !errors.Is(err, fund.ErrInsufficient) {
			t.Errorf("disburse beyond the allocation: %v", err)
		}
		if _, _, err := s.Disburse(ctx, analyst, "", fund.PayoutRequest{AllocationID: 9999, Amount: "1", Payee: "Synthetic"}); !errors.Is(err, fund.ErrInvalid) || !strings.HasPrefix(err.Error(), "allocation_id") {
			t.Errorf("disburse from no allocation: %v", err)
		}
		if _, _, err := s.ReturnUnspent(ctx, analyst, "r-1", fund.PayoutRequest{AllocationID: a1.ID, Amount: "2000"}); err != nil {
			t.Fatal(err)
		}
		bal := checkLedger(t, db, "cash")
		for k, want := range map[string]int64{"cash USD": 20000_00 - 8000_00 - 100_00 - 5000_00 - 10000_01 + 2000_00,
			"case:7 USD": 0, "spent:case:7 USD": 6000_00, "cash EUR": 1000_00, "pledge:Synthetic Donor B EUR": 500_00} {
			if bal[k] != want {
				t.Errorf("balance %s = %d, want %d", k, bal[k], want)
			}
		}

		// Reports.
		b, err := s.Balance(ctx, desk)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Cash) != 2 || b.Cash[0].Currency != "EUR" || b.Cash[0].Amount != "1000.00" || b.Cash[1].Amount != "-1100.01" {
			t.Errorf("balance cash = %+v", b.Cash)
		}
		if _, err := s.Balance(ctx, partner); !errors.Is(err, fund.ErrForbidden) {
			t.Errorf("partner reads the balance: %v", err)
		}
		src, err := s.BySource(ctx, operator)
		if err != nil {
			t.Fatal(err)
		}
		if len(src) != 2 || src[0].Donor != "Synthetic Donor A" || src[0].Received != "20000.00" || src[1].Pledged != "500.00" {
			t.Errorf("by source = %+v", src)
		}
		rows, err := s.ByCase(ctx, operator)
		if err != nil {
			t.Fatal(err)
		}
		var case7 fund.TargetRow
		for _, r := range rows {
			if r.Target == (fund.Target{Kind: "case", ID: 7}) {
				case7 = r
			}
		}
		if case7.Allocated != "8000.00" || case7.Disbursed != "6000.00" || case7.Returned != "2000.00" || case7.Balance != "0.00" {
			t.Errorf("by case 7 = %+v", case7)
		}
		tr, err := s.RequestToDisbursement(ctx, operator)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Count != 1 || tr.Allocations[0].AllocationID != a1.ID || tr.MedianHours <= 0 || tr.Undisbursed != 3 {
			t.Errorf("timing = %+v", tr)
		}
		var buf strings.Builder
		if err := s.Statement(ctx, desk, "Synthetic Donor B", fund.CSV, &buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 7 || recs[1][2] != "contribution" || recs[1][7] != "1082.50" || recs[3][2] != "total received" || recs[4][4] != "500.00" ||
			recs[5][7] != "1082.50" || recs[6][7] != "540.00" {
			t.Errorf("statement:\n%s", buf.String())
		}
		js, err := s.Journal(ctx, desk, fund.JournalQuery{Account: "case:7"})
		if err != nil {
			t.Fatal(err)
		}
		if len(js) != 3 || js[0].Kind != fund.Return || len(js[0].Postings) != 2 {
			t.Errorf("journal of case:7 = %+v", js)
		}

		// Every write is audited, replays are not.
		n := 0
		if err := db.AuditRecords(ctx, func(r audit.Record) error {
			if strings.HasPrefix(r.Action, "fund.") {
				n++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != 11 {
			t.Errorf("%d fund audit entries, want 11", n)
		}
	})
}

// deployments is a roster that knows deployment 3 only.
type deployments struct{}

func (deployments) GetDeployment(_ context.Context, _ casework.Viewer, id int64) (roster.Deployment, error) {
	if id != 3 {
		return roster.Deployment{}, fmt.Errorf("deployment %d: %w", id, roster.ErrNotFound)
	}
	return roster.Deployment{ID: 3}, nil
}

// TestAllocateToDeployment: a deployment the roster does not know (or
// the caller may not see) is not found; a known one is allocated to.
func TestAllocateToDeployment(t *testing.T) {
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	s := newFund(t, db, fund.Options{Deployments: deployments{}})
	if _, _, err := s.Contribute(ctx, analyst, "", fund.ContributionRequest{Donor: "Synthetic Donor", Amount: "100", Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Allocate(ctx, analyst, "", fund.AllocationRequest{DeploymentID: 4, Amount: "10", Currency: "USD", Purpose: "synthetic"}); !errors.Is(err, fund.ErrNotFound) {
		t.Errorf("unknown deployment: %v", err)
	}
	a, _, err := s.Allocate(ctx, analyst, "", fund.AllocationRequest{DeploymentID: 3, Amount: "10", Currency: "USD", Purpose: "synthetic"})
	if err != nil || a.Target != (fund.Target{Kind: "deployment", ID: 3}) || a.Status != fund.Posted {
		t.Errorf("allocate to deployment 3 = %+v, %v", a, err)
	}
	if bal := checkLedger(t, db); bal["deployment:3 USD"] != 10_00 {
		t.Errorf("deployment:3 = %d", bal["deployment:3 USD"])
	}
}
