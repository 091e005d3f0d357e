// Package queue is a process's one job queue: a River client
// (github.com/riverqueue/river) over the Threshold database, shared by
// every package that runs jobs (notify's deliveries and report emails,
// schedule's periodic runs).
//
// # One client per process
//
// River's maintenance (rescuing the jobs of a process that died,
// cleaning old jobs) runs in the client that holds River's leadership,
// and it rescues only the job kinds that client has workers for: a
// stuck job of a kind it does not know is discarded. With one client per
// process that knows every kind, whichever server leads rescues every
// job. Packages register their workers and queues with AddWorker and
// AddQueue before the queue is first used (Insert, InsertMany, JobList or
// Start); the owner (the app, or a package that opened a queue of its
// own) starts and stops it.
//
// # Rescue
//
// A job whose process died stays "running" in the table until the
// leader's rescuer, every 30 s (River's fixed interval), finds it older
// than its kind's Timeout (each worker states one; never less than
// MinRescueAfter) and makes it retryable (or discards it when it has no
// attempts left). A job killed mid-run is thus run again, by any server,
// within its kind's Timeout + 30 s + the retry policy's delay, plus, when
// the dead process held the leadership, up to some 21 s before another
// server takes it (River's 5 s election interval, 10 s lease padding and
// jitter). A job that is still working when rescued (it outlived its
// Timeout) may run twice at once: every worker makes its job idempotent
// and bounds its own work below its Timeout.
//
// # Database
//
// River's tables are created and upgraded by Open (rivermigrate,
// idempotent; on PostgreSQL under an advisory lock so that servers
// starting together take turns). On SQLite River shares the store's one
// write connection (store.DB.QueuePool): River, the ingest and everything
// else queue for one writer instead of failing with SQLITE_BUSY; River's
// driver polls a notification table every 50 ms. On PostgreSQL it has a
// pgx pool of its own and wakes on LISTEN/NOTIFY.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"threshold/internal/store"
)

// MinRescueAfter is the least time a job may run before River's rescuer
// takes it for abandoned, whatever its kind's Timeout: River's
// RescueStuckJobsAfter (and its JobTimeout, for a worker that states
// none).
const MinRescueAfter = 10 * time.Second

// migrateLockID is the PostgreSQL advisory lock held while River's schema
// is migrated.
const migrateLockID = 0x7468726e6f746966 // "thrnotif", as when notify migrated it

// Config configures a Queue.
type Config struct {
	// ID names this process in River's tables (a job's attempted_by);
	// "" is host-pid.
	ID string
	// Log receives River's warnings and errors (its info is debug here);
	// nil discards.
	Log *slog.Logger
}

// client is what the Queue uses of a River client, whatever its driver's
// transaction type.
type client interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Queue is one River client over the database, built on first use from
// the workers and queues registered before it.
type Queue struct {
	cfg     Config
	log     *slog.Logger
	newFunc func(*river.Config) (client, error)
	close   func()

	mu      sync.Mutex
	workers *river.Workers
	kinds   int
	queues  map[string]river.QueueConfig
	client  client
	err     error // building the client
	started bool
	stopped bool
}

// Open migrates River's schema in db (idempotent) and returns a Queue
// over it, to which workers and queues can be added until its first use.
func Open(ctx context.Context, db *store.DB, cfg Config) (*Queue, error) {
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	riverLog := slog.New(quieter{log.Handler(), slog.LevelWarn}).With("component", "river")
	q := &Queue{cfg: cfg, log: riverLog, workers: river.NewWorkers(), queues: map[string]river.QueueConfig{}, close: func() {}}
	sqliteDB, pgURL := db.QueuePool()
	var err error
	if sqliteDB != nil {
		err = q.openSQLite(ctx, sqliteDB)
	} else {
		err = q.openPostgres(ctx, pgURL)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return q, nil
}

func (q *Queue) openSQLite(ctx context.Context, db *sql.DB) error {
	driver := riversqlite.New(db)
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.log})
	if err != nil {
		return err
	}
	// One write connection, BEGIN IMMEDIATE: migrations from two processes
	// take turns.
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river schema: %w", err)
	}
	q.newFunc = func(rc *river.Config) (client, error) { return river.NewClient(driver, rc) }
	return nil
}

