package fieldreport

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"threshold/internal/event"
)

// Sentinel errors callers branch on. The store's ErrNotFound and
// ErrConflict also match ErrNotFound and ErrConflict here.
var (
	ErrNotFound          = errors.New("field report not found")
	ErrConflict          = errors.New("field report changed meanwhile")
	ErrInvalid           = errors.New("invalid field report")
	ErrInvalidTransition = errors.New("invalid verification transition")
	ErrForbidden         = errors.New("not allowed")
	ErrNoKey             = errors.New("contact details need THRESHOLD_FIELD_REPORT_KEY to be stored encrypted")
)

// Status is where a report is in verification.
type Status string

// The verification states.
const (
	Unverified  Status = "unverified"
	UnderReview Status = "under-review"
	Verified    Status = "verified"
	Rejected    Status = "rejected"
	Duplicate   Status = "duplicate"
)

// Statuses lists the states in workflow order.
func Statuses() []Status { return []Status{Unverified, UnderReview, Verified, Rejected, Duplicate} }

// next are the transitions the workflow allows.
var next = map[Status][]Status{
	Unverified:  {UnderReview, Rejected, Duplicate},
	UnderReview: {Verified, Rejected, Duplicate, Unverified},
}

// CanMove reports whether a report in from may move to to. Verified,
// rejected and duplicate are final: a mistake is corrected by a new
// report, so the events a verified report produced never vanish silently.
func CanMove(from, to Status) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Confidence is how sure the reporter is of what they report.
type Confidence string

// Reporter confidence levels.
const (
	Witnessed Confidence = "witnessed" // the reporter saw it
	Reliable  Confidence = "reliable"  // told by a source the reporter trusts
	Rumour    Confidence = "rumour"    // heard, not confirmed
)

// IdentityKind is how a reporter is known.
type IdentityKind string

// Identity kinds.
const (
	Anonymous IdentityKind = "anonymous"
	Pseudonym IdentityKind = "pseudonym"
	Contact   IdentityKind = "contact"
)

// Reporter is who sent a report. Contact holds the plain contact details
// only in memory, on intake and for viewers entitled to them; the store
// keeps them sealed.
type Reporter struct {
	Kind      IdentityKind `json:"kind" enum:"anonymous,pseudonym,contact"`
	Pseudonym string       `json:"pseudonym,omitempty" maxLength:"100"`
	Contact   string       `json:"contact,omitempty" maxLength:"500" doc:"Phone, email or other contact details; stored encrypted."`
	// HasContact says contact details are stored (and not yet purged),
	// without revealing them.
	HasContact bool `json:"has_contact,omitempty" readOnly:"true"`
}

// Report is one field report.
type Report struct {
	ID     int64  `json:"id" readOnly:"true"`
	Status Status `json:"status" readOnly:"true"`

	What       string         `json:"what" maxLength:"4000" doc:"What happened, in the reporter's words."`
	Country    string         `json:"country" doc:"ISO 3166-1 alpha-3."`
	Admin1     string         `json:"admin1,omitempty" maxLength:"200" doc:"First-level administrative area."`
	Place      string         `json:"place,omitempty" maxLength:"200" doc:"Place name: village, town, district."`
	Latitude   *float64       `json:"latitude,omitempty" minimum:"-90" maximum:"90"`
	Longitude  *float64       `json:"longitude,omitempty" minimum:"-180" maximum:"180"`
	Date       time.Time      `json:"date" format:"date" doc:"The day it happened (UTC civil date)."`
	Involved   string         `json:"involved,omitempty" maxLength:"1000" doc:"Who was involved: groups, forces, communities."`
	Casualties *int           `json:"casualties,omitempty" minimum:"0" doc:"Deaths, if known."`
	Category   event.Category `json:"category"`
	Confidence Confidence     `json:"confidence" enum:"witnessed,reliable,rumour"`
	Flash      bool           `json:"flash,omitempty" doc:"Urgent: raises an unverified alert at once."`

	// Reporter is nil in whatever is shown to a viewer not entitled to
	// the reporter's identity.
	Reporter *Reporter `json:"reporter,omitempty"`

	OrgID      int64  `json:"org_id,omitempty" doc:"The receiving organisation."`
	Channel    string `json:"channel" readOnly:"true" doc:"api, gateway:<name> or cli."`
	ExternalID string `json:"external_id,omitempty" maxLength:"200" doc:"The sender's own id (gateway message id), unique per channel."`
	MonitorID  int64  `json:"monitor_id,omitempty" doc:"The field monitor who sent it, if known."`

	ReceivedAt  time.Time  `json:"received_at" readOnly:"true"`
	DuplicateOf int64      `json:"duplicate_of,omitempty" readOnly:"true"`
	EventID     string     `json:"event,omitempty" readOnly:"true" doc:"The event it became, once verified (source:id)."`
	Version     int64      `json:"version" readOnly:"true"`
	Attachments []Attached `json:"attachments,omitempty" readOnly:"true"`
	Links       []Link     `json:"links,omitempty" readOnly:"true"`
	History     []Change   `json:"history,omitempty" readOnly:"true"`

	// SealedContact is the contact details as stored: never serialised.
	SealedContact string `json:"-"`
	// ContactPurgedAt is when retention deleted the contact details.
	ContactPurgedAt *time.Time `json:"contact_purged_at,omitempty" readOnly:"true"`
}

