package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	mail "github.com/wneessen/go-mail"
)

// ReportMail is an email with one attached file, such as the monthly
// tracker report sent to its subscribers. Its ID makes the enqueue
// idempotent: a second EnqueueReportMail with the same ID sends nothing.
type ReportMail struct {
	ID         string // e.g. "report:12:2014-01"; hashed into the job's id
	To         string
	Subject    string
	Text       string // the plain-text body
	FileName   string // "tracker-2014-01.pdf"
	Attachment []byte
}

// reportMailArgs is one report email job.
type reportMailArgs struct {
	ID   string     `json:"id" river:"unique"`
	Mail ReportMail `json:"mail"`
}

// Kind names the job kind in River's tables.
func (reportMailArgs) Kind() string { return "threshold.report-mail" }

// EnqueueReportMail queues report emails; each is durable once this
// returns nil, and sent at least once with the Notifier's retries.
func (n *Notifier) EnqueueReportMail(ctx context.Context, ms []ReportMail) error {
	var params []river.InsertManyParams
	seen := map[string]bool{}
	for _, m := range ms {
		if m.To == "" || m.ID == "" {
			return fmt.Errorf("notify: report mail %q: an id and an address are required", m.ID)
		}
		h := sha256.Sum256([]byte(m.ID + "\x00" + m.To))
		id := hex.EncodeToString(h[:16])
		if !seen[id] {
			seen[id] = true
			params = append(params, river.InsertManyParams{Args: reportMailArgs{ID: id, Mail: m}, InsertOpts: n.insertOpts()})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := n.queue.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("notify: enqueue %d report emails: %w", len(params), err)
	}
	return nil
}

// reportMailWorker sends report emails.
type reportMailWorker struct {
	river.WorkerDefaults[reportMailArgs]
	n *Notifier
}

// Work makes one attempt; SMTP 5xx replies and bad addresses are
// permanent, the rest retried.
func (w *reportMailWorker) Work(ctx context.Context, job *river.Job[reportMailArgs]) error {
	ctx, cancel := context.WithTimeout(ctx, w.n.cfg.jobTimeout())
	defer cancel()
	res := w.n.sendReportMail(ctx, job.Args)
	attrs := []any{"job", job.Args.ID, "to", job.Args.Mail.To, "file", job.Args.Mail.FileName, "attempt", job.Attempt}
	if res.err == nil {
		w.n.log.InfoContext(ctx, "notify: report email sent", attrs...)
		return nil
	}
	w.n.log.WarnContext(ctx, "notify: report email attempt failed", append(attrs, "err", res.err)...)
	if res.permanent {
		return river.JobCancel(res.err)
	}
	return res.err
}

// Timeout is how long an attempt may be running before it is taken for
// abandoned (Config.RescueAfter); the attempt itself ends sooner.
func (w *reportMailWorker) Timeout(*river.Job[reportMailArgs]) time.Duration {
	return w.n.cfg.RescueAfter
}

// NextRetry is the Notifier's backoff.
func (w *reportMailWorker) NextRetry(job *river.Job[reportMailArgs]) time.Time {
	return w.n.retry().next(job.Attempt)
}

func (n *Notifier) sendReportMail(ctx context.Context, a reportMailArgs) attemptResult {
	c := n.cfg.SMTP
	if c.Host == "" {
		return permanent(errors.New("no SMTP server configured"))
	}
	m := mail.NewMsg()
	if err := m.From(c.From); err != nil {
		return permanent(fmt.Errorf("email sender %q: %w", c.From, err))
	}
	if err := m.To(a.Mail.To); err != nil {
		return permanent(fmt.Errorf("email address %q: %w", a.Mail.To, err))
	}
	m.Subject(a.Mail.Subject)
	m.SetMessageIDWithValue(a.ID + "@threshold")
	m.SetGenHeader(mail.Header(HeaderDelivery), a.ID)
	m.SetBodyString(mail.TypeTextPlain, a.Mail.Text)
	if len(a.Mail.Attachment) > 0 {
		if err := m.AttachReader(a.Mail.FileName, bytes.NewReader(a.Mail.Attachment)); err != nil {
			return permanent(fmt.Errorf("attach %s: %w", a.Mail.FileName, err))
		}
	}
	return n.sendSMTP(ctx, m)
}
