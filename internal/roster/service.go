package roster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"threshold/internal/audit"
	"threshold/internal/auth"
	"threshold/internal/casework"
	"threshold/internal/geo"
)

// Viewer is who reads or changes the roster: casework's viewer, so that
// one signed-in principal is one viewer everywhere.
type Viewer = casework.Viewer

// Query selects people.
type Query struct {
	Q     string // words the name or notes must all contain
	Kind  Kind   // "": any
	Area  Area   // "": any
	Limit int    // 0: no limit
	// Calendar fills each person's unavailable periods and deployments
	// (for matching).
	Calendar bool
}

// Store keeps the roster; *store.DB implements it. Every read takes the
// Viewer and returns only the records it may see (see the package doc):
// any other is ErrNotFound or absent.
type Store interface {
	// CreatePerson stores a new person (OrgID set, or Org naming the
	// keeper; an unknown organisation is ErrInvalid).
	CreatePerson(ctx context.Context, p Person, by string, at time.Time) (Person, error)
	// Person returns one record with its unavailable periods and its
	// deployments, newest first.
	Person(ctx context.Context, v Viewer, id int64) (Person, error)
	// People returns the records q selects, by name.
	People(ctx context.Context, v Viewer, q Query) ([]Person, error)
	// UpdatePerson writes p if its Version is the stored one (else
	// ErrConflict).
	UpdatePerson(ctx context.Context, p Person, at time.Time) (Person, error)
	// AddUnavailable records an unavailable period of a person.
	AddUnavailable(ctx context.Context, personID int64, u Period, at time.Time) (Period, error)
	// RemoveUnavailable deletes one.
	RemoveUnavailable(ctx context.Context, personID, periodID int64, at time.Time) error
	// RequestDeployment stores a requested deployment unless a holding
	// deployment of the same person overlaps its window
	// (ErrDoubleBooked) or an unavailable period does (ErrUnavailable),
	// checked and written atomically per person.
	RequestDeployment(ctx context.Context, d Deployment, note string) (Deployment, error)
	// Deployment returns one deployment with its history; Deployments
	// those q selects, newest first. The viewer must see the person.
	Deployment(ctx context.Context, v Viewer, id int64) (Deployment, error)
	Deployments(ctx context.Context, v Viewer, q DeploymentQuery) ([]Deployment, error)
	// SetDeploymentStatus moves deployment id from status from to to, if
	// it is still in from (else ErrConflict), adding t to its history.
	SetDeploymentStatus(ctx context.Context, id int64, from Status, t Transition) (Deployment, error)
	// MatchPeople returns the people v sees with what matching reads of
	// them and nothing else: id, name, kind, clearance, contract,
	// expertise, languages, countries, regions, unavailable periods
	// (start, end) and the deployments that hold them (id, start, days,
	// status); in any order. With ids, only those of them.
	MatchPeople(ctx context.Context, v Viewer, ids ...int64) ([]Person, error)
	// MatchVersions returns, for each person v sees, a fingerprint of
	// what MatchPeople reads of them (their record's version, which
	// their lists and unavailable periods raise, and their deployments'
	// count, version sum and largest id): matching reloads only the
	// people whose fingerprint changed.
	MatchVersions(ctx context.Context, v Viewer) (map[int64]string, error)
	// RosterStamp is a cheap fingerprint of the whole roster (people,
	// unavailable periods, deployments) that changes whenever any of it
	// changes, by whichever process: matching reuses an Index while it
	// holds.
	RosterStamp(ctx context.Context) (string, error)
}

