package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"threshold/internal/agreement"
	"threshold/internal/casework"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestImportAgreementUpdate re-imports a changed synthetic agreement: the
// fields and lists change, a new provision category is added, and the
// status recorded meanwhile is kept.
func TestImportAgreementUpdate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		at := time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)
		a := agreement.Agreement{Source: agreement.SourceUCDP, SourceID: "900001", Name: "synthetic accord", Kind: agreement.PeaceAgreement,
			Parties: []string{"Synthetic A", "Synthetic B"}, Signed: time.Date(2019, 2, 6, 0, 0, 0, 0, time.UTC), Countries: []string{"CAF"},
			ConflictIDs: []int64{416}, Provisions: []agreement.Provision{{Category: "cease", Text: "Ceasefire", Status: agreement.NotStarted}}}
		id, out, n, err := db.ImportAgreement(ctx, a, "import:test", at)
		if err != nil || out != agreement.Inserted || n != 1 {
			t.Fatalf("first import: %d %s %d %v", id, out, n, err)
		}
		if _, out, n, err := db.ImportAgreement(ctx, a, "import:test", at); err != nil || out != agreement.Unchanged || n != 0 {
			t.Fatalf("same import: %s %d %v", out, n, err)
		}
		got, err := db.Agreement(ctx, casework.Everyone(""), id)
		if err != nil {
			t.Fatal(err)
		}
		cease := got.Provisions[0]
		if _, err := db.SetProvisionStatus(ctx, cease.ID, agreement.StatusChange{To: agreement.Intermediate,
			On: time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC), Actor: "desk@synthetic.example", RecordedAt: at}); err != nil {
			t.Fatal(err)
		}
		a.Name, a.Ended, a.EndedOn = "synthetic accord, revised", true, time.Date(2020, 12, 15, 0, 0, 0, 0, time.UTC)
		a.Countries, a.ConflictIDs = []string{"CAF", "TCD"}, []int64{416, 15283}
		a.Provisions = append(a.Provisions, agreement.Provision{Category: "ddr", Text: "DDR", Status: agreement.NotStarted})
		if _, out, n, err := db.ImportAgreement(ctx, a, "import:test", at); err != nil || out != agreement.Updated || n != 1 {
			t.Fatalf("changed import: %s %d %v", out, n, err)
		}
		got, err = db.Agreement(ctx, casework.Everyone(""), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != a.Name || !got.Ended || !got.EndedOn.Equal(a.EndedOn) || !slices.Equal(got.Countries, a.Countries) ||
			!slices.Equal(got.ConflictIDs, a.ConflictIDs) || len(got.Provisions) != 2 || got.ProvisionCount != 2 {
			t.Errorf("after the changed import: %+v", got)
		}
		if p := got.Provisions[0]; p.Status != agreement.Intermediate || len(p.History) != 2 {
			t.Errorf("the recorded status was not kept: %+v", p)
		}
		// A back-filled earlier line enters the history only.
		p, err := db.SetProvisionStatus(ctx, cease.ID, agreement.StatusChange{To: agreement.Minimal,
			On: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), Actor: "desk@synthetic.example", RecordedAt: at})
		if err != nil || p.Status != agreement.Intermediate || len(p.History) != 3 || p.LastProgress() != time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC) {
			t.Errorf("back-filled line: %+v, %v", p, err)
		}
		if _, err := db.Agreement(ctx, casework.Everyone(""), id+1000); !errors.Is(err, agreement.ErrNotFound) {
			t.Errorf("missing agreement: %v, want agreement.ErrNotFound", err)
		}
		if _, err := db.SetProvisionStatus(ctx, 99999, agreement.StatusChange{To: agreement.Full, RecordedAt: at}); !errors.Is(err, agreement.ErrNotFound) {
			t.Errorf("missing provision: %v, want agreement.ErrNotFound", err)
		}
		followed, err := db.FollowedAgreements(ctx, []string{"CAF"})
		if err != nil || len(followed) != 0 {
			t.Errorf("an ended, unlinked import is followed: %v, %v", followed, err)
		}
	})
}
