package casework

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/geo"
)

// Store keeps cases and actions; *store.DB implements it. Every read
// takes the Viewer and returns only what it may see: a case it may not
// see is ErrNotFound, and is absent from lists, counts and report rows.
type Store interface {
	// CreateCase stores a new case (its OwnerOrgID set, or OwnerOrg
	// naming the owner) with its opening status as its first history
	// line, and returns it with its ID. An unknown organisation in
	// SharedWith or OwnerOrg is ErrInvalid.
	CreateCase(ctx context.Context, c Case, by string, at time.Time) (Case, error)
	// Case returns one case with its status history.
	Case(ctx context.Context, v Viewer, id int64) (Case, error)
	// Cases returns the cases q selects, newest first, without history;
	// CountCases how many there are, ignoring q.Limit.
	Cases(ctx context.Context, v Viewer, q Query) ([]Case, error)
	CountCases(ctx context.Context, v Viewer, q Query) (int, error)
	// UpdateCase writes c if its Version is the stored one (else
	// ErrConflict): its fields, places, staff and sharing list, and
	// change, if not nil, as a new history line. New shares are recorded
	// as by at at.
	UpdateCase(ctx context.Context, c Case, change *StatusChange, by string, at time.Time) (Case, error)
	// AddAction stores an action with its alert links (alerts that do
	// not exist are ErrInvalid).
	AddAction(ctx context.Context, a Action) (Action, error)
	// Actions returns the actions of the cases v sees that q selects,
	// newest first, each with the level of its case.
	Actions(ctx context.Context, v Viewer, q ActionQuery) ([]Action, error)
	// Answers returns, for the cases v sees, every link of one of their
	// actions to an alert.
	Answers(ctx context.Context, v Viewer) ([]Answer, error)
	// Unanswered returns the alerts fired at or before firedBy that no
	// case action answers and nobody has decided on in the inbox (firing
	// or acknowledged), oldest first.
	Unanswered(ctx context.Context, firedBy time.Time) ([]Warning, error)
}

// Alerts is the alert lifecycle an action's links go through.
// *alert.Manager implements it.
type Alerts interface {
	Get(ctx context.Context, id int64) (alert.Alert, []alert.Transition, error)
	Action(ctx context.Context, id int64, actor alert.Actor, note string) (alert.Alert, error)
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Service. Store is required.
type Options struct {
	Store  Store
	Alerts Alerts   // nil: actions cannot link alerts
	Audit  Recorder // nil records nothing (tests only)
	// Geo is the country table: places must be countries it knows, and
	// the report groups by their M49 region. nil loads the embedded one.
	Geo *geo.Table
	Now func() time.Time
	Log *slog.Logger
}

// Service is casework: it checks and applies changes, marks answered
// alerts, audits, and reports. It is safe for concurrent use.
type Service struct {
	st     Store
	alerts Alerts
	audit  Recorder
	geo    *geo.Table
	now    func() time.Time
	log    *slog.Logger
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("casework: no store")
	}
	s := &Service{st: o.Store, alerts: o.Alerts, audit: o.Audit, geo: o.Geo, now: o.Now, log: o.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.geo == nil {
		g, err := geo.Load()
		if err != nil {
			return nil, fmt.Errorf("casework: %w", err)
		}
		s.geo = g
	}
	return s, nil
}

// record appends an audit entry; a nil Recorder records nothing. The
// entry is written even if ctx is cancelled: the read or change it
// records has happened.
func (s *Service) record(ctx context.Context, v Viewer, action, object string, details any) error {
	if s.audit == nil {
		return nil
	}
	err := s.audit.Record(context.WithoutCancel(ctx), audit.Entry{ActorID: v.UserID, Actor: v.Name(), Action: action,
		Object: object, Remote: v.Remote, Details: details})
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", action, object, err)
	}
	return nil
}

// checkPlaces refuses countries the country table does not know.
func (s *Service) checkPlaces(c Case) error {
	var errs []error
	for _, cc := range c.Countries {
		if _, ok := s.geo.Lookup(cc); !ok {
			errs = append(errs, fmt.Errorf("%w: %s is not a country code Threshold knows", ErrInvalid, cc))
		}
	}
	return errors.Join(errs...)
}

func caseObject(id int64) string { return "case:" + strconv.FormatInt(id, 10) }

