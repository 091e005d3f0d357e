package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"threshold/internal/audit"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestAppendAuditStoresWhatNextReturns(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		var seen [][2]any
		for i := range 3 {
			_, err := db.AppendAudit(ctx, func(seq int64, hash string) (audit.Record, error) {
				seen = append(seen, [2]any{seq, hash})
				return audit.Record{Seq: seq + 1, At: t0, Actor: "a", Action: "x", Details: json.RawMessage(`{"i":` + string(rune('0'+i)) + `}`),
					PrevHash: hash, Hash: "h" + string(rune('0'+i))}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		want := [][2]any{{int64(0), ""}, {int64(1), "h0"}, {int64(2), "h1"}}
		for i := range want {
			if seen[i] != want[i] {
				t.Errorf("next call %d saw %v, want %v", i, seen[i], want[i])
			}
		}
		// An error from next appends nothing.
		boom := errors.New("boom")
		if _, err := db.AppendAudit(ctx, func(int64, string) (audit.Record, error) { return audit.Record{}, boom }); !errors.Is(err, boom) {
			t.Errorf("AppendAudit = %v, want boom", err)
		}
		// A record that would reuse a seq is refused, not stored beside it.
		_, err := db.AppendAudit(ctx, func(seq int64, hash string) (audit.Record, error) {
			return audit.Record{Seq: seq, At: t0, Actor: "a", Action: "x", Details: json.RawMessage(`{}`)}, nil
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendAudit(reused seq) = %v, want ErrConflict", err)
		}
		recs, err := db.LatestAudit(ctx, 10)
		if err != nil || len(recs) != 3 || recs[0].Seq != 3 || string(recs[0].Details) != `{"i":2}` || !recs[0].At.Equal(t0) {
			t.Errorf("LatestAudit = %+v, %v", recs, err)
		}
		var n int
		stop := errors.New("stop")
		err = db.AuditRecords(ctx, func(r audit.Record) error {
			n++
			if r.Seq == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Errorf("AuditRecords = %v after %d records; want fn's error as it is, after 2", err, n)
		}
	})
}
