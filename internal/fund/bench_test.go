package fund_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"threshold/internal/fund"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// BenchmarkAllocate measures one allocation with an idempotency key (the
// whole write: lock, key check, balance check, allocation, entry,
// postings, balances, key), serially and from many goroutines at once,
// on SQLite and PostgreSQL.
func BenchmarkAllocate(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, parallel := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/parallel=%v", dialect, parallel), func(b *testing.B) {
				var db *store.DB
				if dialect == "sqlite" {
					db, _ = storetest.SQLite(b)
				} else {
					db, _ = storetest.Postgres(b)
				}
				ctx := context.Background()
				s, err := fund.New(fund.Options{Store: db})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.Contribute(ctx, operator, "", fund.ContributionRequest{Donor: "Synthetic Donor", Amount: "1000000000", Currency: "USD"}); err != nil {
					b.Fatal(err)
				}
				var n atomic.Int64
				alloc := func() {
					i := n.Add(1)
					if _, _, err := s.Allocate(ctx, analyst, fmt.Sprint("b-", i), fund.AllocationRequest{CaseID: i%50 + 1,
						Amount: "12.34", Currency: "USD", Purpose: "synthetic"}); err != nil {
						b.Error(err)
					}
				}
				b.ResetTimer()
				if parallel {
					b.SetParallelism(4)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							alloc()
						}
					})
				} else {
					for b.Loop() {
						alloc()
					}
				}
			})
		}
	}
}
