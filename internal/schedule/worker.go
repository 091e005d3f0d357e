package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// worker works runs: it calls the job's Run.
type worker struct {
	river.WorkerDefaults[runArgs]
	s *Scheduler
}

// Work runs one period's run of a job. A run of a job this server does
// not know cannot reach it (each job has its own queue), but is
// cancelled if it does.
func (w *worker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	j, ok := w.s.jobs[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("schedule: no job %q in this server", job.Args.Name))
	}
	start := time.Now()
	log := w.s.log.With("job", j.Name, "period", job.Args.Period, "attempt", job.Attempt)
	log.DebugContext(ctx, "schedule: run")
	ctx, cancel := context.WithTimeout(ctx, runTimeout(job.Args, j.Timeout))
	defer cancel()
	if err := j.Run(ctx); err != nil {
		log.WarnContext(ctx, "schedule: run failed", "err", err)
		return err
	}
	log.InfoContext(ctx, "schedule: ran", "seconds", time.Since(start).Seconds())
	return nil
}

// Timeout is how long a run may be running before River's rescuer takes
// it for abandoned: its Timeout (from the run's arguments, so that a
// server without the job knows it too) plus a grace in which a run that
// timed out returns. The run itself is bounded by its Timeout in Work.
func (w *worker) Timeout(job *river.Job[runArgs]) time.Duration {
	d := runTimeout(job.Args, w.s.jobs[job.Args.Name].Timeout)
	return d + grace(d)
}

// runTimeout is a run's Timeout: the one it was inserted with, else its
// job's in this server (a run inserted before runs carried it), else
// DefaultTimeout.
func runTimeout(a runArgs, job time.Duration) time.Duration {
	switch {
	case a.Timeout > 0:
		return a.Timeout
	case job > 0:
		return job
	}
	return DefaultTimeout
}

// grace is the time a run that reached its Timeout d has to return before
// it is rescued: a quarter of d, at most 10 s.
func grace(d time.Duration) time.Duration { return min(d/4, 10*time.Second) }

func decodeArgs(data []byte, a *runArgs) error { return json.Unmarshal(data, a) }
