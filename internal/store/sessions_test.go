package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"threshold/internal/auth"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

func TestSessions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		u := addUser(t, db, "ECOWAS", "kofi@un.org")
		s := auth.Session{ID: "abc", UserID: u.ID, CSRF: "csrf", CreatedAt: t0, LastSeen: t0, ExpiresAt: t0.Add(24 * time.Hour)}
		if err := db.AddSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := db.AddSession(ctx, s); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddSession(same ID) = %v, want ErrConflict", err)
		}
		if err := db.TouchSession(ctx, "abc", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		s.LastSeen = t0.Add(time.Hour)
		got, gu, err := db.Session(ctx, "abc")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, got); diff != "" || gu.Email != "kofi@un.org" || gu.OrgName != "ECOWAS" {
			t.Errorf("Session (-want +got):\n%s\nuser %+v", diff, gu)
		}
		// Disabling a user ends their sessions in the same transaction.
		if err := db.SetUserDisabled(ctx, u.ID, true, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Session(ctx, "abc"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of a disabled user: %v, want ErrNotFound", err)
		}
	})
}

// TestFailedLoginsComparesTimesInOrder guards the timestamp format: with
// RFC 3339 text that drops trailing zeros, "…:00Z" would sort after
// "…:00.5Z" in SQLite and the count would be wrong.
func TestFailedLoginsComparesTimesInOrder(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		for _, a := range []auth.LoginAttempt{
			{Email: "a@x.org", Remote: "192.0.2.1", At: t0},
			{Email: "a@x.org", Remote: "192.0.2.1", At: t0.Add(500 * time.Millisecond)},
			{Email: "a@x.org", Remote: "192.0.2.2", At: t0.Add(time.Second)},
			{Email: "b@x.org", Remote: "192.0.2.1", At: t0.Add(2 * time.Second)},
			{Email: "a@x.org", Remote: "192.0.2.1", At: t0.Add(3 * time.Second), OK: true},
		} {
			if err := db.AddLoginAttempt(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			since             time.Time
			byEmail, byRemote int
		}{
			{t0, 3, 3},
			{t0.Add(200 * time.Millisecond), 2, 2},
			{t0.Add(time.Second), 1, 1},
			{t0.Add(2 * time.Second), 0, 1},
			{t0.Add(time.Minute), 0, 0},
		}
		for _, tt := range tests {
			e, r, err := db.FailedLogins(ctx, "a@x.org", "192.0.2.1", tt.since)
			if err != nil || e != tt.byEmail || r != tt.byRemote {
				t.Errorf("FailedLogins(since %v) = %d, %d, %v; want %d, %d", tt.since, e, r, err, tt.byEmail, tt.byRemote)
			}
		}
	})
}

func TestPurgeAuth(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		u := addUser(t, db, "ECOWAS", "kofi@un.org")
		for _, s := range []auth.Session{
			{ID: "ended", ExpiresAt: t0.Add(time.Hour), LastSeen: t0.Add(time.Hour)},
			{ID: "idle", ExpiresAt: t0.Add(48 * time.Hour), LastSeen: t0},
			{ID: "live", ExpiresAt: t0.Add(48 * time.Hour), LastSeen: t0.Add(90 * time.Minute)},
		} {
			s.UserID, s.CSRF, s.CreatedAt = u.ID, "c", t0
			if err := db.AddSession(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		db.AddLoginAttempt(ctx, auth.LoginAttempt{Email: "a@x.org", Remote: "r", At: t0})
		db.AddLoginAttempt(ctx, auth.LoginAttempt{Email: "a@x.org", Remote: "r", At: t0.Add(2 * time.Hour)})
		now := t0.Add(2 * time.Hour)
		if err := db.PurgeAuth(ctx, now, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"ended": false, "idle": false, "live": true} {
			if _, _, err := db.Session(ctx, id); (err == nil) != want {
				t.Errorf("session %s after purge: %v; want kept=%v", id, err, want)
			}
		}
		if e, _, _ := db.FailedLogins(ctx, "a@x.org", "r", t0.Add(-time.Hour)); e != 1 {
			t.Errorf("%d login attempts after purge, want 1", e)
		}
	})
}