// Change is one verification transition.
type Change struct {
	From     Status    `json:"from"`
	To       Status    `json:"to"`
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason"`
	Evidence string    `json:"evidence,omitempty"`
	At       time.Time `json:"at"`
}

// Attached describes a stored attachment.
type Attached struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type" doc:"The sniffed media type."`
	Size   int    `json:"size"`
	Note   string `json:"note,omitempty"`
	SHA256 string `json:"sha256"`
}

// Link ties a report to an event or another report that may describe
// the same incident.
type Link struct {
	Event  string  `json:"event,omitempty" doc:"source:id of the event"`
	Report int64   `json:"report,omitempty" doc:"id of the other report"`
	Score  float64 `json:"score" minimum:"0" maximum:"1"`
	Reason string  `json:"reason"`
}

// Limits on text fields, in bytes.
const (
	maxWhat  = 4000
	maxShort = 200
	maxLong  = 1000
)

// Validate checks a report as submitted and names the first bad field.
// A report with no Reporter is given an anonymous one.
func (r *Report) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	texts := []struct {
		field, v string
		max      int
	}{{"what", r.What, maxWhat}, {"admin1", r.Admin1, maxShort}, {"place", r.Place, maxShort},
		{"involved", r.Involved, maxLong}, {"external_id", r.ExternalID, maxShort}}
	for _, t := range texts {
		if !utf8.ValidString(t.v) {
			return bad(t.field, "not valid UTF-8")
		}
		if len(t.v) > t.max {
			return bad(t.field, "%d bytes, at most %d", len(t.v), t.max)
		}
	}
	switch {
	case strings.TrimSpace(r.What) == "":
		return bad("what", "empty")
	case len(r.Country) != 3 || strings.ToUpper(r.Country) != r.Country:
		return bad("country", "%q is not an upper-case ISO alpha-3 code", r.Country)
	case r.Date.IsZero():
		return bad("date", "missing")
	case !r.Category.Valid():
		return bad("category", "%q is not in the taxonomy", r.Category)
	case r.Casualties != nil && *r.Casualties < 0:
		return bad("casualties", "%d is negative", *r.Casualties)
	case (r.Latitude == nil) != (r.Longitude == nil):
		return bad("latitude", "latitude and longitude go together")
	}
	if r.Latitude != nil {
		la, lo := *r.Latitude, *r.Longitude
		if math.IsNaN(la) || la < -90 || la > 90 {
			return bad("latitude", "%g out of range", la)
		}
		if math.IsNaN(lo) || lo < -180 || lo > 180 {
			return bad("longitude", "%g out of range", lo)
		}
	}
	switch r.Confidence {
	case Witnessed, Reliable, Rumour:
	default:
		return bad("confidence", "%q is not witnessed, reliable or rumour", r.Confidence)
	}
	if r.Reporter == nil {
		r.Reporter = &Reporter{Kind: Anonymous}
	}
	switch p := r.Reporter; p.Kind {
	case Anonymous:
		if p.Pseudonym != "" || p.Contact != "" {
			return bad("reporter", "an anonymous reporter has no pseudonym or contact")
		}
	case Pseudonym:
		if strings.TrimSpace(p.Pseudonym) == "" || len(p.Pseudonym) > 100 {
			return bad("reporter.pseudonym", "empty or longer than 100 bytes")
		}
		if p.Contact != "" {
			return bad("reporter.contact", "a pseudonymous reporter leaves no contact")
		}
	case Contact:
		if strings.TrimSpace(p.Contact) == "" || len(p.Contact) > 500 {
			return bad("reporter.contact", "empty or longer than 500 bytes")
		}
		if len(p.Pseudonym) > 100 {
			return bad("reporter.pseudonym", "longer than 100 bytes")
		}
	default:
		return bad("reporter.kind", "%q is not anonymous, pseudonym or contact", p.Kind)
	}
	return nil
}
