package agreement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"threshold/internal/alert"
	"threshold/internal/audit"
	"threshold/internal/casework"
	"threshold/internal/geo"
)

// Query selects agreements. Zero fields select everything the viewer
// sees.
type Query struct {
	Country string // ISO alpha-3
	Q       string // words that must all appear in the name, conflict or parties (case-insensitive)
	CaseID  int64  // only agreements linked to this case (one the viewer sees); 0: any
	Limit   int    // 0 is no limit
}

// Outcome is what importing one agreement did.
type Outcome string

// The outcomes.
const (
	Inserted  Outcome = "inserted"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
)

// ImportSummary counts what an import did.
type ImportSummary struct {
	Read       int `json:"read"`
	Inserted   int `json:"inserted"`
	Updated    int `json:"updated"`
	Unchanged  int `json:"unchanged"`
	Provisions int `json:"provisions"` // provisions added
}

// Suggestion is a case an agreement could be linked to: a case the viewer
// sees with a place in one of the agreement's countries, not linked yet.
type Suggestion struct {
	AgreementID   int64     `json:"agreement_id"`
	AgreementName string    `json:"agreement_name"`
	Signed        time.Time `json:"signed"`
	Conflict      string    `json:"conflict,omitempty"`
	Ended         bool      `json:"ended"`
	CaseID        int64     `json:"case_id"`
	CaseTitle     string    `json:"case_title"`
	Countries     []string  `json:"countries"` // the countries they share
}

// Store keeps agreements; *store.DB implements it. Reads take the viewer
// and apply the access rule of the package doc.
type Store interface {
	// ImportAgreement inserts a, or updates the agreement with a's source
	// and source id when its Fingerprint differs: its fields, and the
	// provisions of categories it lacks (existing ones and their statuses
	// are kept). New provisions get a first history line as by at at, on
	// the signing day. It returns the id, the outcome and how many
	// provisions were added.
	ImportAgreement(ctx context.Context, a Agreement, by string, at time.Time) (int64, Outcome, int, error)
	// CreateAgreement stores a new agreement with its provisions.
	CreateAgreement(ctx context.Context, a Agreement, by string, at time.Time) (Agreement, error)
	// Agreement returns one agreement with its provisions and histories.
	Agreement(ctx context.Context, v casework.Viewer, id int64) (Agreement, error)
	// Agreements returns the agreements q selects, newest signed first,
	// without provisions.
	Agreements(ctx context.Context, v casework.Viewer, q Query) ([]Agreement, error)
	// AddProvision stores a provision of an agreement with its first
	// history line.
	AddProvision(ctx context.Context, p Provision, first StatusChange) (Provision, error)
	// ProvisionAgreement returns the id of the agreement a provision the
	// viewer sees belongs to.
	ProvisionAgreement(ctx context.Context, v casework.Viewer, provisionID int64) (int64, error)
	// SetProvisionStatus appends h to a provision's history and makes
	// h.To its status; h.From is set from the stored status.
	SetProvisionStatus(ctx context.Context, provisionID int64, h StatusChange) (Provision, error)
	// LinkCase links an agreement to a case; linking twice is no change.
	LinkCase(ctx context.Context, agreementID, caseID int64, by string, at time.Time) error
	// FollowedAgreements returns, unrestricted, the agreements not ended
	// that are linked to a case or entered by hand, with a country among
	// countries (nil: all), with provisions and histories.
	FollowedAgreements(ctx context.Context, countries []string) ([]Agreement, error)
	// Suggestions lists cases the viewer sees with a place in a country of
	// an agreement the viewer sees, not linked to it; agreementID or
	// caseID (0: any) narrow it.
	Suggestions(ctx context.Context, v casework.Viewer, agreementID, caseID int64, limit int) ([]Suggestion, error)
	// Case is casework's read of a case under the need-to-know rule.
	Case(ctx context.Context, v casework.Viewer, id int64) (casework.Case, error)
}