func (q *Queue) openPostgres(ctx context.Context, url string) error {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("queue pool: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default is max(4, CPUs); River holds one for LISTEN, and
		// its fetches, completions and leader election share the rest.
		pc.MaxConns = max(pc.MaxConns, 8)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return fmt.Errorf("queue pool %s: %w", store.MaskURL(url), err)
	}
	driver := riverpgxv5.New(pool)
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.log})
	if err != nil {
		pool.Close()
		return err
	}
	if err := migratePostgres(ctx, pool, m); err != nil {
		pool.Close()
		return fmt.Errorf("migrate river schema: %w", err)
	}
	q.newFunc = func(rc *river.Config) (client, error) { return river.NewClient(driver, rc) }
	q.close = pool.Close
	return nil
}

// migratePostgres migrates River's schema under an advisory lock, so that
// servers starting together take turns. The lock is a session lock on a
// connection of its own: River runs each migration in a transaction of its
// own (one adds an enum value that the next uses, which PostgreSQL does
// not allow within one transaction).
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, m *rivermigrate.Migrator[pgx.Tx]) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLockID)); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLockID))
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// ID returns the name of this process in River's tables.
func (q *Queue) ID() string { return q.cfg.ID }

var errFrozen = errors.New("queue: already in use; register workers and queues before the first insert or Start")

// AddWorker registers w for its job kind. Its Timeout is the kind's
// rescue bound (see the package doc); its NextRetry, if not zero, the
// kind's retry policy.
func AddWorker[T river.JobArgs](q *Queue, w river.Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil || q.err != nil {
		return errFrozen
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.kinds++
	return nil
}

// AddQueue adds a named queue that this process works, with at most
// c.MaxWorkers jobs at once; c's FetchPollInterval (how often the queue
// looks for jobs without being woken) and FetchCooldown (the least time
// between two looks) default to River's 1 s and 100 ms; the first may
// not be below the second.
func (q *Queue) AddQueue(name string, c river.QueueConfig) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil || q.err != nil {
		return errFrozen
	}
	if _, dup := q.queues[name]; dup {
		return fmt.Errorf("queue: queue %s added twice", name)
	}
	q.queues[name] = c
	return nil
}

// get returns the River client, building it on first use.
func (q *Queue) get() (client, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil || q.err != nil {
		return q.client, q.err
	}
	rc := &river.Config{
		ID:     q.cfg.ID,
		Logger: q.log,
		// Every worker states its Timeout, the real bound; these are the
		// floor (see the package doc).
		JobTimeout:           MinRescueAfter,
		RescueStuckJobsAfter: MinRescueAfter,
	}
	if q.kinds > 0 {
		rc.Workers = q.workers
	}
	if len(q.queues) > 0 {
		rc.Queues = q.queues
	}
	q.client, q.err = q.newFunc(rc)
	if q.err != nil {
		q.err = fmt.Errorf("queue: %w", q.err)
	}
	return q.client, q.err
}

// Insert inserts one job.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	return c.Insert(ctx, args, opts)
}

// InsertMany inserts jobs in one statement.
func (q *Queue) InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	return c.InsertMany(ctx, params)
}

// JobList lists jobs, by any process.
func (q *Queue) JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error) {
	c, err := q.get()
	if err != nil {
		return nil, err
	}
	return c.JobList(ctx, params)
}

// Start starts working the queues added, and taking part in River's
// leader election. Cancelling ctx later stops the queue at once,
// cancelling jobs in flight (they are retried); Stop is the graceful way.
func (q *Queue) Start(ctx context.Context) error {
	c, err := q.get()
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.stopped:
		return errors.New("queue: stopped")
	case q.started:
		return errors.New("queue: already started")
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	q.started = true
	return nil
}

// Stop stops working: it waits for the jobs in flight to end, or, if ctx
// ends first, cancels them (they stay in the table and are retried by the
// next process to work their queue), then closes what Open opened. A
// queue never started just closes; a stopped one cannot start again, and
// a second Stop does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return nil
	}
	q.stopped = true
	defer q.close()
	if !q.started {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("queue: stop: %w", err)
	}
	q.log.WarnContext(ctx, "queue: jobs still in flight at shutdown; cancelling them, they will be retried")
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := q.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("queue: stop: %w", err)
	}
	return nil
}

// UniqueForever is the unique options of a job that must not run twice
// however late it is inserted again: unique by its arguments (those
// tagged river:"unique", or all) in every job state.
func UniqueForever() river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
			rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		},
	}
}
