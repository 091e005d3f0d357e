package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/fund"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestWriteFund checks the store's half of the ledger on both databases:
// an idempotency key is stored with the write and answers its retries, a
// failed write stores neither postings nor key, balances follow the
// postings, and the journal cannot be changed or deleted, even in SQL.
func TestWriteFund(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		at := time.Date(2024, 3, 4, 6, 0, 0, 0, time.UTC)
		entry := fund.Entry{Kind: fund.Contribution, Currency: "EUR", Minor: 1000_00, Rate: "1.0825", ReportingCurrency: "USD",
			ReportingMinor: 1082_50, Donor: "Synthetic Donor", Actor: "test", At: at,
			Postings: []fund.Posting{{Account: fund.Cash, Currency: "EUR", Minor: 1000_00},
				{Account: "donor:Synthetic Donor", Currency: "EUR", Minor: -1000_00}}}
		post := func(tx fund.Tx) ([]byte, error) {
			e, err := tx.Post(ctx, entry)
			if err != nil {
				return nil, err
			}
			return []byte(strconv.FormatInt(e.ID, 10)), nil
		}
		key := fund.Idempotency{Actor: "test", Key: "k1", Hash: "h1"}
		first, replayed, err := db.WriteFund(ctx, key, post)
		if err != nil || replayed {
			t.Fatalf("first write: %v %v", replayed, err)
		}
		// The retry: the first answer, nothing posted.
		if resp, replayed, err := db.WriteFund(ctx, key, post); err != nil || !replayed || string(resp) != string(first) {
			t.Errorf("retry = %s %v %v, want %s replayed", resp, replayed, err, first)
		}
		// The key with another request.
		if _, _, err := db.WriteFund(ctx, fund.Idempotency{Actor: "test", Key: "k1", Hash: "h2"}, post); !errors.Is(err, fund.ErrKeyReused) {
			t.Errorf("reused key: %v", err)
		}
		// Another actor's key, and no key: new writes.
		for _, idem := range []fund.Idempotency{{Actor: "other", Key: "k1", Hash: "h2"}, {}} {
			if resp, replayed, err := db.WriteFund(ctx, idem, post); err != nil || replayed || string(resp) == string(first) {
				t.Errorf("write with %+v = %s %v %v, want a new entry", idem, resp, replayed, err)
			}
		}
		// A write that fails after posting leaves nothing behind.
		boom := errors.New("synthetic failure")
		if _, _, err := db.WriteFund(ctx, fund.Idempotency{Actor: "test", Key: "k2", Hash: "h"}, func(tx fund.Tx) ([]byte, error) {
			if _, err := tx.Post(ctx, entry); err != nil {
				return nil, err
			}
			return nil, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing write: %v", err)
		}
		last, replayed, err := db.WriteFund(ctx, fund.Idempotency{Actor: "test", Key: "k2", Hash: "h"}, post)
		if err != nil || replayed {
			t.Errorf("key of a failed write: %s %v %v, want a fresh write", last, replayed, err)
		}
		bals, err := db.FundBalances(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(bals) != 2 || bals[0].Account != fund.Cash || bals[0].Amount != "4000.00" || bals[1].Amount != "-4000.00" {
			t.Errorf("balances = %+v", bals)
		}
		js, err := db.FundJournal(ctx, fund.JournalQuery{Donor: "Synthetic Donor", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(js) != 2 || strconv.FormatInt(js[0].ID, 10) != string(last) || js[0].ReportingAmount != "1082.50" || !js[0].At.Equal(at) || len(js[0].Postings) != 2 {
			t.Errorf("journal = %+v", js)
		}

		// Append-only, whatever the SQL.
		driver := "sqlite"
		if store.IsPostgres(url) {
			driver = "pgx"
		}
		raw, err := sql.Open(driver, url)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range []string{
			`UPDATE fund_postings SET amount_minor = 1 WHERE entry_id = 1`,
			`DELETE FROM fund_postings WHERE entry_id = 1`,
			`UPDATE fund_entries SET amount_minor = 1 WHERE id = 1`,
			`DELETE FROM fund_entries`,
		} {
			if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want it refused", q, err)
			}
		}
	})
}
