package auth

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// maxNameLen bounds organisation and user names, in characters.
const maxNameLen = 200

// AddOrg adds an organisation.
func (s *Service) AddOrg(ctx context.Context, by Actor, name string) (Org, error) {
	name = strings.TrimSpace(name)
	if err := checkName("organisation name", name, true); err != nil {
		return Org{}, err
	}
	o, err := s.st.AddOrg(ctx, name, s.opts.Now())
	if err != nil {
		return Org{}, describe(err, fmt.Sprintf("organisation %q", name))
	}
	return o, s.record(ctx, by, "org.add", o.Name, map[string]any{"id": o.ID})
}

// ListOrgs lists the organisations by name.
func (s *Service) ListOrgs(ctx context.Context) ([]Org, error) {
	orgs, err := s.st.Orgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	return orgs, nil
}

// NewUser is a user to add.
type NewUser struct {
	Org      string // organisation name; it must exist
	Role     Role
	Email    string
	Name     string // optional display name
	Password string // checked against the password policy
}

// AddUser adds a user to an existing organisation and returns it,
// without its password hash.
func (s *Service) AddUser(ctx context.Context, by Actor, nu NewUser) (User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(nu.Role)); err != nil {
		return User{}, err
	}
	name := strings.TrimSpace(nu.Name)
	if err := checkName("name", name, false); err != nil {
		return User{}, err
	}
	if err := ValidatePassword(nu.Password); err != nil {
		return User{}, err
	}
	org, err := s.st.Org(ctx, strings.TrimSpace(nu.Org))
	if err != nil {
		return User{}, describe(err, fmt.Sprintf("organisation %q", nu.Org))
	}
	hash, err := s.hash(ctx, nu.Password)
	if err != nil {
		return User{}, err
	}
	now := s.opts.Now()
	u, err := s.st.AddUser(ctx, User{
		Email: email, Name: name, OrgID: org.ID, Role: nu.Role, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		return User{}, describe(err, fmt.Sprintf("user %q", email))
	}
	u.PasswordHash = ""
	return u, s.record(ctx, by, "user.add", u.Email, map[string]any{
		"id": u.ID, "org": u.OrgName, "role": u.Role, "name": u.Name,
	})
}

// ListUsers lists the users by email, without their password hashes.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	users, err := s.st.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for i := range users {
		users[i].PasswordHash = ""
	}
	return users, nil
}

// SetPassword sets a user's password and ends the user's sessions, so
// that whoever knew the old password is signed out. API tokens stay
// valid; revoke them separately.
func (s *Service) SetPassword(ctx context.Context, by Actor, email, password string) error {
	u, err := s.user(ctx, email)
	if err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.st.SetUserPassword(ctx, u.ID, hash, s.opts.Now()); err != nil {
		return describe(err, fmt.Sprintf("user %q", u.Email))
	}
	if err := s.st.DeleteUserSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("end sessions of %s: %w", u.Email, err)
	}
	return s.record(ctx, by, "user.passwd", u.Email, nil)
}

// DisableUser disables a user: their sessions end and their API tokens
// stop working at once. Nothing is deleted; EnableUser undoes it (the
// sessions stay ended).
func (s *Service) DisableUser(ctx context.Context, by Actor, email string) error {
	return s.setDisabled(ctx, by, email, true)
}

// EnableUser enables a disabled user again.
func (s *Service) EnableUser(ctx context.Context, by Actor, email string) error {
	return s.setDisabled(ctx, by, email, false)
}

func (s *Service) setDisabled(ctx context.Context, by Actor, email string, disabled bool) error {
	u, err := s.user(ctx, email)
	if err != nil {
		return err
	}
	if err := s.st.SetUserDisabled(ctx, u.ID, disabled, s.opts.Now()); err != nil {
		return describe(err, fmt.Sprintf("user %q", u.Email))
	}
	action := "user.disable"
	if !disabled {
		action = "user.enable"
	}
	return s.record(ctx, by, action, u.Email, nil)
}

// user finds a user by email.
func (s *Service) user(ctx context.Context, email string) (User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	u, err := s.st.User(ctx, e)
	if err != nil {
		return User{}, describe(err, fmt.Sprintf("user %q", e))
	}
	return u, nil
}

// NormalizeEmail checks that s is a bare email address (no display name)
// and returns it trimmed and lower-cased: emails are unique
// case-insensitively.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || len(s) > 254 {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	return strings.ToLower(s), nil
}

// checkName checks a name for length and control characters.
func checkName(what, s string, required bool) error {
	switch {
	case s == "" && required:
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > maxNameLen:
		return fmt.Errorf("%s is longer than %d characters", what, maxNameLen)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%s %q contains control characters", what, s)
	}
	return nil
}
