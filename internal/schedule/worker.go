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
	if err := j.Run(ctx); err != nil {
		log.WarnContext(ctx, "schedule: run failed", "err", err)
		return err
	}
	log.InfoContext(ctx, "schedule: ran", "seconds", time.Since(start).Seconds())
	return nil
}

// Timeout bounds a run by its job's Timeout.
func (w *worker) Timeout(job *river.Job[runArgs]) time.Duration {
	if j, ok := w.s.jobs[job.Args.Name]; ok {
		return j.Timeout
	}
	return time.Minute
}

func decodeArgs(data []byte, a *runArgs) error { return json.Unmarshal(data, a) }
