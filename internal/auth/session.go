package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// Login checks an email and password from a client at remote and starts
// a session. It returns the session cookie's value, to be sent once in a
// Secure, HttpOnly, SameSite cookie, and the session's principal.
//
// Bad credentials, unknown emails and disabled users all fail alike with
// ErrUnauthorized, after the same amount of work. After MaxFailures
// failures for the email, or MaxFailuresPerRemote for the address,
// within ThrottleWindow, every attempt fails with ErrThrottled without
// checking the password, until the window has passed. Every attempt is
// recorded, in the store (for throttling across servers) and in the
// audit log.
func (s *Service) Login(ctx context.Context, email, password, remote string) (string, *Principal, error) {
	now := s.opts.Now()
	email = strings.ToLower(strings.TrimSpace(email))
	anon := Actor{Name: "anonymous", Remote: remote}
	byEmail, byRemote, err := s.st.FailedLogins(ctx, email, remote, now.Add(-s.opts.ThrottleWindow))
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if byEmail >= s.opts.MaxFailures || byRemote >= s.opts.MaxFailuresPerRemote {
		// Not recorded as an attempt, so that the window can pass.
		reason := "throttled: too many failures for this email"
		if byEmail < s.opts.MaxFailures {
			reason = "throttled: too many failures from this address"
		}
		if err := s.record(ctx, anon, "session.login_failed", email, map[string]any{"reason": reason}); err != nil {
			return "", nil, err
		}
		return "", nil, ErrThrottled
	}

	u, uerr := s.st.User(ctx, email)
	hash := u.PasswordHash
	if uerr != nil {
		if !errors.Is(uerr, ErrNotFound) {
			return "", nil, fmt.Errorf("login: %w", uerr)
		}
		hash = s.dummyHash()
	}
	ok, err := s.check(ctx, hash, password)
	if err != nil {
		return "", nil, fmt.Errorf("login %s: %w", email, err)
	}
	reason := ""
	switch {
	case uerr != nil:
		reason = "unknown email"
	case !ok:
		reason = "wrong password"
	case u.Disabled:
		reason = "user disabled"
	}
	if err := s.st.AddLoginAttempt(ctx, LoginAttempt{Email: email, Remote: remote, At: now, OK: reason == ""}); err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if reason != "" {
		if err := s.record(ctx, anon, "session.login_failed", email, map[string]any{"reason": reason}); err != nil {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("%w: wrong email or password", ErrUnauthorized)
	}

	if needsRehash(u.PasswordHash, s.opts.Params) {
		// Best effort: the login succeeds with the old hash either way.
		if h, err := s.hash(ctx, password); err == nil {
			_ = s.st.SetUserPassword(ctx, u.ID, h, now)
		}
	}
	cookie := newSecret()
	sess := Session{
		ID: digest(cookie), UserID: u.ID, CSRF: newSecret(),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.opts.MaxAge),
	}
	if err := s.st.AddSession(ctx, sess); err != nil {
		return "", nil, fmt.Errorf("login %s: %w", email, err)
	}
	p := principal(u, ViaSession, ScopeWrite)
	p.SessionID, p.CSRF = sess.ID, sess.CSRF
	if err := s.record(ctx, p.Actor(remote), "session.login", u.Email, nil); err != nil {
		return "", nil, err
	}
	return cookie, p, nil
}

// Logout ends p's session. It does nothing for a principal from an API
// token.
func (s *Service) Logout(ctx context.Context, p *Principal, remote string) error {
	if p == nil || p.Via != ViaSession {
		return nil
	}
	if err := s.st.DeleteSession(ctx, p.SessionID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("logout %s: %w", p.Email, err)
	}
	return s.record(ctx, p.Actor(remote), "session.logout", p.Email, nil)
}

// SessionPrincipal returns the principal of the session whose cookie
// value is cookie. It fails with ErrUnauthorized for a malformed or
// unknown cookie, an ended session (idle for IdleTimeout, or older than
// MaxAge; it is deleted) and a disabled user.
func (s *Service) SessionPrincipal(ctx context.Context, cookie string) (*Principal, error) {
	if !validSecret(cookie) {
		return nil, fmt.Errorf("%w: malformed session cookie", ErrUnauthorized)
	}
	sess, u, err := s.st.Session(ctx, digest(cookie))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: no such session", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	now := s.opts.Now()
	var ended string
	switch {
	case u.Disabled:
		ended = "user disabled"
	case !now.Before(sess.ExpiresAt):
		ended = "session expired"
	case now.Sub(sess.LastSeen) >= s.opts.IdleTimeout:
		ended = "session idle for too long"
	}
	if ended != "" {
		if err := s.st.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("end session: %w", err)
		}
		return nil, fmt.Errorf("%w: %s", ErrUnauthorized, ended)
	}
	if now.Sub(sess.LastSeen) >= min(touchEvery, s.opts.IdleTimeout/4) {
		if err := s.st.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
	}
	p := principal(u, ViaSession, ScopeWrite)
	p.SessionID, p.CSRF = sess.ID, sess.CSRF
	return p, nil
}

// CheckCSRF checks the anti-forgery token a form or header carried
// against p's session, in constant time. It fails with ErrUnauthorized
// when p is nil and ErrForbidden on a mismatch. Principals from API
// tokens need none: browsers never send bearer tokens on their own.
func CheckCSRF(p *Principal, token string) error {
	switch {
	case p == nil:
		return ErrUnauthorized
	case p.Via == ViaToken:
		return nil
	case p.CSRF == "" || subtle.ConstantTimeCompare([]byte(p.CSRF), []byte(token)) != 1:
		return fmt.Errorf("%w: CSRF token missing or wrong; reload the page and try again", ErrForbidden)
	}
	return nil
}

// principal makes the principal of u.
func principal(u User, via string, scope Scope) *Principal {
	return &Principal{
		UserID: u.ID, Email: u.Email, Name: u.Name, OrgID: u.OrgID, OrgName: u.OrgName,
		Role: u.Role, Via: via, Scope: scope,
	}
}
