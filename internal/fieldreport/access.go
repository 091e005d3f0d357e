package fieldreport

import (
	"slices"

	"threshold/internal/auth"
)

// Viewer is who reads or changes field reports. Build it with ViewerOf,
// or use Operator for the CLI.
type Viewer struct {
	// All is the CLI operator: every report, identities included (reads
	// of contact details are still audited).
	All    bool
	UserID int64
	Email  string
	OrgID  int64
	Role   auth.Role
	Remote string // client address, for the audit log
	Actor  string // how histories and the audit log name the viewer; "" is Email
}

// Operator is the CLI operator named actor (e.g. "cli:alice").
func Operator(actor string) Viewer { return Viewer{All: true, Actor: actor} }

// ViewerOf is the viewer of a signed-in principal, from remote. A nil
// principal sees reports without identities and may change nothing.
func ViewerOf(p *auth.Principal, remote string) Viewer {
	if p == nil {
		return Viewer{Actor: "anonymous", Remote: remote}
	}
	return Viewer{UserID: p.UserID, Email: p.Email, OrgID: p.OrgID, Role: p.Role, Remote: remote}
}

// Name is how the viewer is named in histories and the audit log.
func (v Viewer) Name() string {
	if v.Actor != "" {
		return v.Actor
	}
	return v.Email
}

// SeesIdentity reports whether v may see who sent r: the operator,
// admins, and analysts of the organisation that received it.
func (v Viewer) SeesIdentity(r Report) bool {
	return v.All || v.Role == auth.Admin || (v.Role == auth.Analyst && v.OrgID != 0 && v.OrgID == r.OrgID)
}

// CanVerify reports whether v may move reports through verification and
// manage field monitors.
func (v Viewer) CanVerify() bool {
	return v.All || slices.Contains([]auth.Role{auth.Admin, auth.Analyst}, v.Role)
}

// redact returns r as v may see it. The sealed contact never leaves the
// service; without the right to the identity the reporter, the monitor
// and the sender's message id (a gateway's may carry a phone number) go
// too.
func redact(v Viewer, r Report) Report {
	r.SealedContact = ""
	if r.Reporter != nil {
		p := *r.Reporter
		p.Contact = ""
		r.Reporter = &p
	}
	if !v.SeesIdentity(r) {
		r.Reporter, r.MonitorID, r.ExternalID = nil, 0, ""
	}
	return r
}
