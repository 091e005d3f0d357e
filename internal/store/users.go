package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"threshold/internal/auth"
)

var _ auth.Store = (*DB)(nil)

// AddOrg adds an organisation; a taken name is ErrConflict.
func (db *DB) AddOrg(ctx context.Context, name string, at time.Time) (auth.Org, error) {
	o := auth.Org{Name: name, CreatedAt: at.UTC()}
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO organisations (name, created_at) VALUES (?, ?) RETURNING id`),
		name, db.instantArg(at)).Scan(&o.ID)
	if err != nil {
		return auth.Org{}, authErr(db.mapErr(err))
	}
	return o, nil
}

// Org returns the organisation with the given name.
func (db *DB) Org(ctx context.Context, name string) (auth.Org, error) {
	var (
		o  auth.Org
		at any
	)
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT id, name, created_at FROM organisations WHERE name = ?`), name).
		Scan(&o.ID, &o.Name, &at)
	if err != nil {
		return auth.Org{}, authErr(db.mapErr(err))
	}
	o.CreatedAt, err = scanTime(at)
	return o, err
}

// Orgs lists the organisations by name.
func (db *DB) Orgs(ctx context.Context) ([]auth.Org, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, created_at FROM organisations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []auth.Org{}
	for rows.Next() {
		var (
			o  auth.Org
			at any
		)
		if err := rows.Scan(&o.ID, &o.Name, &at); err != nil {
			return nil, err
		}
		if o.CreatedAt, err = scanTime(at); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// userColumns are the columns scanUser reads, from users u joined with
// organisations o.
const userColumns = `u.id, u.email, u.name, u.org_id, o.name, u.role, u.password_hash, u.disabled, u.created_at, u.updated_at`

// userScan holds the scan targets of userColumns.
type userScan struct {
	u                 auth.User
	disabled, cr, upd any
}

func (s *userScan) dest() []any {
	return []any{&s.u.ID, &s.u.Email, &s.u.Name, &s.u.OrgID, &s.u.OrgName, &s.u.Role, &s.u.PasswordHash, &s.disabled, &s.cr, &s.upd}
}

func (s *userScan) user() (auth.User, error) {
	var err error
	s.u.Disabled = scanBool(s.disabled)
	if s.u.CreatedAt, err = scanTime(s.cr); err != nil {
		return auth.User{}, err
	}
	if s.u.UpdatedAt, err = scanTime(s.upd); err != nil {
		return auth.User{}, err
	}
	return s.u, nil
}

// AddUser adds u (OrgID set) and returns it with its ID and organisation
// name; a taken email is ErrConflict.
func (db *DB) AddUser(ctx context.Context, u auth.User) (auth.User, error) {
	var id int64
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO users
		(email, name, org_id, role, password_hash, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Email, u.Name, u.OrgID, string(u.Role), u.PasswordHash, u.Disabled,
		db.instantArg(u.CreatedAt), db.instantArg(u.UpdatedAt)).Scan(&id)
	if err != nil {
		return auth.User{}, authErr(db.mapErr(err))
	}
	return db.userWhere(ctx, db.write, `u.id = ?`, id)
}

// User returns the user with the given email, which must be lower-case.
func (db *DB) User(ctx context.Context, email string) (auth.User, error) {
	return db.userWhere(ctx, db.read, `u.email = ?`, email)
}

func (db *DB) userWhere(ctx context.Context, q *sql.DB, where string, args ...any) (auth.User, error) {
	var s userScan
	err := q.QueryRowContext(ctx, db.d.rebind(`SELECT `+userColumns+`
		FROM users u JOIN organisations o ON o.id = u.org_id WHERE `+where), args...).Scan(s.dest()...)
	if err != nil {
		return auth.User{}, authErr(db.mapErr(err))
	}
	return s.user()
}

// Users lists the users by email.
func (db *DB) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+`
		FROM users u JOIN organisations o ON o.id = u.org_id ORDER BY u.email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []auth.User{}
	for rows.Next() {
		var s userScan
		if err := rows.Scan(s.dest()...); err != nil {
			return nil, err
		}
		u, err := s.user()
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserPassword stores a new password hash.
func (db *DB) SetUserPassword(ctx context.Context, userID int64, hash string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`),
		hash, db.instantArg(at), userID)
	return affectedOne(res, err)
}

// SetUserDisabled disables or enables a user; disabling deletes the
// user's sessions in the same transaction.
func (db *DB) SetUserDisabled(ctx context.Context, userID int64, disabled bool, at time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`),
		disabled, db.instantArg(at), userID)
	if err := affectedOne(res, err); err != nil {
		return err
	}
	if disabled {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// affectedOne turns an update or delete that touched no row into
// ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return authErr(ErrNotFound)
	}
	return nil
}

// authErr makes an error from mapErr also match the sentinel auth.Store's
// contract names: ErrNotFound matches auth.ErrNotFound, ErrConflict
// auth.ErrConflict.
func authErr(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return bothErr{err, auth.ErrNotFound}
	case errors.Is(err, ErrConflict):
		return bothErr{err, auth.ErrConflict}
	}
	return err
}

// bothErr is err that also matches also.
type bothErr struct{ err, also error }

func (e bothErr) Error() string   { return e.err.Error() }
func (e bothErr) Unwrap() []error { return []error{e.err, e.also} }

// sortableTimeLayout is RFC 3339 with all nine fractional digits, so that
// SQLite's text timestamps compare in time order (time.RFC3339Nano drops
// trailing zeros, and "…:05Z" would sort after "…:05.5Z").
const sortableTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// instantArg formats every stored timestamp: fixed-width text in SQLite,
// timestamptz in PostgreSQL. scanTime reads it back.
func (db *DB) instantArg(t time.Time) any {
	if db.d.name == "sqlite" {
		return t.UTC().Format(sortableTimeLayout)
	}
	return t.UTC()
}

// nullInstantArg is instantArg with NULL for the zero time.
func (db *DB) nullInstantArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.instantArg(t)
}
