package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"threshold/internal/audit"
	"threshold/internal/feed"
	"threshold/internal/forecast"
	"threshold/internal/indicator"
	"threshold/internal/ingest"
	"threshold/internal/schedule"
	"threshold/internal/store"
)

// jobs is the server's periodic work. Each runs once per period across
// every server on the database (package schedule); a period of 0 or less
// disables a job. To add one, add a line.
//
// A run whose server is killed is run again for the same period by
// another server once it has been running for its Timeout plus a grace
// (a quarter of it, at most 10 s), within some 30 s more (package
// schedule). The Timeouts are generous bounds, not measured at scale
// (the forecast of the Central African Republic's events alone took
// 35 s). Each job is safe to run again for a period, in part or whole:
//   - evaluate and follow-through open, update or resolve one alert per
//     episode (rule + place), which the database keeps unique;
//   - purge-auth deletes what has expired;
//   - feed claims each file under a lease that a dead server stops
//     renewing; a file ingested again finds the batches already stored
//     by their hashes (package feed): each file once;
//   - report-mail enqueues each subscriber's email unique by report and
//     address (notify.ReportMail.ID);
//   - forecast upserts by place, month, horizon, cut-off and model
//     version, and skips what is stored for the cut-off.
//
// Deliveries and report emails, which these enqueue, are jobs of the
// same queue, rescued the same way (notify.Config.RescueAfter).
func (a *App) jobs() []schedule.Job {
	evaluate := a.opts.EvaluateEvery
	if evaluate == 0 {
		evaluate = time.Hour
	}
	return []schedule.Job{
		{Name: "evaluate", Every: evaluate, Run: a.evaluateAll, Timeout: 15 * time.Minute},
		{Name: "follow-through", Every: evaluate, Run: a.checkFollowThrough, Timeout: 5 * time.Minute},
		{Name: "purge-auth", Every: purgeInterval, Run: a.auth.Purge, Timeout: time.Minute},
		{Name: "feed", Every: a.feedEvery(), Run: a.pollFeed, Timeout: 15 * time.Minute},
		{Name: "report-mail", Every: time.Hour, Run: a.mailReports, Timeout: 10 * time.Minute},
		{Name: "forecast", Every: 24 * time.Hour, Run: a.storeForecasts, Timeout: time.Hour},
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

// storeForecasts stores the monthly forecasts (every target, unit and
// horizon, as 'threshold forecast run') from the data up to the end of
// last month, once that month has data, unless they are stored already.
// Data that end earlier (history, the demo) have nothing to forecast for
// this month: the job then reads one row.
func (a *App) storeForecasts(ctx context.Context) error {
	latest, err := a.db.LatestEventDay(ctx)
	if err != nil || latest.IsZero() {
		return err
	}
	thisMonth := indicator.Month.Start(a.opts.Now().UTC())
	cutoff := thisMonth.AddDate(0, 0, -1)
	if latest.Before(indicator.Month.Start(cutoff)) {
		a.log.Debug("forecast: no data for last month; nothing to forecast", "latest", latest.Format(time.DateOnly))
		return nil
	}
	for _, u := range []forecast.Unit{forecast.CountryMonth, forecast.Admin1Month} {
		// Fatalities come last, for every place: once they are stored,
		// so is the unit.
		stored, err := a.db.Forecasts(ctx, store.ForecastQuery{Target: string(forecast.Fatalities), Unit: string(u), AsOf: cutoff, Latest: true})
		if err != nil {
			return err
		}
		if len(stored) > 0 && stored[0].Cutoff.Equal(cutoff) {
			continue
		}
		mp, err := MonthlyPanel(ctx, a.db, u, cutoff)
		if errors.Is(err, forecast.ErrNoPlaces) {
			continue
		}
		if err != nil {
			return err
		}
		for _, t := range []forecast.Target{forecast.Active, forecast.Onset, forecast.Fatalities} {
			start := time.Now()
			fcs, err := StoreMonthlyForecasts(ctx, a.db, mp, forecast.RunOptions{Target: t, Now: a.opts.Now().UTC()})
			if err != nil {
				return err
			}
			a.log.Info("forecasts stored", "target", t, "unit", u, "cutoff", cutoff.Format(time.DateOnly),
				"forecasts", len(fcs), "seconds", time.Since(start).Seconds())
		}
	}
	return nil
}
