// Package auth is who may do what: organisations, users and their roles,
// password hashing (argon2id), browser sessions with CSRF tokens, API
// tokens for scripts, and login throttling.
//
// Access is closed by default: every API endpoint and page declares the
// roles that may use it (a Policy), and a request whose principal holds
// none of them is refused. A Principal is the authenticated caller of one
// request, from a session cookie or a bearer token; a token may narrow its
// user's rights to a scope but never widen them.
package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors callers branch on.
var (
	// ErrUnauthorized: no valid credentials (no session, a bad password,
	// an unknown, expired or revoked token, a disabled user).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: valid credentials whose role or scope does not allow
	// the request.
	ErrForbidden = errors.New("forbidden")
	// ErrThrottled: too many failed logins for this account or address.
	ErrThrottled = errors.New("too many failed logins; try again later")
)

// Role is what a user may do. The names are fixed: the CLI and the API use
// them as they are.
type Role string

// The roles.
const (
	Admin           Role = "admin"            // manages users, organisations and configuration; sees everything
	Analyst         Role = "analyst"          // works with data, indicators and forecasts; ingests data
	DeskOfficer     Role = "desk-officer"     // follows countries, acknowledges warnings, records decisions and actions
	MediationExpert Role = "mediation-expert" // standby mediation expert: sees the cases they are deployed to
	PartnerViewer   Role = "partner-viewer"   // partner organisation: sees what it is cleared for, read only
)

// Roles lists every role.
func Roles() []Role { return []Role{Admin, Analyst, DeskOfficer, MediationExpert, PartnerViewer} }

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if slices.Contains(Roles(), r) {
		return r, nil
	}
	names := make([]string, 0, 5)
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return "", fmt.Errorf("unknown role %q (roles: %s)", s, strings.Join(names, ", "))
}

// Scope narrows what an API token may do.
type Scope string

// The scopes.
const (
	ScopeRead  Scope = "read"  // GET requests only
	ScopeWrite Scope = "write" // any request the user's role allows
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID  int64
	Email   string
	Name    string
	OrgID   int64
	OrgName string
	Role    Role
	// Via is "session" or "token".
	Via string
	// Scope is a token's scope; sessions have ScopeWrite.
	Scope Scope
	// SessionID identifies the session (its hash), for logout and CSRF.
	SessionID string
	// CSRF is the session's anti-forgery token, to embed in forms.
	CSRF string
}

// Policy is the set of roles allowed to use an endpoint or page. The zero
// Policy allows nobody: access is closed by default.
type Policy struct {
	roles []Role
	write bool
}

// Allow returns a read policy for the given roles: GET and HEAD requests.
func Allow(roles ...Role) Policy { return Policy{roles: roles} }

// AllowWrite returns a policy for requests that change data: tokens need
// the write scope.
func AllowWrite(roles ...Role) Policy { return Policy{roles: roles, write: true} }

// Everyone is the read policy for every signed-in role.
func Everyone() Policy { return Allow(Roles()...) }

// Roles returns the roles the policy allows.
func (p Policy) Roles() []Role { return slices.Clone(p.roles) }

// Write reports whether the policy is for requests that change data.
func (p Policy) Write() bool { return p.write }

// Check reports whether pr may proceed: nil, ErrUnauthorized when pr is
// nil (signed out), or ErrForbidden.
func (p Policy) Check(pr *Principal) error {
	if pr == nil {
		return ErrUnauthorized
	}
	if !slices.Contains(p.roles, pr.Role) {
		return fmt.Errorf("%w: role %s may not do this", ErrForbidden, pr.Role)
	}
	if p.write && pr.Scope != ScopeWrite {
		return fmt.Errorf("%w: a %s-scoped token may not change data", ErrForbidden, pr.Scope)
	}
	return nil
}
