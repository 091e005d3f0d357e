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

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// addUser adds an organisation and a user in it.
func addUser(t *testing.T, db *store.DB, org, email string) auth.User {
	t.Helper()
	ctx := context.Background()
	o, err := db.Org(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		o, err = db.AddOrg(ctx, org, t0)
	}
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.AddUser(ctx, auth.User{Email: email, Name: "N", OrgID: o.ID, Role: auth.Analyst, PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOrgsAndUsers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		u := addUser(t, db, "UN DPPA", "kofi@un.org")
		addUser(t, db, "African Union", "amina@au.int")
		want := auth.User{ID: u.ID, Email: "kofi@un.org", Name: "N", OrgID: u.OrgID, OrgName: "UN DPPA", Role: auth.Analyst,
			PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0}
		if diff := cmp.Diff(want, u); diff != "" {
			t.Errorf("AddUser (-want +got):\n%s", diff)
		}
		got, err := db.User(ctx, "kofi@un.org")
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("User = %+v, %v; want %+v", got, err, want)
		}
		orgs, err := db.Orgs(ctx)
		if err != nil || len(orgs) != 2 || orgs[0].Name != "African Union" || orgs[1].Name != "UN DPPA" {
			t.Errorf("Orgs = %+v, %v; want both, by name", orgs, err)
		}
		users, err := db.Users(ctx)
		if err != nil || len(users) != 2 || users[0].Email != "amina@au.int" || users[1].OrgName != "UN DPPA" {
			t.Errorf("Users = %+v, %v; want both, by email", users, err)
		}

		at := t0.Add(time.Hour)
		if err := db.SetUserPassword(ctx, u.ID, "h2", at); err != nil {
			t.Fatal(err)
		}
		if err := db.SetUserDisabled(ctx, u.ID, true, at); err != nil {
			t.Fatal(err)
		}
		got, _ = db.User(ctx, "kofi@un.org")
		if got.PasswordHash != "h2" || !got.Disabled || !got.UpdatedAt.Equal(at) {
			t.Errorf("after updates: %+v", got)
		}
	})
}

func TestAuthStoreErrorsMatchBothSentinels(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		u := addUser(t, db, "ECOWAS", "kofi@un.org")
		check := func(what string, err, sentinel, authSentinel error) {
			t.Helper()
			if !errors.Is(err, sentinel) || !errors.Is(err, authSentinel) {
				t.Errorf("%s: %v; want %v matching %v too", what, err, sentinel, authSentinel)
			}
		}
		_, err := db.AddOrg(ctx, "ECOWAS", t0)
		check("AddOrg(taken)", err, store.ErrConflict, auth.ErrConflict)
		// The unique index is on lower(email): a row written with other
		// case, bypassing auth's lower-casing, still collides.
		_, err = db.AddUser(ctx, auth.User{Email: "Kofi@UN.org", OrgID: u.OrgID, Role: auth.Admin, PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0})
		check("AddUser(taken, other case)", err, store.ErrConflict, auth.ErrConflict)
		_, err = db.Org(ctx, "AU")
		check("Org(unknown)", err, store.ErrNotFound, auth.ErrNotFound)
		_, err = db.User(ctx, "nobody@un.org")
		check("User(unknown)", err, store.ErrNotFound, auth.ErrNotFound)
		check("SetUserPassword(unknown)", db.SetUserPassword(ctx, 999, "h", t0), store.ErrNotFound, auth.ErrNotFound)
		check("SetUserDisabled(unknown)", db.SetUserDisabled(ctx, 999, true, t0), store.ErrNotFound, auth.ErrNotFound)
		_, _, err = db.Session(ctx, "nope")
		check("Session(unknown)", err, store.ErrNotFound, auth.ErrNotFound)
		check("DeleteSession(unknown)", db.DeleteSession(ctx, "nope"), store.ErrNotFound, auth.ErrNotFound)
		_, _, err = db.TokenByHash(ctx, "nope")
		check("TokenByHash(unknown)", err, store.ErrNotFound, auth.ErrNotFound)
		_, err = db.RevokeToken(ctx, 999, t0)
		check("RevokeToken(unknown)", err, store.ErrNotFound, auth.ErrNotFound)
	})
}
