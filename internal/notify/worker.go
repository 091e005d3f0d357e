package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"threshold/internal/store"
)

// worker works delivery jobs.
type worker struct {
	river.WorkerDefaults[deliveryArgs]
	n *Notifier
}

// Work makes one attempt at one delivery and logs it. It returns nil when
// the delivery is done (delivered, or already finished by an earlier job),
// river.JobCancel for a permanent failure, and the attempt's error for
// River to retry it (or, after the last attempt, to discard it).
func (w *worker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	n, a := w.n, job.Args
	ctx, cancel := context.WithTimeout(ctx, n.cfg.jobTimeout())
	defer cancel()
	if status, done, err := n.db.DeliveryFinished(ctx, a.ID); err != nil {
		return fmt.Errorf("notify: %w", err)
	} else if done {
		n.log.DebugContext(ctx, "notify: delivery already finished", "delivery", a.ID, "status", status)
		return nil
	}

	var res attemptResult
	switch a.Channel {
	case store.ChannelWebhook:
		res = n.sendWebhook(ctx, a, job.Attempt)
	case store.ChannelEmail:
		res = n.sendEmail(ctx, a)
	default:
		res = permanent(fmt.Errorf("unknown channel %q", a.Channel))
	}

	status := store.DeliveryRetrying
	switch {
	case res.err == nil:
		status = store.DeliveryDelivered
	case res.permanent || (job.Attempt >= job.MaxAttempts && ctx.Err() == nil):
		// (A last attempt cut short by Stop is retried by River.)
		status = store.DeliveryFailed
	}
	e := a.entry(job.Attempt, status, n.cfg.Now())
	e.HTTPStatus = res.httpStatus
	if res.err != nil {
		e.Error = res.err.Error()
	}
	attrs := []any{"delivery", a.ID, "alert", a.Message.AlertID, "receiver", a.Receiver, "channel", a.Channel,
		"target", a.Target, "attempt", job.Attempt, "status", status}
	if res.err != nil {
		attrs = append(attrs, "err", res.err)
	}
	level := slog.LevelInfo
	if status != store.DeliveryDelivered {
		level = slog.LevelWarn
	}
	n.log.Log(ctx, level, "notify: delivery attempt", attrs...)

	// The log is written with a context of its own: an attempt cut short by
	// Stop is still logged.
	if _, err := n.db.AppendDelivery(context.WithoutCancel(ctx), e); err != nil {
		if status == store.DeliveryDelivered {
			// Retrying would deliver again; the receiver has it. The
			// database may be restarting: keep trying to log it.
			if err := n.relogDelivered(ctx, e); err != nil {
				n.log.ErrorContext(ctx, "notify: log delivered", "delivery", a.ID, "err", err)
			}
			return nil
		}
		return errors.Join(res.err, fmt.Errorf("notify: log attempt: %w", err))
	}
	switch {
	case res.err == nil:
		return nil
	case res.permanent:
		return river.JobCancel(res.err)
	}
	return res.err
}

// Timeout is how long an attempt may be running before it is taken for
// abandoned (Config.RescueAfter); the attempt itself ends sooner, at the
// webhook or SMTP timeout plus 10 s.
func (w *worker) Timeout(*river.Job[deliveryArgs]) time.Duration { return w.n.cfg.RescueAfter }

// NextRetry is the Notifier's backoff.
func (w *worker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	return w.n.retry().next(job.Attempt)
}

// relogDelivered retries logging a delivered attempt whose first write
// failed (the database restarting, a failover), with backoff until the
// job's deadline, so that the delivery log does not show a delivery the
// receiver has as still queued. An entry that did commit before its
// answer was lost is not written twice.
func (n *Notifier) relogDelivered(ctx context.Context, e store.Delivery) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	ctx = context.WithoutCancel(ctx)
	wait := 250 * time.Millisecond
	for {
		if time.Now().Add(wait).After(deadline) {
			return errors.New("database unavailable until the job's deadline")
		}
		time.Sleep(wait)
		wait = min(2*wait, 4*time.Second)
		if _, done, err := n.db.DeliveryFinished(ctx, e.DeliveryID); err != nil {
			continue
		} else if done {
			return nil
		}
		if _, err := n.db.AppendDelivery(ctx, e); err == nil {
			return nil
		}
	}
}
