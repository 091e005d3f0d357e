package fieldreport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/ingest"
	"threshold/internal/warning"
)

// Store keeps field reports and monitors; *store.DB implements it.
type Store interface {
	// CreateFieldReport stores a new report with its attachments (data[i]
	// the bytes of atts[i]) and its first history line, and returns it
	// with its ID. A repeated (channel, external id) is ErrConflict.
	CreateFieldReport(ctx context.Context, r Report, atts []Attached, data [][]byte) (Report, error)
	// FieldReport returns one report with attachments, links and history.
	FieldReport(ctx context.Context, id int64) (Report, error)
	// FieldReports returns the reports q selects, newest first, with
	// their links but without history.
	FieldReports(ctx context.Context, q Query) ([]Report, error)
	// TransitionFieldReport records c if the report's version is still
	// version (else ErrConflict), setting duplicateOf and eventID when
	// not zero.
	TransitionFieldReport(ctx context.Context, id, version int64, c Change, duplicateOf int64, eventID string) (Report, error)
	// SetFieldReportLinks replaces the report's fusion links.
	SetFieldReportLinks(ctx context.Context, id int64, links []Link) error
	// FusionCandidates returns the events (of every source but field
	// reports) and the other reports (not rejected) of country whose
	// dates overlap [from, to].
	FusionCandidates(ctx context.Context, country string, from, to time.Time, except int64) ([]Candidate, error)
	// FieldReportAttachment returns an attachment's description and bytes.
	FieldReportAttachment(ctx context.Context, reportID, id int64) (Attached, []byte, error)
	// PurgeFieldReportContacts deletes the contact details of reports
	// received before before, marking them purged at at, and returns
	// the reports' ids.
	PurgeFieldReportContacts(ctx context.Context, before, at time.Time) ([]int64, error)
	// SaveMonitor inserts (ID 0) or replaces a field monitor.
	SaveMonitor(ctx context.Context, m Monitor) (Monitor, error)
	// Monitors returns every monitor, with its last report.
	Monitors(ctx context.Context) ([]Monitor, error)
	// LastReports returns, for every country and admin-1 area with a
	// report, when the last one was received.
	LastReports(ctx context.Context) (map[Area]time.Time, error)
}

// Changes brings indicators, rules and alerts up to date after events
// change; *warning.Watcher implements it.
type Changes interface {
	Changed(ctx context.Context, countries []string, from, to time.Time) (warning.Report, error)
}

// Alerts takes firings; *alert.Manager implements it.
// Pending re-evaluates the alert rules when the reports in verification
// change (one arrives, or leaves by rejection or as a duplicate), so that
// rules with include_unverified see it at once rather than at the next
// scheduled evaluation; *warning.Watcher implements it (Evaluate).
type Pending interface {
	Evaluate(ctx context.Context, countries []string, asOf time.Time) (warning.Report, error)
}

type Alerts interface {
	Process(ctx context.Context, firings []alert.Firing, ev alert.Evaluated, now time.Time) (alert.Result, error)
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Service. Store and Events are required.
type Options struct {
	Store   Store
	Events  ingest.Store // where verified reports become events
	Changes Changes      // nil: indicators and alerts are not brought up to date
	Alerts  Alerts       // nil: flash reports raise no alert
	Pending Pending      // nil: rules see new unverified reports at their next evaluation
	Audit   Recorder     // nil records nothing (tests only)
	Sealer  *Sealer      // nil: contact details are refused
	Fusion  Fusion
	// MaxAttachment limits one attachment in bytes (default
	// MaxAttachment); MaxAttachments their number (default 5).
	MaxAttachment, MaxAttachments int
	Now                           func() time.Time
	Log                           *slog.Logger
}

// Service is the field reports' intake, verification, protection and
// fusion. It is safe for concurrent use.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Events == nil {
		return nil, errors.New("fieldreport: no store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = 5
	}
	o.Fusion = o.Fusion.withDefaults()
	return &Service{o: o}, nil
}

// record appends an audit entry, even if ctx is cancelled: what it
// records has happened.
func (s *Service) record(ctx context.Context, v Viewer, action, object string, details any) error {
	if s.o.Audit == nil {
		return nil
	}
	err := s.o.Audit.Record(context.WithoutCancel(ctx), audit.Entry{ActorID: v.UserID, Actor: v.Name(),
		Action: action, Object: object, Remote: v.Remote, Details: details})
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, object, err)
	}
	return nil
}

