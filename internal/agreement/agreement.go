package agreement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound: no such agreement or provision, or one the viewer may
	// not know of. The two are deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a request is incomplete or malformed.
	ErrInvalid = errors.New("invalid agreement")
	// ErrForbidden: the viewer sees the agreement but may not change it.
	ErrForbidden = errors.New("forbidden")
)

// Kind is what sort of agreement it is.
type Kind string

// The kinds.
const (
	PeaceAgreement  Kind = "peace-agreement"
	PoliticalAccord Kind = "political-accord"
	WaterSharing    Kind = "water-sharing"
	OtherKind       Kind = "other"
)

// Kinds lists the kinds.
func Kinds() []Kind { return []Kind{PeaceAgreement, PoliticalAccord, WaterSharing, OtherKind} }

// Sources of agreements.
const (
	SourceUCDP   = "ucdp-pa" // the UCDP Peace Agreement Dataset; SourceID is its paid
	SourceManual = "manual"  // entered by hand
)

// Status is how far a provision is implemented, as the Peace Accords
// Matrix codes it.
type Status string

// The statuses, from none to full implementation.
const (
	NotStarted   Status = "not-started"
	Minimal      Status = "minimal"
	Intermediate Status = "intermediate"
	Full         Status = "full"
)

// Statuses lists the statuses, least implemented first.
func Statuses() []Status { return []Status{NotStarted, Minimal, Intermediate, Full} }

// Rank orders statuses: 0 for not-started up to 3 for full; -1 for an
// unknown one.
func (s Status) Rank() int { return slices.Index(Statuses(), s) }

// ParseStatus parses a status; spaces and underscores may stand for
// hyphens ("not started").
func ParseStatus(s string) (Status, error) {
	st := Status(strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(s))))
	if st.Rank() < 0 {
		return "", fmt.Errorf("%w: status %q: want not-started, minimal, intermediate or full", ErrInvalid, s)
	}
	return st, nil
}

// Agreement is an agreement reached between parties, and what it commits
// them to.
type Agreement struct {
	ID       int64  `json:"id"`
	Source   string `json:"source"`              // SourceUCDP or SourceManual
	SourceID string `json:"source_id,omitempty"` // the source's id: UCDP's paid
	Name     string `json:"name"`
	Kind     Kind   `json:"kind"`
	// Parties are the signatories: for UCDP, actor_name.
	Parties      []string  `json:"parties"`
	ThirdParties string    `json:"third_parties,omitempty"` // UCDP pa_3rd, as written
	Signed       time.Time `json:"signed"`                  // civil day
	Countries    []string  `json:"countries"`               // ISO alpha-3, sorted
	ConflictIDs  []int64   `json:"conflict_ids,omitempty"`  // UCDP conflict ids
	Conflict     string    `json:"conflict,omitempty"`      // UCDP conflict_name
	// Ended: the agreement was terminated (UCDP ended), on EndedOn
	// (UCDP duration) when known.
	Ended   bool      `json:"ended"`
	EndedOn time.Time `json:"ended_on,omitzero"`
	URL     string    `json:"url,omitempty"` // the full text
	Notes   string    `json:"notes,omitempty"`

	// Cases are the ids of the linked cases the reader sees, sorted.
	Cases []int64 `json:"case_ids"`
	// Restricted: linked to a case that is not public (see the package
	// doc); set by the store.
	Restricted bool `json:"restricted"`
	// Provisions, with their histories; lists leave them out and give
	// ProvisionCount.
	Provisions     []Provision `json:"provisions,omitempty"`
	ProvisionCount int         `json:"provision_count"`

	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Provision is one commitment of an agreement.
type Provision struct {
	ID          int64     `json:"id"`
	AgreementID int64     `json:"agreement_id"`
	Category    string    `json:"category"` // a Categories code, or "other"
	Text        string    `json:"text"`
	Responsible string    `json:"responsible,omitempty"` // the party responsible for implementing it
	Deadline    time.Time `json:"deadline,omitzero"`     // civil day; zero is none
	Status      Status    `json:"status"`
	// StatusOn is the day the current status was observed.
	StatusOn time.Time `json:"status_on"`
	// History is every status the provision had, oldest first.
	History   []StatusChange `json:"status_history,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// StatusChange is one line of a provision's status history.
type StatusChange struct {
	From       Status    `json:"from,omitempty"` // "" for the first line
	To         Status    `json:"to"`
	On         time.Time `json:"on"`               // the civil day the status describes
	Actor      string    `json:"actor"`            // who recorded it
	Source     string    `json:"source,omitempty"` // where it was observed: a report, a mission
	Note       string    `json:"note,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

// LastProgress is the latest day of a provision's changes to a higher
// status, or of its first line when it never rose; zero without history.
func (p Provision) LastProgress() time.Time {
	var t time.Time
	for i, h := range p.History {
		if (i == 0 || h.To.Rank() > h.From.Rank()) && h.On.After(t) {
			t = h.On
		}
	}
	return t
}

// Normalize cleans an agreement in place and checks it: a name, a known
// kind, a signing day, ISO alpha-3 countries. Every problem is reported.
func (a *Agreement) Normalize() error {
	var errs []error
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if a.Kind == "" {
		a.Kind = PeaceAgreement
	}
	if !slices.Contains(Kinds(), a.Kind) {
		errs = append(errs, fmt.Errorf("kind %q: want one of %v", a.Kind, Kinds()))
	}
	if a.Source == "" {
		a.Source = SourceManual
	}
	if a.Signed.IsZero() {
		errs = append(errs, errors.New("signing date is required"))
	}
	a.Signed = civil(a.Signed)
	if !a.EndedOn.IsZero() {
		a.EndedOn = civil(a.EndedOn)
	}
	a.Parties = cleanList(a.Parties, false)
	a.Countries = cleanList(a.Countries, true)
	if len(a.Countries) == 0 {
		errs = append(errs, errors.New("at least one country is required"))
	}
	for _, c := range a.Countries {
		if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			errs = append(errs, fmt.Errorf("country %q: want an ISO alpha-3 code", c))
		}
	}
	slices.Sort(a.ConflictIDs)
	a.ConflictIDs = slices.Compact(a.ConflictIDs)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Normalize cleans a provision in place and checks it: a text or a known
// category, a known status (default not-started).
func (p *Provision) Normalize() error {
	p.Text, p.Responsible = strings.TrimSpace(p.Text), strings.TrimSpace(p.Responsible)
	p.Category = strings.ToLower(strings.TrimSpace(p.Category))
	if p.Category == "" {
		p.Category = "other"
	}
	var errs []error
	if c, ok := CategoryOf(p.Category); ok {
		if p.Text == "" {
			p.Text = c.Label
		}
	} else if p.Category != "other" {
		errs = append(errs, fmt.Errorf("category %q: want a UCDP provision code or other", p.Category))
	}
	if p.Text == "" {
		errs = append(errs, errors.New("text is required"))
	}
	if p.Status == "" {
		p.Status = NotStarted
	}
	if p.Status.Rank() < 0 {
		errs = append(errs, fmt.Errorf("status %q: want one of %v", p.Status, Statuses()))
	}
	if !p.Deadline.IsZero() {
		p.Deadline = civil(p.Deadline)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// civil is t's calendar day at midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// cleanList trims, drops empties and duplicates, and sorts when asked
// (upper-casing too, for country codes).
func cleanList(xs []string, codes bool) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if codes {
			x = strings.ToUpper(x)
		}
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if codes {
		slices.Sort(out)
	}
	return out
}
