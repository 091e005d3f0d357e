package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix starts every API token, so that secret scanners and people
// recognise one.
const TokenPrefix = "thr_"

// ParseScope parses a token scope name.
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(strings.TrimSpace(s)); sc {
	case ScopeRead, ScopeWrite:
		return sc, nil
	}
	return "", fmt.Errorf("unknown scope %q (scopes: read, write)", s)
}

// NewToken is an API token to create.
type NewToken struct {
	Email string        // the user the token acts as
	Name  string        // what it is for, e.g. "nightly ACLED import"
	Scope Scope         // read or write; the zero Scope is read
	TTL   time.Duration // lifetime; 0 for a token that does not expire
}

// CreateToken creates an API token for a user and returns the token,
// which is shown this once and stored only as its SHA-256, and its
// record.
func (s *Service) CreateToken(ctx context.Context, by Actor, nt NewToken) (string, Token, error) {
	if nt.Scope == "" {
		nt.Scope = ScopeRead
	}
	if _, err := ParseScope(string(nt.Scope)); err != nil {
		return "", Token{}, err
	}
	if nt.TTL < 0 {
		return "", Token{}, fmt.Errorf("token lifetime %v is negative", nt.TTL)
	}
	name := strings.TrimSpace(nt.Name)
	if err := checkName("token name", name, false); err != nil {
		return "", Token{}, err
	}
	u, err := s.user(ctx, nt.Email)
	if err != nil {
		return "", Token{}, err
	}
	if u.Disabled {
		return "", Token{}, fmt.Errorf("user %q is disabled", u.Email)
	}
	now := s.opts.Now()
	plain := TokenPrefix + newSecret()
	t := Token{UserID: u.ID, Email: u.Email, Name: name, Scope: nt.Scope, Hash: digest(plain), CreatedAt: now}
	if nt.TTL > 0 {
		t.ExpiresAt = now.Add(nt.TTL)
	}
	if t, err = s.st.AddToken(ctx, t); err != nil {
		return "", Token{}, fmt.Errorf("create token for %s: %w", u.Email, err)
	}
	details := map[string]any{"user": u.Email, "name": t.Name, "scope": t.Scope}
	if !t.ExpiresAt.IsZero() {
		details["expires_at"] = t.ExpiresAt
	}
	if err := s.record(ctx, by, "token.create", tokenObject(t.ID), details); err != nil {
		return "", Token{}, err
	}
	return plain, t, nil
}

// ListTokens lists the API tokens of the user with the given email, or
// everyone's when email is "", by ID. Revoked and expired tokens are
// included.
func (s *Service) ListTokens(ctx context.Context, email string) ([]Token, error) {
	var userID int64
	if email != "" {
		u, err := s.user(ctx, email)
		if err != nil {
			return nil, err
		}
		userID = u.ID
	}
	ts, err := s.st.Tokens(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes an API token at once. Revoking a revoked token
// changes nothing but is recorded again.
func (s *Service) RevokeToken(ctx context.Context, by Actor, id int64) error {
	t, err := s.st.RevokeToken(ctx, id, s.opts.Now())
	if err != nil {
		return describe(err, fmt.Sprintf("token %d", id))
	}
	return s.record(ctx, by, "token.revoke", tokenObject(t.ID), map[string]any{"user": t.Email, "name": t.Name})
}

// TokenPrincipal returns the principal of an API token, as sent in an
// Authorization: Bearer header. It fails with ErrUnauthorized for a
// malformed, unknown, expired or revoked token and a disabled user.
func (s *Service) TokenPrincipal(ctx context.Context, bearer string) (*Principal, error) {
	secret, ok := strings.CutPrefix(bearer, TokenPrefix)
	if !ok || !validSecret(secret) {
		return nil, fmt.Errorf("%w: malformed API token", ErrUnauthorized)
	}
	t, u, err := s.st.TokenByHash(ctx, digest(bearer))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: unknown API token", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	now := s.opts.Now()
	switch {
	case !t.RevokedAt.IsZero():
		return nil, fmt.Errorf("%w: API token revoked", ErrUnauthorized)
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return nil, fmt.Errorf("%w: API token expired", ErrUnauthorized)
	case u.Disabled:
		return nil, fmt.Errorf("%w: user disabled", ErrUnauthorized)
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.st.TouchToken(ctx, t.ID, now); err != nil {
			return nil, fmt.Errorf("token: %w", err)
		}
	}
	return principal(u, ViaToken, t.Scope), nil
}

// tokenObject names a token in the audit log.
func tokenObject(id int64) string { return fmt.Sprintf("token:%d", id) }
