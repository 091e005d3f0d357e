package schedule_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"threshold/internal/schedule"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

// TestOncePerPeriodAcrossServers runs two schedulers (two servers) on one
// database with a job every second: each period runs once, on one of
// them; a job only one server has runs there; a failing run is retried.
func TestOncePerPeriodAcrossServers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		var (
			mu    sync.Mutex
			ticks = map[string]int{} // server → runs of "tick"
			only  int                // runs of "only-a"
			flaky int
		)
		tick := func(server string) func(context.Context) error {
			return func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				ticks[server]++
				return nil
			}
		}
		var servers []*schedule.Scheduler
		for _, id := range []string{"a", "b"} {
			s := schedule.New(db, schedule.Config{ID: id, FetchPollInterval: 100 * time.Millisecond})
			if err := s.Add(schedule.Job{Name: "tick", Every: time.Second, Run: tick(id)}); err != nil {
				t.Fatal(err)
			}
			if id == "a" {
				if err := s.Add(schedule.Job{Name: "only-a", Every: time.Second, Run: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					only++
					return nil
				}}); err != nil {
					t.Fatal(err)
				}
			} else if err := s.Add(schedule.Job{Name: "flaky", Every: time.Hour, Run: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				flaky++
				if flaky == 1 {
					return errors.New("first attempt fails")
				}
				return nil
			}}); err != nil {
				t.Fatal(err)
			}
			servers = append(servers, s)
		}
		start := time.Now()
		for _, s := range servers {
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(4500 * time.Millisecond)
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			mu.Lock()
			retried := flaky >= 2
			mu.Unlock()
			if retried {
				break
			}
		}
		stopped := time.Now()
		for _, s := range servers {
			if err := s.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		}
		periods := int(stopped.Truncate(time.Second).Sub(start.Truncate(time.Second))/time.Second) + 1

		runs, err := schedule.New(db, schedule.Config{}).Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]map[time.Time]int{}
		var tickRuns, tickInserted, byA, byB int
		for _, r := range runs {
			if r.Name == "tick" {
				tickInserted++
			}
			if seen[r.Name] == nil {
				seen[r.Name] = map[time.Time]int{}
			}
			seen[r.Name][r.Period]++
			if r.Name == "tick" && r.State == "completed" {
				tickRuns++
				switch r.By[len(r.By)-1] {
				case "a":
					byA++
				case "b":
					byB++
				}
			}
			if r.Name == "only-a" && len(r.By) > 0 && r.By[len(r.By)-1] != "a" {
				t.Errorf("run of only-a for %s by %v; want a, the only server with the job", r.Period, r.By)
			}
		}
		for name, ps := range seen {
			for p, n := range ps {
				if n != 1 {
					t.Errorf("%s ran %d times for the period %s, want once", name, n, p)
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		// Runs may lag behind on a loaded machine: every period has its
		// run inserted, and every run that completed ran once.
		if total := ticks["a"] + ticks["b"]; total != tickRuns || tickInserted < periods-1 || tickInserted > periods {
			t.Errorf("tick ran %d times (a %d, b %d), queue shows %d completed of %d inserted; want one run per period: %d periods",
				total, ticks["a"], ticks["b"], tickRuns, tickInserted, periods)
		}
		if flaky != 2 {
			t.Errorf("flaky ran %d times, want 2 (a failure, then a retry)", flaky)
		}
		t.Logf("%d periods: tick ran %d times, %d on a and %d on b; only-a %d times", periods, tickRuns, byA, byB, only)
	})
}

func TestAddRefusesBadJobs(t *testing.T) {
	s := schedule.New(nil, schedule.Config{})
	run := func(context.Context) error { return nil }
	for _, tt := range []struct {
		name string
		job  schedule.Job
	}{
		{"upper case", schedule.Job{Name: "Eval", Every: time.Hour, Run: run}},
		{"underscore", schedule.Job{Name: "purge_auth", Every: time.Hour, Run: run}},
		{"no run", schedule.Job{Name: "x", Every: time.Hour}},
	} {
		if err := s.Add(tt.job); err == nil {
			t.Errorf("Add(%s) = nil, want an error", tt.name)
		}
	}
	if err := s.Add(schedule.Job{Name: "x", Every: time.Hour, Run: run}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(schedule.Job{Name: "x", Every: time.Hour, Run: run}); err == nil {
		t.Error("Add(x) twice = nil, want an error")
	}
}
