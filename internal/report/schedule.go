package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/notify"
	"threshold/internal/store"
)

// Subscriptions are the users' monthly report subscriptions (a
// *store.DB).
type Subscriptions interface {
	ReportSubscriptions(ctx context.Context) ([]store.ReportSubscription, error)
	MarkReportSent(ctx context.Context, id int64, month string) error
	User(ctx context.Context, email string) (auth.User, error)
}

// Mailer queues emails with an attachment (a *notify.Notifier).
type Mailer interface {
	EnqueueReportMail(ctx context.Context, ms []notify.ReportMail) error
}

// Scheduler sends each subscriber the report of the month just ended,
// built as that subscriber may read it, through the delivery queue.
type Scheduler struct {
	Reports       *Service
	Subscriptions Subscriptions
	Mail          Mailer
	Log           *slog.Logger // nil discards
}

// RunDue builds and enqueues every subscription's report for the month
// before now's that it has not been sent, then records it sent; the
// drafts of the calls sent are stored (Tracker.SaveDrafts). It is safe to
// call at any time and as often as wished: a month is sent once, and a
// report enqueued again (after a crash between the enqueue and the
// record) is not sent twice, since the queue refuses a second job of the
// same subscription and month. It returns how many it enqueued and the
// errors of those that failed, which the next run retries.
func (s *Scheduler) RunDue(ctx context.Context, now time.Time) (int, error) {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	key := month.Format("2006-01")
	subs, err := s.Subscriptions.ReportSubscriptions(ctx)
	if err != nil {
		return 0, fmt.Errorf("report: scheduler: %w", err)
	}
	sent := 0
	var errs []error
	for _, sub := range subs {
		if sub.LastMonth >= key {
			continue
		}
		if err := s.send(ctx, sub, month); err != nil {
			errs = append(errs, fmt.Errorf("subscription %d (%s): %w", sub.ID, sub.Email, err))
			log.WarnContext(ctx, "report: scheduled report failed", "subscription", sub.ID, "month", key, "err", err)
			continue
		}
		sent++
		log.InfoContext(ctx, "report: scheduled report enqueued", "subscription", sub.ID, "to", sub.Email, "month", key)
	}
	return sent, errors.Join(errs...)
}

func (s *Scheduler) send(ctx context.Context, sub store.ReportSubscription, month time.Time) error {
	u, err := s.Subscriptions.User(ctx, sub.Email)
	if err != nil {
		return err
	}
	v := casework.Viewer{UserID: u.ID, Email: u.Email, OrgID: u.OrgID, OrgName: u.OrgName, Role: u.Role}
	f, err := ParseFormat(sub.Format)
	if err != nil {
		return err
	}
	o := Options{Month: month, Region: sub.Region, Maps: f == PDF || f == HTML, Brief: sub.Kind == "brief"}
	if sub.Country != "" {
		o.Countries = strings.Split(sub.Country, ",")
	}
	r, err := s.Reports.Build(ctx, v, o)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := r.Write(&buf, f); err != nil {
		return err
	}
	key := month.Format("2006-01")
	name := "tracker-" + key
	if o.Brief && len(o.Countries) == 1 {
		name = "brief-" + strings.ToLower(o.Countries[0]) + "-" + key
	}
	text := fmt.Sprintf("%s\n\nCovering %s: %d countries. The report is attached (%s), built as %s may read it: "+
		"cases that reader is not cleared to see are not in it.\n\nThreshold sends this report each month to its subscribers.\n",
		r.Title(), r.Scope, len(r.Countries), strings.ToUpper(string(f)), u.Email)
	m := notify.ReportMail{ID: fmt.Sprintf("report:%d:%s", sub.ID, key), To: u.Email, Subject: r.Title(), Text: text,
		FileName: name + "." + string(f), Attachment: buf.Bytes()}
	if err := s.Mail.EnqueueReportMail(ctx, []notify.ReportMail{m}); err != nil {
		return err
	}
	if s.Reports.Tracker != nil {
		if err := s.Reports.Tracker.SaveDrafts(ctx, r); err != nil {
			return err
		}
	}
	return s.Subscriptions.MarkReportSent(ctx, sub.ID, key)
}