func object(id int64) string { return "field-report:" + strconv.FormatInt(id, 10) }

// Submit takes in a report from channel ("api", "gateway:<name>", "cli")
// with its uploads: it validates, seals the contact details, cleans the
// attachments, stores, fuses and, for a flash report, raises an
// unverified alert. It returns the report as v may see it. A report for
// no organisation is received by v's.
func (s *Service) Submit(ctx context.Context, v Viewer, channel string, r Report, ups []Upload) (Report, error) {
	r.ID, r.Status, r.Channel, r.Version = 0, Unverified, channel, 0
	r.Attachments, r.Links, r.History, r.DuplicateOf, r.EventID, r.ContactPurgedAt = nil, nil, nil, 0, "", nil
	if r.OrgID == 0 {
		r.OrgID = v.OrgID
	}
	if err := r.Validate(); err != nil {
		return Report{}, err
	}
	if len(ups) > s.o.MaxAttachments {
		return Report{}, fmt.Errorf("%w: attachments: %d, at most %d", ErrInvalid, len(ups), s.o.MaxAttachments)
	}
	p := *r.Reporter
	if p.Kind == Contact {
		sealed, err := s.o.Sealer.Seal(p.Contact)
		if err != nil {
			return Report{}, fmt.Errorf("%w: reporter.contact: %w", ErrInvalid, err)
		}
		r.SealedContact, p.Contact, p.HasContact = sealed, "", true
	}
	r.Reporter = &p
	atts := make([]Attached, 0, len(ups))
	data := make([][]byte, 0, len(ups))
	for _, u := range ups {
		a, b, err := Clean(u, s.o.MaxAttachment)
		if err != nil {
			return Report{}, err
		}
		atts, data = append(atts, a), append(data, b)
	}
	now := s.o.Now().UTC()
	r.ReceivedAt = now
	r.History = []Change{{To: Unverified, Actor: v.Name(), Reason: "received through " + channel, At: now}}
	saved, err := s.o.Store.CreateFieldReport(ctx, r, atts, data)
	if err != nil {
		return Report{}, fmt.Errorf("store field report: %w", err)
	}
	if err := s.record(ctx, v, "field-report.create", object(saved.ID), map[string]any{"channel": channel,
		"country": saved.Country, "flash": saved.Flash, "attachments": len(atts)}); err != nil {
		return Report{}, err
	}
	if saved.Links, err = s.fuse(ctx, saved); err != nil {
		s.o.Log.Warn("field report fusion failed", "report", saved.ID, "err", err)
	}
	if saved.Flash {
		if err := s.flash(ctx, saved, now); err != nil {
			s.o.Log.Error("flash field report raised no alert", "report", saved.ID, "err", err)
		}
	}
	s.pending(ctx, saved)
	return redact(v, saved), nil
}

// pending re-evaluates the rules of r's country as of today, for the rules
// that count unverified reports. A failure is logged: the report is
// stored, and the scheduled evaluation will see it.
func (s *Service) pending(ctx context.Context, r Report) {
	if s.o.Pending == nil {
		return
	}
	y, m, d := s.o.Now().UTC().Date()
	if _, err := s.o.Pending.Evaluate(ctx, []string{r.Country}, time.Date(y, m, d, 0, 0, 0, 0, time.UTC)); err != nil {
		s.o.Log.Error("field report: re-evaluating the rules failed", "report", r.ID, "err", err)
	}
}

// fuse links r to the events and reports that may describe its incident
// and stores the links.
func (s *Service) fuse(ctx context.Context, r Report) ([]Link, error) {
	days := time.Duration(s.o.Fusion.Days) * 24 * time.Hour
	cands, err := s.o.Store.FusionCandidates(ctx, r.Country, r.Date.Add(-days), r.Date.Add(days), r.ID)
	if err != nil {
		return nil, err
	}
	links := Match(r, cands, s.o.Fusion)
	if err := s.o.Store.SetFieldReportLinks(ctx, r.ID, links); err != nil {
		return nil, err
	}
	return links, nil
}

