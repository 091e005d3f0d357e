package store

import (
	"context"
	"time"

	"threshold/internal/auth"
)

// AddSession stores a new session.
func (db *DB) AddSession(ctx context.Context, s auth.Session) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind(`INSERT INTO sessions
		(id, user_id, csrf_token, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		s.ID, s.UserID, s.CSRF, db.instantArg(s.CreatedAt), db.instantArg(s.LastSeen), db.instantArg(s.ExpiresAt))
	return authErr(db.mapErr(err))
}

// Session returns the session with the given ID and its user, whether or
// not it has ended: the caller decides.
func (db *DB) Session(ctx context.Context, id string) (auth.Session, auth.User, error) {
	var (
		s             auth.Session
		us            userScan
		cr, seen, exp any
	)
	dest := append([]any{&s.ID, &s.UserID, &s.CSRF, &cr, &seen, &exp}, us.dest()...)
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen, s.expires_at, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id
		WHERE s.id = ?`), id).Scan(dest...)
	if err != nil {
		return auth.Session{}, auth.User{}, authErr(db.mapErr(err))
	}
	for _, t := range []struct {
		dst *time.Time
		v   any
	}{{&s.CreatedAt, cr}, {&s.LastSeen, seen}, {&s.ExpiresAt, exp}} {
		if *t.dst, err = scanTime(t.v); err != nil {
			return auth.Session{}, auth.User{}, err
		}
	}
	u, err := us.user()
	return s, u, err
}

// TouchSession records a request in the session at the given time.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE sessions SET last_seen = ? WHERE id = ?`), db.instantArg(at), id)
	return affectedOne(res, err)
}

// DeleteSession deletes a session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, db.d.rebind(`DELETE FROM sessions WHERE id = ?`), id)
	return affectedOne(res, err)
}

// DeleteUserSessions deletes every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

// AddLoginAttempt records a login attempt.
func (db *DB) AddLoginAttempt(ctx context.Context, a auth.LoginAttempt) error {
	_, err := db.write.ExecContext(ctx, db.d.rebind(`INSERT INTO login_attempts (email, remote, at, ok) VALUES (?, ?, ?, ?)`),
		a.Email, a.Remote, db.instantArg(a.At), a.OK)
	return err
}

// FailedLogins counts the failed login attempts at or after since for an
// email and for a remote address.
func (db *DB) FailedLogins(ctx context.Context, email, remote string, since time.Time) (byEmail, byRemote int, err error) {
	ts := db.instantArg(since)
	err = db.read.QueryRowContext(ctx, db.d.rebind(`SELECT
		(SELECT COUNT(*) FROM login_attempts WHERE email = ? AND at >= ? AND NOT ok),
		(SELECT COUNT(*) FROM login_attempts WHERE remote = ? AND at >= ? AND NOT ok)`),
		email, ts, remote, ts).Scan(&byEmail, &byRemote)
	return byEmail, byRemote, err
}

// PurgeAuth deletes sessions that ended by now or were last seen before
// idleBefore, and login attempts before attemptsBefore.
func (db *DB) PurgeAuth(ctx context.Context, now, idleBefore, attemptsBefore time.Time) error {
	if _, err := db.write.ExecContext(ctx, db.d.rebind(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?`),
		db.instantArg(now), db.instantArg(idleBefore)); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, db.d.rebind(`DELETE FROM login_attempts WHERE at < ?`), db.instantArg(attemptsBefore))
	return err
}