// Cases is what the roster needs of casework: the case a match or a
// deployment is for, as the viewer sees it. *casework.Service
// implements it.
type Cases interface {
	Get(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error)
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Service. Store and Cases are required.
type Options struct {
	Store Store
	Cases Cases
	Audit Recorder // nil records nothing (tests only)
	Geo   *geo.Table
	Now   func() time.Time
	Log   *slog.Logger
}

// Service is the roster: it checks access and changes, matches, moves
// deployments through their statuses and audits. It is safe for
// concurrent use.
type Service struct {
	st    Store
	cases Cases
	audit Recorder
	geo   *geo.Table
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex             // guards indexes
	indexes map[string]cachedIndex // by accessKey
}

// cachedIndex is the Index of the people one access key sees, as of a
// RosterStamp, with the people it was built from and their
// MatchVersions fingerprints.
type cachedIndex struct {
	stamp    string
	ix       *Index
	people   []Person // by id
	versions map[int64]string
}

// maxReloaded is how many changed people an index reloads one by one;
// beyond it, everyone is read again.
const maxReloaded = 500

// maxCachedIndexes bounds the cache: one index per distinct access (the
// operator, each organisation's writers, each expert's own record).
const maxCachedIndexes = 64

// accessKey names what v sees of the roster: viewers with the same key
// see the same people (see store's rosterAccess).
func accessKey(v Viewer) string {
	switch {
	case v.All:
		return "all"
	case CanWrite(v):
		return fmt.Sprintf("org:%d:%s", v.OrgID, strings.ToLower(v.Email))
	}
	return "self:" + strings.ToLower(v.Email)
}

// index returns the Index of the people v sees, built afresh only when
// the roster changed since the last one, and then reading again only the
// people who changed (MatchVersions): a deployment requested or an
// expert's record edited costs a few rows, not the whole roster.
func (s *Service) index(ctx context.Context, v Viewer) (*Index, error) {
	stamp, err := s.st.RosterStamp(ctx)
	if err != nil {
		return nil, err
	}
	key := accessKey(v)
	s.mu.Lock()
	c, ok := s.indexes[key]
	s.mu.Unlock()
	if ok && c.stamp == stamp {
		return c.ix, nil
	}
	versions, err := s.st.MatchVersions(ctx, v)
	if err != nil {
		return nil, err
	}
	people, err := s.refresh(ctx, v, c, ok, versions)
	if err != nil {
		return nil, err
	}
	ix := NewIndex(people, s.geo)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.indexes == nil || len(s.indexes) >= maxCachedIndexes {
		s.indexes = map[string]cachedIndex{}
	}
	s.indexes[key] = cachedIndex{stamp: stamp, ix: ix, people: people, versions: versions}
	return ix, nil
}

// refresh returns the people of versions, sorted by id: those unchanged
// since c taken from c, the others read from the store.
func (s *Service) refresh(ctx context.Context, v Viewer, c cachedIndex, cached bool, versions map[int64]string) ([]Person, error) {
	var changed []int64
	if cached {
		for id, ver := range versions {
			if c.versions[id] != ver {
				changed = append(changed, id)
			}
		}
	}
	var people []Person
	if !cached || len(changed) > maxReloaded {
		all, err := s.st.MatchPeople(ctx, v)
		if err != nil {
			return nil, err
		}
		people = all
	} else {
		var fresh []Person
		if len(changed) > 0 {
			var err error
			if fresh, err = s.st.MatchPeople(ctx, v, changed...); err != nil {
				return nil, err
			}
		}
		byID := make(map[int64]Person, len(fresh))
		for _, p := range fresh {
			byID[p.ID] = p
		}
		people = make([]Person, 0, len(versions))
		for _, p := range c.people {
			if _, ok := versions[p.ID]; !ok {
				continue // gone, or no longer visible
			}
			if q, ok := byID[p.ID]; ok {
				p = q
				delete(byID, p.ID)
			} else if c.versions[p.ID] != versions[p.ID] {
				continue // changed and no longer visible
			}
			people = append(people, p)
		}
		for _, p := range byID {
			people = append(people, p) // new
		}
	}
	slices.SortFunc(people, func(a, b Person) int { return cmp.Compare(a.ID, b.ID) })
	return people, nil
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Cases == nil {
		return nil, errors.New("roster: store and cases are required")
	}
	s := &Service{st: o.Store, cases: o.Cases, audit: o.Audit, geo: o.Geo, now: o.Now, log: o.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.geo == nil {
		g, err := geo.Load()
		if err != nil {
			return nil, fmt.Errorf("roster: %w", err)
		}
		s.geo = g
	}
	return s, nil
}

// Geo is the country table the service checks places against.
func (s *Service) Geo() *geo.Table { return s.geo }

// CanWrite reports whether v may change roster records at all.
func CanWrite(v Viewer) bool {
	return v.All || slices.Contains([]auth.Role{auth.Admin, auth.Analyst, auth.DeskOfficer}, v.Role)
}

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

func personObject(id int64) string     { return "person:" + strconv.FormatInt(id, 10) }
func deploymentObject(id int64) string { return "deployment:" + strconv.FormatInt(id, 10) }

// auditRead records the read of the people ids as one entry.
func (s *Service) auditRead(ctx context.Context, v Viewer, object string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) == 1 && object == "" {
		return s.record(ctx, v, "read.confidential", personObject(ids[0]), nil)
	}
	return s.record(ctx, v, "read.confidential", object, map[string]any{"people": ids})
}

// Add puts a person on the roster, kept by the viewer's organisation (or,
// for the operator, by p.Org).
func (s *Service) Add(ctx context.Context, v Viewer, p Person) (Person, error) {
	if !CanWrite(v) {
		return Person{}, fmt.Errorf("%w: role %s may not change the roster", ErrForbidden, v.Role)
	}
	if !v.All {
		p.OrgID, p.Org = v.OrgID, v.OrgName
	} else if p.Org == "" {
		return Person{}, fmt.Errorf("%w: name the organisation that keeps the record", ErrInvalid)
	}
	if err := p.Normalize(s.geo); err != nil {
		return Person{}, err
	}
	now := s.now().UTC()
	out, err := s.st.CreatePerson(ctx, p, v.Name(), now)
	if err != nil {
		return Person{}, fmt.Errorf("add person: %w", err)
	}
	return out, s.record(ctx, v, "roster.add", personObject(out.ID), map[string]any{"kind": out.Kind, "org": out.Org})
}

// Get returns one record with its calendar and deployment history; the
// read is audited.
func (s *Service) Get(ctx context.Context, v Viewer, id int64) (Person, error) {
	p, err := s.st.Person(ctx, v, id)
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	return p, s.auditRead(ctx, v, "", []int64{p.ID})
}

// List returns the records the viewer sees that q selects; the read is
// audited with the ids returned.
func (s *Service) List(ctx context.Context, v Viewer, q Query) ([]Person, error) {
	ps, err := s.st.People(ctx, v, q)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ps, s.auditRead(ctx, v, "roster", ids)
}

// Patch is a change to a person: nil fields are left as they are.
type Patch struct {
	Name      *string
	Email     *string
	Kind      *Kind
	Expertise *[]Expertise
	Languages *[]Language
	Countries *[]string
	Regions   *[]string
	Clearance *casework.Confidentiality
	Contract  *Contract
	Notes     *string
	Version   int64 // 0: whatever is stored
}

// Update changes a record the viewer's organisation keeps.
func (s *Service) Update(ctx context.Context, v Viewer, id int64, pt Patch) (Person, error) {
	p, err := s.writable(ctx, v, id)
	if err != nil {
		return Person{}, err
	}
	if pt.Version != 0 && pt.Version != p.Version {
		return Person{}, fmt.Errorf("person %d: %w: version %d is not the stored %d", id, ErrConflict, pt.Version, p.Version)
	}
	if pt.Name != nil {
		p.Name = *pt.Name
	}
	if pt.Email != nil {
		p.Email = *pt.Email
	}
	if pt.Kind != nil {
		p.Kind = *pt.Kind
	}
	if pt.Expertise != nil {
		p.Expertise = slices.Clone(*pt.Expertise)
	}
	if pt.Languages != nil {
		p.Languages = slices.Clone(*pt.Languages)
	}
	if pt.Regions != nil {
		p.Regions = slices.Clone(*pt.Regions)
	} else if pt.Countries != nil {
		// Keep the regions named outright; those of the old countries
		// are derived again from the new ones.
		derived := regionsOf(s.geo, p.Countries)
		p.Regions = slices.DeleteFunc(p.Regions, func(r string) bool { return derived[r] })
	}
	if pt.Countries != nil {
		p.Countries = slices.Clone(*pt.Countries)
	}
	if pt.Clearance != nil {
		p.Clearance = *pt.Clearance
	}
	if pt.Contract != nil {
		p.Contract = *pt.Contract
	}
	if pt.Notes != nil {
		p.Notes = *pt.Notes
	}
	if err := p.Normalize(s.geo); err != nil {
		return Person{}, err
	}
	out, err := s.st.UpdatePerson(ctx, p, s.now().UTC())
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	return out, s.record(ctx, v, "roster.update", personObject(id), nil)
}

// writable returns the record if v may change it.
func (s *Service) writable(ctx context.Context, v Viewer, id int64) (Person, error) {
	p, err := s.st.Person(ctx, v, id)
	if err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, err)
	}
	if !v.All && (!CanWrite(v) || v.OrgID != p.OrgID) {
		return Person{}, fmt.Errorf("person %d: %w: only the keeper's admins, analysts and desk officers change it", id, ErrForbidden)
	}
	return p, nil
}