// Alerts processes follow-through firings; *alert.Manager implements it.
type Alerts interface {
	Process(ctx context.Context, firings []alert.Firing, ev alert.Evaluated, now time.Time) (alert.Result, error)
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Options configure a Service. Store is required.
type Options struct {
	Store  Store
	Alerts Alerts   // nil: changes raise no alerts and Check fails
	Audit  Recorder // nil records nothing (tests only)
	// Geo is the country table: countries entered by hand must be in it.
	// nil loads the embedded one.
	Geo *geo.Table
	// StallAfter is how long without progress stalls a provision;
	// 0 is DefaultStallAfter.
	StallAfter time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// Service is follow-through on agreements: it checks and applies
// changes, audits them, and raises alerts on overdue and stalled
// provisions. It is safe for concurrent use.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("agreement: no store")
	}
	if o.StallAfter <= 0 {
		o.StallAfter = DefaultStallAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Geo == nil {
		g, err := geo.Load()
		if err != nil {
			return nil, err
		}
		o.Geo = g
	}
	return &Service{o: o}, nil
}

// Fingerprint identifies an agreement's imported content: its fields and
// provision categories. Re-importing an unchanged row changes nothing.
func Fingerprint(a Agreement) string {
	cats := make([]string, 0, len(a.Provisions))
	for _, p := range a.Provisions {
		cats = append(cats, p.Category)
	}
	b, _ := json.Marshal([]any{a.Source, a.SourceID, a.Name, a.Kind, a.Parties, a.ThirdParties,
		a.Signed.Format(time.DateOnly), a.Countries, a.ConflictIDs, a.Conflict, a.Ended, a.EndedOn, a.URL, a.Notes, cats})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

func (s *Service) record(ctx context.Context, v casework.Viewer, action, object string, details any) error {
	if s.o.Audit == nil {
		return nil
	}
	if err := s.o.Audit.Record(ctx, audit.Entry{ActorID: v.UserID, Actor: v.Name(), Action: action, Object: object,
		Remote: v.Remote, Details: details}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Import stores agreements read from a source, as actor: new ones are
// inserted, changed ones updated, unchanged ones left alone. It is
// audited as one agreement.import, and re-checks follow-through alerts
// when anything changed.
func (s *Service) Import(ctx context.Context, v casework.Viewer, as []Agreement) (ImportSummary, error) {
	sum := ImportSummary{Read: len(as)}
	now := s.o.Now().UTC()
	for i, a := range as {
		if err := a.Normalize(); err != nil {
			return sum, fmt.Errorf("agreement %s %s: %w", a.Source, a.SourceID, err)
		}
		for j := range a.Provisions {
			if err := a.Provisions[j].Normalize(); err != nil {
				return sum, fmt.Errorf("agreement %s %s: %w", a.Source, a.SourceID, err)
			}
		}
		_, out, n, err := s.o.Store.ImportAgreement(ctx, a, v.Name(), now)
		if err != nil {
			return sum, fmt.Errorf("import agreement %d of %d (%s %s): %w", i+1, len(as), a.Source, a.SourceID, err)
		}
		sum.Provisions += n
		switch out {
		case Inserted:
			sum.Inserted++
		case Updated:
			sum.Updated++
		default:
			sum.Unchanged++
		}
	}
	if err := s.record(ctx, v, "agreement.import", "agreements", sum); err != nil {
		return sum, err
	}
	if sum.Inserted+sum.Updated > 0 && s.o.Alerts != nil {
		if _, err := s.Check(ctx, now, nil); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// Get returns an agreement the viewer sees with its provisions and their
// histories.
func (s *Service) Get(ctx context.Context, v casework.Viewer, id int64) (Agreement, error) {
	return s.o.Store.Agreement(ctx, v, id)
}

// List returns the agreements the viewer sees that q selects, newest
// signed first.
func (s *Service) List(ctx context.Context, v casework.Viewer, q Query) ([]Agreement, error) {
	q.Country = strings.ToUpper(strings.TrimSpace(q.Country))
	return s.o.Store.Agreements(ctx, v, q)
}

// Suggest lists cases agreements could be linked to (see Store).
func (s *Service) Suggest(ctx context.Context, v casework.Viewer, agreementID, caseID int64, limit int) ([]Suggestion, error) {
	return s.o.Store.Suggestions(ctx, v, agreementID, caseID, limit)
}

// Create enters an agreement by hand (a water-sharing arrangement, an
// accord not in UCDP), with any provisions, as the viewer.
func (s *Service) Create(ctx context.Context, v casework.Viewer, a Agreement) (Agreement, error) {
	if !v.CanWrite() {
		return Agreement{}, ErrForbidden
	}
	a.ID, a.Source, a.SourceID = 0, SourceManual, ""
	if err := a.Normalize(); err != nil {
		return Agreement{}, err
	}
	for _, c := range a.Countries {
		if _, ok := s.o.Geo.Lookup(c); !ok {
			return Agreement{}, fmt.Errorf("%w: country %q: not a country the country table knows", ErrInvalid, c)
		}
	}
	for i := range a.Provisions {
		if err := a.Provisions[i].Normalize(); err != nil {
			return Agreement{}, fmt.Errorf("provision %d: %w", i+1, err)
		}
	}
	now := s.o.Now().UTC()
	out, err := s.o.Store.CreateAgreement(ctx, a, v.Name(), now)
	if err != nil {
		return Agreement{}, err
	}
	if err := s.record(ctx, v, "agreement.create", object(out.ID), map[string]any{"countries": out.Countries,
		"provisions": len(out.Provisions)}); err != nil {
		return out, err
	}
	return out, s.recheck(ctx, out.Countries)
}

// AddProvision adds a provision to an agreement the viewer sees. Its
// first history line is its status as of today.
func (s *Service) AddProvision(ctx context.Context, v casework.Viewer, agreementID int64, p Provision) (Provision, error) {
	a, err := s.o.Store.Agreement(ctx, v, agreementID)
	if err != nil {
		return Provision{}, err
	}
	if !v.CanWrite() {
		return Provision{}, ErrForbidden
	}
	p.ID, p.AgreementID = 0, agreementID
	if err := p.Normalize(); err != nil {
		return Provision{}, err
	}
	now := s.o.Now().UTC()
	out, err := s.o.Store.AddProvision(ctx, p, StatusChange{To: p.Status, On: civil(now), Actor: v.Name(),
		Note: "provision added", RecordedAt: now})
	if err != nil {
		return Provision{}, err
	}
	if err := s.record(ctx, v, "agreement.provision.add", object(agreementID), map[string]any{"provision": out.ID,
		"category": out.Category, "status": out.Status}); err != nil {
		return out, err
	}
	return out, s.recheck(ctx, a.Countries)
}

// SetStatus records a provision's implementation status as the viewer
// observed it: h.To on the day h.On (default today, never in the future),
// from h.Source with h.Note. The history keeps every line; the current
// status is that of the latest day, so a line back-filled with an earlier
// day than the current status's enters the history only.
func (s *Service) SetStatus(ctx context.Context, v casework.Viewer, provisionID int64, h StatusChange) (Provision, error) {
	agreementID, err := s.o.Store.ProvisionAgreement(ctx, v, provisionID)
	if err != nil {
		return Provision{}, err
	}
	if !v.CanWrite() {
		return Provision{}, ErrForbidden
	}
	if h.To.Rank() < 0 {
		return Provision{}, fmt.Errorf("%w: status %q: want one of %v", ErrInvalid, h.To, Statuses())
	}
	now := s.o.Now().UTC()
	if h.On.IsZero() {
		h.On = now
	}
	h.On = civil(h.On)
	if h.On.After(now) {
		return Provision{}, fmt.Errorf("%w: status day %s is in the future", ErrInvalid, h.On.Format(time.DateOnly))
	}
	h.Actor, h.RecordedAt = v.Name(), now
	h.Source, h.Note = strings.TrimSpace(h.Source), strings.TrimSpace(h.Note)
	p, err := s.o.Store.SetProvisionStatus(ctx, provisionID, h)
	if err != nil {
		return Provision{}, err
	}
	last := p.History[len(p.History)-1]
	if err := s.record(ctx, v, "agreement.provision.status", object(agreementID), map[string]any{"provision": p.ID,
		"from": last.From, "to": last.To, "on": last.On.Format(time.DateOnly)}); err != nil {
		return p, err
	}
	a, err := s.o.Store.Agreement(ctx, casework.Everyone(""), agreementID)
	if err != nil {
		return p, err
	}
	return p, s.recheck(ctx, a.Countries)
}

// Link links an agreement to a case, both seen by the viewer.
func (s *Service) Link(ctx context.Context, v casework.Viewer, agreementID, caseID int64) (Agreement, error) {
	a, err := s.o.Store.Agreement(ctx, v, agreementID)
	if err != nil {
		return Agreement{}, err
	}
	if _, err := s.o.Store.Case(ctx, v, caseID); errors.Is(err, casework.ErrNotFound) {
		return Agreement{}, fmt.Errorf("case %d: %w", caseID, ErrNotFound)
	} else if err != nil {
		return Agreement{}, err
	}
	if !v.CanWrite() {
		return Agreement{}, ErrForbidden
	}
	if err := s.o.Store.LinkCase(ctx, agreementID, caseID, v.Name(), s.o.Now().UTC()); err != nil {
		return Agreement{}, err
	}
	if err := s.record(ctx, v, "agreement.link", object(agreementID), map[string]any{"case": caseID}); err != nil {
		return Agreement{}, err
	}
	if err := s.recheck(ctx, a.Countries); err != nil {
		return Agreement{}, err
	}
	return s.o.Store.Agreement(ctx, v, agreementID)
}

// recheck runs Check for countries as of today after a change; without
// Alerts it does nothing.
func (s *Service) recheck(ctx context.Context, countries []string) error {
	if s.o.Alerts == nil || len(countries) == 0 {
		return nil
	}
	_, err := s.Check(ctx, s.o.Now(), countries)
	return err
}

// Check evaluates the follow-through rules as of the day asOf over the
// followed agreements with a country among countries (nil: every
// country), and has the alert Manager process the firings: alerts open,
// update, or clear for the countries evaluated.
func (s *Service) Check(ctx context.Context, asOf time.Time, countries []string) (alert.Result, error) {
	if s.o.Alerts == nil {
		return alert.Result{}, errors.New("agreement: no alert manager to check with")
	}
	as, err := s.o.Store.FollowedAgreements(ctx, countries)
	if err != nil {
		return alert.Result{}, err
	}
	fs := Firings(as, asOf, s.o.StallAfter)
	if len(countries) > 0 {
		fs = slices.DeleteFunc(fs, func(f alert.Firing) bool { return !slices.Contains(countries, f.Country) })
	}
	res, err := s.o.Alerts.Process(ctx, fs, alert.Evaluated{Rules: Rules(), Countries: countries, AsOf: civil(asOf)}, s.o.Now())
	if err != nil {
		return res, fmt.Errorf("follow-through alerts: %w", err)
	}
	s.o.Log.Info("follow-through checked", "as_of", civil(asOf).Format(time.DateOnly), "agreements", len(as),
		"firings", len(fs), "opened", len(res.Opened), "cleared", len(res.Cleared))
	return res, nil
}

func object(id int64) string { return "agreement:" + strconv.FormatInt(id, 10) }
