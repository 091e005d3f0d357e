package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"threshold/internal/audit"
)

// Options configure a Service. Zero fields take the defaults.
type Options struct {
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// IdleTimeout ends a session after this long without a request
	// (default 8h). MaxAge ends it this long after login, however active
	// (default 7 days).
	IdleTimeout, MaxAge time.Duration
	// MaxFailures is how many failed logins for one email within
	// ThrottleWindow make further attempts fail with ErrThrottled
	// (default 5). MaxFailuresPerRemote is the same for one client
	// address (default 20: a field office behind one NAT address must not
	// lock out all its staff because one of them forgot a password).
	MaxFailures, MaxFailuresPerRemote int
	// ThrottleWindow is how far back failed logins count (default 15m).
	ThrottleWindow time.Duration
	// Params are the argon2id parameters for new password hashes
	// (default DefaultParams()). Stored hashes made with other
	// parameters are rehashed at the next successful login.
	Params Params
	// MaxHashing bounds concurrent password hashes, each of which holds
	// Params.Memory (default 2).
	MaxHashing int
	// Audit, if set, receives an entry for every change and every login.
	Audit Recorder
}

// Defaults.
const (
	DefaultIdleTimeout          = 8 * time.Hour
	DefaultMaxAge               = 7 * 24 * time.Hour
	DefaultMaxFailures          = 5
	DefaultMaxFailuresPerRemote = 20
	DefaultThrottleWindow       = 15 * time.Minute
)

// touchEvery is how stale last_seen and last_used_at may get before a
// request writes them again: a write per request would make every page
// view a database write.
const touchEvery = time.Minute

// Principal.Via values.
const (
	ViaSession = "session"
	ViaToken   = "token"
)

// Service signs people in and out, checks sessions and API tokens, and
// manages organisations, users and tokens, recording every change in the
// audit log. It does not check who may call its management methods: the
// HTTP routes' policies do, and the CLI runs with the database's
// credentials. It is safe for concurrent use.
type Service struct {
	st   Store
	opts Options
	sem  chan struct{} // password hashing slots

	dummyOnce sync.Once
	dummy     string // a hash to check against when the user does not exist
}

// NewService returns a Service over st.
func NewService(st Store, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.MaxFailuresPerRemote <= 0 {
		opts.MaxFailuresPerRemote = DefaultMaxFailuresPerRemote
	}
	if opts.ThrottleWindow <= 0 {
		opts.ThrottleWindow = DefaultThrottleWindow
	}
	if opts.Params == (Params{}) {
		opts.Params = DefaultParams()
	}
	if opts.MaxHashing <= 0 {
		opts.MaxHashing = 2
	}
	return &Service{st: st, opts: opts, sem: make(chan struct{}, opts.MaxHashing)}
}

// Actor is who makes a change, as the audit log records it.
type Actor struct {
	ID     int64  // user ID; 0 for the CLI and the system
	Name   string // the user's email, or e.g. "cli:alice"
	Remote string // client address; "" on the CLI
}

// Actor returns p as the actor of a change made from remote.
func (p *Principal) Actor(remote string) Actor {
	return Actor{ID: p.UserID, Name: p.Email, Remote: remote}
}

// record writes an audit entry, if there is an audit log.
func (s *Service) record(ctx context.Context, by Actor, action, object string, details any) error {
	if s.opts.Audit == nil {
		return nil
	}
	err := s.opts.Audit.Record(ctx, audit.Entry{
		ActorID: by.ID, Actor: by.Name, Action: action, Object: object, Remote: by.Remote, Details: details,
	})
	if err != nil {
		return fmt.Errorf("%s %s done but not audited: %w", action, object, err)
	}
	return nil
}

// hash hashes a new password, waiting for a free hashing slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	return HashPassword(password, s.opts.Params)
}

// check checks a password against a stored hash, waiting for a free
// hashing slot.
func (s *Service) check(ctx context.Context, hash, password string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer s.release()
	return CheckPassword(hash, password)
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) release() { <-s.sem }

// dummyHash returns a hash of a random password, checked when the user
// does not exist so that a login takes as long either way and does not
// reveal which emails have accounts.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = HashPassword(newSecret(), s.opts.Params)
	})
	return s.dummy
}

// secretLen is the length of session cookies, CSRF tokens and API
// tokens' random part: 32 random bytes, base64url without padding.
const (
	secretBytes = 32
	secretLen   = 43
)

// newSecret returns 32 random bytes, base64url-encoded without padding.
func newSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails: crypto/rand panics rather than return short
	return base64.RawURLEncoding.EncodeToString(b)
}

// validSecret reports whether s has the shape newSecret gives, so that
// garbage is refused before a database lookup.
func validSecret(s string) bool {
	if len(s) != secretLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// digest returns the hex SHA-256 of a secret, as stored.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// msgError is an error whose message is written for people and which
// still matches the errors it wraps (ErrNotFound and store.ErrNotFound,
// ...), without their driver details in the message.
type msgError struct {
	msg string
	err error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }

// describe turns a Store error into one that names the record: "user
// "x@y.org" not found", "organisation "AU" exists". Other errors are
// wrapped with what.
func describe(err error, what string) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return &msgError{what + " not found", err}
	case errors.Is(err, ErrConflict):
		return &msgError{what + " exists", err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Purge deletes ended sessions and login attempts older than a day; run
// it now and then (hourly, say). Expiry never depends on it; only the
// size of the tables does.
func (s *Service) Purge(ctx context.Context) error {
	now := s.opts.Now()
	keep := max(24*time.Hour, s.opts.ThrottleWindow)
	if err := s.st.PurgeAuth(ctx, now, now.Add(-s.opts.IdleTimeout), now.Add(-keep)); err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	return nil
}