// MarkUnavailable records that a person is unavailable from start to end
// (both included).
func (s *Service) MarkUnavailable(ctx context.Context, v Viewer, id int64, start, end time.Time, note string) (Period, error) {
	if _, err := s.writable(ctx, v, id); err != nil {
		return Period{}, err
	}
	start, end = Day(start), Day(end)
	if start.IsZero() || end.Before(start) {
		return Period{}, fmt.Errorf("%w: unavailable period: end %s is before start %s", ErrInvalid,
			end.Format(time.DateOnly), start.Format(time.DateOnly))
	}
	u, err := s.st.AddUnavailable(ctx, id, Period{Start: start, End: end, Note: strings.TrimSpace(note), RecordedBy: v.Name()}, s.now().UTC())
	if err != nil {
		return Period{}, fmt.Errorf("person %d: %w", id, err)
	}
	return u, s.record(ctx, v, "roster.unavailable", personObject(id), map[string]any{"period": u.ID,
		"start": start.Format(time.DateOnly), "end": end.Format(time.DateOnly)})
}

// ClearUnavailable deletes an unavailable period.
func (s *Service) ClearUnavailable(ctx context.Context, v Viewer, id, periodID int64) error {
	if _, err := s.writable(ctx, v, id); err != nil {
		return err
	}
	if err := s.st.RemoveUnavailable(ctx, id, periodID, s.now().UTC()); err != nil {
		return fmt.Errorf("person %d period %d: %w", id, periodID, err)
	}
	return s.record(ctx, v, "roster.available", personObject(id), map[string]any{"period": periodID})
}

