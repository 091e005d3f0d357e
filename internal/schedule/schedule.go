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
// needed, so no period is lost while a leadership changes hands.
//
// A run goes only to servers that registered its job (each job has a queue
// of its own), so servers with different jobs (a feed on one of them)
// share a database safely. On SQLite the queue shares the store's one
// write connection (store.DB.QueuePool), as notify's does.
//
// The scheduler's River client takes no part in River's leader election:
// a leader runs River's maintenance (rescuing stuck jobs, cleaning old
// ones) with the job kinds it knows, and the notify client, present in
// every server, must be the one that rescues deliveries. A run rescued by
// a notify leader is discarded, which is safe: the next period runs anyway.
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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

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
	// ID names this server in River's tables (attempted_by); "" is
	// host-pid.
	ID string
	// FetchPollInterval is how often the queue looks for runs without
	// being woken.
	FetchPollInterval time.Duration
	// MaxAttempts is how often a failed run is tried within its period's
	// job (River's backoff between attempts).
	MaxAttempts int
	Log         *slog.Logger     // nil discards
	Now         func() time.Time // nil is time.Now; periods follow it
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

	mu      sync.Mutex
	queue   queue
	close   func()
	cancel  context.CancelFunc
	tickers sync.WaitGroup
}

// queue is what the scheduler uses of a River client, whatever its
// driver's transaction type.
type queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// New returns a Scheduler over db, whose River schema must exist by
// Start (the notify package migrates it).
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
	return &Scheduler{db: db, cfg: cfg, log: cfg.Log, jobs: map[string]Job{}, close: func() {}}
}

// Add registers a job; call it before Start. A job with Every <= 0 is
// disabled and ignored.
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
	s.jobs[j.Name] = j
	return nil
}

// runArgs is one run: a job's name and the start of its period.
type runArgs struct {
	Name   string    `json:"name" river:"unique"`
	Period time.Time `json:"period" river:"unique"`
}

// Kind names the run kind in River's tables.
func (runArgs) Kind() string { return "threshold.scheduled" }

func queueOf(name string) string { return "schedule-" + name }

// Start starts working runs and inserting one per period of each job,
// the current period's at once.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue != nil {
		return errors.New("schedule: already started")
	}
	if len(s.jobs) == 0 {
		return nil
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{s: s}); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	queues := map[string]river.QueueConfig{}
	for name := range s.jobs {
		queues[queueOf(name)] = river.QueueConfig{MaxWorkers: 1}
	}
	var err error
	if s.queue, s.close, err = s.newQueue(ctx, queues, workers); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	if err := s.queue.Start(context.WithoutCancel(ctx)); err != nil {
		s.close()
		return fmt.Errorf("schedule: start: %w", err)
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

// newQueue builds a River client over the database: with queues and
// workers, one that works runs; without, one that only inserts and lists.
func (s *Scheduler) newQueue(ctx context.Context, queues map[string]river.QueueConfig, workers *river.Workers) (queue, func(), error) {
	rc := &river.Config{
		ID:                     s.cfg.ID,
		Queues:                 queues,
		Workers:                workers,
		Logger:                 s.log.With("component", "river-schedule"),
		MaxAttempts:            s.cfg.MaxAttempts,
		FetchPollInterval:      s.cfg.FetchPollInterval,
		FetchCooldown:          min(100*time.Millisecond, s.cfg.FetchPollInterval),
		JobTimeout:             DefaultTimeout,
		LeaderElectionDisabled: true,
	}
	sqliteDB, pgURL := s.db.QueuePool()
	if sqliteDB != nil {
		c, err := river.NewClient(riversqlite.New(sqliteDB), rc)
		return c, func() {}, err
	}
	pc, err := pgxpool.ParseConfig(pgURL)
	if err != nil {
		return nil, nil, fmt.Errorf("queue pool: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, fmt.Errorf("queue pool %s: %w", store.MaskURL(pgURL), err)
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return c, pool.Close, nil
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
	res, err := s.queue.Insert(ctx, runArgs{Name: j.Name, Period: period.UTC()}, &river.InsertOpts{
		Queue:       queueOf(j.Name),
		MaxAttempts: s.cfg.MaxAttempts,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
				rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
				rivertype.JobStateRunning, rivertype.JobStateScheduled,
			},
		},
	})
	if err != nil {
		return err
	}
	if !res.UniqueSkippedAsDuplicate {
		s.log.DebugContext(ctx, "schedule: run inserted", "job", j.Name, "period", period)
	}
	return nil
}

// Stop stops inserting runs and waits for runs in flight until ctx ends
// (then they are cancelled and River retries them later), and closes what
// Start opened.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue == nil {
		return nil
	}
	s.cancel()
	s.tickers.Wait()
	defer s.close()
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
		var (
			closeQ func()
			err    error
		)
		if q, closeQ, err = s.newQueue(ctx, nil, nil); err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		defer closeQ()
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
