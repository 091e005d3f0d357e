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

func TestTokensStore(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		kofi := addUser(t, db, "ECOWAS", "kofi@un.org")
		amina := addUser(t, db, "ECOWAS", "amina@au.int")
		a, err := db.AddToken(ctx, auth.Token{UserID: kofi.ID, Email: kofi.Email, Name: "import", Scope: auth.ScopeWrite, Hash: "h1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.AddToken(ctx, auth.Token{UserID: amina.ID, Email: amina.Email, Scope: auth.ScopeRead, Hash: "h2", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddToken(ctx, auth.Token{UserID: amina.ID, Scope: auth.ScopeRead, Hash: "h2", CreatedAt: t0}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddToken(same hash) = %v, want ErrConflict", err)
		}
		got, u, err := db.TokenByHash(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" || u.ID != kofi.ID {
			t.Errorf("TokenByHash (-added +got):\n%s\nuser %+v", diff, u)
		}
		if err := db.TouchToken(ctx, b.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		r, err := db.RevokeToken(ctx, b.ID, t0.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// A second revocation keeps the first time.
		if r, err = db.RevokeToken(ctx, b.ID, t0.Add(3*time.Minute)); err != nil || !r.RevokedAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("RevokeToken again = %+v, %v; want revoked at %v", r, err, t0.Add(2*time.Minute))
		}
		all, err := db.Tokens(ctx, 0)
		if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID {
			t.Fatalf("Tokens(0) = %+v, %v", all, err)
		}
		if !all[1].LastUsedAt.Equal(t0.Add(time.Minute)) || !all[1].ExpiresAt.IsZero() || all[1].Email != "amina@au.int" {
			t.Errorf("Tokens(0)[1] = %+v", all[1])
		}
		mine, err := db.Tokens(ctx, kofi.ID)
		if err != nil || len(mine) != 1 || mine[0].ID != a.ID {
			t.Errorf("Tokens(kofi) = %+v, %v", mine, err)
		}
	})
}
