// Package schedule runs periodic work (rule evaluation, follow-through
// checks, session purges, feed polls, reports) exactly once per period
// across every server on one database.
//
// Each job has a name and a period. Time is cut into periods aligned on
// midnight UTC (an hourly job's periods start on the hour), and a run is
// a River job in the Threshold database whose arguments are the job's name
// and the start of its period, unique by those arguments: every server
// inserts the run of the current period when the period starts (and at
// Start), the database keeps the first, and the queue gives it to one
// server. A server that dies mid-run leaves its run to River's rescuer,
// which retries or discards it once it is stuck (notify.Config.RescueAfter);
// the next period's run comes whatever happened to this one. No leader is
// needed to insert or run, so no period is lost while a leadership
// changes hands.
//
// A run goes only to servers that registered its job (each job has a queue
// of its own), so servers with different jobs (a feed on one of them)
// share a database safely.
//
// # A server killed mid-run
//
// Runs go through the process's one River client (package queue;
// Config.Queue, or one of the Scheduler's own), which knows every job
// kind of the process, so whichever server holds River's leadership
// rescues a run whose server died: once the run has been running longer
// than its job's Timeout plus a grace (a quarter of it, at most 10 s),
// the rescuer makes it retryable and a server with the job runs it again
// for the same period, within Timeout + grace + 30 s (the rescuer's
// interval) + about 1 s (River's retry delay), plus up to some 21 s when
// the dead server held the leadership. A run's Timeout travels in the
// job's arguments, so a leader without the job still rescues it on time.
// The run that was killed may have done part of its work, and a run that
// outlives its Timeout is cancelled: every job must be safe to run again
// for the same period (see app/jobs.go for each one's reason).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"threshold/internal/queue"
	"threshold/internal/store"
)

// Defaults for Config's zero fields.
const (
	DefaultTimeout           = time.Hour
	DefaultFetchPollInterval = time.Second
	DefaultMaxAttempts       = 3
)

// Config configures a Scheduler.
type Config struct {
	// Queue is the process's job queue, whose owner starts and stops it;
	// nil: the Scheduler opens one of its own at Start.
	Queue *queue.Queue
	// ID names this server in River's tables (attempted_by) in a queue
	// of the Scheduler's own; "" is host-pid.
	ID string
	// FetchPollInterval is how often the queue looks for runs without
	// being woken.
	FetchPollInterval time.Duration
	// MaxAttempts is how often a failed run is tried within its period's
	// job (River's backoff between attempts).
	MaxAttempts int
	// MaxTimeout, if above 0, caps every job's Timeout, and so how long a
	// run killed with its server waits to be rescued.
	MaxTimeout time.Duration
	Log        *slog.Logger     // nil discards
	Now        func() time.Time // nil is time.Now; periods follow it
}

// Job is periodic work.
type Job struct {
	// Name identifies the job across servers: lower-case letters, digits
	// and hyphens.
	Name string
	// Every is the period: one run per period across servers.
	Every time.Duration
	// Run does the work. ctx ends at Timeout or when the scheduler stops.
	Run func(ctx context.Context) error
	// Timeout bounds a run; 0 is DefaultTimeout.
	Timeout time.Duration
}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Scheduler runs registered jobs once per period across servers.
type Scheduler struct {
	db   *store.DB
	cfg  Config
	log  *slog.Logger
	jobs map[string]Job

	registered bool // the worker, on Config.Queue

	mu      sync.Mutex
	queue   *queue.Queue // Config.Queue, or the Scheduler's own once started
	own     bool
	cancel  context.CancelFunc
	tickers sync.WaitGroup
}

// New returns a Scheduler over db.
func New(db *store.DB, cfg Config) *Scheduler {
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = DefaultFetchPollInterval
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{db: db, cfg: cfg, log: cfg.Log, jobs: map[string]Job{}, queue: cfg.Queue}
}

// Add registers a job; call it before Start, and, with Config.Queue,
// before the queue's first use. A job with Every <= 0 is disabled and
// ignored.
func (s *Scheduler) Add(j Job) error {
	switch {
	case !nameRE.MatchString(j.Name) || len(j.Name) > 50:
		return fmt.Errorf("schedule: job name %q: want lower-case letters, digits and hyphens", j.Name)
	case j.Run == nil:
		return fmt.Errorf("schedule: job %s has no Run", j.Name)
	case s.jobs[j.Name].Run != nil:
		return fmt.Errorf("schedule: job %s added twice", j.Name)
	case j.Every <= 0:
		return nil
	}
	if j.Timeout <= 0 {
		j.Timeout = DefaultTimeout
	}
	if s.cfg.MaxTimeout > 0 {
		j.Timeout = min(j.Timeout, s.cfg.MaxTimeout)
	}
	if s.cfg.Queue != nil {
		if err := s.register(s.cfg.Queue, j); err != nil {
			return err
		}
	}
	s.jobs[j.Name] = j
	return nil
}