// Availability is a person's calendar from from to to.
func (s *Service) Availability(ctx context.Context, v Viewer, id int64, from, to time.Time) ([]Span, error) {
	if to.Before(from) || to.Sub(from) > 3*366*24*time.Hour {
		return nil, fmt.Errorf("%w: availability: from %s to %s is not a window of at most three years", ErrInvalid,
			from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	p, err := s.Get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return Calendar(p, from, to), nil
}

// Match ranks the people the viewer sees for r.CaseID's places and
// confidentiality (see the package doc). Only writers match.
func (s *Service) Match(ctx context.Context, v Viewer, r Request) (Result, error) {
	if !CanWrite(v) {
		return Result{}, fmt.Errorf("%w: role %s may not match the roster", ErrForbidden, v.Role)
	}
	if err := checkWindow(r.Start, r.Days); err != nil {
		return Result{}, err
	}
	r.Start = Day(r.Start)
	if len(r.Skills) == 0 {
		return Result{}, fmt.Errorf("%w: skills: name at least one expertise area", ErrInvalid)
	}
	c, err := s.cases.Get(ctx, v, r.CaseID)
	if err != nil {
		return Result{}, fmt.Errorf("case %d: %w", r.CaseID, err)
	}
	r.Countries, r.Level = c.Countries, c.Confidentiality
	for i, l := range r.Languages {
		lang, err := ParseLanguage(l)
		if err != nil {
			return Result{}, err
		}
		r.Languages[i] = lang.Code
	}
	ix, err := s.index(ctx, v)
	if err != nil {
		return Result{}, fmt.Errorf("match: %w", err)
	}
	res := ix.Match(r)
	ids := make([]int64, len(res.Candidates))
	for i, c := range res.Candidates {
		ids[i] = c.PersonID
	}
	if err := s.record(ctx, v, "roster.match", "case:"+strconv.FormatInt(r.CaseID, 10), map[string]any{"people": ids}); err != nil {
		return Result{}, err
	}
	return res, nil
}

// RequestDeployment requests person d.PersonID for case d.CaseID from
// d.Start for d.Days days. Of concurrent requests holding one person in
// overlapping windows exactly one succeeds; the others are
// ErrDoubleBooked.
func (s *Service) RequestDeployment(ctx context.Context, v Viewer, d Deployment, note string) (Deployment, error) {
	if !CanWrite(v) {
		return Deployment{}, fmt.Errorf("%w: role %s may not request deployments", ErrForbidden, v.Role)
	}
	if err := checkWindow(d.Start, d.Days); err != nil {
		return Deployment{}, err
	}
	c, err := s.cases.Get(ctx, v, d.CaseID)
	if err != nil {
		return Deployment{}, fmt.Errorf("case %d: %w", d.CaseID, err)
	}
	p, err := s.st.Person(ctx, v, d.PersonID)
	if err != nil {
		return Deployment{}, fmt.Errorf("person %d: %w", d.PersonID, err)
	}
	if slices.Index(casework.Levels(), p.Clearance) < slices.Index(casework.Levels(), c.Confidentiality) {
		return Deployment{}, fmt.Errorf("%w: person %d is cleared for %s, case %d is %s", ErrInvalid, p.ID, p.Clearance, c.ID, c.Confidentiality)
	}
	now := s.now().UTC()
	d.Start, d.Status, d.RequestedBy, d.RequestedAt, d.Role = Day(d.Start), Requested, v.Name(), now, strings.TrimSpace(d.Role)
	out, err := s.st.RequestDeployment(ctx, d, strings.TrimSpace(note))
	if err != nil {
		return Deployment{}, fmt.Errorf("deploy person %d to case %d: %w", d.PersonID, d.CaseID, err)
	}
	s.log.Info("deployment requested", "deployment", out.ID, "person", out.PersonID, "case", out.CaseID)
	return out, s.record(ctx, v, "roster.deploy.request", deploymentObject(out.ID), map[string]any{"person": out.PersonID,
		"case": out.CaseID, "start": out.Start.Format(time.DateOnly), "days": out.Days})
}

// GetDeployment returns one deployment with its history.
func (s *Service) GetDeployment(ctx context.Context, v Viewer, id int64) (Deployment, error) {
	d, err := s.st.Deployment(ctx, v, id)
	if err != nil {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, err)
	}
	return d, nil
}

// Deployments returns the deployments q selects of the people the viewer
// sees. Asking for one case's needs the viewer to see the case: a case
// it may not know of is ErrNotFound.
func (s *Service) Deployments(ctx context.Context, v Viewer, q DeploymentQuery) ([]Deployment, error) {
	if q.CaseID != 0 {
		if _, err := s.cases.Get(ctx, v, q.CaseID); err != nil {
			return nil, fmt.Errorf("case %d: %w", q.CaseID, err)
		}
	}
	ds, err := s.st.Deployments(ctx, v, q)
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	return ds, nil
}

// Move takes deployment id to status to (approve, reject, start,
// complete, cancel), with a note for its history.
func (s *Service) Move(ctx context.Context, v Viewer, id int64, to Status, note string) (Deployment, error) {
	if !CanWrite(v) {
		return Deployment{}, fmt.Errorf("%w: role %s may not change deployments", ErrForbidden, v.Role)
	}
	d, err := s.st.Deployment(ctx, v, id)
	if err != nil {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, err)
	}
	if err := CheckTransition(d.Status, to); err != nil {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, err)
	}
	out, err := s.st.SetDeploymentStatus(ctx, id, d.Status, Transition{From: d.Status, To: to, Actor: v.Name(),
		Note: strings.TrimSpace(note), At: s.now().UTC()})
	if err != nil {
		return Deployment{}, fmt.Errorf("deployment %d: %w", id, err)
	}
	return out, s.record(ctx, v, "roster.deploy."+string(to), deploymentObject(id), map[string]any{"from": d.Status,
		"case": out.CaseID, "person": out.PersonID, "named_on_case": out.NamedOnCase})
}
