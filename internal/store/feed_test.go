package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"threshold/internal/feed"
	"threshold/internal/ingest"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestFeedFiles walks feed files through their states: recorded once,
// claimed in name order one at a time, renewed, failed and retried when
// due, reclaimed after a lease ends, finished; a lost claim is refused.
func TestFeedFiles(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		const lease = time.Minute
		files := []feed.File{
			{Source: "dir:/feed", Name: "20191024144500.export.CSV.zip", Location: "/feed/20191024144500.export.CSV.zip", Size: 10},
			{Source: "dir:/feed", Name: "20191024143000.export.CSV.zip", Location: "/feed/20191024143000.export.CSV.zip", MD5: "abc"},
		}
		n, err := db.AddFeedFiles(ctx, files, t0)
		if err != nil || n != 2 {
			t.Fatalf("AddFeedFiles = %d, %v; want 2 new", n, err)
		}
		if n, err := db.AddFeedFiles(ctx, files, t0.Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("AddFeedFiles again = %d, %v; want 0 new", n, err)
		}

		claim := func(who string, at time.Time) (feed.File, bool) {
			t.Helper()
			f, ok, err := db.ClaimFeedFile(ctx, who, at, lease)
			if err != nil {
				t.Fatalf("ClaimFeedFile(%s, %s): %v", who, at, err)
			}
			return f, ok
		}
		first, ok := claim("a", t0)
		if !ok || first.Name != "20191024143000.export.CSV.zip" || first.State != feed.Ingesting || first.Attempts != 1 ||
			first.ClaimedBy != "a" || !first.LeaseUntil.Equal(t0.Add(lease)) || first.MD5 != "abc" {
			t.Fatalf("first claim = %+v, %v; want the oldest file, ingesting, by a", first, ok)
		}
		if f, ok := claim("b", t0.Add(time.Second)); ok {
			t.Fatalf("second claim while one is ingesting = %s; want none (one at a time, in order)", f.Name)
		}
		if err := db.RenewFeedClaim(ctx, first.ID, "a", t0.Add(2*lease)); err != nil {
			t.Fatal(err)
		}
		if f, ok := claim("b", t0.Add(lease+time.Second)); ok {
			t.Fatalf("claim after a renewed lease = %s; want none", f.Name)
		}
		// a dies; its lease ends and b takes the file over.
		again, ok := claim("b", t0.Add(2*lease+time.Second))
		if !ok || again.ID != first.ID || again.Attempts != 2 || again.ClaimedBy != "b" {
			t.Fatalf("claim after the lease ended = %+v, %v; want file %d again, attempt 2, by b", again, ok, first.ID)
		}
		if err := db.FinishFeedFile(ctx, first.ID, "a", "sha", ingest.Counts{}, t0); !errors.Is(err, feed.ErrClaimLost) {
			t.Errorf("FinishFeedFile by a after losing the claim = %v, want ErrClaimLost", err)
		}
		at := t0.Add(3 * lease)
		if err := db.FailFeedFile(ctx, first.ID, "b", "sha-1", "zip: not a valid zip file", at.Add(time.Hour), at); err != nil {
			t.Fatal(err)
		}
		second, ok := claim("b", at)
		if !ok || second.Name != "20191024144500.export.CSV.zip" {
			t.Fatalf("claim with the first failed = %+v, %v; want the next file (a failed file waits for its retry)", second, ok)
		}
		c := ingest.Counts{Read: 5, Inserted: 4, Rejected: 1}
		if err := db.FinishFeedFile(ctx, second.ID, "b", "sha-2", c, at); err != nil {
			t.Fatal(err)
		}
		if f, ok := claim("b", at.Add(time.Minute)); ok {
			t.Fatalf("claim before the retry is due = %s; want none", f.Name)
		}
		retry, ok := claim("c", at.Add(time.Hour))
		if !ok || retry.ID != first.ID || retry.Attempts != 3 || retry.Error != "" {
			t.Fatalf("claim when the retry is due = %+v, %v; want file %d, attempt 3", retry, ok, first.ID)
		}

		done, err := db.FeedFiles(ctx, feed.Done)
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 1 || done[0].SHA256 != "sha-2" || done[0].Counts != c || !done[0].FinishedAt.Equal(at) {
			t.Errorf("FeedFiles(done) = %+v; want the second file with its counts", done)
		}
		all, err := db.FeedFiles(ctx)
		if err != nil || len(all) != 2 || all[0].State != feed.Ingesting {
			t.Errorf("FeedFiles() = %+v, %v; want both, the first ingesting", all, err)
		}
	})
}