// auditReads records the read of the confidential cases among ids (by
// level) as one entry: object is what was read.
func (s *Service) auditReads(ctx context.Context, v Viewer, object string, levels map[int64]Confidentiality) error {
	var ids []int64
	for id, l := range levels {
		if l.Audited() {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	if len(ids) == 1 && object == "" {
		return s.record(ctx, v, "read.confidential", caseObject(ids[0]), nil)
	}
	return s.record(ctx, v, "read.confidential", object, map[string]any{"cases": ids})
}

// Create opens a case owned by the viewer's organisation (or, for
// Everyone, the organisation c.OwnerOrg names). With no responsible
// staff, its creator is named.
func (s *Service) Create(ctx context.Context, v Viewer, c Case) (Case, error) {
	if !v.CanWrite() {
		return Case{}, fmt.Errorf("%w: role %s may not open cases", ErrForbidden, v.Role)
	}
	if !v.All {
		c.OwnerOrgID, c.OwnerOrg = v.OrgID, v.OrgName
	} else if c.OwnerOrg == "" {
		return Case{}, fmt.Errorf("%w: name the organisation that owns the case", ErrInvalid)
	}
	if len(c.Staff) == 0 && v.Email != "" {
		c.Staff = []string{v.Email}
	}
	if err := errors.Join(c.Normalize(), s.checkPlaces(c)); err != nil {
		return Case{}, err
	}
	if c.Status == Closed {
		return Case{}, fmt.Errorf("%w: a case cannot open closed", ErrInvalidTransition)
	}
	now := s.now().UTC()
	c.ID, c.CreatedBy, c.CreatedAt, c.UpdatedAt, c.Version = 0, v.Name(), now, now, 0
	out, err := s.st.CreateCase(ctx, c, v.Name(), now)
	if err != nil {
		return Case{}, fmt.Errorf("create case: %w", err)
	}
	if err := s.record(ctx, v, "case.create", caseObject(out.ID), map[string]any{"confidentiality": out.Confidentiality,
		"owner_org": out.OwnerOrg, "shared_with": out.SharedWith, "status": out.Status}); err != nil {
		return Case{}, err
	}
	return out, nil
}

// Get returns a case the viewer sees, with its status history; reading a
// confidential one is audited.
func (s *Service) Get(ctx context.Context, v Viewer, id int64) (Case, error) {
	c, err := s.st.Case(ctx, v, id)
	if err != nil {
		return Case{}, fmt.Errorf("case %d: %w", id, err)
	}
	if err := s.auditReads(ctx, v, "", map[int64]Confidentiality{c.ID: c.Confidentiality}); err != nil {
		return Case{}, err
	}
	return c, nil
}

// List returns the cases the viewer sees that q selects, newest first,
// and how many there are in all (ignoring q.Limit). A list holding
// confidential cases is audited as one read of them.
func (s *Service) List(ctx context.Context, v Viewer, q Query) ([]Case, int, error) {
	cs, err := s.st.Cases(ctx, v, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list cases: %w", err)
	}
	n := len(cs)
	if q.Limit > 0 && n == q.Limit {
		if n, err = s.st.CountCases(ctx, v, q); err != nil {
			return nil, 0, fmt.Errorf("count cases: %w", err)
		}
	}
	levels := map[int64]Confidentiality{}
	for _, c := range cs {
		levels[c.ID] = c.Confidentiality
	}
	if err := s.auditReads(ctx, v, "cases", levels); err != nil {
		return nil, 0, err
	}
	return cs, n, nil
}

// Patch is a change to a case; nil fields stay as they are.
type Patch struct {
	Title           *string
	Places          *[]Place
	Status          *Status
	StatusNote      string // why the status changed, for its history
	LeadOffice      *string
	Staff           *[]string
	Confidentiality *Confidentiality
	SharedWith      *[]string // the whole sharing list
	// Version, if not 0, is the version the change was made against: a
	// case changed since is ErrConflict.
	Version int64
}

// Update applies p to a case the viewer sees and may change (its owner
// organisation's writers). Status changes go to the history; sharing
// changes are audited as case.share and case.unshare.
func (s *Service) Update(ctx context.Context, v Viewer, id int64, p Patch) (Case, error) {
	old, err := s.st.Case(ctx, v, id)
	if err != nil {
		return Case{}, fmt.Errorf("case %d: %w", id, err)
	}
	if !old.canChangeBy(v) {
		return Case{}, fmt.Errorf("%w: only writers of the owner organisation change case %d", ErrForbidden, id)
	}
	if p.Version != 0 && p.Version != old.Version {
		return Case{}, fmt.Errorf("case %d is at version %d, not %d: %w", id, old.Version, p.Version, ErrConflict)
	}
	c := old
	c.Places, c.Staff, c.SharedWith = slices.Clone(old.Places), slices.Clone(old.Staff), slices.Clone(old.SharedWith)
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.Places != nil {
		c.Places = *p.Places
	}
	if p.Status != nil {
		c.Status = *p.Status
	}
	if p.LeadOffice != nil {
		c.LeadOffice = *p.LeadOffice
	}
	if p.Staff != nil {
		c.Staff = *p.Staff
	}
	if p.Confidentiality != nil {
		c.Confidentiality = *p.Confidentiality
	}
	if p.SharedWith != nil {
		c.SharedWith = *p.SharedWith
	}
	if err := c.Normalize(); err != nil {
		return Case{}, err
	}
	if p.Places != nil {
		if err := s.checkPlaces(c); err != nil {
			return Case{}, err
		}
	}
	var change *StatusChange
	now := s.now().UTC()
	if c.Status != old.Status {
		if err := CheckTransition(old.Status, c.Status); err != nil {
			return Case{}, err
		}
		change = &StatusChange{From: old.Status, To: c.Status, Actor: v.Name(), Note: p.StatusNote, At: now}
	}
	c.UpdatedAt = now
	out, err := s.st.UpdateCase(ctx, c, change, v.Name(), now)
	if err != nil {
		return Case{}, fmt.Errorf("update case %d: %w", id, err)
	}
	added, removed := diff(old.SharedWith, out.SharedWith)
	changed := map[string]any{}
	if change != nil {
		changed["status"] = []Status{change.From, change.To}
	}
	if out.Confidentiality != old.Confidentiality {
		changed["confidentiality"] = []Confidentiality{old.Confidentiality, out.Confidentiality}
	}
	for _, e := range []struct {
		action string
		orgs   []string
	}{{"case.share", added}, {"case.unshare", removed}} {
		if len(e.orgs) > 0 {
			if err := s.record(ctx, v, e.action, caseObject(id), map[string]any{"organisations": e.orgs}); err != nil {
				return Case{}, err
			}
		}
	}
	if err := s.record(ctx, v, "case.update", caseObject(id), changed); err != nil {
		return Case{}, err
	}
	return out, nil
}

func (c Case) canChangeBy(v Viewer) bool { return v.canChange(c) }

// Share adds organisations to a case's sharing list; Unshare removes
// them. Both are Update with the list changed, and audited.
func (s *Service) Share(ctx context.Context, v Viewer, id int64, orgs []string) (Case, error) {
	return s.reshare(ctx, v, id, func(list []string) []string { return append(list, orgs...) })
}

// Unshare removes organisations from a case's sharing list.
func (s *Service) Unshare(ctx context.Context, v Viewer, id int64, orgs []string) (Case, error) {
	return s.reshare(ctx, v, id, func(list []string) []string {
		return slices.DeleteFunc(list, func(o string) bool { return slices.Contains(orgs, o) })
	})
}

func (s *Service) reshare(ctx context.Context, v Viewer, id int64, fn func([]string) []string) (Case, error) {
	c, err := s.st.Case(ctx, v, id)
	if err != nil {
		return Case{}, fmt.Errorf("case %d: %w", id, err)
	}
	list := fn(slices.Clone(c.SharedWith))
	return s.Update(ctx, v, id, Patch{SharedWith: &list, Version: c.Version})
}

// diff returns what is in b and not a, and what is in a and not b.
func diff(a, b []string) (added, removed []string) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

// AddAction logs an action on a case the viewer sees, as the viewer
// (writers of the owner or an admitted organisation). Each linked alert
// must exist; those still firing or acknowledged are moved to actioned
// through the alert lifecycle, with the action in their note. An alert
// already decided keeps its state: the link is still recorded.
func (s *Service) AddAction(ctx context.Context, v Viewer, caseID int64, a Action) (Action, error) {
	c, err := s.st.Case(ctx, v, caseID)
	if err != nil {
		return Action{}, fmt.Errorf("case %d: %w", caseID, err)
	}
	if !v.CanWrite() {
		return Action{}, fmt.Errorf("%w: role %s may not log actions", ErrForbidden, v.Role)
	}
	if err := a.Normalize(); err != nil {
		return Action{}, err
	}
	open := map[int64]bool{}
	for _, id := range a.Alerts {
		if s.alerts == nil {
			return Action{}, fmt.Errorf("%w: alerts cannot be linked here", ErrInvalid)
		}
		al, _, err := s.alerts.Get(ctx, id)
		if errors.Is(err, alert.ErrNotFound) {
			return Action{}, fmt.Errorf("%w: no alert %d", ErrInvalid, id)
		} else if err != nil {
			return Action{}, fmt.Errorf("alert %d: %w", id, err)
		}
		open[id] = al.State == alert.StateFiring || al.State == alert.StateAcknowledged
	}
	now := s.now().UTC()
	a.ID, a.CaseID, a.RecordedBy, a.RecordedAt = 0, caseID, v.Name(), now
	out, err := s.st.AddAction(ctx, a)
	if err != nil {
		return Action{}, fmt.Errorf("case %d: add action: %w", caseID, err)
	}
	if err := s.record(ctx, v, "case.action", caseObject(caseID), map[string]any{"action": out.ID, "type": out.Type,
		"alerts": out.Alerts}); err != nil {
		return Action{}, err
	}
	note := alertNote(c, out)
	actor := alert.Actor{ID: v.UserID, Name: v.Name(), Remote: v.Remote}
	for _, id := range out.Alerts {
		if !open[id] {
			continue
		}
		if _, err := s.alerts.Action(ctx, id, actor, note); err != nil && !errors.Is(err, alert.ErrTransition) {
			// The action is stored; the alert can be actioned by hand.
			return out, fmt.Errorf("case %d: action %d stored, but marking alert %d actioned: %w", caseID, out.ID, id, err)
		}
	}
	return out, nil
}

// alertNote is what an alert answered by action a of case c says: the
// action, its date and the case for a public case; for any other, only
// that an action was recorded, since alerts are read by people the case
// is not shared with.
func alertNote(c Case, a Action) string {
	if c.Confidentiality == Public {
		return fmt.Sprintf("%s on %s (case %d %q, action %d)", a.Type.Label(), a.At.Format(time.DateOnly), c.ID, c.Title, a.ID)
	}
	return "action recorded in casework (need-to-know)"
}

// Actions returns the actions the viewer sees that q selects, newest
// first. For one case, a case the viewer does not see is ErrNotFound.
// Reads of confidential cases' actions are audited.
func (s *Service) Actions(ctx context.Context, v Viewer, q ActionQuery) ([]Action, error) {
	if q.CaseID != 0 {
		if _, err := s.st.Case(ctx, v, q.CaseID); err != nil {
			return nil, fmt.Errorf("case %d: %w", q.CaseID, err)
		}
	}
	as, err := s.st.Actions(ctx, v, q)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	levels := map[int64]Confidentiality{}
	for _, a := range as {
		levels[a.CaseID] = a.Level
	}
	object := "actions"
	if q.CaseID != 0 {
		object = caseObject(q.CaseID) + "/actions"
	}
	if err := s.auditReads(ctx, v, object, levels); err != nil {
		return nil, err
	}
	return as, nil
}

// Report computes the warning-to-action report over the cases the viewer
// sees, listing the unanswered warnings fired more than unansweredAfter
// ago. Reading it when it holds confidential cases is audited.
func (s *Service) Report(ctx context.Context, v Viewer, unansweredAfter time.Duration) (Report, error) {
	now := s.now().UTC()
	ans, err := s.st.Answers(ctx, v)
	if err != nil {
		return Report{}, fmt.Errorf("warning-to-action report: %w", err)
	}
	un, err := s.st.Unanswered(ctx, now.Add(-unansweredAfter))
	if err != nil {
		return Report{}, fmt.Errorf("warning-to-action report: unanswered: %w", err)
	}
	levels := map[int64]Confidentiality{}
	for _, a := range ans {
		levels[a.CaseID] = a.Level
	}
	if err := s.auditReads(ctx, v, "report:warning-to-action", levels); err != nil {
		return Report{}, err
	}
	return Compute(ReportInput{Answers: ans, Unanswered: un, Now: now, UnansweredAfter: unansweredAfter, Region: Regions(s.geo)}), nil
}