// Refuse recomputes the fusion links of report id, as data sets arrive
// after it.
func (s *Service) Refuse(ctx context.Context, v Viewer, id int64) ([]Link, error) {
	if !v.CanVerify() {
		return nil, ErrForbidden
	}
	r, err := s.o.Store.FieldReport(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.fuse(ctx, r)
}

// Relink recomputes the links of the reports still in verification
// (unverified or under review) in countries whose dates lie within the
// fusion window of [from, to], after an ingest changed those events; it
// returns how many it relinked. It is meant to run after every ingest,
// with what the ingest touched.
func (s *Service) Relink(ctx context.Context, countries []string, from, to time.Time) (int, error) {
	days := time.Duration(s.o.Fusion.Days) * 24 * time.Hour
	n := 0
	for _, c := range countries {
		rs, err := s.o.Store.FieldReports(ctx, Query{Status: []Status{Unverified, UnderReview}, Country: c, Limit: 10000})
		if err != nil {
			return n, err
		}
		for _, r := range rs {
			if r.Date.Before(from.Add(-days)) || r.Date.After(to.Add(days)) {
				continue
			}
			if _, err := s.fuse(ctx, r); err != nil {
				return n, fmt.Errorf("relink field report %d: %w", r.ID, err)
			}
			n++
		}
	}
	return n, nil
}

// FlashRule is the rule name of the alerts flash reports raise.
const FlashRule = "flash-report"

// flash raises the unverified alert of a flash report.
func (s *Service) flash(ctx context.Context, r Report, now time.Time) error {
	if s.o.Alerts == nil {
		return nil
	}
	where := r.Country
	if r.Admin1 != "" {
		where = r.Admin1 + " (" + r.Country + ")"
	}
	f := alert.Firing{Rule: FlashRule, Severity: alert.Warning,
		Labels:  map[string]string{"verified": "false", "source": "field-report", "field_report": strconv.FormatInt(r.ID, 10)},
		Country: r.Country, Admin1: r.Admin1, Window: alert.Window{Start: r.Date, End: r.Date},
		Score: 1, Title: "Flash field report (unverified): " + string(r.Category) + " in " + where,
		Explanation: fmt.Sprintf("Field report %d, sent as flash through %s and not yet verified, reports %s on %s (reporter's confidence: %s).",
			r.ID, r.Channel, r.Category, r.Date.Format(time.DateOnly), r.Confidence),
		AsOf: r.Date}
	if r.Casualties != nil {
		f.Explanation += fmt.Sprintf(" Casualties reported: %d.", *r.Casualties)
	}
	// Evaluated{} closes nothing: a flash report says nothing about other alerts.
	_, err := s.o.Alerts.Process(ctx, []alert.Firing{f}, alert.Evaluated{}, now)
	return err
}

// Get returns report id as v may see it. For a viewer entitled to the
// identity it includes the contact details, and that read is audited.
func (s *Service) Get(ctx context.Context, v Viewer, id int64) (Report, error) {
	r, err := s.o.Store.FieldReport(ctx, id)
	if err != nil {
		return Report{}, err
	}
	out := redact(v, r)
	if v.SeesIdentity(r) && r.SealedContact != "" && s.o.Sealer == nil {
		// Without the key nobody can read contact details: the report is
		// served without them (HasContact still says they exist).
		s.o.Log.Warn("contact details stored but no key to read them", "report", id, "env", KeyEnv)
	} else if v.SeesIdentity(r) && r.SealedContact != "" {
		plain, err := s.o.Sealer.Open(r.SealedContact)
		if err != nil {
			return Report{}, fmt.Errorf("field report %d: %w", id, err)
		}
		if err := s.record(ctx, v, "field-report.contact.read", object(id), nil); err != nil {
			return Report{}, err
		}
		out.Reporter.Contact = plain
	}
	return out, nil
}

// Query selects reports.
type Query struct {
	Status  []Status
	Country string
	Admin1  string
	Since   time.Time // received at or after; zero: any time
	Limit   int       // 0: 100
}

// List returns the reports q selects as v may see them (never contact
// details).
func (s *Service) List(ctx context.Context, v Viewer, q Query) ([]Report, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	rs, err := s.o.Store.FieldReports(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		rs[i] = redact(v, rs[i])
	}
	return rs, nil
}

// Attachment returns an attachment's bytes, to any viewer who may list
// reports: attachments were cleaned of metadata on intake.
func (s *Service) Attachment(ctx context.Context, reportID, id int64) (Attached, []byte, error) {
	return s.o.Store.FieldReportAttachment(ctx, reportID, id)
}

// Transition is a verification step as an analyst asks for it.
type Transition struct {
	To          Status
	Reason      string // required
	Evidence    string // what the decision rests on
	DuplicateOf int64  // required for Duplicate
	Version     int64  // if not zero, must be the report's version
}

// Move applies t to report id. Moving to Verified writes the report as
// an event of source field-report and brings indicators and alerts of its
// country and day up to date. Every transition is audited.
func (s *Service) Move(ctx context.Context, v Viewer, id int64, t Transition) (Report, error) {
	if !v.CanVerify() {
		return Report{}, ErrForbidden
	}
	if strings.TrimSpace(t.Reason) == "" || len(t.Reason) > 2000 || len(t.Evidence) > 4000 {
		return Report{}, fmt.Errorf("%w: reason: required, at most 2000 bytes (evidence at most 4000)", ErrInvalid)
	}
	r, err := s.o.Store.FieldReport(ctx, id)
	if err != nil {
		return Report{}, err
	}
	if t.Version != 0 && t.Version != r.Version {
		return Report{}, ErrConflict
	}
	if !CanMove(r.Status, t.To) {
		return Report{}, fmt.Errorf("%w: %s to %s", ErrInvalidTransition, r.Status, t.To)
	}
	var dup int64
	if t.To == Duplicate {
		if t.DuplicateOf == 0 || t.DuplicateOf == id {
			return Report{}, fmt.Errorf("%w: duplicate_of: the report it repeats is required", ErrInvalid)
		}
		if _, err := s.o.Store.FieldReport(ctx, t.DuplicateOf); err != nil {
			return Report{}, fmt.Errorf("%w: duplicate_of: report %d: %w", ErrInvalid, t.DuplicateOf, err)
		}
		dup = t.DuplicateOf
	}
	var eventID string
	if t.To == Verified {
		eventID = eventKey(r).String()
	}
	c := Change{From: r.Status, To: t.To, Actor: v.Name(), Reason: t.Reason, Evidence: t.Evidence, At: s.o.Now().UTC()}
	out, err := s.o.Store.TransitionFieldReport(ctx, id, r.Version, c, dup, eventID)
	if err != nil {
		return Report{}, err
	}
	if err := s.record(ctx, v, "field-report.transition", object(id), map[string]any{"from": c.From, "to": c.To,
		"reason": c.Reason, "evidence": c.Evidence, "duplicate_of": dup}); err != nil {
		return Report{}, err
	}
	switch t.To {
	case Verified:
		if err := s.publish(ctx, out); err != nil {
			return Report{}, fmt.Errorf("field report %d verified, but its event: %w", id, err)
		}
	case Rejected, Duplicate:
		s.pending(ctx, out) // it no longer counts as unverified
	}
	return redact(v, out), nil
}

// Publish writes verified report id's event again (after a failure in
// Move) and brings indicators and alerts up to date.
func (s *Service) Publish(ctx context.Context, v Viewer, id int64) error {
	if !v.CanVerify() {
		return ErrForbidden
	}
	r, err := s.o.Store.FieldReport(ctx, id)
	if err != nil {
		return err
	}
	if r.Status != Verified {
		return fmt.Errorf("%w: report %d is %s, not verified", ErrInvalidTransition, id, r.Status)
	}
	return s.publish(ctx, r)
}

func (s *Service) publish(ctx context.Context, r Report) error {
	touched, err := writeEvent(ctx, s.o.Events, r, s.o.Now)
	if err != nil {
		return err
	}
	if s.o.Changes == nil || len(touched) == 0 {
		return nil
	}
	span := touched.Span()
	if _, err := s.o.Changes.Changed(ctx, touched.Countries(), span.From, span.To); err != nil {
		return fmt.Errorf("indicators and alerts: %w", err)
	}
	return nil
}

// Purge deletes the contact details of reports received more than
// olderThan ago, keeping the reports, and audits it.
func (s *Service) Purge(ctx context.Context, v Viewer, olderThan time.Duration) ([]int64, error) {
	if !v.All && v.Role != auth.Admin {
		return nil, ErrForbidden
	}
	if olderThan <= 0 {
		return nil, fmt.Errorf("%w: retention must be positive", ErrInvalid)
	}
	now := s.o.Now().UTC()
	ids, err := s.o.Store.PurgeFieldReportContacts(ctx, now.Add(-olderThan), now)
	if err != nil {
		return nil, err
	}
	return ids, s.record(ctx, v, "field-report.purge-contacts", "", map[string]any{"older_than": olderThan.String(),
		"reports": len(ids)})
}