// register adds j's queue to q, and the worker with the first job.
func (s *Scheduler) register(q *queue.Queue, j Job) error {
	if !s.registered {
		if err := queue.AddWorker(q, &worker{s: s}); err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
		s.registered = true
	}
	if err := q.AddQueue(queueOf(j.Name), river.QueueConfig{
		MaxWorkers:        1,
		FetchPollInterval: s.cfg.FetchPollInterval,
		FetchCooldown:     min(100*time.Millisecond, s.cfg.FetchPollInterval),
	}); err != nil {
		return fmt.Errorf("schedule: job %s: %w", j.Name, err)
	}
	return nil
}

// runArgs is one run: a job's name and the start of its period, which
// make it unique, and its job's Timeout, which any server's rescuer
// reads.
type runArgs struct {
	Name    string        `json:"name" river:"unique"`
	Period  time.Time     `json:"period" river:"unique"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Kind names the run kind in River's tables.
func (runArgs) Kind() string { return "threshold.scheduled" }

func queueOf(name string) string { return "schedule-" + name }

// Start starts inserting one run per period of each job, the current
// period's at once, and, in a queue of the Scheduler's own, working them
// (a shared queue's owner starts it).
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("schedule: already started")
	}
	if len(s.jobs) == 0 {
		return nil
	}
	if s.queue == nil {
		q, err := queue.Open(ctx, s.db, queue.Config{ID: s.cfg.ID, Log: s.log})
		if err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
		for _, j := range s.jobs {
			if err := s.register(q, j); err != nil {
				q.Stop(ctx)
				return err
			}
		}
		if err := q.Start(context.WithoutCancel(ctx)); err != nil {
			q.Stop(ctx)
			return fmt.Errorf("schedule: %w", err)
		}
		s.queue, s.own = q, true
	}
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	for _, j := range s.jobs {
		s.tickers.Add(1)
		go func() {
			defer s.tickers.Done()
			s.tick(tctx, j)
		}()
	}
	return nil
}

// tick inserts j's run of the current period, then of each period as it
// starts, until ctx ends.
func (s *Scheduler) tick(ctx context.Context, j Job) {
	for {
		now := s.cfg.Now()
		// Truncate counts from the zero time, whole days before the Unix
		// epoch: periods that divide a day start on its multiples.
		period := now.Truncate(j.Every)
		if err := s.insert(ctx, j, period); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "schedule: insert run", "job", j.Name, "period", period, "err", err)
		}
		next := period.Add(j.Every)
		select {
		case <-ctx.Done():
			return
		case <-time.After(next.Sub(now)):
		}
	}
}

// insert inserts j's run of period unless some server already did.
func (s *Scheduler) insert(ctx context.Context, j Job, period time.Time) error {
	res, err := s.queue.Insert(ctx, runArgs{Name: j.Name, Period: period.UTC(), Timeout: j.Timeout}, &river.InsertOpts{
		Queue:       queueOf(j.Name),
		MaxAttempts: s.cfg.MaxAttempts,
		UniqueOpts:  queue.UniqueForever(),
	})
	if err != nil {
		return err
	}
	if !res.UniqueSkippedAsDuplicate {
		s.log.DebugContext(ctx, "schedule: run inserted", "job", j.Name, "period", period)
	}
	return nil
}

// Stop stops inserting runs and, in a queue of the Scheduler's own, waits
// for runs in flight until ctx ends (then they are cancelled and River
// retries them later), and closes what Start opened.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.tickers.Wait()
	if !s.own {
		return nil
	}
	if err := s.queue.Stop(ctx); err != nil {
		return fmt.Errorf("schedule: stop: %w", err)
	}
	return nil
}

// Run is one run of a job as the queue records it.
type Run struct {
	Name     string
	Period   time.Time // start of the period it ran for
	State    string    // River's job state: completed, running, retryable, discarded...
	Attempts int
	By       []string // the servers (Config.ID) that attempted it
	Errors   []string // of failed attempts
}

// Runs lists the recorded runs of every job, by any server (River keeps
// finished jobs a day; at most 10,000 runs), oldest period first. It
// needs no Start.
func (s *Scheduler) Runs(ctx context.Context) ([]Run, error) {
	s.mu.Lock()
	q := s.queue
	s.mu.Unlock()
	if q == nil {
		var err error
		if q, err = queue.Open(ctx, s.db, queue.Config{ID: s.cfg.ID, Log: s.log}); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		defer q.Stop(ctx)
	}
	params := river.NewJobListParams().Kinds(runArgs{}.Kind()).First(10000).
		States(rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
			rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled)
	res, err := q.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("schedule: list runs: %w", err)
	}
	var out []Run
	for _, j := range res.Jobs {
		var a runArgs
		if err := decodeArgs(j.EncodedArgs, &a); err != nil {
			return nil, fmt.Errorf("schedule: run %d: %w", j.ID, err)
		}
		r := Run{Name: a.Name, Period: a.Period, State: string(j.State), Attempts: j.Attempt, By: j.AttemptedBy}
		for _, e := range j.Errors {
			r.Errors = append(r.Errors, e.Error)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Run) int {
		if c := a.Period.Compare(b.Period); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}
