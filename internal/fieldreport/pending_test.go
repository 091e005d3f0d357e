package fieldreport_test

import (
	"context"
	"testing"
	"time"

	"threshold/internal/fieldreport"
	"threshold/internal/storetest"
	"threshold/internal/warning"
)

var _ fieldreport.Pending = (*warning.Watcher)(nil)

// recordingPending stands in for the Watcher's Evaluate.
type recordingPending struct{ calls []string }

func (p *recordingPending) Evaluate(_ context.Context, countries []string, asOf time.Time) (warning.Report, error) {
	for _, c := range countries {
		p.calls = append(p.calls, c+" "+asOf.Format(time.DateOnly))
	}
	return warning.Report{}, nil
}

// TestPendingReevaluates: a report arriving, and one leaving verification
// as rejected, re-evaluate the rules of its country as of today, for the
// rules that count unverified reports; verifying does not (the event it
// becomes goes through Changes), nor does review.
func TestPendingReevaluates(t *testing.T) {
	db, _ := storetest.SQLite(t)
	ctx := context.Background()
	clock := time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &recordingPending{}
	svc, err := fieldreport.New(fieldreport.Options{Store: db, Events: db, Changes: &recordingChanges{}, Pending: p,
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	rep := syntheticReport()
	rep.Reporter = nil
	steps := []struct {
		name string
		do   func() error
		want []string // calls so far
	}{
		{"submit", func() error {
			r, err := svc.Submit(ctx, ownAnalyst, "api", rep, nil)
			rep.ID = r.ID
			return err
		}, []string{"CAF 2024-03-02"}},
		{"review", func() error {
			_, err := svc.Move(ctx, ownAnalyst, rep.ID, fieldreport.Transition{To: fieldreport.UnderReview, Reason: "synthetic"})
			return err
		}, []string{"CAF 2024-03-02"}},
		{"reject", func() error {
			_, err := svc.Move(ctx, ownAnalyst, rep.ID, fieldreport.Transition{To: fieldreport.Rejected, Reason: "synthetic"})
			return err
		}, []string{"CAF 2024-03-02", "CAF 2024-03-02"}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(p.calls) != len(st.want) {
			t.Errorf("after %s: evaluations %v, want %v", st.name, p.calls, st.want)
		}
	}
}
