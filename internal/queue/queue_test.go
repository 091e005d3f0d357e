package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"threshold/internal/queue"
	"threshold/internal/store"
	"threshold/internal/storetest"
)

type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test.ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan int
}

func (w *pingWorker) Work(_ context.Context, job *river.Job[pingArgs]) error {
	w.done <- job.Args.N
	return nil
}

type otherArgs struct{}

func (otherArgs) Kind() string { return "test.other" }

type otherWorker struct {
	river.WorkerDefaults[otherArgs]
}

func (otherWorker) Work(context.Context, *river.Job[otherArgs]) error { return nil }

// TestQueue registers a worker, works a job through it, and refuses
// registrations after the queue's first use, when River's client is
// built and a kind added then would be unknown to its rescuer.
func TestQueue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB, url string) {
		ctx := context.Background()
		q, err := queue.Open(ctx, db, queue.Config{ID: "test"})
		if err != nil {
			t.Fatal(err)
		}
		w := &pingWorker{done: make(chan int, 1)}
		if err := queue.AddWorker(q, w); err != nil {
			t.Fatal(err)
		}
		if err := queue.AddWorker(q, w); err == nil {
			t.Error("a second worker for one kind was accepted")
		}
		if err := q.AddQueue("ping", river.QueueConfig{MaxWorkers: 1, FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 10 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		if err := q.AddQueue("ping", river.QueueConfig{MaxWorkers: 1}); err == nil {
			t.Error("a queue added twice was accepted")
		}
		if _, err := q.Insert(ctx, pingArgs{N: 7}, &river.InsertOpts{Queue: "ping"}); err != nil {
			t.Fatal(err)
		}
		if err := queue.AddWorker(q, otherWorker{}); err == nil {
			t.Error("a worker added after the first insert was accepted")
		}
		if err := q.AddQueue("late", river.QueueConfig{MaxWorkers: 1}); err == nil {
			t.Error("a queue added after the first insert was accepted")
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-w.done:
			if n != 7 {
				t.Errorf("worked job %d, want 7", n)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the job was not worked")
		}
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		if err := q.Start(ctx); err == nil {
			t.Error("Start after Stop succeeded")
		}
	})
}
