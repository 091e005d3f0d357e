package store

import (
	"context"
	"time"

	"threshold/internal/auth"
)

// AddToken stores an API token (its hash) and returns it with its ID.
func (db *DB) AddToken(ctx context.Context, t auth.Token) (auth.Token, error) {
	err := db.write.QueryRowContext(ctx, db.d.rebind(`INSERT INTO api_tokens
		(user_id, name, token_hash, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		t.UserID, t.Name, t.Hash, string(t.Scope), db.instantArg(t.CreatedAt), db.nullInstantArg(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return auth.Token{}, authErr(db.mapErr(err))
	}
	return t, nil
}

// tokenColumns are the columns tokenScan reads, from api_tokens t joined
// with users u.
const tokenColumns = `t.id, t.user_id, u.email, t.name, t.scope, t.token_hash, t.created_at, t.expires_at, t.revoked_at, t.last_used_at`

type tokenScan struct {
	t                      auth.Token
	cr, exp, rev, lastUsed any
}

func (s *tokenScan) dest() []any {
	return []any{&s.t.ID, &s.t.UserID, &s.t.Email, &s.t.Name, &s.t.Scope, &s.t.Hash, &s.cr, &s.exp, &s.rev, &s.lastUsed}
}

func (s *tokenScan) token() (auth.Token, error) {
	for _, f := range []struct {
		dst *time.Time
		v   any
	}{{&s.t.CreatedAt, s.cr}, {&s.t.ExpiresAt, s.exp}, {&s.t.RevokedAt, s.rev}, {&s.t.LastUsedAt, s.lastUsed}} {
		var err error
		if *f.dst, err = scanTime(f.v); err != nil {
			return auth.Token{}, err
		}
	}
	return s.t, nil
}

// TokenByHash returns the token with the given hash and its user.
func (db *DB) TokenByHash(ctx context.Context, hash string) (auth.Token, auth.User, error) {
	var (
		ts tokenScan
		us userScan
	)
	err := db.read.QueryRowContext(ctx, db.d.rebind(`SELECT `+tokenColumns+`, `+userColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.org_id
		WHERE t.token_hash = ?`), hash).Scan(append(ts.dest(), us.dest()...)...)
	if err != nil {
		return auth.Token{}, auth.User{}, authErr(db.mapErr(err))
	}
	t, err := ts.token()
	if err != nil {
		return auth.Token{}, auth.User{}, err
	}
	u, err := us.user()
	return t, u, err
}

// Tokens lists the tokens of a user, or everyone's when userID is 0, by
// ID.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]auth.Token, error) {
	q := `SELECT ` + tokenColumns + ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if userID != 0 {
		q += ` WHERE t.user_id = ?`
		args = append(args, userID)
	}
	rows, err := db.read.QueryContext(ctx, db.d.rebind(q+` ORDER BY t.id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []auth.Token{}
	for rows.Next() {
		var ts tokenScan
		if err := rows.Scan(ts.dest()...); err != nil {
			return nil, err
		}
		t, err := ts.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken marks a token revoked at the given time, unless it already
// is, and returns it.
func (db *DB) RevokeToken(ctx context.Context, id int64, at time.Time) (auth.Token, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return auth.Token{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`),
		db.instantArg(at), id); err != nil {
		return auth.Token{}, err
	}
	var ts tokenScan
	err = tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`), id).Scan(ts.dest()...)
	if err != nil {
		return auth.Token{}, authErr(db.mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return auth.Token{}, err
	}
	return ts.token()
}

// TouchToken records a use of a token at the given time.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	res, err := db.write.ExecContext(ctx, db.d.rebind(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), db.instantArg(at), id)
	return affectedOne(res, err)
}
