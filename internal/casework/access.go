package casework

import (
	"slices"

	"threshold/internal/auth"
)

// Viewer is who reads or changes cases: the facts the need-to-know rule
// (see the package doc) is decided on. Build it with ViewerOf, or use
// Everyone.
type Viewer struct {
	// All lets every case through: the CLI operator acting without --as.
	All     bool
	UserID  int64
	Email   string // lower-case
	OrgID   int64
	OrgName string
	Role    auth.Role
	Remote  string // client address, for the audit log; "" on the CLI
	// Actor names the viewer in histories and the audit log; "" is Email.
	Actor string
}

// Everyone is the unrestricted viewer of the CLI operator, named actor
// (e.g. "cli:alice") in histories and the audit log.
func Everyone(actor string) Viewer { return Viewer{All: true, Actor: actor} }

// ViewerOf is the viewer of a signed-in principal, from remote.
func ViewerOf(p *auth.Principal, remote string) Viewer {
	if p == nil {
		return Viewer{Actor: "anonymous", Remote: remote} // sees nothing: no organisation, no clearance
	}
	return Viewer{UserID: p.UserID, Email: p.Email, OrgID: p.OrgID, OrgName: p.OrgName, Role: p.Role, Remote: remote}
}

// Name is how the viewer is named in histories and the audit log.
func (v Viewer) Name() string {
	if v.Actor != "" {
		return v.Actor
	}
	return v.Email
}

// Clearance is the confidentiality levels the viewer's role is cleared
// for, in cases of an organisation admitted to them. Being named among a
// case's responsible staff clears for that case at any level.
func (v Viewer) Clearance() []Confidentiality {
	switch v.Role {
	case auth.Admin:
		return Levels()
	case auth.Analyst, auth.DeskOfficer:
		return []Confidentiality{Public, Internal, Confidential}
	case auth.MediationExpert, auth.PartnerViewer:
		return []Confidentiality{Public, Internal}
	}
	return nil
}

// CanWrite reports whether the viewer's role may change cases and log
// actions at all.
func (v Viewer) CanWrite() bool {
	return v.All || slices.Contains([]auth.Role{auth.Admin, auth.Analyst, auth.DeskOfficer}, v.Role)
}

// canChange reports whether the viewer, who sees c, may change the case
// itself and its sharing: the owner organisation's writers.
func (v Viewer) canChange(c Case) bool {
	return v.All || (v.CanWrite() && v.OrgID == c.OwnerOrgID)
}
