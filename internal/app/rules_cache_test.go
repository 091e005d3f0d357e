package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"threshold/internal/rules"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestRulesCache: the rules in force are parsed once per saved version,
// and a version saved later (by this server or another) is used from the
// next call on. On SQLite and PostgreSQL.
func TestRulesCache(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		c := &rulesCache{db: db}
		first, err := c.active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := rules.Default().Version; first.Version != want {
			t.Fatalf("with nothing saved got version %q; want the default %q", first.Version, want)
		}
		again, err := c.active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again != first {
			t.Error("the default rules were parsed again although nothing changed")
		}

		body := strings.Replace(string(rules.DefaultYAML()), "version:", "version: cache-test #", 1)
		if _, err := db.SaveRules(ctx, body, "tester", time.Now()); err != nil {
			t.Fatal(err)
		}
		saved, err := c.active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if saved == first || !strings.HasPrefix(saved.Version, "cache-test") {
			t.Fatalf("after a save got version %q; want the saved cache-test version", saved.Version)
		}
		cached, err := c.active(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cached != saved {
			t.Error("the saved rules were parsed again although nothing changed")
		}
	})
}
