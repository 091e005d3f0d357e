package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"threshold/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// auditLockID is the PostgreSQL advisory lock that serialises audit
// appends across connections and servers.
const auditLockID = 0x7468722d61756469 // "thr-audi"

// AppendAudit appends one audit record. The transaction excludes every
// other append: on SQLite, the one write connection and BEGIN IMMEDIATE
// do; on PostgreSQL, an advisory lock taken first in the transaction,
// after which READ COMMITTED sees the last append committed. Two
// appenders can therefore never read the same last entry, and were one
// to, the primary key on seq would refuse the second insert rather than
// fork the chain. There is no way to update or delete a record.
func (db *DB) AppendAudit(ctx context.Context, next func(lastSeq int64, lastHash string) (audit.Record, error)) (audit.Record, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return audit.Record{}, err
	}
	defer tx.Rollback()
	if db.d.xactLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.rebind(db.d.xactLock), int64(auditLockID)); err != nil {
			return audit.Record{}, fmt.Errorf("lock audit log: %w", err)
		}
	}
	var (
		lastSeq  int64
		lastHash string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Record{}, fmt.Errorf("read last audit entry: %w", err)
	}
	r, err := next(lastSeq, lastHash)
	if err != nil {
		return audit.Record{}, err
	}
	var actorID any
	if r.ActorID != 0 {
		actorID = r.ActorID
	}
	_, err = tx.ExecContext(ctx, db.d.rebind(`INSERT INTO audit_log
		(seq, at, actor_id, actor, action, object, remote, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.Seq, db.instantArg(r.At), actorID, r.Actor, r.Action, r.Object, r.Remote, string(r.Details), r.PrevHash, r.Hash)
	if err != nil {
		return audit.Record{}, db.mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return audit.Record{}, err
	}
	return r, nil
}

const auditColumns = `seq, at, actor_id, actor, action, object, remote, details, prev_hash, hash`

func scanAudit(sc scanner) (audit.Record, error) {
	var (
		r       audit.Record
		at      any
		actorID sql.NullInt64
		details string
	)
	if err := sc.Scan(&r.Seq, &at, &actorID, &r.Actor, &r.Action, &r.Object, &r.Remote, &details, &r.PrevHash, &r.Hash); err != nil {
		return audit.Record{}, err
	}
	r.ActorID = actorID.Int64
	r.Details = []byte(details)
	var err error
	if r.At, err = scanTime(at); err != nil {
		return audit.Record{}, fmt.Errorf("audit entry %d: %w", r.Seq, err)
	}
	return r, nil
}

// AuditRecords calls fn with every audit record, by seq, and returns the
// first error fn returns, as it is.
func (db *DB) AuditRecords(ctx context.Context, fn func(audit.Record) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LatestAudit returns the last n audit records, newest first.
func (db *DB) LatestAudit(ctx context.Context, n int) ([]audit.Record, error) {
	rows, err := db.read.QueryContext(ctx, db.d.rebind(`SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT ?`), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []audit.Record{}
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
