package auth

import (
	"context"
	"errors"
	"time"

	"threshold/internal/audit"
)

// Errors a Store returns, which Service passes on with a message that
// names the record. store.DB's errors match these as well as its own
// store.ErrNotFound and store.ErrConflict.
var (
	// ErrNotFound: no such organisation, user, session or token.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name or email is taken.
	ErrConflict = errors.New("already exists")
)

// Org is an organisation users belong to.
type Org struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person who signs in.
type User struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"` // lower-cased
	Name         string    `json:"name"`
	OrgID        int64     `json:"org_id"`
	OrgName      string    `json:"org"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"` // argon2id, PHC string format
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Session is a browser session. The cookie value is never stored.
type Session struct {
	ID        string // hex SHA-256 of the cookie value
	UserID    int64
	CSRF      string // anti-forgery token for the session's forms
	CreatedAt time.Time
	LastSeen  time.Time // last request, to within a minute; for the idle timeout
	ExpiresAt time.Time // absolute end, however active the session
}

// Token is an API token. The token itself is shown once, when created,
// and never stored.
type Token struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Email      string    `json:"email"` // the user's
	Name       string    `json:"name"`
	Scope      Scope     `json:"scope"`
	Hash       string    `json:"-"` // hex SHA-256 of the token
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`   // zero: never
	RevokedAt  time.Time `json:"revoked_at,omitzero"`   // zero: not revoked
	LastUsedAt time.Time `json:"last_used_at,omitzero"` // zero: never used; to within a minute
}

// LoginAttempt is one login, kept for throttling.
type LoginAttempt struct {
	Email  string // lower-cased, as typed
	Remote string // client address
	At     time.Time
	OK     bool
}

// Store is the storage Service needs; store.DB implements it. Lookups of
// missing records return errors matching ErrNotFound; inserts of a taken
// organisation name, email or token hash return errors matching
// ErrConflict. Methods are safe for concurrent use.
type Store interface {
	AddOrg(ctx context.Context, name string, at time.Time) (Org, error)
	Org(ctx context.Context, name string) (Org, error)
	Orgs(ctx context.Context) ([]Org, error)

	// AddUser inserts u (OrgID set, ID ignored) and returns it with its ID
	// and organisation name.
	AddUser(ctx context.Context, u User) (User, error)
	User(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)
	SetUserPassword(ctx context.Context, userID int64, hash string, at time.Time) error
	// SetUserDisabled disables or enables a user; disabling also deletes
	// the user's sessions, in the same transaction.
	SetUserDisabled(ctx context.Context, userID int64, disabled bool, at time.Time) error

	AddSession(ctx context.Context, s Session) error
	// Session returns a session and its user.
	Session(ctx context.Context, id string) (Session, User, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID int64) error

	// AddToken inserts t (ID ignored) and returns it with its ID.
	AddToken(ctx context.Context, t Token) (Token, error)
	// TokenByHash returns a token, revoked or expired ones included, and
	// its user.
	TokenByHash(ctx context.Context, hash string) (Token, User, error)
	// Tokens lists the tokens of a user, or of everyone when userID is 0,
	// by ID.
	Tokens(ctx context.Context, userID int64) ([]Token, error)
	// RevokeToken marks a token revoked, keeping the first revocation
	// time, and returns it.
	RevokeToken(ctx context.Context, id int64, at time.Time) (Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error

	AddLoginAttempt(ctx context.Context, a LoginAttempt) error
	// FailedLogins counts failed attempts at or after since, for the
	// email and for the remote address.
	FailedLogins(ctx context.Context, email, remote string, since time.Time) (byEmail, byRemote int, err error)
	// PurgeAuth deletes sessions that ended before now or were last seen
	// before idleBefore, and login attempts before attemptsBefore.
	PurgeAuth(ctx context.Context, now, idleBefore, attemptsBefore time.Time) error
}

// Recorder writes audit entries; *audit.Log implements it.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}
