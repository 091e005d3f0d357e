package app

import (
	"context"
	"fmt"
	"time"

	"threshold/internal/audit"
	"threshold/internal/feed"
	"threshold/internal/ingest"
	"threshold/internal/schedule"
)

// jobs is the server's periodic work. Each runs once per period across
// every server on the database (package schedule); a period of 0 or less
// disables a job. To add one, add a line.
func (a *App) jobs() []schedule.Job {
	evaluate := a.opts.EvaluateEvery
	if evaluate == 0 {
		evaluate = time.Hour
	}
	return []schedule.Job{
		{Name: "evaluate", Every: evaluate, Run: a.evaluateAll},
		{Name: "follow-through", Every: evaluate, Run: a.checkFollowThrough},
		{Name: "purge-auth", Every: purgeInterval, Run: a.auth.Purge},
		{Name: "feed", Every: a.feedEvery(), Run: a.pollFeed},
		{Name: "report-mail", Every: time.Hour, Run: a.mailReports},
	}
}

// purgeInterval is how often ended sessions and old login attempts are
// deleted.
const purgeInterval = time.Hour

// DefaultFeedEvery is how often a feed is polled unless told otherwise:
// GDELT publishes every 15 minutes.
const DefaultFeedEvery = 15 * time.Minute

// newScheduler registers the periodic work; Start starts it.
func (a *App) newScheduler() error {
	cfg := a.opts.Schedule
	if cfg.Log == nil {
		cfg.Log = a.log
	}
	a.sched = schedule.New(a.db, cfg)
	for _, j := range a.jobs() {
		if err := a.sched.Add(j); err != nil {
			return err
		}
	}
	return nil
}

// evaluateAll evaluates every rule over every country as of the newest
// event, never later than today.
func (a *App) evaluateAll(ctx context.Context) error {
	latest, err := a.db.LatestEventDay(ctx)
	if err != nil || latest.IsZero() {
		return err
	}
	if today := a.opts.Now(); latest.After(today) {
		latest = today
	}
	_, err = a.warn.Watcher.Evaluate(ctx, nil, latest)
	return err
}

// checkFollowThrough checks agreements' provisions as of today: deadlines
// pass without any change to the data.
func (a *App) checkFollowThrough(ctx context.Context) error {
	_, err := a.agree.Check(ctx, a.opts.Now(), nil)
	return err
}

// newFeed builds the feed of Options.Feed, if any.
func (a *App) newFeed() error {
	cfg := a.opts.Feed
	if cfg.Dir == "" && cfg.URL == "" {
		return nil
	}
	cfg.Store, cfg.AfterIngest = a.db, a.feedIngested
	if cfg.Log == nil {
		cfg.Log = a.log
	}
	if cfg.Now == nil {
		cfg.Now = a.opts.Now
	}
	f, err := feed.New(cfg)
	if err != nil {
		return err
	}
	a.feed = f
	return nil
}

func (a *App) feedEvery() time.Duration {
	switch {
	case a.feed == nil:
		return 0
	case a.opts.FeedEvery == 0:
		return DefaultFeedEvery
	}
	return a.opts.FeedEvery
}

// pollFeed ingests what the feed offers.
func (a *App) pollFeed(ctx context.Context) error {
	_, err := a.feed.Poll(ctx)
	return err
}

// feedIngested records a feed file's ingest in the audit log and brings
// indicators, rules and alerts up to date for what it changed. An error
// fails the file, which is retried.
func (a *App) feedIngested(ctx context.Context, f feed.File, sum ingest.Summary) error {
	if err := a.audit.Record(ctx, audit.Entry{
		Actor: "feed", Action: "ingest", Object: f.Name,
		Details: map[string]any{"source": f.Source, "attempt": f.Attempts, "summary": sum},
	}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a.api.Ingested(sum)
	if len(sum.Touched) == 0 {
		return nil
	}
	sp := sum.Touched.Span()
	_, err := a.warn.Watcher.Changed(ctx, sum.Touched.Countries(), sp.From, sp.To)
	return err
}

// mailReports sends subscribers the monthly report of the month just
// ended, once.
func (a *App) mailReports(ctx context.Context) error {
	_, err := a.reportMail.RunDue(ctx, a.opts.Now())
	return err
}
