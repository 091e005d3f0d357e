package casework

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	// ErrNotFound: no such case or action, or one the viewer may not
	// know of. The two are deliberately indistinguishable.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a request is incomplete or malformed.
	ErrInvalid = errors.New("invalid case")
	// ErrInvalidTransition: the case's status does not allow the change.
	ErrInvalidTransition = errors.New("invalid status change")
	// ErrForbidden: the viewer sees the case but may not change it (not
	// of the owner organisation, or a read-only role).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: someone else changed the case at the same time;
	// reading it again and retrying is safe.
	ErrConflict = errors.New("concurrent change")
)

// Status is where a case is.
type Status string

// The statuses, in the usual order of a case's life.
const (
	Monitoring     Status = "monitoring"
	ActivePrevent  Status = "active-preventive-engagement"
	Crisis         Status = "crisis"
	FollowThrough  Status = "follow-through"
	Closed         Status = "closed"
	defaultOpening        = Monitoring
)

// Statuses lists the statuses.
func Statuses() []Status {
	return []Status{Monitoring, ActivePrevent, Crisis, FollowThrough, Closed}
}

// ParseStatus parses a status name; spaces and underscores may stand for
// hyphens ("active preventive engagement").
func ParseStatus(s string) (Status, error) {
	v := Status(normalise(s))
	if slices.Contains(Statuses(), v) {
		return v, nil
	}
	return "", fmt.Errorf("%w: unknown status %q (want monitoring, active-preventive-engagement, crisis, follow-through or closed)", ErrInvalid, s)
}

// CheckTransition reports whether a case may go from status from to to:
// any open status may go to any other; a closed case only reopens, to
// monitoring.
func CheckTransition(from, to Status) error {
	if from == Closed && to != Monitoring {
		return fmt.Errorf("%w: a closed case reopens to monitoring, not %s", ErrInvalidTransition, to)
	}
	return nil
}

// Confidentiality is how far a case may be read (ST/SGB/2007/6 levels,
// with public and internal below them).
type Confidentiality string

// The levels, from the least to the most restricted.
const (
	Public               Confidentiality = "public"
	Internal             Confidentiality = "internal"
	Confidential         Confidentiality = "confidential"
	StrictlyConfidential Confidentiality = "strictly-confidential"
)

// Levels lists the confidentiality levels, least restricted first.
func Levels() []Confidentiality {
	return []Confidentiality{Public, Internal, Confidential, StrictlyConfidential}
}

// ParseConfidentiality parses a level; "strictly confidential" is
// accepted for strictly-confidential.
func ParseConfidentiality(s string) (Confidentiality, error) {
	v := Confidentiality(normalise(s))
	if slices.Contains(Levels(), v) {
		return v, nil
	}
	return "", fmt.Errorf("%w: unknown confidentiality %q (want public, internal, confidential or strictly-confidential)", ErrInvalid, s)
}

// Audited reports whether reads of a case at this level are audited.
func (c Confidentiality) Audited() bool { return c == Confidential || c == StrictlyConfidential }

// Place is a country, or one admin-1 area of it.
type Place struct {
	Country string `json:"country"`          // ISO alpha-3
	Admin1  string `json:"admin1,omitempty"` // "" is the whole country
}

// Case is a situation under watch.
type Case struct {
	ID              int64           `json:"id"`
	Title           string          `json:"title"`
	Places          []Place         `json:"places"`
	Countries       []string        `json:"countries"` // the places' countries, sorted
	Status          Status          `json:"status"`
	LeadOffice      string          `json:"lead_office,omitempty"`
	Staff           []string        `json:"responsible_staff"` // emails, sorted
	Confidentiality Confidentiality `json:"confidentiality"`
	OwnerOrgID      int64           `json:"-"`
	OwnerOrg        string          `json:"owner_org"`
	SharedWith      []string        `json:"shared_with"` // organisation names, sorted
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	// History is every status the case went through, oldest first; lists
	// leave it out.
	History []StatusChange `json:"status_history,omitempty"`
	// Version counts the case's writes; an update naming another version
	// is ErrConflict.
	Version int64 `json:"version"`
}

// StatusChange is one line of a case's status history.
type StatusChange struct {
	From  Status    `json:"from,omitempty"` // "" when the case opened
	To    Status    `json:"to"`
	Actor string    `json:"actor"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

var iso3 = regexp.MustCompile(`^[A-Z]{3}$`)

// normalise lower-cases s and turns spaces and underscores into hyphens.
func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'
	}), "-")
}

// Normalize cleans a case's fields in place (trimmed text, upper-case
// country codes, lower-case emails, sorted lists without duplicates,
// Countries from Places) and checks them: a title, at least one place,
// ISO alpha-3 codes, known status and confidentiality, valid emails.
// Every problem is reported, joined.
func (c *Case) Normalize() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		bad("a case needs a title")
	} else if len(c.Title) > 300 {
		bad("the title is longer than 300 bytes")
	}
	c.LeadOffice = strings.TrimSpace(c.LeadOffice)
	places := make([]Place, 0, len(c.Places))
	for _, p := range c.Places {
		p.Country, p.Admin1 = strings.ToUpper(strings.TrimSpace(p.Country)), strings.TrimSpace(p.Admin1)
		if !iso3.MatchString(p.Country) {
			bad("country %q is not an ISO alpha-3 code", p.Country)
			continue
		}
		places = append(places, p)
	}
	slices.SortFunc(places, func(a, b Place) int { return strings.Compare(a.Country+"|"+a.Admin1, b.Country+"|"+b.Admin1) })
	c.Places = slices.Compact(places)
	if len(c.Places) == 0 && len(errs) == 0 {
		bad("a case needs at least one country")
	}
	c.Countries = c.Countries[:0:0]
	for _, p := range c.Places {
		c.Countries = append(c.Countries, p.Country)
	}
	c.Countries = slices.Compact(c.Countries)
	if c.Status == "" {
		c.Status = defaultOpening
	}
	if st, err := ParseStatus(string(c.Status)); err != nil {
		errs = append(errs, err)
	} else {
		c.Status = st
	}
	if l, err := ParseConfidentiality(string(c.Confidentiality)); err != nil {
		errs = append(errs, err)
	} else {
		c.Confidentiality = l
	}
	staff := make([]string, 0, len(c.Staff))
	for _, e := range c.Staff {
		e = strings.ToLower(strings.TrimSpace(e))
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			bad("responsible staff %q is not an email address", e)
			continue
		}
		staff = append(staff, e)
	}
	slices.Sort(staff)
	c.Staff = slices.Compact(staff)
	shared := make([]string, 0, len(c.SharedWith))
	for _, o := range c.SharedWith {
		if o = strings.TrimSpace(o); o != "" {
			shared = append(shared, o)
		}
	}
	slices.Sort(shared)
	c.SharedWith = slices.Compact(shared)
	return errors.Join(errs...)
}

// PlacesOf makes places from countries (whole countries) and "ISO/Admin 1"
// strings.
func PlacesOf(specs []string) []Place {
	out := make([]Place, 0, len(specs))
	for _, s := range specs {
		country, admin1, _ := strings.Cut(s, "/")
		out = append(out, Place{Country: country, Admin1: admin1})
	}
	return out
}

// Query selects cases. Zero fields select everything the viewer sees.
type Query struct {
	Q               string // words that must all appear in the title or lead office (case-insensitive)
	Status          []Status
	Country         string // ISO alpha-3: cases with a place in it
	LeadOffice      string
	Confidentiality Confidentiality
	Limit           int // 0 is no limit
}
