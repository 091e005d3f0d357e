package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/fund"
	"threshold/internal/server"
	"threshold/internal/server/servertest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// fundFixture serves the API with the fund over a fresh database holding
// two synthetic organisations with a user of each role (token
// "<org>-<role>") and a case of each organisation.
type fundFixture struct {
	h              http.Handler
	db             *store.DB
	unCase, auCase int64
}

func newFundFixture(t *testing.T, db *store.DB) fundFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex // requests run concurrently
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	log := audit.New(db, clock)
	cases, err := casework.New(casework.Options{Store: db, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := fundFixture{db: db}
	tokens := orgAuth{}
	for _, o := range []struct{ key, name string }{{"un", "Synthetic UN"}, {"au", "Synthetic AU"}} {
		org, err := db.AddOrg(ctx, o.name, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range auth.Roles() {
			tokens[o.key+"-"+string(r)] = auth.Principal{UserID: org.ID*100 + servertest.UserID(r),
				Email: string(r) + "@" + o.key + ".example", OrgID: org.ID, OrgName: org.Name, Role: r, Via: "token", Scope: auth.ScopeWrite}
		}
		c, err := cases.Create(ctx, casework.Everyone("cli:synthetic"), casework.Case{Title: "Synthetic case of " + o.name,
			Places: casework.PlacesOf([]string{"COD"}), Confidentiality: casework.Internal, OwnerOrg: o.name})
		if err != nil {
			t.Fatal(err)
		}
		if o.key == "un" {
			f.unCase = c.ID
		} else {
			f.auCase = c.ID
		}
	}
	svc, err := fund.New(fund.Options{Store: db, Cases: cases, Audit: log, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	rs := &server.Routes{}
	met := server.NewMetrics()
	if _, err := Register(rs, Deps{Store: db, Metrics: met, Fund: svc, Audit: log, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Routes: rs, Auth: tokens, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	f.h = srv
	return f
}

// do sends a request as token with an Idempotency-Key if key is not "".
func (f fundFixture) do(t *testing.T, token, key, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func TestFundAPI(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		f := newFundFixture(t, db)
		alloc := func(amount string) string {
			return fmt.Sprintf(`{"case_id":%d,"amount":%q,"currency":"USD","purpose":"synthetic envoy travel"}`, f.unCase, amount)
		}
		for _, tc := range []struct {
			name, token, key, method, path, body string
			status                               int
			has                                  []string // in the body
			replayed                             bool
		}{
			{"contribution", "un-analyst", "c1", "POST", "/fund/contributions", `{"donor":"Synthetic Donor","amount":"1000.50","currency":"USD"}`,
				201, []string{`"amount":"1000.50"`, `"kind":"contribution"`, `"reporting_amount":"1000.50"`}, false},
			{"contribution retried", "un-analyst", "c1", "POST", "/fund/contributions", `{"donor":"Synthetic Donor","amount":"1000.50","currency":"USD"}`,
				201, []string{`"amount":"1000.50"`}, true},
			{"EUR contribution", "un-admin", "", "POST", "/fund/contributions", `{"donor":"Synthetic Donor","amount":"100","currency":"EUR","rate":"1.0825"}`,
				201, []string{`"reporting_amount":"108.25"`, `"rate":"1.0825"`}, false},
			{"amount as a number", "un-analyst", "", "POST", "/fund/contributions", `{"donor":"Synthetic Donor","amount":1000.5,"currency":"USD"}`,
				422, []string{"body.amount"}, false},
			{"amount with too many decimals", "un-analyst", "", "POST", "/fund/contributions", `{"donor":"D","amount":"1.005","currency":"USD"}`,
				422, []string{`"location":"body.amount"`, "USD has 2 decimal places"}, false},
			{"EUR without a rate", "un-analyst", "", "POST", "/fund/contributions", `{"donor":"D","amount":"1","currency":"EUR"}`,
				422, []string{`"location":"body.rate"`}, false},
			{"unknown currency", "un-analyst", "", "POST", "/fund/contributions", `{"donor":"D","amount":"1","currency":"ZZZ"}`,
				422, []string{`"location":"body.currency"`}, false},
			{"desk may not write", "un-desk-officer", "", "POST", "/fund/contributions", `{"donor":"D","amount":"1","currency":"USD"}`,
				403, nil, false},
			{"allocation", "un-analyst", "a1", "POST", "/fund/allocations", alloc("600.00"),
				201, []string{`"status":"posted"`, `"amount":"600.00"`, fmt.Sprintf(`"id":%d`, f.unCase)}, false},
			{"allocation retried", "un-analyst", "a1", "POST", "/fund/allocations", alloc("600.00"),
				201, []string{`"status":"posted"`}, true},
			{"same key, another body", "un-analyst", "a1", "POST", "/fund/allocations", alloc("600.01"),
				422, []string{"header.Idempotency-Key", "different request"}, false},
			{"not covered", "un-analyst", "a2", "POST", "/fund/allocations", alloc("400.51"),
				409, []string{`"status":409`, "insufficient funds", "holds 400.50"}, false},
			{"refused key is free", "un-analyst", "a2", "POST", "/fund/allocations", alloc("400.00"),
				201, []string{`"status":"posted"`}, false},
			{"another organisation's case", "au-analyst", "", "POST", "/fund/allocations", alloc("0.10"),
				404, nil, false},
			{"case and deployment", "un-analyst", "", "POST", "/fund/allocations", `{"case_id":1,"deployment_id":2,"amount":"1","currency":"USD","purpose":"x"}`,
				422, []string{"body.case_id"}, false},
			{"balance", "un-desk-officer", "", "GET", "/fund/balance", "",
				200, []string{`"cash":[{"currency":"EUR","amount":"100.00"},{"currency":"USD","amount":"0.50"}]`, `"allocated":[{"currency":"USD","amount":"1000.00"}]`}, false},
			{"partner sees no balance", "un-partner-viewer", "", "GET", "/fund/balance", "", 403, nil, false},
			{"expert sees no journal", "un-mediation-expert", "", "GET", "/fund/journal", "", 403, nil, false},
			{"disbursement", "un-analyst", "p1", "POST", "/fund/disbursements", `{"allocation_id":1,"amount":"250","payee":"Synthetic Airline"}`,
				201, []string{`"kind":"disbursement"`, `"account":"spent:case:`}, false},
			{"disbursement beyond the allocation", "un-analyst", "p2", "POST", "/fund/disbursements", `{"allocation_id":1,"amount":"350.01","payee":"Synthetic Airline"}`,
				409, []string{"has 350.00 USD left"}, false},
			{"return", "un-analyst", "r1", "POST", "/fund/returns", `{"allocation_id":1,"amount":"350"}`,
				201, []string{`"kind":"return"`}, false},
			{"analyst may not authorise overdrafts", "un-analyst", "", "POST", "/fund/overdrafts", `{"account":"cash","currency":"USD","limit":"10","reason":"x"}`,
				403, nil, false},
			{"overdraft", "un-admin", "", "POST", "/fund/overdrafts", `{"account":"cash","currency":"USD","limit":"5000","reason":"synthetic bridge"}`,
				201, []string{`"limit":"5000.00"`}, false},
			{"another donor", "un-admin", "", "POST", "/fund/contributions", `{"donor":"Synthetic Donor 2","amount":"50000","currency":"USD"}`,
				201, nil, false},
			{"large allocation waits for approval", "un-analyst", "big", "POST", "/fund/allocations", alloc("50000.01"),
				201, []string{`"status":"pending-approval"`}, false},
			{"journal", "un-desk-officer", "", "GET", "/fund/journal?account=cash&limit=2", "",
				200, []string{`"kind":"return"`, `"postings":[`}, false},
			{"by source", "un-desk-officer", "", "GET", "/fund/reports/by-source", "",
				200, []string{`"donor":"Synthetic Donor"`, `"received":"1000.50"`}, false},
			{"by case", "un-analyst", "", "GET", "/fund/reports/by-case", "",
				200, []string{`"disbursed":"250.00"`, `"returned":"350.00"`, `"pending":"50000.01"`}, false},
			{"by case, other organisation", "au-analyst", "", "GET", "/fund/reports/by-case", "",
				200, []string{`"items":[]`}, false},
			{"timing", "un-analyst", "", "GET", "/fund/reports/request-to-disbursement", "",
				200, []string{`"count":1`}, false},
			{"statement", "un-desk-officer", "", "GET", "/fund/statements/Synthetic%20Donor", "",
				200, []string{"entry,date,kind", ",contribution,USD,1000.50,1,USD,1000.50,", "total received,EUR,100.00"}, false},
			{"statement as PDF", "un-desk-officer", "", "GET", "/fund/statements/Synthetic%20Donor?format=pdf", "",
				200, []string{"%PDF-1.", "%%EOF"}, false},
			{"statement as XLSX", "un-desk-officer", "", "GET", "/fund/statements/Synthetic%20Donor?format=xlsx", "",
				422, nil, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := f.do(t, tc.token, tc.key, tc.method, Prefix+tc.path, tc.body)
				if w.Code != tc.status {
					t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, w.Code, w.Body, tc.status)
				}
				for _, s := range tc.has {
					if !strings.Contains(w.Body.String(), s) {
						t.Errorf("body %s lacks %s", w.Body, s)
					}
				}
				if got := w.Header().Get("Idempotent-Replayed") == "true"; got != tc.replayed {
					t.Errorf("Idempotent-Replayed = %v, want %v", got, tc.replayed)
				}
				if w.Code >= 400 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
					t.Errorf("error Content-Type %q, want a problem document", w.Header().Get("Content-Type"))
				}
			})
		}

		// Another organisation's reader sees the fund's money but not the
		// entries, allocations or purposes of a case it may not see.
		for _, path := range []string{"/fund/journal", "/fund/allocations", "/fund/reports/by-case", "/fund/reports/request-to-disbursement"} {
			w := f.do(t, "au-desk-officer", "", "GET", Prefix+path, "")
			if w.Code != 200 || strings.Contains(w.Body.String(), "envoy travel") || strings.Contains(w.Body.String(), fmt.Sprintf("case:%d", f.unCase)) ||
				strings.Contains(w.Body.String(), "Synthetic Airline") {
				t.Errorf("%s for another organisation: %d %s", path, w.Code, w.Body)
			}
		}
		if w := f.do(t, "un-desk-officer", "", "GET", Prefix+"/fund/journal", ""); !strings.Contains(w.Body.String(), "envoy travel") {
			t.Errorf("journal for the case's organisation lacks its allocation: %s", w.Body)
		}

		// Approval: not by the analyst who asked, then by an admin.
		var pending struct {
			Items []fund.Alloc `json:"items"`
		}
		w := f.do(t, "un-analyst", "", "GET", Prefix+"/fund/allocations?status=pending-approval", "")
		if err := json.Unmarshal(w.Body.Bytes(), &pending); err != nil || len(pending.Items) != 1 {
			t.Fatalf("pending allocations: %s %v", w.Body, err)
		}
		path := fmt.Sprintf(Prefix+"/fund/allocations/%d/approve", pending.Items[0].ID)
		// Another organisation's admin cannot tell the allocation exists.
		if w := f.do(t, "au-admin", "", "POST", path, ""); w.Code != 404 {
			t.Errorf("another organisation's admin approves: %d %s", w.Code, w.Body)
		}
		ghost := f.do(t, "au-analyst", "", "POST", Prefix+"/fund/disbursements", `{"allocation_id":999,"amount":"1","payee":"x"}`)
		if w := f.do(t, "au-analyst", "", "POST", Prefix+"/fund/disbursements", `{"allocation_id":1,"amount":"1","payee":"x"}`); w.Code != 422 ||
			strings.Replace(w.Body.String(), `"1"`, `"999"`, 1) != ghost.Body.String() {
			t.Errorf("another organisation pays from an allocation: %d %s (unknown one: %s)", w.Code, w.Body, ghost.Body)
		}
		if w := f.do(t, "un-analyst", "", "POST", path, ""); w.Code != 403 {
			t.Errorf("analyst approves: %d %s", w.Code, w.Body)
		}
		// Meanwhile most of the cash is allocated: approval is refused.
		if w := f.do(t, "un-analyst", "", "POST", Prefix+"/fund/allocations", alloc("40000")); w.Code != 201 {
			t.Fatalf("allocation: %d %s", w.Code, w.Body)
		}
		if w := f.do(t, "un-admin", "ap", "POST", path, ""); w.Code != 409 || !strings.Contains(w.Body.String(), "does not cover") {
			t.Errorf("approve beyond cash and overdraft: %d %s", w.Code, w.Body)
		}
		if w := f.do(t, "un-admin", "", "POST", Prefix+"/fund/contributions", `{"donor":"Synthetic Donor 2","amount":"45000","currency":"USD"}`); w.Code != 201 {
			t.Fatalf("contribution: %d %s", w.Code, w.Body)
		}
		if w := f.do(t, "un-admin", "ap", "POST", path, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"posted"`) {
			t.Errorf("approve: %d %s", w.Code, w.Body)
		}
		if w := f.do(t, "un-admin", "ap2", "POST", path, ""); w.Code != 409 {
			t.Errorf("approve twice: %d %s", w.Code, w.Body)
		}
		bal := checkFundLedger(t, db)
		if bal["cash USD"] != 5350_49 {
			t.Errorf("cash = %d, want 535049", bal["cash USD"])
		}
	})
}

// TestFundAPIConcurrentRetries sends one allocation many times at once
// with the same Idempotency-Key, and many different allocations at once,
// over HTTP: one allocation per key, never more than the cash.
func TestFundAPIConcurrentRetries(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		f := newFundFixture(t, db)
		if w := f.do(t, "un-admin", "", "POST", Prefix+"/fund/contributions", `{"donor":"Synthetic Donor","amount":"100","currency":"USD"}`); w.Code != 201 {
			t.Fatalf("contribution: %d %s", w.Code, w.Body)
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			codes = map[string]int{}
			ids   = map[string]map[int64]bool{}
		)
		for i := range 30 {
			key := fmt.Sprintf("k%d", i%10) // ten requests, each sent three times at once
			wg.Go(func() {
				w := f.do(t, "un-analyst", key, "POST", Prefix+"/fund/allocations",
					fmt.Sprintf(`{"case_id":%d,"amount":"15.00","currency":"USD","purpose":"synthetic %s"}`, f.unCase, key))
				var a fund.Alloc
				json.Unmarshal(w.Body.Bytes(), &a)
				mu.Lock()
				defer mu.Unlock()
				codes[fmt.Sprint(w.Code, " ", w.Header().Get("Idempotent-Replayed"))]++
				if w.Code == 201 {
					if ids[key] == nil {
						ids[key] = map[int64]bool{}
					}
					ids[key][a.ID] = true
				}
			})
		}
		wg.Wait()
		// 100.00 covers six allocations of 15.00: six keys succeed (each
		// once, twice replayed), four are refused three times each.
		if codes["201 "] != 6 || codes["201 true"] != 12 || codes["409 "] != 12 {
			t.Errorf("answers %v, want 6 first, 12 replayed, 12 refused", codes)
		}
		for k, m := range ids {
			if len(m) != 1 {
				t.Errorf("key %s made allocations %v", k, m)
			}
		}
		bal := checkFundLedger(t, db)
		if bal["cash USD"] != 10_00 {
			t.Errorf("cash = %d, want 1000", bal["cash USD"])
		}
	})
}

// checkFundLedger asserts postings sum to zero per currency and balances
// equal their postings, and returns the balances.
func checkFundLedger(t *testing.T, db *store.DB) map[string]int64 {
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
	perCur, out := map[string]int64{}, map[string]int64{}
	for _, s := range sums {
		perCur[s.Currency] += s.Minor
		out[s.Account+" "+s.Currency] = s.Minor
	}
	for cur, v := range perCur {
		if v != 0 {
			t.Errorf("postings in %s sum to %d", cur, v)
		}
	}
	for _, b := range bals {
		if out[b.Account+" "+b.Currency] != b.Minor {
			t.Errorf("balance %s %s = %d, postings %d", b.Account, b.Currency, b.Minor, out[b.Account+" "+b.Currency])
		}
	}
	return out
}

// TestFundAccess checks every fund route for every role: admins and
// analysts write, admins approve and authorise overdrafts, desk officers
// read, mediation experts and partner viewers get nothing.
func TestFundAccess(t *testing.T) {
	db, _ := storetest.SQLite(t)
	f := newFundFixture(t, db)
	type route struct{ method, path, body string }
	write := []route{
		{"POST", "/fund/contributions", `{"donor":"Synthetic Donor","amount":"1","currency":"USD"}`},
		{"POST", "/fund/allocations", fmt.Sprintf(`{"case_id":%d,"amount":"1","currency":"USD","purpose":"x"}`, f.unCase)},
		{"POST", "/fund/disbursements", `{"allocation_id":999,"amount":"1","payee":"x"}`},
		{"POST", "/fund/returns", `{"allocation_id":999,"amount":"1"}`},
	}
	approve := []route{
		{"POST", "/fund/allocations/999/approve", ""},
		{"POST", "/fund/allocations/999/reject", ""},
		{"POST", "/fund/overdrafts", `{"account":"cash","currency":"USD","limit":"0","reason":"x"}`},
	}
	read := []route{
		{"GET", "/fund/balance", ""}, {"GET", "/fund/journal", ""}, {"GET", "/fund/allocations", ""},
		{"GET", "/fund/reports/by-source", ""}, {"GET", "/fund/reports/by-case", ""},
		{"GET", "/fund/reports/request-to-disbursement", ""}, {"GET", "/fund/statements/Synthetic%20Donor", ""},
	}
	allowed := map[auth.Role][]route{
		auth.Admin:       append(append(append([]route{}, write...), approve...), read...),
		auth.Analyst:     append(append([]route{}, write...), read...),
		auth.DeskOfficer: read,
	}
	for _, role := range auth.Roles() {
		ok := map[route]bool{}
		for _, r := range allowed[role] {
			ok[r] = true
		}
		for _, r := range append(append(append([]route{}, write...), approve...), read...) {
			w := f.do(t, "un-"+string(role), "", r.method, Prefix+r.path, r.body)
			forbidden := w.Code == http.StatusForbidden
			if ok[r] == forbidden || w.Code == http.StatusUnauthorized || w.Code >= 500 {
				t.Errorf("%s %s %s = %d %s; allowed %v", role, r.method, r.path, w.Code, w.Body, ok[r])
			}
		}
	}
}
